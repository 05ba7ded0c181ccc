package slack

import (
	"net/url"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/journeystate"
)

// FuzzParseInteraction: no payload makes the parser panic, and whatever it accepts has ids that are safe in keys
// and link ids.
func FuzzParseInteraction(f *testing.F) {
	click := `{"type":"block_actions","team":{"id":"T0TEAM01"},"user":{"id":"UAGENT01","name":"sam","team_id":"T0TEAM01"},` +
		`"container":{"type":"message","message_ts":"1800000000.000001","channel_id":"C0AGENTS1"},"channel":{"id":"C0AGENTS1"},` +
		`"message":{"type":"message","ts":"1800000000.000001","blocks":[{"type":"section","text":{"type":"plain_text","text":"x"}}]},` +
		`"actions":[{"type":"button","action_id":"jb_take","block_id":"jb_actions","value":"conv1"}],"state":{"values":{}}}`
	for _, seed := range []string{
		click,
		strings.Replace(click, "jb_take", "jb_nope", 1),
		strings.Replace(click, `{"type":"button","action_id":"jb_take","block_id":"jb_actions","value":"conv1"}`,
			`{"type":"static_select","action_id":"jb_close","block_id":"jb_actions:conv1","selected_option":{"text":{"type":"plain_text","text":"Spam"},"value":"spam"}}`, 1),
		strings.Replace(click, `{"type":"button","action_id":"jb_take","block_id":"jb_actions","value":"conv1"}`,
			`{"type":"static_select","action_id":"jb_close","block_id":"jb_actions:conv1","selected_option":{"value":"deleted"}}`, 1),
		strings.Replace(click, `"conv1"`, `"conv 1\n"`, 1),
		strings.Replace(click, `"blocks":[`, `"blocks":[{"type":"section","text":"not an object"},`, 1),
		`{"type":"block_actions","actions":[null]}`,
		`{"type":"view_submission"}`,
		`{"type":"block_actions","actions":{}}`,
		`[]`, `null`, `"x"`, ``,
	} {
		f.Add(url.Values{"payload": {seed}}.Encode())
	}
	f.Fuzz(func(t *testing.T, body string) {
		ia, ok, err := parseInteractionForm([]byte(body))
		if !ok {
			if ia != (interaction{}) {
				t.Errorf("not ok, but returned %+v", ia)
			}
			return
		}
		if err != nil {
			t.Fatalf("ok with an error: %v", err)
		}
		switch {
		case ia.Action != actionTake && ia.Action != actionHandBack && ia.Action != actionClose:
			t.Errorf("action %q", ia.Action)
		case (ia.Action == actionClose) != (ia.Outcome != "") || (ia.Outcome != "" && !journeystate.ValidOutcome(ia.Outcome)):
			t.Errorf("action %q with outcome %q", ia.Action, ia.Outcome)
		case !validID(ia.UserID) || !validID(ia.TeamID) || !validID(ia.Where.Channel) || !validTS(ia.Where.ThreadTS):
			t.Errorf("ids %+v", ia)
		case !validConvID(ia.ConvID) || strings.ContainsAny(linkID(ia.Where), " \n/"):
			t.Errorf("conversation %q, link %q", ia.ConvID, linkID(ia.Where))
		}
		if _, err := parseLinkID(linkID(ia.Where)); err != nil {
			t.Errorf("link id of an accepted click does not parse back: %v", err)
		}
	})
}

func TestClipCountsWhatSlackCounts(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{name: "short", in: "abc", n: 3, want: "abc"},
		{name: "cut", in: "abcd", n: 3, want: "ab…"},
		{name: "emoji count twice", in: "🙂🙂", n: 3, want: "🙂…"},
		{name: "emoji that fit", in: "🙂🙂", n: 4, want: "🙂🙂"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clip(tt.in, tt.n); got != tt.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
