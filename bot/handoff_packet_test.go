package bot

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func TestBuildPacket(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	conv := journeystate.Conversation{ID: "conv-web", CustomerID: "cust-1", Channel: journeystate.ChannelWeb, ThreadID: "v1",
		Owner: journeystate.OwnerBot}
	customer := journeystate.Customer{ID: "cust-1", Stage: "onboarding",
		Profile: journeystate.Profile{Name: "Ada", Email: "ada@example.com"},
		Traits:  map[string]string{"plan": "pro"},
		Memory:  journeystate.Memory{Facts: map[string]string{"thermostat_model": "T2"}, Summary: "2026-02-20 (sms): asked about delivery."}}
	msg := func(author journeystate.Actor, d time.Duration, text string, meta journeystate.MessageMeta) journeystate.Message {
		return journeystate.Message{ConversationID: conv.ID, CustomerID: conv.CustomerID, Author: author, Text: text,
			Meta: meta, CreatedAt: at(d)}
	}
	ev := func(typ, convID, channel string, actor journeystate.Actor, d time.Duration, cause string, payload any) journeystate.Event {
		b, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		return journeystate.Event{CustomerID: conv.CustomerID, ConversationID: convID, Type: typ, Channel: channel,
			Actor: actor, Cause: cause, Payload: b, Time: at(d)}
	}
	returns := journeystate.Citation{Title: "Returns", Source: "returns.md"}
	// A customer who wrote by SMS yesterday asks on the web today; the bot searched, answered, then a tool failed.
	msgs := []journeystate.Message{
		msg(journeystate.ActorCustomer, 0, "My T2 thermostat arrived broken, can I return it?", journeystate.MessageMeta{}),
		msg(journeystate.ActorBot, 10*time.Second, "You can return it within 30 days.",
			journeystate.MessageMeta{Source: "model", Citations: []journeystate.Citation{returns}}),
		msg(journeystate.ActorCustomer, time.Minute, "I already tried, the form fails", journeystate.MessageMeta{}),
		msg(journeystate.ActorBot, time.Minute+5*time.Second, "Sorry, I could not start the return.",
			journeystate.MessageMeta{Source: "fallback"}),
		msg(journeystate.ActorCustomer, 2*time.Minute, "Let me talk to a person", journeystate.MessageMeta{}),
		msg(journeystate.ActorCustomer, 2*time.Minute+20*time.Second, "now please", journeystate.MessageMeta{}),
	}
	events := []journeystate.Event{
		ev(EventMessage, "conv-sms", journeystate.ChannelSMS, journeystate.ActorCustomer, -24*time.Hour, "",
			map[string]any{"text": "When does my order ship?"}),
		ev("order_placed", "", "api", journeystate.ActorSystem, -23*time.Hour, "",
			map[string]any{"properties": map[string]any{"order_id": "A-1"}}),
		ev(EventStageChanged, "", "api", journeystate.ActorRule, -23*time.Hour+time.Second, "event order_placed",
			map[string]string{"from": "purchase", "to": "onboarding"}),
		ev("conversation_opened", conv.ID, conv.Channel, journeystate.ActorSystem, -time.Second, "", map[string]string{"thread_id": "v1"}),
		// This conversation's messages come from msgs, not from their events.
		ev(EventMessage, conv.ID, conv.Channel, journeystate.ActorCustomer, 0, "",
			map[string]any{"text": "My T2 thermostat arrived broken, can I return it?"}),
		ev(EventToolCall, conv.ID, conv.Channel, journeystate.ActorBot, 5*time.Second, "search_knowledge",
			map[string]any{"tool": "search_knowledge", "arguments": `{"query":"return"}`, "ok": true, "result": `{"passages":1}`}),
		ev(EventIntentDetected, conv.ID, conv.Channel, journeystate.ActorBot, 6*time.Second, "", map[string]string{"intent": "support"}),
		ev(EventBotTurn, conv.ID, conv.Channel, journeystate.ActorBot, 10*time.Second, "model", map[string]any{"source": "model"}),
		ev(EventToolCall, conv.ID, conv.Channel, journeystate.ActorBot, time.Minute+2*time.Second, "start_return",
			map[string]any{"tool": "start_return", "arguments": `{"order":"A-1"}`, "ok": false, "result": `{"error":"503"}`}),
		ev(EventIntentDetected, conv.ID, conv.Channel, journeystate.ActorBot, time.Minute+3*time.Second, "", map[string]string{"intent": "return"}),
		// Another conversation's tool call is not what the bot tried here.
		ev(EventToolCall, "conv-sms", journeystate.ChannelSMS, journeystate.ActorBot, -24*time.Hour+time.Second, "search_knowledge",
			map[string]any{"tool": "search_knowledge", "ok": true}),
		ev("owner_changed", conv.ID, conv.Channel, journeystate.ActorBot, 2*time.Minute+30*time.Second, "customer_request",
			map[string]string{"from": "bot", "to": "queue"}),
	}
	now := at(3 * time.Minute)

	fullTimeline := []journeystate.HandoffEntry{
		{Time: at(-24 * time.Hour), Channel: "sms", ConversationID: "conv-sms", Kind: "message", Author: "customer", Text: "When does my order ship?"},
		{Time: at(-23 * time.Hour), Channel: "api", Kind: "order_placed", Author: "system", Text: "order_placed (order_id: A-1)"},
		{Time: at(-23*time.Hour + time.Second), Channel: "api", Kind: "stage_changed", Author: "rule", Text: "moved to the onboarding stage (event order_placed)"},
		{Time: at(0), Channel: "web", ConversationID: conv.ID, Kind: "message", Author: "customer", Text: "My T2 thermostat arrived broken, can I return it?"},
		{Time: at(6 * time.Second), Channel: "web", ConversationID: conv.ID, Kind: "intent_detected", Author: "bot", Text: "wanted: support"},
		{Time: at(10 * time.Second), Channel: "web", ConversationID: conv.ID, Kind: "message", Author: "bot", Text: "You can return it within 30 days."},
		{Time: at(time.Minute), Channel: "web", ConversationID: conv.ID, Kind: "message", Author: "customer", Text: "I already tried, the form fails"},
		{Time: at(time.Minute + 3*time.Second), Channel: "web", ConversationID: conv.ID, Kind: "intent_detected", Author: "bot", Text: "wanted: return"},
		{Time: at(time.Minute + 5*time.Second), Channel: "web", ConversationID: conv.ID, Kind: "message", Author: "bot", Text: "Sorry, I could not start the return."},
		{Time: at(2 * time.Minute), Channel: "web", ConversationID: conv.ID, Kind: "message", Author: "customer", Text: "Let me talk to a person"},
		{Time: at(2*time.Minute + 20*time.Second), Channel: "web", ConversationID: conv.ID, Kind: "message", Author: "customer", Text: "now please"},
		{Time: at(2*time.Minute + 30*time.Second), Channel: "web", ConversationID: conv.ID, Kind: "owner_changed", Author: "bot", Text: "bot → queue (customer_request)"},
	}
	fullTried := []journeystate.HandoffAttempt{
		{Time: at(5 * time.Second), Kind: "tool", Tool: "search_knowledge", Arguments: `{"query":"return"}`, OK: true, Result: `{"passages":1}`},
		{Time: at(10 * time.Second), Kind: "answer", Text: "You can return it within 30 days.", Source: "model", Citations: []journeystate.Citation{returns}},
		{Time: at(time.Minute + 2*time.Second), Kind: "tool", Tool: "start_return", Arguments: `{"order":"A-1"}`, Result: `{"error":"503"}`},
		{Time: at(time.Minute + 5*time.Second), Kind: "answer", Text: "Sorry, I could not start the return.", Source: "fallback"},
	}
	base := journeystate.Handoff{
		ID: "h1", ConversationID: conv.ID, CustomerID: "cust-1", Channel: "web",
		Stage: "onboarding", Profile: customer.Profile, Traits: map[string]string{"plan": "pro"}, Memory: customer.Memory,
		Reason: "asked for a person", Trigger: journeystate.TriggerCustomerRequest, Urgency: journeystate.UrgencyNormal,
		CreatedAt: now,
	}
	tests := []struct {
		name string
		in   packetInput
		want func(h *journeystate.Handoff) // changes to base
	}{
		{
			name: "customer request after answers and tools, across channels",
			in: packetInput{ID: "h1", Conversation: conv, Customer: customer, Messages: msgs, Events: events,
				Reason: "asked for a person", Trigger: journeystate.TriggerCustomerRequest, Confidence: 1,
				Sentiment: journeystate.SentimentNegative, Language: "en", Now: now},
			want: func(h *journeystate.Handoff) {
				h.Summary = `2026-03-02 (web): the customer wrote "My T2 thermostat arrived broken, can I return it?" and last "now please"; answered from Returns.`
				h.SummarySource = journeystate.SummaryExtractive
				h.Intent, h.Sentiment, h.Language, h.Confidence = "return", journeystate.SentimentNegative, "en", 1
				h.Timeline, h.Tried = fullTimeline, fullTried
				h.WaitingSince = at(2 * time.Minute) // the first of "Let me talk to a person", "now please"
			},
		},
		{
			name: "model's summary, intent and urgency given, confidence clamped",
			in: packetInput{ID: "h1", Conversation: conv, Customer: customer, Messages: msgs, Events: events,
				Reason: "asked for a person", Trigger: journeystate.TriggerCustomerRequest, Urgency: journeystate.UrgencyHigh,
				Intent: "refund", Confidence: 1.7, ModelSummary: "  Broken T2, return form fails.\n", Now: now},
			want: func(h *journeystate.Handoff) {
				h.Summary, h.SummarySource = "Broken T2, return form fails.", journeystate.SummaryModel
				h.Intent, h.Urgency, h.Confidence = "refund", journeystate.UrgencyHigh, 1
				h.Timeline, h.Tried = fullTimeline, fullTried
				h.WaitingSince = at(2 * time.Minute)
			},
		},
		{
			name: "an agent takes over before the customer wrote",
			in: packetInput{ID: "h1", Conversation: conv, Customer: customer, Reason: "asked for a person",
				Trigger: journeystate.TriggerAgent, Confidence: -0.5, Now: now},
			want: func(h *journeystate.Handoff) {
				h.Trigger = journeystate.TriggerAgent
				h.Summary, h.SummarySource = "The customer has not written in this conversation.", journeystate.SummaryExtractive
				h.WaitingSince = now
			},
		},
		{
			name: "the bot answered the customer's last message",
			in: packetInput{ID: "h1", Conversation: conv, Customer: customer, Messages: msgs[:4],
				Reason: "asked for a person", Trigger: "rule:failed_answers", Now: now},
			want: func(h *journeystate.Handoff) {
				h.Trigger = "rule:failed_answers"
				h.Summary = `2026-03-02 (web): the customer wrote "My T2 thermostat arrived broken, can I return it?" and last "I already tried, the form fails"; answered from Returns.`
				h.SummarySource = journeystate.SummaryExtractive
				h.Timeline = []journeystate.HandoffEntry{fullTimeline[3], fullTimeline[5], fullTimeline[6], fullTimeline[8]}
				h.Tried = []journeystate.HandoffAttempt{fullTried[1], fullTried[3]}
				h.WaitingSince = at(time.Minute)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := base
			tt.want(&want)
			got := buildPacket(tt.in)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("buildPacket() mismatch (-want +got):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("buildPacket() = an invalid packet: %v", err)
			}
		})
	}
}

