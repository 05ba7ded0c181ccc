package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/knowledge"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
)

// TestServeEndpoints checks the plain HTTP surface of a server with the embedded defaults.
func TestServeEndpoints(t *testing.T) {
	s := startServer(t, testConfig(t))
	tests := []struct {
		name        string
		path        string
		contentType string // a part of the Content-Type header
		body        []string
	}{
		{name: "healthz", path: "/healthz", contentType: "text/plain"},
		{name: "readyz", path: "/readyz", contentType: "text/plain"},
		{name: "metrics", path: "/metrics", contentType: "text/plain",
			body: []string{"journeybot_webchat_connections", "go_goroutines"}},
		{name: "demo page", path: "/", contentType: "text/html", body: []string{`src="/widget.js"`, "Hearthly"}},
		{name: "widget", path: "/widget.js", contentType: "javascript", body: []string{"attachShadow", "Open chat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ctype, body := get(t, s.URL()+tt.path)
			if code != http.StatusOK {
				t.Fatalf("GET %s: got status %d, want 200; body: %.300s", tt.path, code, body)
			}
			if !strings.Contains(ctype, tt.contentType) {
				t.Errorf("GET %s: got Content-Type %q, want one with %q", tt.path, ctype, tt.contentType)
			}
			for _, want := range tt.body {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s: body does not contain %q; body: %.500s", tt.path, want, body)
				}
			}
		})
	}
}

// TestReadyzAfterClose checks that a closed server no longer claims to be ready.
func TestReadyzAfterClose(t *testing.T) {
	s := startServer(t, testConfig(t))
	if code, _, _ := get(t, s.URL()+"/readyz"); code != http.StatusOK {
		t.Fatalf("GET /readyz while serving: got %d, want 200", code)
	}
	url := s.URL()
	if err := s.close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	resp, err := http.Get(url + "/readyz")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET /readyz after Close: got status %d, want a refused connection", resp.StatusCode)
	}
}

var visitorIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// TestWebChatOfflineRoundTrip follows the protocol from a first visit to a restored history, with the offline
// responder answering from the knowledge folder.
func TestWebChatOfflineRoundTrip(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := dialChat(t, s.URL())

	welcome := c.hello("", 0)
	if !visitorIDPattern.MatchString(welcome.VisitorID) {
		t.Fatalf("welcome visitor_id: got %q, want 8-64 characters of A-Z a-z 0-9 _ -", welcome.VisitorID)
	}
	if welcome.ConversationID != "" || len(welcome.Messages) != 0 {
		t.Errorf("welcome of a new visitor: got conversation %q and %d messages, want none", welcome.ConversationID, len(welcome.Messages))
	}

	const question = "How long does shipping take?"
	ack := c.sendMessage("c_ship_1", question)
	if ack.Seq != 1 || ack.Duplicate || ack.ConversationID == "" {
		t.Errorf("ack: got seq %d duplicate %v conversation %q, want seq 1, not duplicate, a conversation", ack.Seq, ack.Duplicate, ack.ConversationID)
	}
	r := c.awaitReply()
	m := r.Message
	if m.Source != "offline" {
		t.Errorf("reply source: got %q, want offline; reply: %+v", m.Source, m)
	}
	if m.Seq != 2 || m.ConversationID != ack.ConversationID {
		t.Errorf("reply: got seq %d in %q, want seq 2 in %q", m.Seq, m.ConversationID, ack.ConversationID)
	}
	if !citesSource(m, "shipping.md") {
		t.Errorf("reply citations: got %+v, want shipping.md among them; text: %q", m.Citations, m.Text)
	}
	if !strings.Contains(m.Text, "business days") {
		t.Errorf("reply text: got %q, want it to say how many business days shipping takes", m.Text)
	}
	if len(r.Deltas) == 0 {
		t.Errorf("got no delta frames before the reply; frames: %s", rawFrames(r.Frames))
	}
	if len(r.Typing) == 0 || !r.Typing[0] {
		t.Errorf("typing frames before the reply: got %v, want typing on first", r.Typing)
	}

	// A new socket of the same visitor gets the whole conversation back; with last_seq, only what follows.
	c2 := dialChat(t, s.URL())
	w2 := c2.hello(welcome.VisitorID, 0)
	want := []msgSummary{
		{Seq: 1, Author: "customer", ClientID: "c_ship_1", Text: question},
		{Seq: 2, Author: "bot", ClientID: m.ClientID, Text: m.Text, Source: "offline"},
	}
	if diff := cmp.Diff(want, summarize(w2.Messages)); diff != "" {
		t.Errorf("welcome history after reconnect (-want +got):\n%s", diff)
	}
	if w2.ConversationID != ack.ConversationID {
		t.Errorf("welcome conversation: got %q, want %q", w2.ConversationID, ack.ConversationID)
	}
	c3 := dialChat(t, s.URL())
	if diff := cmp.Diff(want[1:], summarize(c3.hello(welcome.VisitorID, 1).Messages)); diff != "" {
		t.Errorf("welcome after last_seq 1 (-want +got):\n%s", diff)
	}
}

