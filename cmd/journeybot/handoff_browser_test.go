package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

const (
	agentEmail    = "sam@hearthly.example"
	agentPassword = "correct horse battery staple"
	hostileText   = "<img src=x onerror=alert(1)>"
)

// addAgent creates a console agent in the server's store.
func addAgent(t *testing.T, s *testServer) {
	t.Helper()
	hash, err := console.HashPassword(agentPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.CreateUser(context.Background(), journeystate.User{Email: agentEmail, Name: "Sam Rivera",
		Role: journeystate.RoleAgent, PasswordHash: hash, Capacity: 3}); err != nil {
		t.Fatal(err)
	}
}

// signIn signs the console browser in as the agent.
func signIn(t *testing.T, ctx context.Context, s *testServer) {
	t.Helper()
	do(t, ctx, "sign in to the console",
		chromedp.Navigate(s.URL()+"/console/login"),
		chromedp.SendKeys(role("textbox", "Email"), agentEmail, byRole("textbox", "Email")),
		chromedp.SendKeys("#password", agentPassword),
		chromedp.Click(role("button", "Sign in"), byRole("button", "Sign in")),
		chromedp.WaitVisible(role("heading", "Your status"), byRole("heading", "Your status")),
	)
}

// consoleText returns the text content of the first element matching sel in the console page, "" when none.
func consoleText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return evaluate[string](t, ctx, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.textContent : ''; })()`)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// waitConsole polls the console page until cond holds on the text of sel.
func waitConsole(t *testing.T, ctx context.Context, what, sel string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(browserWait)
	for {
		text := consoleText(t, ctx, sel)
		if cond(text) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; %s holds %q", what, browserWait, sel, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserHandoffToAnAgentAndBack runs a hand-off end to end in two browsers: the customer asks for a person in
// the widget; the agent signs in to the console, sees the conversation in the queue and its packet, takes it and
// answers; the customer sees the agent's answer under the agent's name; the agent hands back; the bot answers again.
func TestBrowserHandoffToAnAgentAndBack(t *testing.T) {
	s := startServer(t, testConfig(t))
	addAgent(t, s)
	customer, agent := newBrowser(t), newBrowser(t)

	do(t, customer, "load the demo page", chromedp.Navigate(s.URL()+"/"))
	openChat(t, customer)
	ask(t, customer, hostileText)
	waitLog(t, customer, "the answer to the hostile text", answered(hostileText))
	ask(t, customer, "This is not helping, I want to talk to a person")
	waitLog(t, customer, "the hand-off notice", func(entries []logEntry) bool {
		last := entries[len(entries)-1]
		return last.Author == "bot" && strings.Contains(last.Text, "person on our team")
	})

	signIn(t, agent, s)
	queue := waitConsole(t, agent, "the conversation in the queue", "#lists", func(s string) bool {
		return strings.Contains(s, "customer_request")
	})
	if strings.Contains(queue, "Nobody is waiting") {
		t.Fatalf("queue: %q", queue)
	}
	do(t, agent, "open the conversation",
		chromedp.Click(`#lists a[href^="/console/conversations/"]`),
		chromedp.WaitVisible(role("heading", "Hand-off packet"), byRole("heading", "Hand-off packet")),
	)
	packet := consoleText(t, agent, ".packet")
	for _, want := range []string{"talk to a person", "customer_request", hostileText} {
		if !strings.Contains(packet, want) {
			t.Errorf("the packet lacks %q:\n%s", want, packet)
		}
	}
	// The customer's hostile message is text in the console: no element was made from it, no script ran.
	if transcript := consoleText(t, agent, "#transcript"); !strings.Contains(transcript, hostileText) {
		t.Errorf("the transcript does not show the hostile message as text: %q", transcript)
	}
	if n := evaluate[int](t, agent, `document.querySelectorAll('#transcript img, .packet img').length`); n != 0 {
		t.Errorf("%d img elements in the transcript and packet: customer text became markup", n)
	}
	screenshot(t, agent, "console-packet")

	do(t, agent, "take the conversation",
		chromedp.Click(role("button", "Take"), byRole("button", "Take")),
		chromedp.WaitVisible(role("textbox", "Reply"), byRole("textbox", "Reply")),
	)
	waitLog(t, customer, "the joined notice", func(entries []logEntry) bool {
		return strings.Contains(entries[len(entries)-1].Text, "Sam Rivera joined the conversation.")
	})
	const answer = "Hi, I'm Sam. I've read what you told the assistant; let's sort out your thermostat."
	do(t, agent, "answer the customer",
		chromedp.SendKeys(role("textbox", "Reply"), answer, byRole("textbox", "Reply")),
		chromedp.Click(role("button", "Send reply"), byRole("button", "Send reply")),
	)
	shown := waitLog(t, customer, "the agent's answer", func(entries []logEntry) bool {
		last := entries[len(entries)-1]
		return last.Author == "agent" && strings.Contains(last.Text, answer)
	})
	_ = shown
	label := evaluate[string](t, customer, `(() => {`+findJS+`
		const log = find('[role="log"]');
		const msgs = log ? log.querySelectorAll('[data-author="agent"]') : [];
		return msgs.length ? msgs[msgs.length - 1].textContent : '';
	})()`)
	if !strings.Contains(label, "Sam Rivera (agent)") {
		t.Errorf("the agent's answer is not labelled with the agent's name: %q", label)
	}
	screenshot(t, customer, "widget-agent-answer")
	waitConsole(t, agent, "the answer in the console transcript", "#transcript", func(s string) bool {
		return strings.Contains(s, answer)
	})

	do(t, agent, "hand back to the bot",
		chromedp.Click(role("button", "Hand back to bot"), byRole("button", "Hand back to bot")),
	)
	waitLog(t, customer, "the assistant-is-back notice", func(entries []logEntry) bool {
		return strings.Contains(entries[len(entries)-1].Text, "The assistant is back")
	})
	const question = "How long does shipping take?"
	ask(t, customer, question)
	waitLog(t, customer, "the bot's answer after the hand-back", answered(question))
	screenshot(t, customer, "widget-bot-back")

	conv, err := s.Store.Conversations(context.Background(), journeystate.ConversationQuery{Owner: journeystate.OwnerBot})
	if err != nil || len(conv) != 1 {
		t.Fatalf("conversations owned by the bot: %+v, %v; want the one handed back", conv, err)
	}
}
