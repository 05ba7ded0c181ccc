package webchat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

func TestHello(t *testing.T) {
	stored := []journeystate.Message{
		{ID: "m4", ConversationID: "conv1", Seq: 4, Author: journeystate.ActorCustomer, ClientID: "c_4", Text: "Hi", CreatedAt: testTime},
		{ID: "m5", ConversationID: "conv1", Seq: 5, Author: journeystate.ActorBot, ClientID: "reply:m4", Text: "Hello!",
			CreatedAt: testTime, Meta: journeystate.MessageMeta{Source: "model"}},
	}
	handedOff := []journeystate.Message{
		{ID: "m6", ConversationID: "conv1", Seq: 6, Author: journeystate.ActorSystem, ClientID: "notice:m6",
			Text: "Sam joined the conversation.", CreatedAt: testTime,
			Meta: journeystate.MessageMeta{AgentID: "u_sam", AgentName: "Sam", Notice: journeystate.NoticeAgentJoined}},
		{ID: "m7", ConversationID: "conv1", Seq: 7, Author: journeystate.ActorAgent, ClientID: "agent:m7",
			Text: "Hi, Sam here.", CreatedAt: testTime, Meta: journeystate.MessageMeta{AgentID: "u_sam", AgentName: "Sam"}},
		{ID: "m8", ConversationID: "conv1", Seq: 8, Author: journeystate.ActorSystem, ClientID: "notice:m8",
			Text: "The assistant is back.", CreatedAt: testTime, Meta: journeystate.MessageMeta{Notice: journeystate.NoticeBotBack}},
	}
	type call struct {
		channel, user, thread string
		after                 int64
		limit                 int
	}
	tests := []struct {
		name      string
		visitorID string
		lastSeq   int64
		conv      journeystate.Conversation
		msgs      []journeystate.Message
		wantMsgs  []wireMessage
	}{
		{name: "new visitor gets an id", wantMsgs: []wireMessage{}},
		{name: "returning visitor gets the history", visitorID: "v_returning1", lastSeq: 3,
			conv: journeystate.Conversation{ID: "conv1", ThreadID: "v_returning1"}, msgs: stored,
			wantMsgs: []wireMessage{toWire(stored[0]), toWire(stored[1])}},
		{name: "history names agents and notices", visitorID: "v_returning2", lastSeq: 5,
			conv: journeystate.Conversation{ID: "conv1", ThreadID: "v_returning2"}, msgs: handedOff,
			wantMsgs: []wireMessage{
				{ID: "m6", ConversationID: "conv1", Seq: 6, Author: "system", ClientID: "notice:m6",
					Text: "Sam joined the conversation.", CreatedAt: "2026-11-23T09:12:03.120Z", AgentName: "Sam",
					Notice: "agent_joined"},
				{ID: "m7", ConversationID: "conv1", Seq: 7, Author: "agent", ClientID: "agent:m7", Text: "Hi, Sam here.",
					CreatedAt: "2026-11-23T09:12:03.120Z", AgentName: "Sam"},
				{ID: "m8", ConversationID: "conv1", Seq: 8, Author: "system", ClientID: "notice:m8",
					Text: "The assistant is back.", CreatedAt: "2026-11-23T09:12:03.120Z", Notice: "bot_back"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := make(chan call, 1)
			eng := newFakeEngine()
			eng.HistoryFn = func(_ context.Context, ch, user, thread string, after int64, limit int) (journeystate.Conversation, []journeystate.Message, error) {
				calls <- call{ch, user, thread, after, limit}
				return tt.conv, tt.msgs, nil
			}
			_, srv := testServer(t, eng, Options{})
			conn := dial(t, srv)

			w := hello(t, conn, tt.visitorID, tt.lastSeq)

			vid := tt.visitorID
			if vid == "" {
				vid = w.VisitorID
				if !validVisitorID(vid) {
					t.Fatalf("welcome visitor id %q is not valid", vid)
				}
			}
			if w.VisitorID != vid || w.ConversationID != tt.conv.ID {
				t.Errorf("welcome visitor %q conversation %q, want %q %q", w.VisitorID, w.ConversationID, vid, tt.conv.ID)
			}
			if diff := cmp.Diff(tt.wantMsgs, w.Messages); diff != "" {
				t.Errorf("welcome messages (-want +got):\n%s", diff)
			}
			if w.Truncated == nil || *w.Truncated {
				t.Errorf("welcome truncated = %v, want false", w.Truncated)
			}
			if want := (welcomeLimits{MaxMessageChars: 4000, MaxFrameBytes: 16 << 10}); w.Limits != want {
				t.Errorf("welcome limits %+v, want %+v", w.Limits, want)
			}
			got := <-calls
			want := call{journeystate.ChannelWeb, vid, vid, tt.lastSeq, historyLimit + 1} // one more: are there older?
			if got != want {
				t.Errorf("History called with %+v, want %+v", got, want)
			}
		})
	}
}

func TestHelloTruncated(t *testing.T) {
	history := func(n, textLen int) []journeystate.Message {
		out := make([]journeystate.Message, n)
		for i := range out {
			out[i] = journeystate.Message{ID: fmt.Sprintf("m%d", i+1), ConversationID: "conv1", Seq: int64(i + 1),
				Author: journeystate.ActorCustomer, ClientID: fmt.Sprintf("c_%d", i+1),
				Text: strings.Repeat("x", textLen), CreatedAt: testTime}
		}
		return out
	}
	tests := []struct {
		name          string
		opts          Options
		stored        []journeystate.Message
		wantFirstSeq  int64
		wantTruncated bool
	}{
		{name: "all", stored: history(historyLimit, 10), wantFirstSeq: 1},
		{name: "more than a welcome carries", stored: history(historyLimit+50, 10), wantFirstSeq: 51, wantTruncated: true},
		{name: "more than fits", opts: Options{MaxWelcomeBytes: 64 << 10}, stored: history(100, 4000),
			wantFirstSeq: 86, wantTruncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newFakeEngine()
			eng.HistoryFn = func(_ context.Context, _, _, _ string, _ int64, limit int) (journeystate.Conversation, []journeystate.Message, error) {
				msgs := tt.stored
				if len(msgs) > limit {
					msgs = msgs[len(msgs)-limit:]
				}
				return journeystate.Conversation{ID: "conv1"}, msgs, nil
			}
			h, srv := testServer(t, eng, tt.opts)
			conn := dial(t, srv)
			send(t, conn, map[string]any{"type": "hello", "visitor_id": "v_visitor01"})
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, data, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("read the welcome: %v", err)
			}
			if len(data) > h.opts.MaxWelcomeBytes {
				t.Errorf("welcome of %d bytes, want at most %d", len(data), h.opts.MaxWelcomeBytes)
			}
			w := decode(t, data)

			var seqs []int64
			for _, m := range w.Messages {
				seqs = append(seqs, m.Seq)
			}
			var want []int64
			for seq := tt.wantFirstSeq; seq <= tt.stored[len(tt.stored)-1].Seq; seq++ {
				want = append(want, seq)
			}
			if diff := cmp.Diff(want, seqs); diff != "" {
				t.Errorf("welcome message seqs (-want +got):\n%s", diff)
			}
			if w.Truncated == nil || *w.Truncated != tt.wantTruncated {
				t.Errorf("welcome truncated %v, want %v", w.Truncated, tt.wantTruncated)
			}
		})
	}
}

