package webchat

// Browser tests of what the widget shows once people answer: agents' messages, notices, an agent's typing and the
// header (browser_test.go has the harness); run them with -run Browser.

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// shownEntry is one entry of the widget's log: a message with its label, or a notice (Notice set, no label).
type shownEntry struct {
	Author string `json:"author"`
	Who    string `json:"who"`
	Notice string `json:"notice"`
	Text   string `json:"text"`
}

// entriesJS lists the log's entries as shownEntry values.
const entriesJS = `[...w('[role="log"]').querySelectorAll('.msg')].map((m) => ({
  author: m.getAttribute('data-author'), who: (m.querySelector('.who') || {}).textContent || '',
  notice: m.classList.contains('event') ? m.getAttribute('data-notice') : '',
  text: m.querySelector('.bubble').textContent,
}))`

// typingJS is what the typing indicator says, "" when it is hidden.
const typingJS = `(w('.typing').hidden ? '' : w('.typing-text').textContent)`

func TestBrowserWidgetShowsAgentsAndNotices(t *testing.T) {
	const hostile = "<img src=x onerror=alert(1)>"
	h, srv := testServer(t, newFakeEngine(), Options{})
	ctx := newBrowser(t)
	navigate(t, ctx, srv.URL+"/")
	js[bool](t, ctx, `(window.alert = () => { window.__alerted = true; }, true)`)
	vid := openWidget(t, ctx, srv.URL)
	conv := journeystate.Conversation{ID: "conv1", ThreadID: vid}
	seq := int64(0)
	deliver := func(author journeystate.Actor, text string, meta journeystate.MessageMeta) {
		t.Helper()
		seq++
		m := journeystate.Message{ID: fmt.Sprintf("m%d", seq), ConversationID: conv.ID, Seq: seq, Author: author,
			ClientID: fmt.Sprintf("desk:%d", seq), Text: text, Meta: meta, CreatedAt: testTime}
		if err := h.Deliver(context.Background(), conv, m); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	header := func() string { t.Helper(); return js[string](t, ctx, `w('h2').textContent`) }
	if got, want := header(), "Hearthly support"; got != want {
		t.Fatalf("header before any agent %q, want the page's title %q", got, want)
	}

	// Sam takes the conversation, types, answers.
	sam := channels.Agent{ID: "u_sam", Name: "Sam"}
	deliver(journeystate.ActorSystem, "Sam joined the conversation.",
		journeystate.MessageMeta{AgentID: sam.ID, AgentName: sam.Name, Notice: journeystate.NoticeAgentJoined})
	pollJS(t, ctx, "the joined notice", `!!w('.msg.event[data-notice="agent_joined"]')`)
	if got, want := header(), "Sam from support"; got != want {
		t.Errorf("header after Sam joined %q, want %q", got, want)
	}
	h.AgentTyping(conv, sam, true)
	pollJS(t, ctx, "Sam typing", typingJS+` === 'Sam is typing\u2026'`)
	deliver(journeystate.ActorAgent, "Hi, Sam here. Let me look.",
		journeystate.MessageMeta{AgentID: sam.ID, AgentName: sam.Name})
	pollJS(t, ctx, "Sam's message", `!!w('.msg[data-author="agent"]')`)
	if got := js[string](t, ctx, typingJS); got != "" {
		t.Errorf("typing indicator after Sam's message says %q, want it hidden", got)
	}

	// Sam hands it to an agent whose name, like their words, is markup: it is shown as text.
	deliver(journeystate.ActorSystem, "Sam left the conversation.",
		journeystate.MessageMeta{AgentID: sam.ID, AgentName: sam.Name, Notice: journeystate.NoticeAgentLeft})
	evil := channels.Agent{ID: "u_evil", Name: hostile}
	deliver(journeystate.ActorSystem, hostile+" joined the conversation.",
		journeystate.MessageMeta{AgentID: evil.ID, AgentName: evil.Name, Notice: journeystate.NoticeAgentJoined})
	h.AgentTyping(conv, evil, true)
	pollJS(t, ctx, "the second agent typing", typingJS+` === '<img src=x onerror=alert(1)> is typing\u2026'`)
	if got, want := header(), hostile+" from support"; got != want {
		t.Errorf("header with the second agent %q, want %q", got, want)
	}
	deliver(journeystate.ActorAgent, hostile, journeystate.MessageMeta{AgentID: evil.ID, AgentName: evil.Name})
	pollJS(t, ctx, "the second agent's message",
		`w('[role="log"]').querySelectorAll('.msg[data-author="agent"]').length === 2`)

	// An agent's typing going off says nothing of a reply the bot streams; the assistant being back resets the
	// header.
	h.StreamDelta(conv, "reply:x", "Partly written")
	h.AgentTyping(conv, evil, false)
	deliver(journeystate.ActorSystem, "The assistant is back.",
		journeystate.MessageMeta{Notice: journeystate.NoticeBotBack})
	pollJS(t, ctx, "the bot_back notice", `!!w('.msg.event[data-notice="bot_back"]')`)
	if got, want := header(), "Hearthly support"; got != want {
		t.Errorf("header after the assistant is back %q, want %q", got, want)
	}

	want := []shownEntry{
		{Author: "system", Notice: "agent_joined", Text: "Sam joined the conversation."},
		{Author: "agent", Who: "Sam (agent)", Text: "Hi, Sam here. Let me look."},
		{Author: "system", Notice: "agent_left", Text: "Sam left the conversation."},
		{Author: "system", Notice: "agent_joined", Text: hostile + " joined the conversation."},
		{Author: "agent", Who: hostile + " (agent)", Text: hostile},
		{Author: "system", Notice: "bot_back", Text: "The assistant is back."},
		{Author: "bot", Who: "Assistant", Text: "Partly written"}, // still streaming: no seq, so last
	}
	if diff := cmp.Diff(want, js[[]shownEntry](t, ctx, entriesJS)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	const markupJS = `!!document.getElementById('journeybot-widget').shadowRoot.querySelector('img') ||
  !!document.querySelector('img') || !!window.__alerted`
	if js[bool](t, ctx, markupJS) {
		t.Error("markup in an agent's name or text became an element")
	}
}
