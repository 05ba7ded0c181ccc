package main

// This file holds what the end-to-end tests share: a Main started on a loopback port with a temp store, a bounded
// log kept for failing tests, and a web-chat client that speaks docs/webchat-protocol.md over gorilla/websocket.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// frameWait bounds every wait for one frame from the server. It is a deadline against hangs, not a speed claim:
// under -race on a busy 2-core machine a turn can take seconds.
const frameWait = 20 * time.Second

// repoDir returns the repository root (two levels above this package).
func repoDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return dir
}

// testConfig returns DefaultConfig with a loopback port chosen by the kernel, a store in a temp dir, the
// repository's knowledge folder and no model.
func testConfig(t testing.TB) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Store.Path = filepath.Join(t.TempDir(), "journeybot.db")
	cfg.Knowledge.Dir = filepath.Join(repoDir(t), "knowledge")
	cfg.Model.APIKey = ""
	return cfg
}

// testServer is a Main opened for one test. Close may be called by the test; Cleanup calls it otherwise.
type testServer struct {
	*Main

	closeOnce sync.Once
	closeErr  error
}

// startServer opens a Main for cfg and closes it when the test ends; when the test failed, the server's log is
// printed.
func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	logs := &logBuffer{limit: 1 << 20}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := &testServer{Main: NewMain(cfg, logger)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Open(ctx); err != nil {
		t.Fatalf("Open: %v\nlog:\n%s", err, logs)
	}
	t.Cleanup(func() {
		if err := s.close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return s
}

// close shuts the server down once, with a deadline.
func (s *testServer) close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s.closeErr = s.Close(ctx)
	})
	return s.closeErr
}

// URL returns the server's base URL, http://127.0.0.1:PORT.
func (s *testServer) URL() string { return "http://" + s.Addr() }

// logBuffer keeps the first limit bytes of a server's log; it is safe for concurrent use and never grows past limit.
type logBuffer struct {
	mu    sync.Mutex
	buf   []byte
	limit int
	lost  int
}

// Write keeps what fits and counts the rest; it reports the whole of p as written so that the logger goes on.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := min(len(p), max(b.limit-len(b.buf), 0))
	b.buf = append(b.buf, p[:keep]...)
	b.lost += len(p) - keep
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lost > 0 {
		return fmt.Sprintf("%s... (%d more bytes)", b.buf, b.lost)
	}
	return string(b.buf)
}

// wireMessage is MESSAGE of the protocol, as a client reads it.
type wireMessage struct {
	ID             string         `json:"id"`
	ConversationID string         `json:"conversation_id"`
	Seq            int64          `json:"seq"`
	Author         string         `json:"author"`
	ClientID       string         `json:"client_id"`
	Text           string         `json:"text"`
	CreatedAt      string         `json:"created_at"`
	Source         string         `json:"source"`
	Citations      []wireCitation `json:"citations"`
}

type wireCitation struct {
	Title  string `json:"title"`
	Source string `json:"source"`
	URL    string `json:"url"`
}

// frame is any server frame. "message" is an object in a message frame and a string in an error frame, so it is
// decoded by type into Message or ErrorText.
type frame struct {
	Type           string          `json:"type"`
	VisitorID      string          `json:"visitor_id"`
	ConversationID string          `json:"conversation_id"`
	Messages       []wireMessage   `json:"messages"`
	ID             string          `json:"id"`
	Seq            int64           `json:"seq"`
	Duplicate      bool            `json:"duplicate"`
	On             bool            `json:"on"`
	ReplyID        string          `json:"reply_id"`
	Text           string          `json:"text"`
	Code           string          `json:"code"`
	RawMessage     json.RawMessage `json:"message"`

	Message   wireMessage `json:"-"`
	ErrorText string      `json:"-"`
	Raw       string      `json:"-"`
}

// chatClient is one web-chat socket. A reader goroutine decodes frames into a bounded channel; a test that lets
// more than its capacity pile up fails rather than blocking the server.
type chatClient struct {
	t      testing.TB
	conn   *websocket.Conn
	frames chan frame
	done   chan struct{} // closed when the reader stops
	err    error         // why the reader stopped; read after done
}

// dialChat opens a socket to the server at base (http://HOST:PORT) with the server's own origin, as a browser on
// the demo page would.
func dialChat(t testing.TB, base string) *chatClient {
	t.Helper()
	c, err := tryDialChat(t, base)
	if err != nil {
		t.Fatalf("dial web chat: %v", err)
	}
	return c
}

func tryDialChat(t testing.TB, base string) (*chatClient, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	header := http.Header{"Origin": {base}}
	conn, resp, err := d.Dial("ws"+base[len("http"):]+"/chat/ws", header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, err
	}
	c := &chatClient{t: t, conn: conn, frames: make(chan frame, 1024), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { c.conn.Close() })
	return c, nil
}

func (c *chatClient) read() {
	defer close(c.done)
	for {
		typ, data, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		if typ != websocket.TextMessage {
			c.err = fmt.Errorf("server sent a non-text frame (type %d)", typ)
			return
		}
		f, err := decodeServerFrame(data)
		if err != nil {
			c.err = err
			return
		}
		select {
		case c.frames <- f:
		default:
			c.err = errors.New("test client: more than 1024 unread frames")
			return
		}
	}
}