func TestHelloNewIDsDiffer(t *testing.T) {
	_, srv := testServer(t, newFakeEngine(), Options{})
	a := hello(t, dial(t, srv), "", 0).VisitorID
	b := hello(t, dial(t, srv), "", 0).VisitorID
	if a == b {
		t.Errorf("two new visitors got the same id %q", a)
	}
}

func TestHelloHistoryFailure(t *testing.T) {
	eng := newFakeEngine()
	fail := true
	eng.HistoryFn = func(context.Context, string, string, string, int64, int) (journeystate.Conversation, []journeystate.Message, error) {
		if fail {
			fail = false // the reader handles one frame at a time: no race
			return journeystate.Conversation{}, nil, errors.New("database is locked")
		}
		return journeystate.Conversation{}, nil, nil
	}
	logs := &lockedBuffer{}
	h, srv := testServer(t, eng, Options{Logger: testLogger(logs)})
	conn := dial(t, srv)

	send(t, conn, map[string]any{"type": "hello", "visitor_id": "v_visitor01"})
	f := expect(t, conn, typeError)
	if f.Code != codeUnavailable || f.ID != "" || strings.Contains(f.errorText(t), "locked") {
		t.Errorf("error frame %+v %q, want unavailable without id or cause", f, f.errorText(t))
	}
	if n := h.sockets("v_visitor01"); n != 0 {
		t.Errorf("after a failed hello the visitor has %d sockets, want 0", n)
	}
	if !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("log does not name the cause:\n%s", logs)
	}
	hello(t, conn, "v_visitor01", 0)
	if n := h.sockets("v_visitor01"); n != 1 {
		t.Errorf("after hello the visitor has %d sockets, want 1", n)
	}
}

