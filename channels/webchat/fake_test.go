package webchat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// fakeEngine is an Engine whose methods call its Fn fields. A nil ReceiveFn or HistoryFn uses a small in-memory
// conversation store (one conversation per visitor, messages deduplicated by client id).
type fakeEngine struct {
	ReceiveFn func(ctx context.Context, in channels.Inbound) (bot.Receipt, error)
	HistoryFn func(ctx context.Context, channel, userID, threadID string, afterSeq int64, limit int) (journeystate.Conversation, []journeystate.Message, error)
	// IdentifyFn, when set, answers IdentifyUser after the call is recorded.
	IdentifyFn func(ctx context.Context, channel, externalID string, who bot.Identification) (journeystate.IdentifyResult, error)

	mu         sync.Mutex
	msgs       map[string][]journeystate.Message // visitor id → messages
	identifies []identifyCall                    // every IdentifyUser call, in order
}

// identifyCall is one recorded call of IdentifyUser.
type identifyCall struct {
	Channel, ExternalID string
	Who                 bot.Identification
}

// IdentifyUser records the call; without IdentifyFn it answers with a customer of its own for the visitor, named
// by the claim, and no merge.
func (e *fakeEngine) IdentifyUser(ctx context.Context, channel, externalID string, who bot.Identification) (journeystate.IdentifyResult, error) {
	e.mu.Lock()
	e.identifies = append(e.identifies, identifyCall{Channel: channel, ExternalID: externalID, Who: who})
	e.mu.Unlock()
	if e.IdentifyFn != nil {
		return e.IdentifyFn(ctx, channel, externalID, who)
	}
	return journeystate.IdentifyResult{Customer: journeystate.Customer{ID: "cust-" + externalID,
		Profile: journeystate.Profile{Name: who.Name}}}, nil
}

// identified returns the IdentifyUser calls so far.
func (e *fakeEngine) identified() []identifyCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]identifyCall(nil), e.identifies...)
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{msgs: make(map[string][]journeystate.Message)}
}

var testTime = time.Date(2026, 11, 23, 9, 12, 3, 120_000_000, time.UTC)

func (e *fakeEngine) Receive(ctx context.Context, in channels.Inbound) (bot.Receipt, error) {
	if e.ReceiveFn != nil {
		return e.ReceiveFn(ctx, in)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	conv := journeystate.Conversation{ID: "conv-" + in.UserID, Channel: in.Channel, ThreadID: in.ThreadID}
	for _, m := range e.msgs[in.UserID] {
		if m.ClientID == in.ClientMsgID {
			conv.LastSeq = int64(len(e.msgs[in.UserID]))
			return bot.Receipt{Conversation: conv, Message: m, Duplicate: true}, nil
		}
	}
	m := journeystate.Message{
		ID: fmt.Sprintf("m%d-%s", len(e.msgs[in.UserID])+1, in.ClientMsgID), ConversationID: conv.ID,
		Seq: int64(len(e.msgs[in.UserID]) + 1), Author: journeystate.ActorCustomer, ClientID: in.ClientMsgID,
		Text: in.Text, CreatedAt: testTime,
	}
	e.msgs[in.UserID] = append(e.msgs[in.UserID], m)
	conv.LastSeq = m.Seq
	return bot.Receipt{Conversation: conv, Message: m}, nil
}

func (e *fakeEngine) History(ctx context.Context, channel, userID, threadID string, afterSeq int64, limit int) (journeystate.Conversation, []journeystate.Message, error) {
	if e.HistoryFn != nil {
		return e.HistoryFn(ctx, channel, userID, threadID, afterSeq, limit)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	all := e.msgs[userID]
	if len(all) == 0 {
		return journeystate.Conversation{}, nil, nil
	}
	var out []journeystate.Message
	for _, m := range all {
		if m.Seq > afterSeq {
			out = append(out, m)
		}
	}
	return journeystate.Conversation{ID: "conv-" + userID, Channel: channel, ThreadID: threadID}, out, nil
}

// testServer serves a Hub over a loopback httptest server; the hub is shut down when the test ends.
func testServer(t testing.TB, eng Engine, opts Options) (*Hub, *httptest.Server) {
	t.Helper()
	h := New(eng, opts)
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return h, srv
}

func wsURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/chat/ws"
}

// dial opens a socket to the hub, failing the test when the handshake fails.
func dial(t testing.TB, srv *httptest.Server) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// frame is any server frame. Message is the MESSAGE of a message frame or the text of an error frame.
type frame struct {
	Type           string          `json:"type"`
	VisitorID      string          `json:"visitor_id"`
	ConversationID string          `json:"conversation_id"`
	Messages       []wireMessage   `json:"messages"`
	ID             string          `json:"id"`
	Seq            int64           `json:"seq"`
	Duplicate      bool            `json:"duplicate"`
	Message        json.RawMessage `json:"message"`
	On             bool            `json:"on"`
	Author         string          `json:"author"`     // of a typing frame: "agent" for an agent
	AgentName      string          `json:"agent_name"` // of an agent's typing frame
	ReplyID        string          `json:"reply_id"`
	Text           string          `json:"text"`
	Code           string          `json:"code"`
	Truncated      *bool           `json:"truncated"` // nil when absent
	Limits         welcomeLimits   `json:"limits"`
	Frame          string          `json:"frame"`
	Verified       bool            `json:"verified"`
	CustomerName   string          `json:"customer_name"`
}

func (f frame) wire(t *testing.T) wireMessage {
	t.Helper()
	var m wireMessage
	if err := json.Unmarshal(f.Message, &m); err != nil {
		t.Fatalf("message frame %s: %v", f.Message, err)
	}
	return m
}

func (f frame) errorText(t *testing.T) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(f.Message, &s); err != nil {
		t.Fatalf("error frame message %s: %v", f.Message, err)
	}
	return s
}

// read returns the next frame, failing the test if none comes within a few seconds.
func read(t testing.TB, conn *websocket.Conn) frame {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	kind, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	if kind != websocket.TextMessage {
		t.Fatalf("frame kind %d, want text", kind)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("decode frame %s: %v", data, err)
	}
	return f
}

// expect reads the next frame and checks its type.
func expect(t testing.TB, conn *websocket.Conn, typ string) frame {
	t.Helper()
	f := read(t, conn)
	if f.Type != typ {
		t.Fatalf("frame type %q (%+v), want %q", f.Type, f, typ)
	}
	return f
}

func send(t testing.TB, conn *websocket.Conn, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	sendRaw(t, conn, websocket.TextMessage, data)
}

func sendRaw(t testing.TB, conn *websocket.Conn, kind int, data []byte) {
	t.Helper()
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteMessage(kind, data); err != nil {
		t.Fatalf("write frame: %v", err)
	}
}

// hello says hello as visitor vid and returns the welcome.
func hello(t testing.TB, conn *websocket.Conn, vid string, lastSeq int64) frame {
	t.Helper()
	send(t, conn, map[string]any{"type": "hello", "visitor_id": vid, "last_seq": lastSeq})
	return expect(t, conn, typeWelcome)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lockedBuffer is a log sink safe for the hub's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(buf *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