func decodeServerFrame(data []byte) (frame, error) {
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("server frame %s: %w", data, err)
	}
	f.Raw = string(data)
	switch f.Type {
	case "message":
		if err := json.Unmarshal(f.RawMessage, &f.Message); err != nil {
			return f, fmt.Errorf("message frame %s: %w", data, err)
		}
	case "error":
		if err := json.Unmarshal(f.RawMessage, &f.ErrorText); err != nil {
			return f, fmt.Errorf("error frame %s: %w", data, err)
		}
	}
	return f, nil
}

// send writes one JSON frame.
func (c *chatClient) send(v any) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("send %v: %v", v, err)
	}
}

// next returns the next frame, failing the test when none comes within frameWait.
func (c *chatClient) next() frame {
	c.t.Helper()
	f, err := c.nextWithin(frameWait)
	if err != nil {
		c.t.Fatal(err)
	}
	return f
}

func (c *chatClient) nextWithin(d time.Duration) (frame, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case f := <-c.frames:
		return f, nil
	case <-c.done:
		// Frames read before the socket ended come first.
		select {
		case f := <-c.frames:
			return f, nil
		default:
		}
		return frame{}, fmt.Errorf("socket ended: %v", c.err)
	case <-timer.C:
		return frame{}, fmt.Errorf("no frame from the server within %v", d)
	}
}

// waitFor reads frames until one satisfies match and returns it with the frames read before it.
func (c *chatClient) waitFor(what string, match func(frame) bool) (frame, []frame) {
	c.t.Helper()
	var before []frame
	deadline := time.Now().Add(frameWait)
	for {
		f, err := c.nextWithin(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %s: %v; frames before: %s", what, err, rawFrames(before))
		}
		if match(f) {
			return f, before
		}
		before = append(before, f)
	}
}

// hello says hello and returns the welcome.
func (c *chatClient) hello(visitorID string, lastSeq int64) frame {
	c.t.Helper()
	c.send(map[string]any{"type": "hello", "visitor_id": visitorID, "last_seq": lastSeq})
	f := c.next()
	if f.Type != "welcome" {
		c.t.Fatalf("answer to hello: got %s, want a welcome frame", f.Raw)
	}
	return f
}

// sendMessage sends a customer message and returns its ack.
func (c *chatClient) sendMessage(id, text string) frame {
	c.t.Helper()
	c.send(map[string]any{"type": "message", "id": id, "text": text})
	ack, before := c.waitFor("ack of "+id, func(f frame) bool {
		return f.Type == "ack" && f.ID == id || f.Type == "error"
	})
	if ack.Type == "error" {
		c.t.Fatalf("message %s: got error frame %s", id, ack.Raw)
	}
	for _, f := range before {
		if f.Type == "message" && f.Message.Author == "customer" {
			c.t.Errorf("message %s: echo of the customer's own message before its ack: %s", id, f.Raw)
		}
	}
	return ack
}

// reply is what the bot sent for one question.
type reply struct {
	Message wireMessage
	Deltas  []frame // delta frames for Message.ClientID, in order
	Typing  []bool  // typing frames, in order
	Frames  []frame // every frame read up to and including the message
}

// awaitReply reads frames until a bot message arrives.
func (c *chatClient) awaitReply() reply {
	c.t.Helper()
	f, before := c.waitFor("the bot's reply", func(f frame) bool {
		return f.Type == "message" && f.Message.Author == "bot"
	})
	r := reply{Message: f.Message, Frames: append(before, f)}
	for _, b := range before {
		switch b.Type {
		case "delta":
			if b.ReplyID != f.Message.ClientID {
				c.t.Errorf("delta for reply %q before the final message of reply %q", b.ReplyID, f.Message.ClientID)
			}
			r.Deltas = append(r.Deltas, b)
		case "typing":
			r.Typing = append(r.Typing, b.On)
		}
	}
	return r
}

// deltaText joins the text of delta frames.
func deltaText(deltas []frame) string {
	var s string
	for _, d := range deltas {
		s += d.Text
	}
	return s
}

func rawFrames(fs []frame) string {
	out := "["
	for i, f := range fs {
		if i > 0 {
			out += ", "
		}
		out += f.Raw
	}
	return out + "]"
}

// pollUntil calls cond until it is true, failing the test when it is not within d.
func pollUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// msgSummary is the part of a MESSAGE that tests compare.
type msgSummary struct {
	Seq      int64
	Author   string
	ClientID string
	Text     string
	Source   string
}

func summarize(msgs []wireMessage) []msgSummary {
	out := make([]msgSummary, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, msgSummary{Seq: m.Seq, Author: m.Author, ClientID: m.ClientID, Text: m.Text, Source: m.Source})
	}
	return out
}

func citesSource(m wireMessage, source string) bool {
	for _, c := range m.Citations {
		if c.Source == source {
			return true
		}
	}
	return false
}

// saysDontKnow reports whether text plainly says that the answer is not known.
func saysDontKnow(text string) bool {
	lower := strings.ToLower(strings.ReplaceAll(text, "’", "'"))
	for _, p := range []string{"don't know", "do not know", "not sure", "couldn't find", "could not find", "don't have", "do not have"} {
		if strings.Contains(lower, p) {
			return true
		}
	}
	return false
}

// get fetches url and returns the status, Content-Type and body (at most 1 MiB).
func get(t testing.TB, url string) (int, string, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}
