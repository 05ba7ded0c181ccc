package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

const acrossAgents = "C0AGENTS1" // the Slack channel where hand-offs are posted as agent threads

// clickSlack posts a click on a packet's button (a block_actions interaction) to POST /slack/interactive, signed.
func (x *across) clickSlack(t *testing.T, action, convID, user, threadTS string) int {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"type": "block_actions",
		"team": map[string]any{"id": acrossTeam}, "user": map[string]any{"id": user, "name": "sam", "team_id": acrossTeam},
		"channel":   map[string]any{"id": acrossAgents},
		"container": map[string]any{"type": "message", "channel_id": acrossAgents, "message_ts": threadTS},
		"message":   map[string]any{"ts": threadTS},
		"actions":   []map[string]any{{"action_id": action, "block_id": "jb_actions", "value": convID, "type": "button"}}})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	header := signSlack(acrossSigning, time.Now(), body)
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	req, err := http.NewRequest(http.MethodPost, x.s.URL()+"/slack/interactive", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	code, _ := x.do(t, req)
	return code
}

// slackThreadReply is an Events API delivery of a reply in a channel thread.
func slackThreadReply(eventID, user, channel, threadTS, ts, text string) []byte {
	b, err := json.Marshal(map[string]any{"token": "legacy", "team_id": acrossTeam, "api_app_id": "A0APP0001",
		"type": "event_callback", "event_id": eventID, "event_time": time.Now().Unix(),
		"event": map[string]any{"type": "message", "channel_type": "channel", "channel": channel, "user": user, "ts": ts,
			"thread_ts": threadTS, "text": text, "client_msg_id": "c-" + ts, "team": acrossTeam}})
	if err != nil {
		panic(err)
	}
	return b
}

