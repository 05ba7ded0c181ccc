package webchat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     clientFrame
		wantCode string
		wantID   string
	}{
		{name: "hello", in: `{"type":"hello","visitor_id":"v_abcdefgh","last_seq":12}`,
			want: clientFrame{Type: typeHello, VisitorID: "v_abcdefgh", LastSeq: 12}},
		{name: "hello without id", in: `{"type":"hello"}`, want: clientFrame{Type: typeHello}},
		{name: "hello ignores unknown fields", in: ` {"type":"hello","id":"x","text":"y","extra":[1]}`,
			want: clientFrame{Type: typeHello}},
		{name: "message", in: `{"type":"message","id":"c_1:a.b-C","text":" hi "}`,
			want: clientFrame{Type: typeMessage, ID: "c_1:a.b-C", Text: " hi "}},
		{name: "not an object", in: `[1,2]`, wantCode: codeBadFrame},
		{name: "null", in: `null`, wantCode: codeBadFrame},
		{name: "string", in: `"hello"`, wantCode: codeBadFrame},
		{name: "empty", in: ``, wantCode: codeBadFrame},
		{name: "malformed", in: `{"type":"message",`, wantCode: codeBadFrame},
		{name: "trailing garbage", in: `{"type":"hello"} x`, wantCode: codeBadFrame},
		{name: "unknown type", in: `{"type":"subscribe"}`, wantCode: codeBadFrame},
		{name: "missing type", in: `{"visitor_id":"v_abcdefgh"}`, wantCode: codeBadFrame},
		{name: "type of wrong type", in: `{"type":1}`, wantCode: codeBadFrame},
		{name: "last_seq of wrong type", in: `{"type":"hello","last_seq":"3"}`, wantCode: codeBadFrame},
		{name: "fractional last_seq", in: `{"type":"hello","last_seq":1.5}`, wantCode: codeBadFrame},
		{name: "text of wrong type keeps the id", in: `{"type":"message","id":"c_1","text":5}`,
			wantCode: codeBadFrame, wantID: "c_1"},
		{name: "negative last_seq", in: `{"type":"hello","last_seq":-1}`, wantCode: codeBadRequest},
		{name: "short visitor id", in: `{"type":"hello","visitor_id":"v_short"}`, wantCode: codeBadRequest},
		{name: "long visitor id", in: `{"type":"hello","visitor_id":"` + strings.Repeat("a", 65) + `"}`,
			wantCode: codeBadRequest},
		{name: "visitor id with bad characters", in: `{"type":"hello","visitor_id":"v_abc.defgh"}`,
			wantCode: codeBadRequest},
		{name: "missing message id", in: `{"type":"message","text":"hi"}`, wantCode: codeBadRequest},
		{name: "long message id", in: `{"type":"message","id":"` + strings.Repeat("a", 65) + `","text":"hi"}`,
			wantCode: codeBadRequest},
		{name: "message id with a slash", in: `{"type":"message","id":"c/1","text":"hi"}`, wantCode: codeBadRequest},
		{name: "empty text", in: `{"type":"message","id":"c_1","text":" \n\t "}`, wantCode: codeBadRequest,
			wantID: "c_1"},
		{name: "missing text", in: `{"type":"message","id":"c_1"}`, wantCode: codeBadRequest, wantID: "c_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeFrame([]byte(tt.in))
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("decodeFrame(%s) error %v, want none", tt.in, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("decodeFrame(%s) (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			var fe *frameError
			if !errors.As(err, &fe) {
				t.Fatalf("decodeFrame(%s) = %+v, %v; want a *frameError", tt.in, got, err)
			}
			if fe.Code != tt.wantCode || fe.ID != tt.wantID {
				t.Errorf("decodeFrame(%s) error code %q id %q, want %q %q", tt.in, fe.Code, fe.ID, tt.wantCode, tt.wantID)
			}
			if fe.Message == "" {
				t.Errorf("decodeFrame(%s) error has no message for the customer", tt.in)
			}
		})
	}
}

