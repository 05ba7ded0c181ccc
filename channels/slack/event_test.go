package slack

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func wrap(inner string) []byte {
	return []byte(`{"type":"event_callback","team_id":"T0TEAM01","event_id":"Ev1","event":` + inner + `}`)
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want event
	}{
		{name: "DM", body: wrap(`{"type":"message","channel_type":"im","channel":"D1","user":"U1","ts":"1.2","text":"hi","blocks":[{"type":"nonsense","elements":42}]}`),
			want: event{Kind: kindMessage, EventID: "Ev1", TeamID: "T0TEAM01", Channel: "D1", TS: "1.2", User: "U1", Text: "hi"}},
		{name: "mention by a Slack Connect guest", body: wrap(`{"type":"app_mention","channel":"C1","user":"U2","user_team":"T0OTHER1","ts":"1.3","thread_ts":"1.1","text":"<@UBOT> hi"}`),
			want: event{Kind: kindMessage, Mention: true, EventID: "Ev1", TeamID: "T0TEAM01", Channel: "C1", TS: "1.3", ThreadTS: "1.1", User: "U2", UserTeam: "T0OTHER1", Text: "<@UBOT> hi"}},
		{name: "edit", body: wrap(`{"type":"message","subtype":"message_changed","channel":"D1","ts":"9.9","message":{"user":"U1","ts":"1.2","text":"hi!","edited":{"ts":"9.9"}}}`),
			want: event{Kind: kindEdit, EventID: "Ev1", TeamID: "T0TEAM01", Channel: "D1", TS: "1.2", User: "U1", Text: "hi!", EditTS: "9.9"}},
		{name: "delete", body: wrap(`{"type":"message","subtype":"message_deleted","channel":"D1","ts":"9.9","deleted_ts":"1.2","previous_message":{"user":"U1","ts":"1.2","text":"hi"}}`),
			want: event{Kind: kindDelete, EventID: "Ev1", TeamID: "T0TEAM01", Channel: "D1", TS: "1.2", User: "U1", Text: "hi"}},
		{name: "bot message", body: wrap(`{"type":"message","subtype":"bot_message","channel":"D1","ts":"1.2","bot_id":"B1"}`),
			want: event{Kind: kindIgnore, Reason: "bot message", EventID: "Ev1", TeamID: "T0TEAM01", Channel: "D1"}},
		{name: "edit by a bot", body: wrap(`{"type":"message","subtype":"message_changed","channel":"D1","message":{"bot_id":"B1","ts":"1.2","text":"x"}}`),
			want: event{Kind: kindIgnore, Reason: "bot message", EventID: "Ev1", TeamID: "T0TEAM01", Channel: "D1", TS: "1.2", BotID: "B1", Text: "x"}},
		{name: "channel join", body: wrap(`{"type":"message","subtype":"channel_join","channel":"C1","user":"U1","ts":"1.2"}`),
			want: event{Kind: kindIgnore, Reason: "message subtype channel_join", EventID: "Ev1", TeamID: "T0TEAM01", Channel: "C1"}},
		{name: "challenge", body: []byte(`{"type":"url_verification","challenge":"abc"}`), want: event{Kind: kindChallenge, Challenge: "abc"}},
		{name: "rate limited notice", body: []byte(`{"type":"app_rate_limited","team_id":"T1"}`), want: event{Kind: kindIgnore, Reason: "envelope type app_rate_limited"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEvent(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(event{})); diff != "" {
				t.Errorf("parseEvent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEventRefusesMalformed(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `{"type":1}`, `{}`,
		`{"type":"url_verification"}`,
		`{"type":"event_callback","team_id":"T1","event":{}}`,
		`{"type":"event_callback","event_id":"Ev1","team_id":"t-1","event":{}}`,
		string(wrap(`"text"`)),
		string(wrap(`{"type":"message","subtype":"message_changed","channel":"D1"}`)),
		string(wrap(`{"type":"message","subtype":"message_deleted","channel":"D1"}`)),
		string(wrap(`{"type":"message","channel_type":"im","channel":"D1/2.3","user":"U1","ts":"1.2","text":"x"}`)),
		string(wrap(`{"type":"message","channel_type":"im","channel":"D1","user":"U1:X","ts":"1.2","text":"x"}`)),
		string(wrap(`{"type":"message","channel_type":"im","channel":"D1","user":"U1","ts":"1.2","thread_ts":"x","text":"x"}`)),
		string(wrap(`{"type":"message","channel_type":"im","channel":"D1","user":"U1","user_team":"T:1","ts":"1.2","text":"x"}`)),
	} {
		if ev, err := parseEvent([]byte(body)); !errors.Is(err, errBadEvent) {
			t.Errorf("parseEvent(%s) = %+v, %v; want errBadEvent", body, ev, err)
		}
	}
}

// FuzzParseEvent checks that no payload panics the parser, and that whatever it accepts as a message or a change
// has ids that make a well-formed, round-tripping thread id and keys.
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		string(wrap(`{"type":"message","channel_type":"im","channel":"D1","user":"U1","ts":"1.2","text":"hi"}`)),
		string(wrap(`{"type":"app_mention","channel":"C1","user":"U2","ts":"1.3","thread_ts":"1.1","text":"<@UBOT> hi &amp; <https://x|y>"}`)),
		string(wrap(`{"type":"message","subtype":"message_changed","channel":"D1","message":{"user":"U1","ts":"1.2","edited":{"ts":"3.4"}}}`)),
		string(wrap(`{"type":"message","subtype":"message_deleted","channel":"D1","deleted_ts":"1.2","previous_message":{"user":"U1"}}`)),
		`{"type":"url_verification","challenge":"c"}`,
		`{"type":"event_callback","event":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := parseEvent(body)
		if err != nil {
			if !errors.Is(err, errBadEvent) {
				t.Fatalf("error %v does not wrap errBadEvent", err)
			}
			return
		}
		switch ev.Kind {
		case kindMessage, kindEdit, kindDelete:
			if !validID(ev.Channel) || !validTS(ev.TS) || !validID(ev.User) || !validID(ev.TeamID) {
				t.Fatalf("accepted malformed ids: %+v", ev)
			}
			id := ev.thread().String()
			back, err := parseThreadID(id)
			if err != nil || back != ev.thread() {
				t.Fatalf("thread id %q does not round-trip: %+v, %v", id, back, err)
			}
			if strings.Count(ev.userKey(), ":") != 1 || strings.Count(ev.messageKey(), ":") != 2 {
				t.Fatalf("ambiguous keys %q %q", ev.userKey(), ev.messageKey())
			}
			if ev.BotID != "" {
				t.Fatalf("a bot's message was taken: %+v", ev)
			}
		case kindChallenge:
			if ev.Challenge == "" {
				t.Fatal("empty challenge")
			}
		}
		_ = plainText(ev.Text, "UBOT")
		if _, err := json.Marshal(toMrkdwn(ev.Text)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestThreadIDs(t *testing.T) {
	tests := []struct {
		channel, ts, threadTS, want string
	}{
		{"D1", "1.2", "", "D1"},
		{"D1", "1.2", "1.1", "D1/1.1"},
		{"C1", "1.2", "", "C1/1.2"},
		{"G1", "1.2", "1.1", "G1/1.1"},
	}
	for _, tt := range tests {
		k := threadOf(tt.channel, tt.ts, tt.threadTS)
		if got := k.String(); got != tt.want {
			t.Errorf("threadOf(%q, %q, %q) = %q, want %q", tt.channel, tt.ts, tt.threadTS, got, tt.want)
		}
		if back, err := parseThreadID(k.String()); err != nil || back != k {
			t.Errorf("parseThreadID(%q) = %+v, %v", k.String(), back, err)
		}
	}
	for _, bad := range []string{"", "d1", "C1/", "C1/x", "C1/1.2/3.4", "visitor-1", "+15551234567"} {
		if _, err := parseThreadID(bad); err == nil {
			t.Errorf("parseThreadID(%q) accepted it", bad)
		}
	}
}