// TestBuildPacketBounds checks that a long journey keeps the newest entries and attempts, and that the packet does
// not share the customer's maps.
func TestBuildPacketBounds(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	conv := journeystate.Conversation{ID: "c", CustomerID: "u", Channel: journeystate.ChannelSMS}
	var msgs []journeystate.Message
	for i := range 200 {
		author := journeystate.ActorCustomer
		if i%2 == 1 {
			author = journeystate.ActorBot
		}
		msgs = append(msgs, journeystate.Message{Author: author, Text: string(rune('a' + i%26)), CreatedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	customer := journeystate.Customer{ID: "u", Traits: map[string]string{"vip": "yes"}}
	h := buildPacket(packetInput{ID: "h", Conversation: conv, Customer: customer, Messages: msgs, Reason: "vip",
		Trigger: "rule:vip", Now: t0.Add(time.Hour)})
	if len(h.Timeline) != packetTimelineMax || !h.Timeline[len(h.Timeline)-1].Time.Equal(msgs[199].CreatedAt) {
		t.Errorf("timeline = %d entries ending %v, want %d ending with the newest message", len(h.Timeline),
			h.Timeline[len(h.Timeline)-1].Time, packetTimelineMax)
	}
	if len(h.Tried) != packetTriedMax || !h.Tried[len(h.Tried)-1].Time.Equal(msgs[199].CreatedAt) {
		t.Errorf("tried = %d attempts, want the newest %d", len(h.Tried), packetTriedMax)
	}
	h.Traits["vip"] = "no"
	if customer.Traits["vip"] != "yes" {
		t.Error("the packet's traits share the customer's map")
	}
}
