package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Deadlines for subprocesses.
const (
	readyWait = 90 * time.Second // journeybot's first start may index a knowledge base
	stopWait  = 15 * time.Second
)

// Server is a subprocess the benchmark started and owns: journeybot, or a helper (the bare hub or proxy).
type Server struct {
	Name    string
	Addr    string // host:port it listens on
	LogPath string // where its stderr (and journeybot's stdout) go
	cmd     *exec.Cmd
	stdin   io.Closer     // helpers exit when it is closed
	exited  chan struct{} // closed when the process has exited
	waitErr error         // set before exited is closed
}

// PID returns the process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// URL returns the server's http origin, e.g. http://127.0.0.1:8080.
func (s *Server) URL() string { return "http://" + s.Addr }

// RSS returns the process's resident set size in bytes.
func (s *Server) RSS() (int64, error) { return ReadRSS(s.PID()) }

// Stop asks the process to end (SIGTERM, and closing a helper's stdin), kills it if it has not ended within
// stopWait, and returns once it has exited.
func (s *Server) Stop() error {
	if s.stdin != nil {
		s.stdin.Close()
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopWait):
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("%s did not stop within %s: killed", s.Name, stopWait)
	}
	return nil
}

// LogTail returns up to the last n bytes of the process's log, for error messages.
func (s *Server) LogTail(n int64) string {
	f, err := os.Open(s.LogPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(fi.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(io.LimitReader(f, n))
	return string(b)
}

func (s *Server) start(log *os.File) error {
	s.cmd.Stderr = log
	if s.cmd.Stdout == nil {
		s.cmd.Stdout = log
	}
	// Never outlive the benchmark, even when it crashes. (Linux ties this to the OS thread that forked; the Go
	// runtime does not end threads of unlocked goroutines, and helpers also exit when their stdin closes.)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = s.cmd.Wait()
		log.Close()
		close(s.exited)
	}()
	return nil
}

// JourneybotOptions says how to start journeybot.
type JourneybotOptions struct {
	Binary  string            // path of the journeybot binary
	Config  string            // -config file; empty: none given
	Env     map[string]string // added to the environment, after OPENAI_* and JOURNEYBOT_* are removed from it
	LogPath string
}

// StartJourneybot starts `journeybot serve` on a free loopback port and waits until /readyz answers 200, the process
// exits, ctx ends or readyWait passes; on failure the process is stopped and the error includes its log's tail.
func StartJourneybot(ctx context.Context, o JourneybotOptions) (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "-addr", addr}
	if o.Config != "" {
		args = append(args, "-config", o.Config)
	}
	log, err := os.Create(o.LogPath)
	if err != nil {
		return nil, err
	}
	s := &Server{Name: "journeybot", Addr: addr, LogPath: o.LogPath, cmd: exec.Command(o.Binary, args...)}
	s.cmd.Env = childEnv(o.Env)
	if err := s.start(log); err != nil {
		log.Close()
		return nil, err
	}
	if err := waitReady(ctx, s, s.URL()+"/readyz"); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w; log tail:\n%s", err, s.LogTail(2048))
	}
	return s, nil
}

func childEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OPENAI_") || strings.HasPrefix(kv, "JOURNEYBOT_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

func waitReady(ctx context.Context, s *Server, url string) error {
	ctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before it was ready: %v", s.Name, s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s: %w", s.Name, url, ctx.Err())
		case <-tick.C:
		}
	}
}

// StartHelper starts this benchmark's own binary exe with args (a helper subcommand such as bare-hub) and waits for
// the "listening HOST:PORT" line it prints first on stdout. The helper exits when its stdin closes, so it does not
// outlive the benchmark.
func StartHelper(ctx context.Context, name, exe string, args []string, logPath string) (*Server, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	s := &Server{Name: name, LogPath: logPath, cmd: exec.Command(exe, args...)}
	// Our own pipes rather than StdinPipe/StdoutPipe: Wait closes those as soon as the process exits, which can
	// lose the line a short-lived helper printed before it died.
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		log.Close()
		return nil, err
	}
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		log.Close()
		stdinR.Close()
		stdinW.Close()
		return nil, err
	}
	s.stdin = stdinW
	s.cmd.Stdin, s.cmd.Stdout = stdinR, stdoutW
	err = s.start(log)
	stdinR.Close()
	stdoutW.Close()
	if err != nil {
		log.Close()
		stdinW.Close()
		stdout.Close()
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
		stdout.Close()
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case line, ok := <-lines:
		addr, found := strings.CutPrefix(line, "listening ")
		if !ok || !found {
			s.Stop()
			return nil, fmt.Errorf("%s: first line %q, want \"listening HOST:PORT\"; log tail:\n%s", name, line, s.LogTail(2048))
		}
		s.Addr = addr
		return s, nil
	case <-ctx.Done():
		s.Stop()
		return nil, fmt.Errorf("%s did not start: %w", name, ctx.Err())
	}
}

// ServeHelper is the body of a helper subcommand: it listens on addr, prints "listening HOST:PORT" on out and serves
// h until ctx ends or stdin reaches EOF (the parent went away).
func ServeHelper(ctx context.Context, addr string, h http.Handler, stdin io.Reader, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		io.Copy(io.Discard, stdin)
		cancel()
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(out, "listening %s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
