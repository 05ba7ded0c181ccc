package sms_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/channels/sms"
	"github.com/journeybot/journeybot/journeystate"
)

func TestAgentsAndNoticesDelivered(t *testing.T) {
	agent := func(name, text string) journeystate.Message {
		return journeystate.Message{Author: journeystate.ActorAgent, Text: text,
			Meta: journeystate.MessageMeta{AgentID: "u_1", AgentName: name}}
	}
	notice := func(kind, name, text string) journeystate.Message {
		return journeystate.Message{Author: journeystate.ActorSystem, Text: text,
			Meta: journeystate.MessageMeta{AgentName: name, Notice: kind}}
	}
	tests := []struct {
		name string
		m    journeystate.Message
		want string
	}{
		{name: "agent message after the agent's name", m: agent("Sam", "Hi, I'm looking at your order now."),
			want: "Sam: Hi, I'm looking at your order now."},
		// SMS shows no markup: Slack's or HTML's is sent as the characters it is.
		{name: "hostile name goes as it is", m: agent("*<!channel>*", "Hello"), want: "*<!channel>*: Hello"},
		{name: "markup as a name", m: agent("<img src=x onerror=alert(1)>", "Hi"), want: "<img src=x onerror=alert(1)>: Hi"},
		{name: "a name is kept on one line", m: agent("Sam\n\nSTOP\t ", "Hi"), want: "Sam STOP: Hi"},
		{name: "a name is kept GSM-friendly", m: agent("Siobhán O’Brien", "Hi"), want: "Siobhán O'Brien: Hi"},
		{name: "a long name is cut", m: agent(strings.Repeat("Sam", 20), "Hi"), want: strings.Repeat("Sam", 12) + "S...: Hi"},
		{name: "no name", m: agent(" ", "Hi there"), want: "Agent: Hi there"},
		{name: "agent's text as plain text", m: agent("Sam", "**Step 1**: reset"), want: "Sam: Step 1: reset"},
		{name: "notice is its sentence", m: notice(journeystate.NoticeAgentJoined, "Sam", "Sam joined the conversation."),
			want: "Sam joined the conversation."},
		{name: "notice without an agent", m: notice(journeystate.NoticeBotBack, "", "The assistant is back."),
			want: "The assistant is back."},
		{name: "bot reply unchanged", m: journeystate.Message{Author: journeystate.ActorBot, Text: "Hello!",
			Meta: journeystate.MessageMeta{AgentName: "Sam"}}, want: "Hello!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			conv := journeystate.Conversation{ID: "c", Channel: journeystate.ChannelSMS, ThreadID: customer + "|" + ourNumber}
			if err := h.channel.Deliver(context.Background(), conv, tt.m); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			var got []string
			for _, m := range h.twilio.all() {
				got = append(got, m.Body)
			}
			if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLongAgentMessageSplit(t *testing.T) {
	h := newHarness(t, func(o *sms.Options) { o.MaxSegments = 1 })
	text := strings.Repeat("I have reset the thermostat from our side, please check it now. ", 5)
	conv := journeystate.Conversation{ID: "c", Channel: journeystate.ChannelSMS, ThreadID: customer + "|" + ourNumber}
	m := journeystate.Message{Author: journeystate.ActorAgent, Text: text, Meta: journeystate.MessageMeta{AgentName: "Sam"}}
	if err := h.channel.Deliver(context.Background(), conv, m); err != nil {
		t.Fatal(err)
	}
	got := h.twilio.all()
	if len(got) < 3 {
		t.Fatalf("%d messages sent, want the agent's message split in at least 3: %+v", len(got), got)
	}
	var joined []string
	for i, p := range got {
		label := "(" + itoa(i+1) + "/" + itoa(len(got)) + ") "
		if !strings.HasPrefix(p.Body, label) {
			t.Fatalf("part %d = %q, want label %q", i, p.Body, label)
		}
		if enc, n := sms.Segments(p.Body); n != 1 {
			t.Errorf("part %d takes %d %s segments, want 1", i, n, enc)
		}
		joined = append(joined, strings.TrimPrefix(p.Body, label))
	}
	if all, want := strings.Join(joined, " "), "Sam: "+strings.TrimSpace(text); all != want {
		t.Errorf("parts read\n%q\nwant\n%q", all, want)
	}
}
