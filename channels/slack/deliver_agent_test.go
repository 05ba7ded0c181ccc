package slack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func TestAgentsAndNoticesArePostedInTheCustomersThread(t *testing.T) {
	agent := func(name, text string) journeystate.Message {
		return journeystate.Message{ID: "m1", Author: journeystate.ActorAgent, ClientID: "agent:1", Text: text,
			Meta: journeystate.MessageMeta{AgentID: "u_1", AgentName: name}}
	}
	notice := func(kind, name, text string) journeystate.Message {
		return journeystate.Message{ID: "m2", Author: journeystate.ActorSystem, ClientID: "notice:1", Text: text,
			Meta: journeystate.MessageMeta{AgentName: name, Notice: kind}}
	}
	tests := []struct {
		name string
		m    journeystate.Message
		want string // "" for nothing posted
	}{
		{name: "agent message after the agent's name in bold", m: agent("Sam", "I'm looking at your order now."),
			want: "*Sam*: I'm looking at your order now."},
		// A name can neither mention anyone nor end its bold early: escaped, its marks replaced by lookalikes.
		{name: "hostile name", m: agent("*<!channel>*", "Hello"), want: "*＊&lt;!channel&gt;＊*: Hello"},
		{name: "name with marks and mentions", m: agent("Sa_m <@U123> ~x~ `y` & co", "Hi"),
			want: "*Sa＿m &lt;@U123&gt; ～x～ ｀y｀ &amp; co*: Hi"},
		{name: "name on one line", m: agent("Sam\n\n*Boss*\t", "Hi"), want: "*Sam ＊Boss＊*: Hi"},
		{name: "long name cut", m: agent(strings.Repeat("a", 100), "Hi"), want: "*" + strings.Repeat("a", 79) + "…*: Hi"},
		{name: "no name", m: agent("  ", "Hi"), want: "*Agent*: Hi"},
		// The agent's words are mrkdwn like a reply: safe, with links kept.
		{name: "agent's words are safe mrkdwn", m: agent("Sam", "<!channel> see [the guide](https://hearthly.example/guide)"),
			want: "*Sam*: &lt;!channel&gt; see <https://hearthly.example/guide|the guide>"},
		{name: "empty agent message posts nothing", m: agent("Sam", "  "), want: ""},
		{name: "notice in italics", m: notice(journeystate.NoticeAgentJoined, "Sam", "Sam joined the conversation."),
			want: "_Sam joined the conversation._"},
		{name: "notice about a hostile name", m: notice(journeystate.NoticeAgentJoined, "_<!here>_",
			"_<!here>_ joined the conversation."), want: "_＿&lt;!here&gt;＿ joined the conversation._"},
		{name: "notice without an agent", m: notice(journeystate.NoticeClosed, "", "This conversation was closed."),
			want: "_This conversation was closed._"},
		{name: "bot reply unchanged", m: journeystate.Message{ID: "m3", Author: journeystate.ActorBot,
			ClientID: "reply:m0", Text: "**Free** shipping & returns"}, want: "*Free* shipping &amp; returns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			conv := journeystate.Conversation{ID: "c1", Channel: journeystate.ChannelSlack,
				ThreadID: "C0SHARED1/1800000001.000100"}
			if err := f.adapter.Deliver(context.Background(), conv, tt.m); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			var want []apiCall
			if tt.want != "" {
				want = []apiCall{{Method: "chat.postMessage", Channel: "C0SHARED1", ThreadTS: "1800000001.000100",
					Text: tt.want}}
			}
			got := f.slack.recorded("chat.postMessage", "chat.update")
			for i := range got {
				got[i].TS = "" // the fake's
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}