// TestWebChatResendAfterReconnect resends an acknowledged message on a new socket: it must be acknowledged again as
// a duplicate, stored once and answered once.
func TestWebChatResendAfterReconnect(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := dialChat(t, s.URL())
	visitor := c.hello("", 0).VisitorID
	first := c.sendMessage("c_resend", "How long does shipping take?")
	answer := c.awaitReply().Message
	c.conn.Close()

	c2 := dialChat(t, s.URL())
	c2.hello(visitor, 0)
	again := c2.sendMessage("c_resend", "How long does shipping take?")
	if !again.Duplicate || again.Seq != first.Seq || again.ConversationID != first.ConversationID {
		t.Errorf("ack of the resend: got seq %d duplicate %v in %q, want seq %d duplicate true in %q",
			again.Seq, again.Duplicate, again.ConversationID, first.Seq, first.ConversationID)
	}
	// The engine answers a conversation's messages in order, so by the time the next question is answered a
	// second answer to the resend would have been sent: no bot message may come before the next question's.
	next := c2.sendMessage("c_next", "How do I return my thermostat?")
	r := c2.awaitReply()
	if r.Message.Seq <= next.Seq {
		t.Errorf("first bot message after the resend has seq %d, want an answer to seq %d (a second answer to the resend?)", r.Message.Seq, next.Seq)
	}

	c3 := dialChat(t, s.URL())
	got := summarize(c3.hello(visitor, 0).Messages)
	want := []msgSummary{
		{Seq: 1, Author: "customer", ClientID: "c_resend", Text: "How long does shipping take?"},
		{Seq: 2, Author: "bot", ClientID: answer.ClientID, Text: answer.Text, Source: "offline"},
		{Seq: 3, Author: "customer", ClientID: "c_next", Text: "How do I return my thermostat?"},
		{Seq: 4, Author: "bot", ClientID: r.Message.ClientID, Text: r.Message.Text, Source: "offline"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// TestWebChatOffTopic checks that the offline responder says it does not know rather than answering from an
// unrelated page.
func TestWebChatOffTopic(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := dialChat(t, s.URL())
	c.hello("", 0)
	c.sendMessage("c_france", "What is the capital of France?")
	m := c.awaitReply().Message
	if m.Source != "offline" {
		t.Errorf("source: got %q, want offline", m.Source)
	}
	if len(m.Citations) != 0 {
		t.Errorf("citations: got %+v, want none for an off-topic question", m.Citations)
	}
	if !saysDontKnow(m.Text) {
		t.Errorf("reply to an off-topic question: got %q, want one saying it does not know", m.Text)
	}
}

// TestWebChatRefusesBadInput checks that refused frames get an error frame, store nothing, and leave the socket
// working.
func TestWebChatRefusesBadInput(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := dialChat(t, s.URL())

	c.send(map[string]any{"type": "message", "id": "c_early", "text": "hello?"})
	if f := c.next(); f.Type != "error" || f.Code != "hello_required" {
		t.Errorf("message before hello: got %s, want an error frame with code hello_required", f.Raw)
	}
	visitor := c.hello("", 0).VisitorID
	c.send(map[string]any{"type": "message", "id": "c_long", "text": strings.Repeat("a", 4001)})
	if f := c.next(); f.Type != "error" || f.Code != "too_large" || f.ID != "c_long" {
		t.Errorf("text of 4001 characters: got %s, want an error frame with code too_large and id c_long", f.Raw)
	}
	c.send(map[string]any{"type": "message", "id": "bad id!", "text": "hi"})
	if f := c.next(); f.Type != "error" || f.Code != "bad_request" {
		t.Errorf("invalid message id: got %s, want an error frame with code bad_request", f.Raw)
	}
	if ack := c.sendMessage("c_ok", "Hello"); ack.Seq != 1 {
		t.Errorf("first valid message after refusals: got seq %d, want 1 (a refused message was stored?)", ack.Seq)
	}
	var stored []string
	for _, m := range dialChat(t, s.URL()).hello(visitor, 0).Messages {
		if m.Author == "customer" {
			stored = append(stored, m.ClientID)
		}
	}
	if diff := cmp.Diff([]string{"c_ok"}, stored); diff != "" {
		t.Errorf("customer messages stored (-want +got):\n%s", diff)
	}
}

// modelAnswer is what the fake model says; its words arrive as separate chunks.
const modelAnswer = "Standard shipping takes 3 to 5 business days, and express shipping takes 1 to 2 business days."

// modelConfig returns testConfig with the model pointed at a fake OpenAI-compatible server.
func modelConfig(t testing.TB, opts llmtest.Options) (Config, *llmtest.Server) {
	t.Helper()
	opts.APIKey = "sk-test-e2e"
	fake := llmtest.NewServer(t, opts)
	cfg := testConfig(t)
	cfg.Model.APIKey = Secret(opts.APIKey)
	cfg.Model.BaseURL = fake.URL()
	cfg.Model.MaxRetries = 0
	return cfg, fake
}

// TestWebChatModelStreams checks that a configured model's answer is streamed as several deltas and delivered as a
// final message marked "model".
func TestWebChatModelStreams(t *testing.T) {
	cfg, fake := modelConfig(t, llmtest.Options{
		// Paced like a real model: chunks that arrive together may reach the client as one merged delta.
		Respond: func(openai.ChatCompletionRequest) llmtest.Reply {
			return llmtest.Reply{Text: modelAnswer, ChunkDelay: 5 * time.Millisecond}
		},
	})
	s := startServer(t, cfg)
	c := dialChat(t, s.URL())
	c.hello("", 0)
	c.sendMessage("c_model", "How long does shipping take?")
	r := c.awaitReply()

	if r.Message.Source != "model" || r.Message.Text != modelAnswer {
		t.Errorf("reply: got source %q text %q, want source model text %q", r.Message.Source, r.Message.Text, modelAnswer)
	}
	if len(r.Deltas) < 3 {
		t.Errorf("got %d delta frames, want several; frames: %s", len(r.Deltas), rawFrames(r.Frames))
	}
	if got := deltaText(r.Deltas); got != modelAnswer {
		t.Errorf("joined deltas: got %q, want %q", got, modelAnswer)
	}
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("the fake model got no request")
	}
	if got := fake.Authorizations()[0]; got != "Bearer sk-test-e2e" {
		t.Errorf("Authorization: got %q, want the configured key", got)
	}
	if !reqs[0].Stream {
		t.Errorf("the model request was not streamed")
	}
	var asked bool
	for _, m := range reqs[0].Messages {
		asked = asked || m.Role == "user" && strings.Contains(m.Content, "How long does shipping take?")
	}
	if !asked {
		t.Errorf("the model request does not carry the customer's question: %+v", reqs[0].Messages)
	}
}

// TestWebChatModelTooSlowFallsBack checks that a customer whose model hangs still gets an answer within the turn
// deadline, from the offline responder, marked "fallback".
func TestWebChatModelTooSlowFallsBack(t *testing.T) {
	cfg, fake := modelConfig(t, llmtest.Options{
		Respond: func(openai.ChatCompletionRequest) llmtest.Reply { return llmtest.Reply{Hang: true} },
	})
	cfg.Bot.TurnDeadline = 2 * time.Second
	s := startServer(t, cfg)
	c := dialChat(t, s.URL())
	c.hello("", 0)
	c.sendMessage("c_slow", "How long does shipping take?")
	m := c.awaitReply().Message

	if m.Source != "fallback" {
		t.Errorf("source: got %q, want fallback; text %q", m.Source, m.Text)
	}
	if !citesSource(m, "shipping.md") {
		t.Errorf("fallback citations: got %+v, want shipping.md", m.Citations)
	}
	if fake.Count() == 0 {
		t.Errorf("the model was never asked")
	}
	if _, _, body := get(t, s.URL()+"/metrics"); !strings.Contains(body, "journeybot_model_fallbacks_total") {
		t.Errorf("/metrics does not count the fallback")
	}
}

// TestCloseFinishesTurnInFlight closes the server while the model is still thinking: Close must wait for the turn,
// deliver the reply to the open socket, and keep it stored for the customer to get on reconnect.
func TestCloseFinishesTurnInFlight(t *testing.T) {
	cfg, fake := modelConfig(t, llmtest.Options{
		Latency: time.Second,
		Respond: func(openai.ChatCompletionRequest) llmtest.Reply { return llmtest.Reply{Text: modelAnswer} },
	})
	s := startServer(t, cfg)
	c := dialChat(t, s.URL())
	visitor := c.hello("", 0).VisitorID
	c.sendMessage("c_inflight", "How long does shipping take?")
	pollUntil(t, frameWait, "the model is asked", func() bool { return fake.Count() > 0 })

	if err := s.close(); err != nil {
		t.Fatalf("Close with a turn in flight: %v", err)
	}
	// Close delivers the reply to the open socket before it says goodbye.
	if r := c.awaitReply(); r.Message.Text != modelAnswer || r.Message.Source != "model" {
		t.Errorf("reply delivered during Close: got %+v, want the model's answer", r.Message)
	}
	select {
	case <-c.done:
		var ce *websocket.CloseError
		if !errors.As(c.err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("socket end: got %v, want a going-away close frame (1001)", c.err)
		}
	case <-time.After(frameWait):
		t.Errorf("the socket is still open after Close")
	}

	s2 := startServer(t, cfg)
	c2 := dialChat(t, s2.URL())
	got := summarize(c2.hello(visitor, 0).Messages)
	if len(got) != 2 {
		t.Fatalf("history after restart: got %+v, want the question and its reply", got)
	}
	want := msgSummary{Seq: 2, Author: "bot", ClientID: got[1].ClientID, Text: modelAnswer, Source: "model"}
	if diff := cmp.Diff(want, got[1]); diff != "" {
		t.Errorf("reply stored by the turn that was in flight at Close (-want +got):\n%s", diff)
	}
}

// TestRunRejectsUnknownKey checks that serve refuses a configuration with an unknown key, from the file or from the
// environment, and names the key.
func TestRunRejectsUnknownKey(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		environ []string
		want    string
	}{
		{name: "file", file: "bot:\n  turn_dedline: 5s\n", want: "turn_dedline"},
		{name: "environment", file: "log:\n  level: warn\n", environ: []string{"JOURNEYBOT_BOT_TURN_DEDLINE=5s"},
			want: "JOURNEYBOT_BOT_TURN_DEDLINE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "config.yaml", tt.file)
			var stdout, stderr strings.Builder
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve", "-config", path, "-addr", "127.0.0.1:0"}, tt.environ, &stdout, &stderr)
			if err == nil {
				t.Fatalf("run serve: got no error, want one naming %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run serve: got error %q, want it to name %q", err, tt.want)
			}
		})
	}
}