// An SMS customer asks for a person; the hand-off is posted in the agents' Slack channel with its packet; an agent
// takes it with the button, answers in the thread, and the answer reaches the customer by SMS; the agent hands
// back and the bot answers the customer's next text.
func TestSlackAgentThreadAnswersAnSMSCustomer(t *testing.T) {
	x := startAcrossWith(t, func(c *Config) {
		c.Handoff.SlackChannel = acrossAgents
		c.Handoff.AutoAssign = false
	})
	ctx := context.Background()
	const customer, agentUser = "+14155550123", "U0AGENT01"
	x.slack.setUser(agentUser, slackUser{Name: "Sam Rivera", Email: "sam@hearthly.example", Confirmed: true})
	text := func(n int, body string) {
		t.Helper()
		form := twilioMessage(twilioSID(n), customer, body)
		if code, resp := x.postTwilio(t, "/sms/twilio", form, signTwilio(acrossAuth, acrossPublicURL+"/sms/twilio", form)); code != http.StatusOK {
			t.Fatalf("POST /sms/twilio: %d %s", code, resp)
		}
	}
	text(1, "My thermostat is stuck at 30 degrees, I want to talk to a person")
	x.twilio.waitFor(t, "the hand-off notice by SMS", func(sent []twilioSent) bool {
		return slices.ContainsFunc(sent, func(m twilioSent) bool {
			return m.To == customer && strings.Contains(m.Body, "person on our team")
		})
	})
	calls := x.slack.waitFor(t, "the packet in the agents' channel", func(calls []slackCall) bool {
		return slices.ContainsFunc(calls, func(c slackCall) bool { return c.Channel == acrossAgents && c.ThreadTS == "" })
	})
	var packet slackCall
	for _, c := range calls {
		if c.Channel == acrossAgents && c.ThreadTS == "" && c.Method == "chat.postMessage" {
			packet = c
		}
	}
	for _, want := range []string{"jb_take", "stuck at 30 degrees", "customer_request"} {
		if !strings.Contains(packet.Blocks, want) {
			t.Errorf("the packet's blocks lack %q:\n%s", want, packet.Blocks)
		}
	}
	// The adapter links the thread once Slack has answered the post: wait for it.
	var convID string
	pollUntil(t, frameWait, "the packet's thread linked to the conversation", func() bool {
		id, err := x.s.Store.LinkedConversation(ctx, "slack_agent_thread", acrossAgents+":"+packet.TS)
		convID = id
		return err == nil
	})
	conv, err := x.s.Store.Conversation(ctx, convID)
	if err != nil || conv.Channel != journeystate.ChannelSMS || conv.Owner != journeystate.OwnerQueue {
		t.Fatalf("linked conversation %+v, %v; want the SMS conversation in the queue", conv, err)
	}

	// While queued, the customer's texts go to the thread and the bot stays silent.
	text(2, "Hello? It is getting hot in here")
	x.slack.waitFor(t, "the customer's text in the thread", func(calls []slackCall) bool {
		return slices.ContainsFunc(calls, func(c slackCall) bool {
			return c.ThreadTS == packet.TS && strings.Contains(c.Text, "getting hot")
		})
	})

	if code := x.clickSlack(t, "jb_take", convID, agentUser, packet.TS); code != http.StatusOK {
		t.Fatalf("Take click: %d", code)
	}
	pollUntil(t, frameWait, "the agent owns the conversation", func() bool {
		c, err := x.s.Store.Conversation(ctx, convID)
		return err == nil && c.Owner == journeystate.OwnerAgent && c.AgentID == "slack:"+agentUser
	})
	// The packet is drawn again for its new owner: the agent's buttons, no Take.
	x.slack.waitFor(t, "the packet redrawn for the agent", func(calls []slackCall) bool {
		return slices.ContainsFunc(calls, func(c slackCall) bool {
			return c.Method == "chat.update" && c.TS == packet.TS && strings.Contains(c.Blocks, "jb_handback") &&
				!strings.Contains(c.Blocks, "jb_take")
		})
	})
	x.twilio.waitFor(t, "the joined notice by SMS", func(sent []twilioSent) bool {
		return slices.ContainsFunc(sent, func(m twilioSent) bool { return strings.Contains(m.Body, "joined the conversation") })
	})

	body := slackThreadReply("Ev0AGENT01", agentUser, acrossAgents, packet.TS, "1800000200.000001",
		"Hi, I'm Sam. Hold the mode button for five seconds to reset it.")
	if code, resp := x.postSlack(t, signSlack(acrossSigning, time.Now(), body), body); code != http.StatusOK {
		t.Fatalf("POST /slack/events (thread reply): %d %s", code, resp)
	}
	x.twilio.waitFor(t, "the agent's answer by SMS", func(sent []twilioSent) bool {
		return slices.ContainsFunc(sent, func(m twilioSent) bool {
			return m.To == customer && strings.Contains(m.Body, "Sam Rivera: Hi, I'm Sam. Hold the mode button")
		})
	})
	// Slack's retry of the same event is answered once.
	if code, _ := x.postSlack(t, signSlack(acrossSigning, time.Now(), body), body); code != http.StatusOK {
		t.Fatalf("retried thread reply: %d", code)
	}

	if code := x.clickSlack(t, "jb_handback", convID, agentUser, packet.TS); code != http.StatusOK {
		t.Fatalf("Hand back click: %d", code)
	}
	x.twilio.waitFor(t, "the assistant-is-back notice by SMS", func(sent []twilioSent) bool {
		return slices.ContainsFunc(sent, func(m twilioSent) bool { return strings.Contains(m.Body, "The assistant is back") })
	})
	before := len(x.twilio.all())
	text(3, "Thanks, it works now. How long is the warranty?")
	x.twilio.waitFor(t, "the bot's answer after the hand-back", func(sent []twilioSent) bool { return len(sent) > before })
	answers := 0
	for _, m := range x.twilio.all() {
		if strings.Contains(m.Body, "Hold the mode button") {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("the agent's answer was texted %d times, want once", answers)
	}
	msgs, err := x.s.Store.RecentMessages(ctx, convID, 50)
	if err != nil {
		t.Fatal(err)
	}
	if last := msgs[len(msgs)-1]; last.Author != journeystate.ActorBot {
		t.Errorf("the last message is by %s (%q), want the bot's answer", last.Author, last.Text)
	}
	req, _ := http.NewRequest(http.MethodGet, x.s.URL()+"/metrics", nil)
	_, metrics := x.do(t, req)
	for _, want := range []string{`journeybot_handoffs_total{stage="",trigger="customer_request"} 1`,
		`journeybot_queue_wait_seconds_count{outcome="taken",team=""} 1`, "journeybot_queue_depth"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
