package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDurabilityAckedMessagesSurviveKill runs the real binary and kills it with SIGKILL the moment a message is
// acknowledged, several times in a row: every acknowledged message must be in the history after a restart, and
// the last one, whose turn the kill cut off, is answered after the restart.
func TestDurabilityAckedMessagesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: builds the journeybot binary and kills it several times")
	}
	bin := buildBinary(t)
	store := filepath.Join(t.TempDir(), "data", "journeybot.db")
	const visitor = "v_durability_e2e"
	const rounds = 4

	var acked []string
	for round := 1; ; round++ {
		p := startBinary(t, bin, store)
		c := dialChat(t, p.url)
		welcome := c.hello(visitor, 0)
		var got []string
		for _, m := range welcome.Messages {
			if m.Author == "customer" {
				got = append(got, m.ClientID)
			}
		}
		if diff := cmp.Diff(acked, got); diff != "" {
			t.Fatalf("start %d: customer messages in welcome (-acked +got):\n%s", round, diff)
		}
		if round > rounds {
			// The last message was acknowledged and then the server died before its turn: the restarted server
			// answers it by itself (Engine.Resume), unless it did so before the welcome.
			if last := welcome.Messages[len(welcome.Messages)-1]; last.Author == "customer" {
				c.waitFor("the answer to the message left unanswered", func(f frame) bool {
					return f.Type == "message" && f.Message.Author == "bot"
				})
			}
			return
		}
		id := fmt.Sprintf("c_kill_%d", round)
		c.sendMessage(id, fmt.Sprintf("Question %d: how long does shipping take?", round))
		p.kill(t)
		acked = append(acked, id)
	}
}

// buildBinary builds ./cmd/journeybot into a temp dir, with the sqlite_fts5 tag.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("skipping: the go command is not on PATH, so the binary cannot be built: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "journeybot")
	cmd := exec.Command(goTool, "build", "-tags", "sqlite_fts5", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is the journeybot binary running `serve` on a loopback port.
type process struct {
	cmd    *exec.Cmd
	url    string
	out    *logBuffer
	exited chan struct{} // closed when the process has been waited for
	err    error         // Wait's result; read after exited
}

// startBinary starts `journeybot serve` on a free loopback port with the store at store and the repository's
// config.yaml and knowledge folder, and waits until /readyz answers 200. A port taken between choosing and
// listening is retried with another.
func startBinary(t *testing.T, bin, store string) *process {
	t.Helper()
	var last *process
	for attempt := 0; attempt < 3; attempt++ {
		p := launch(t, bin, store, freePort(t))
		if p.waitReady(t) {
			return p
		}
		last = p
	}
	t.Fatalf("journeybot did not become ready (exit: %v); output:\n%s", last.err, last.out)
	return nil
}

func launch(t *testing.T, bin, store, addr string) *process {
	t.Helper()
	repo := repoDir(t)
	cmd := exec.Command(bin, "serve", "-config", filepath.Join(repo, "config.yaml"), "-addr", addr)
	cmd.Dir = repo
	// Only what the test means: no OPENAI_* or JOURNEYBOT_* from the developer's shell.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"JOURNEYBOT_STORE_PATH=" + store,
		"JOURNEYBOT_KNOWLEDGE_DIR=" + filepath.Join(repo, "knowledge"),
		"JOURNEYBOT_LOG_LEVEL=info",
	}
	p := &process{cmd: cmd, url: "http://" + addr, out: &logBuffer{limit: 256 << 10}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("output of journeybot at %s:\n%s", addr, p.out)
		}
	})
	return p
}

// waitReady polls /readyz until it answers 200; false when the process exits first.
func (p *process) waitReady(t *testing.T) bool {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return false
		default:
		}
		resp, err := client.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.kill(t)
	return false
}

// kill sends SIGKILL (no chance to flush or shut down) and waits for the process to be gone.
func (p *process) kill(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("kill journeybot: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("journeybot did not exit within 30 s of SIGKILL")
	}
}

// freePort returns a loopback address whose port was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