// TestRunKnowledgeReindex checks that `journeybot knowledge reindex` indexes the folder and prints how many
// passages it holds.
func TestRunKnowledgeReindex(t *testing.T) {
	dir := filepath.Join(repoDir(t), "knowledge")
	passages, _, err := knowledge.Load(dir, "")
	if err != nil {
		t.Fatalf("load the knowledge folder: %v", err)
	}
	path := writeFile(t, "config.yaml", fmt.Sprintf("store:\n  path: %q\nknowledge:\n  dir: %q\n",
		filepath.Join(t.TempDir(), "journeybot.db"), dir))
	printed := regexp.MustCompile(`^indexed (\d+) passages from (.+) \(version [0-9a-f]{12}\)\n$`)
	for _, round := range []string{"first", "again"} {
		var stdout, stderr strings.Builder
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := run(ctx, []string{"knowledge", "reindex", "-config", path}, nil, &stdout, &stderr)
		cancel()
		if err != nil {
			t.Fatalf("%s reindex: %v; stderr: %s", round, err, stderr.String())
		}
		m := printed.FindStringSubmatch(stdout.String())
		if m == nil {
			t.Fatalf("%s reindex printed %q, want %q", round, stdout.String(), printed)
		}
		if want := strconv.Itoa(len(passages)); m[1] != want || m[2] != dir {
			t.Errorf("%s reindex: got %s passages from %s, want %s from %s", round, m[1], m[2], want, dir)
		}
	}
}

// writeFile writes content to a new file name in a temp dir and returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