func TestMessageAck(t *testing.T) {
	for _, duplicate := range []bool{false, true} {
		t.Run(fmt.Sprintf("duplicate=%v", duplicate), func(t *testing.T) {
			const vid = "v_visitor01"
			received := make(chan channels.Inbound, 1)
			eng := newFakeEngine()
			eng.ReceiveFn = func(_ context.Context, in channels.Inbound) (bot.Receipt, error) {
				received <- in
				return bot.Receipt{
					Conversation: journeystate.Conversation{ID: "conv1", ThreadID: vid},
					Message:      journeystate.Message{ID: "m7", ConversationID: "conv1", Seq: 7, ClientID: in.ClientMsgID},
					Duplicate:    duplicate,
				}, nil
			}
			_, srv := testServer(t, eng, Options{Now: func() time.Time { return testTime }})
			conn := dial(t, srv)
			hello(t, conn, vid, 0)

			send(t, conn, map[string]any{"type": "message", "id": "c_1", "text": "How long does shipping take?"})
			ack := expect(t, conn, typeAck)

			want := channels.Inbound{Channel: journeystate.ChannelWeb, UserID: vid, Level: journeystate.LevelAnonymous,
				ThreadID: vid, ClientMsgID: "c_1", Text: "How long does shipping take?", ReceivedAt: testTime}
			if diff := cmp.Diff(want, <-received); diff != "" {
				t.Errorf("Receive got (-want +got):\n%s", diff)
			}
			wantAck := frame{Type: typeAck, ID: "c_1", Seq: 7, ConversationID: "conv1", Duplicate: duplicate}
			if diff := cmp.Diff(wantAck, ack); diff != "" {
				t.Errorf("ack (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResendIsAckedAsDuplicate(t *testing.T) {
	eng := newFakeEngine()
	_, srv := testServer(t, eng, Options{})
	conn := dial(t, srv)
	hello(t, conn, "v_visitor01", 0)
	msg := map[string]any{"type": "message", "id": "c_1", "text": "hi"}
	send(t, conn, msg)
	first := expect(t, conn, typeAck)

	again := dial(t, srv) // a reconnect resends what it did not see acknowledged
	hello(t, again, "v_visitor01", 0)
	send(t, again, msg)
	second := expect(t, again, typeAck)

	if first.Duplicate || !second.Duplicate || first.Seq != second.Seq {
		t.Errorf("acks %+v then %+v, want the same seq, the second a duplicate", first, second)
	}
}

func TestMessageBeforeHello(t *testing.T) {
	eng := newFakeEngine()
	eng.ReceiveFn = func(context.Context, channels.Inbound) (bot.Receipt, error) {
		t.Error("Receive called before hello")
		return bot.Receipt{}, errors.New("unexpected")
	}
	_, srv := testServer(t, eng, Options{})
	conn := dial(t, srv)
	send(t, conn, map[string]any{"type": "message", "id": "c_1", "text": "hi"})
	f := expect(t, conn, typeError)
	if f.Code != codeHelloRequired || f.ID != "c_1" {
		t.Errorf("error frame %+v, want hello_required for c_1", f)
	}
}

// TestBadInputKeepsConnection sends each bad frame on a connection and checks the error frame, then that a valid
// message on the same connection is still acknowledged.
func TestBadInputKeepsConnection(t *testing.T) {
	tests := []struct {
		name     string
		kind     int
		data     string
		before   bool // sent before hello
		wantCode string
		wantID   string
	}{
		{name: "malformed JSON", data: `{"type":`, wantCode: codeBadFrame},
		{name: "not an object", data: `["hello"]`, wantCode: codeBadFrame},
		{name: "unknown type", data: `{"type":"subscribe"}`, wantCode: codeBadFrame},
		{name: "binary frame", kind: websocket.BinaryMessage, data: `{"type":"message","id":"c_9","text":"hi"}`,
			wantCode: codeBadFrame, wantID: "c_9"},
		{name: "oversized frame", data: `{"type":"message","id":"c_9","text":"` + strings.Repeat("x", 3000) + `"}`,
			wantCode: codeTooLarge, wantID: "c_9"},
		{name: "oversized frame, id after the limit", data: `{"type":"message","text":"` + strings.Repeat("x", 3000) + `","id":"c_9"}`,
			wantCode: codeTooLarge},
		{name: "cut-off message", data: `{"type":"message","id":"c_9","text":"hi`, wantCode: codeBadFrame, wantID: "c_9"},
		{name: "oversized frame before hello", before: true, data: strings.Repeat(" ", 5000), wantCode: codeTooLarge},
		{name: "bad visitor id", before: true, data: `{"type":"hello","visitor_id":"bad id!"}`, wantCode: codeBadRequest},
		{name: "bad message id", data: `{"type":"message","id":"c 9","text":"hi"}`, wantCode: codeBadRequest},
		{name: "empty text", data: `{"type":"message","id":"c_9","text":"   "}`, wantCode: codeBadRequest, wantID: "c_9"},
		{name: "text too long", data: `{"type":"message","id":"c_9","text":"` + strings.Repeat("é", 101) + `"}`, wantCode: codeTooLarge, wantID: "c_9"},
		{name: "visitor id changed", data: `{"type":"hello","visitor_id":"v_someoneelse"}`, wantCode: codeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newFakeEngine()
			_, srv := testServer(t, eng, Options{MaxFrameBytes: 1024, MaxMessageChars: 100})
			conn := dial(t, srv)
			if !tt.before {
				hello(t, conn, "v_visitor01", 0)
			}
			kind := tt.kind
			if kind == 0 {
				kind = websocket.TextMessage
			}
			sendRaw(t, conn, kind, []byte(tt.data))
			f := expect(t, conn, typeError)
			if f.Code != tt.wantCode || f.ID != tt.wantID || f.errorText(t) == "" {
				t.Errorf("error frame %+v, want code %q id %q and a message", f, tt.wantCode, tt.wantID)
			}
			if tt.before {
				hello(t, conn, "v_visitor01", 0)
			}
			send(t, conn, map[string]any{"type": "message", "id": "c_ok", "text": strings.Repeat("é", 100)})
			if ack := expect(t, conn, typeAck); ack.ID != "c_ok" {
				t.Errorf("ack for %q, want c_ok", ack.ID)
			}
		})
	}
}

func TestEngineErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode string
	}{
		{name: "empty", err: fmt.Errorf("receive: %w", bot.ErrEmptyMessage), wantCode: codeBadRequest},
		{name: "too long", err: bot.ErrTooLong, wantCode: codeTooLarge},
		{name: "store failure", err: errors.New("sqlite: disk I/O error at /var/lib/secret.db"), wantCode: codeUnavailable},
		{name: "shutting down", err: bot.ErrShuttingDown, wantCode: codeUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newFakeEngine()
			eng.ReceiveFn = func(context.Context, channels.Inbound) (bot.Receipt, error) { return bot.Receipt{}, tt.err }
			logs := &lockedBuffer{}
			_, srv := testServer(t, eng, Options{Logger: testLogger(logs)})
			conn := dial(t, srv)
			hello(t, conn, "v_visitor01", 0)

			send(t, conn, map[string]any{"type": "message", "id": "c_1", "text": "hi"})
			f := expect(t, conn, typeError)
			if f.Code != tt.wantCode || f.ID != "c_1" {
				t.Errorf("error frame %+v, want %q for c_1", f, tt.wantCode)
			}
			if text := f.errorText(t); strings.Contains(text, "secret") || text == "" {
				t.Errorf("error text %q: want a safe, non-empty text", text)
			}
			if tt.name == "store failure" && !strings.Contains(logs.String(), "disk I/O error") {
				t.Errorf("log does not name the cause:\n%s", logs)
			}
		})
	}
}

func TestFrameOverHardLimitCloses(t *testing.T) {
	_, srv := testServer(t, newFakeEngine(), Options{})
	conn := dial(t, srv)
	// Only the header of a frame just over the hard limit: the server must refuse it from the announced length,
	// and no unread payload makes the close a reset.
	header := []byte{0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	binary.BigEndian.PutUint64(header[2:10], maxReadBytes+1)
	if _, err := conn.NetConn().Write(header); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := conn.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("read error %v, want close 1009", err)
	}
}