func TestToWire(t *testing.T) {
	tests := []struct {
		name string
		m    journeystate.Message
		want string
	}{
		{name: "bot reply",
			m: journeystate.Message{
				ID: "m1", ConversationID: "c1", Seq: 8, Author: journeystate.ActorBot, ClientID: "reply:m0",
				Text: "Standard shipping takes 3–5 business days", CreatedAt: testTime,
				Meta: journeystate.MessageMeta{Source: "offline", Citations: []journeystate.Citation{{Title: "Shipping", Source: "shipping.md"}}},
			},
			want: `{"type":"message","message":{"id":"m1","conversation_id":"c1","seq":8,"author":"bot",` +
				`"client_id":"reply:m0","text":"Standard shipping takes 3–5 business days",` +
				`"created_at":"2026-11-23T09:12:03.120Z","source":"offline",` +
				`"citations":[{"title":"Shipping","source":"shipping.md","url":""}]}}`},
		// The agent's id is a console user id: it never reaches the customer.
		{name: "agent message",
			m: journeystate.Message{
				ID: "m9", ConversationID: "c1", Seq: 9, Author: journeystate.ActorAgent, ClientID: "agent:1",
				Text: "Hi, I'm looking at your order now.", CreatedAt: testTime,
				Meta: journeystate.MessageMeta{AgentID: "u_sam", AgentName: "Sam"},
			},
			want: `{"type":"message","message":{"id":"m9","conversation_id":"c1","seq":9,"author":"agent",` +
				`"client_id":"agent:1","text":"Hi, I'm looking at your order now.",` +
				`"created_at":"2026-11-23T09:12:03.120Z","agent_name":"Sam"}}`},
		{name: "notice about an agent",
			m: journeystate.Message{
				ID: "m10", ConversationID: "c1", Seq: 10, Author: journeystate.ActorSystem, ClientID: "notice:1",
				Text: "Sam joined the conversation.", CreatedAt: testTime,
				Meta: journeystate.MessageMeta{AgentID: "u_sam", AgentName: "Sam", Notice: journeystate.NoticeAgentJoined},
			},
			want: `{"type":"message","message":{"id":"m10","conversation_id":"c1","seq":10,"author":"system",` +
				`"client_id":"notice:1","text":"Sam joined the conversation.",` +
				`"created_at":"2026-11-23T09:12:03.120Z","agent_name":"Sam","notice":"agent_joined"}}`},
		{name: "notice without an agent",
			m: journeystate.Message{
				ID: "m11", ConversationID: "c1", Seq: 11, Author: journeystate.ActorSystem, ClientID: "notice:2",
				Text: "The assistant is back.", CreatedAt: testTime,
				Meta: journeystate.MessageMeta{Notice: journeystate.NoticeBotBack},
			},
			want: `{"type":"message","message":{"id":"m11","conversation_id":"c1","seq":11,"author":"system",` +
				`"client_id":"notice:2","text":"The assistant is back.",` +
				`"created_at":"2026-11-23T09:12:03.120Z","notice":"bot_back"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(mustJSON(messageFrame{Type: typeMessage, Message: toWire(tt.m)}))
			if got != tt.want {
				t.Errorf("message frame\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestTypingFrames(t *testing.T) {
	tests := []struct {
		name string
		f    typingFrame
		want string
	}{
		// The bot's typing frame is what it was before agents could type: clients that know only it keep working.
		{name: "bot on", f: typingFrame{Type: typeTyping, On: true}, want: `{"type":"typing","on":true}`},
		{name: "bot off", f: typingFrame{Type: typeTyping}, want: `{"type":"typing","on":false}`},
		{name: "agent on", f: typingFrame{Type: typeTyping, On: true, Author: "agent", AgentName: "Sam"},
			want: `{"type":"typing","on":true,"author":"agent","agent_name":"Sam"}`},
		{name: "agent without a name", f: typingFrame{Type: typeTyping, Author: "agent"},
			want: `{"type":"typing","on":false,"author":"agent"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(mustJSON(tt.f)); got != tt.want {
				t.Errorf("typing frame\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"hello","visitor_id":"v_abcdefgh","last_seq":12}`,
		`{"type":"hello"}`,
		`{"type":"message","id":"c_1","text":"How long does shipping take?"}`,
		`{"type":"message","id":"c_1","text":"\u0000\ud800"}`,
		`{"type":"message","id":"c_1","text":5}`,
		`{"type":"hello","last_seq":-1}`,
		`[]`, `null`, `{`, `{"type":"x"}`,
		`{"type":"identify","user_id":"u_42","email":" a@b.c ","name":"Ada","hash":"` + strings.Repeat("A", 64) + `"}`,
		`{"type":"identify","phone":"+1 555 0100","user_id":"u\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	codes := map[string]bool{codeBadFrame: true, codeBadRequest: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeFrame(data)
		if err != nil {
			var fe *frameError
			if !errors.As(err, &fe) || !codes[fe.Code] || fe.Message == "" {
				t.Fatalf("decodeFrame(%q) error %#v, want a *frameError with a decode code and a message", data, err)
			}
			if fe.ID != "" && !validMessageID(fe.ID) {
				t.Fatalf("decodeFrame(%q) error carries an invalid id %q", data, fe.ID)
			}
			return
		}
		switch got.Type {
		case typeHello:
			if got.VisitorID != "" && !validVisitorID(got.VisitorID) || got.LastSeq < 0 || got.ID != "" || got.Text != "" {
				t.Fatalf("decodeFrame(%q) = %+v: not a valid hello", data, got)
			}
		case typeMessage:
			if !validMessageID(got.ID) || strings.TrimSpace(got.Text) == "" || !utf8.ValidString(got.Text) {
				t.Fatalf("decodeFrame(%q) = %+v: not a valid message", data, got)
			}
		case typeIdentify:
			claims := got.UserID + got.Email + got.Phone + got.Name
			if claims == "" || !plainText(claims) || len(got.UserID) > maxUserIDBytes ||
				got.Hash != "" && (got.UserID == "" || len(got.Hash) != hashHexLen || strings.ToLower(got.Hash) != got.Hash) {
				t.Fatalf("decodeFrame(%q) = %+v: not a valid identify", data, got)
			}
		default:
			t.Fatalf("decodeFrame(%q) = %+v: unknown type accepted", data, got)
		}
		// A valid frame round-trips: encoding it and decoding the result gives it back.
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeFrame(again)
		if err != nil {
			t.Fatalf("decodeFrame(%s) after round trip: %v", again, err)
		}
		if diff := cmp.Diff(got, back); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", data, diff)
		}
	})
}

func TestWelcomeBytes(t *testing.T) {
	msgs := func(n, textLen int) []journeystate.Message {
		out := make([]journeystate.Message, n)
		for i := range out {
			out[i] = journeystate.Message{ID: fmt.Sprintf("m%d", i+1), ConversationID: "conv1", Seq: int64(i + 1),
				Author: journeystate.ActorBot, Text: strings.Repeat("é", textLen), CreatedAt: testTime}
		}
		return out
	}
	limits := welcomeLimits{MaxMessageChars: 4000, MaxFrameBytes: 16 << 10}
	tests := []struct {
		name          string
		msgs          []journeystate.Message
		more          bool
		maxBytes      int
		wantFirst     int // index in msgs of the oldest message kept; len(msgs) when none
		wantTruncated bool
	}{
		{name: "none", maxBytes: 4096, wantFirst: 0},
		{name: "all fit", msgs: msgs(3, 10), maxBytes: 4096, wantFirst: 0},
		{name: "all fit, older exist", msgs: msgs(3, 10), more: true, maxBytes: 4096, wantFirst: 0, wantTruncated: true},
		{name: "newest that fit", msgs: msgs(20, 500), maxBytes: 8 << 10, wantFirst: 13, wantTruncated: true},
		{name: "newest alone is too big", msgs: msgs(2, 5000), maxBytes: 8 << 10, wantFirst: 2, wantTruncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := welcomeBytes("v_visitor01", journeystate.Conversation{ID: "conv1"}, tt.msgs, tt.more, limits, tt.maxBytes)
			if len(got) > tt.maxBytes {
				t.Errorf("welcome of %d bytes, want at most %d", len(got), tt.maxBytes)
			}
			var w struct {
				Type      string        `json:"type"`
				Messages  []wireMessage `json:"messages"`
				Truncated bool          `json:"truncated"`
				Limits    welcomeLimits `json:"limits"`
			}
			if err := json.Unmarshal(got, &w); err != nil {
				t.Fatalf("welcome %s: %v", got, err)
			}
			want := []wireMessage{}
			for _, m := range tt.msgs[tt.wantFirst:] {
				want = append(want, toWire(m))
			}
			if diff := cmp.Diff(want, w.Messages); diff != "" {
				t.Errorf("welcome messages (-want +got):\n%s", diff)
			}
			if w.Type != typeWelcome || w.Truncated != tt.wantTruncated || w.Limits != limits {
				t.Errorf("welcome type %q truncated %v limits %+v, want %q %v %+v",
					w.Type, w.Truncated, w.Limits, typeWelcome, tt.wantTruncated, limits)
			}
			// The cut is where it must be: one more message would not have fitted.
			if tt.wantFirst > 0 {
				bigger := welcomeBytes("v_visitor01", journeystate.Conversation{ID: "conv1"}, tt.msgs[tt.wantFirst-1:],
					tt.more, limits, 1<<30)
				if len(bigger) <= tt.maxBytes {
					t.Errorf("a welcome with one more message is %d bytes: it fits in %d", len(bigger), tt.maxBytes)
				}
			}
		})
	}
}

func TestPeekMessageID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "whole frame", in: `{"type":"message","id":"c_1","text":"hi"}`, want: "c_1"},
		{name: "cut in the text", in: `{"type":"message","id":"c_1","text":"hello wor`, want: "c_1"},
		{name: "id before type", in: `{"id":"c_1","type":"message","text":"hi`, want: "c_1"},
		{name: "other keys skipped", in: `{"x":{"id":"c_0","type":"message"},"type":"message","id":"c_1","te`, want: "c_1"},
		{name: "keys of any case", in: `{"Type":"message","ID":"c_1"`, want: "c_1"},
		{name: "last id wins", in: `{"type":"message","id":"c_1","id":"c_2"}`, want: "c_2"},
		{name: "cut in the id", in: `{"type":"message","id":"c_12`},
		{name: "type not read", in: `{"id":"c_1","text":"hi`},
		{name: "a hello", in: `{"type":"hello","id":"c_1"}`},
		{name: "invalid id", in: `{"type":"message","id":"c 1","text":"hi"}`},
		{name: "id not a string", in: `{"type":"message","id":{"a":"b"},"text":"hi"}`},
		{name: "not an object", in: `["message","c_1"]`},
		{name: "garbage", in: `{{{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := peekMessageID([]byte(tt.in)); got != tt.want {
				t.Errorf("peekMessageID(%s) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
