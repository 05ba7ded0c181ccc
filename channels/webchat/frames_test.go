package webchat

import (
	"encoding/json"
	"errors"
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
	m := journeystate.Message{
		ID: "m1", ConversationID: "c1", Seq: 8, Author: journeystate.ActorBot, ClientID: "reply:m0",
		Text: "Standard shipping takes 3–5 business days", CreatedAt: testTime,
		Meta: journeystate.MessageMeta{Source: "offline", Citations: []journeystate.Citation{{Title: "Shipping", Source: "shipping.md"}}},
	}
	got := string(mustJSON(messageFrame{Type: typeMessage, Message: toWire(m)}))
	want := `{"type":"message","message":{"id":"m1","conversation_id":"c1","seq":8,"author":"bot",` +
		`"client_id":"reply:m0","text":"Standard shipping takes 3–5 business days",` +
		`"created_at":"2026-11-23T09:12:03.120Z","source":"offline",` +
		`"citations":[{"title":"Shipping","source":"shipping.md","url":""}]}}`
	if got != want {
		t.Errorf("message frame\n got %s\nwant %s", got, want)
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
