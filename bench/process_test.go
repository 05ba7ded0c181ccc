package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperEnv makes the test binary act as the bare-hub helper, as journeybot-bench does for its own subcommand.
const helperEnv = "JOURNEYBOT_BENCH_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "bare-hub" {
		if err := ServeHelper(context.Background(), "127.0.0.1:0", NewBareHub(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestStartHelperServesAndStops(t *testing.T) {
	t.Setenv(helperEnv, "bare-hub")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := StartHelper(ctx, "bare-hub", exe, nil, filepath.Join(t.TempDir(), "hub.log"))
	if err != nil {
		t.Fatalf("StartHelper: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			s.Stop()
		}
	})
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Errorf("Addr = %q, want a loopback address", s.Addr)
	}
	c, err := DialChat(ctx, ChatDial{URL: "ws://" + s.Addr + "/", Origin: s.URL(), VisitorID: "v-12345678", Welcome: "hello"}, nil)
	if err != nil {
		t.Fatalf("DialChat to the helper: %v", err)
	}
	c.Close()
	if rss, err := s.RSS(); err != nil || rss <= 0 {
		t.Errorf("RSS = %d, %v; want > 0", rss, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	stopped = true
	select {
	case <-s.exited:
	default:
		t.Error("Stop returned before the process exited")
	}
}

func TestStartHelperBadFirstLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// echo prints something that is not "listening HOST:PORT" and exits.
	_, err := StartHelper(ctx, "echo", "/bin/echo", []string{"hello"}, filepath.Join(t.TempDir(), "echo.log"))
	if err == nil || !strings.Contains(err.Error(), `"hello"`) {
		t.Errorf("StartHelper(echo) = %v, want an error quoting the line", err)
	}
}

func TestServeHelperEndsWhenStdinCloses(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- ServeHelper(context.Background(), "127.0.0.1:0", http.NotFoundHandler(), stdinR, outW)
	}()
	line := make([]byte, 64)
	n, err := outR.Read(line)
	if err != nil || !strings.HasPrefix(string(line[:n]), "listening 127.0.0.1:") {
		t.Fatalf("first output %q, %v; want a listening line", line[:n], err)
	}
	stdinW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeHelper = %v, want nil after stdin closed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeHelper still serving 10 s after stdin closed")
	}
}

func TestStartJourneybotFailsClearly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// /bin/false exits at once: StartJourneybot must say so rather than wait for readiness.
	_, err := StartJourneybot(ctx, JourneybotOptions{Binary: "/bin/false", LogPath: filepath.Join(t.TempDir(), "jb.log")})
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("StartJourneybot(/bin/false) = %v, want an exited-before-ready error", err)
	}
}

func TestChildEnvDropsModelAndServerSettings(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-real-secret")
	t.Setenv("JOURNEYBOT_STORE_PATH", "/somewhere/else.db")
	env := strings.Join(childEnv(map[string]string{"JOURNEYBOT_LOG_LEVEL": "warn"}), "\n")
	for _, bad := range []string{"sk-real-secret", "/somewhere/else.db"} {
		if strings.Contains(env, bad) {
			t.Errorf("child environment carries %q from the parent", bad)
		}
	}
	if !strings.Contains(env, "JOURNEYBOT_LOG_LEVEL=warn") {
		t.Error("child environment lacks the setting given")
	}
}
