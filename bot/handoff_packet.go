package bot

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of a hand-off packet, so that a long journey gives an agent a packet they can read and a payload the
// store takes: the newest entries and attempts are kept.
const (
	packetTimelineMax  = 60
	packetTriedMax     = 20
	packetTextMax      = 1000 // characters of one timeline entry or answer
	packetToolArgsMax  = 500
	packetToolResMax   = 500
	packetSummaryChars = 600
)

// packetInput is what a hand-off packet is built from. The trigger (a customer's request, the model's
// handoff_to_agent call, a rule, an agent) fills in why; the engine reads the rest from the store.
type packetInput struct {
	ID           string
	Conversation journeystate.Conversation
	Customer     journeystate.Customer
	// Messages are the conversation's messages, oldest first.
	Messages []journeystate.Message
	// Events are the customer's newest journey events across conversations and channels, oldest first.
	Events []journeystate.Event

	Reason     string
	Trigger    string
	Urgency    journeystate.Urgency // "" means normal
	Sentiment  journeystate.Sentiment
	Intent     string // "" takes the newest "intent_detected" event's
	Confidence float64
	Language   string
	// ModelSummary is the model's summary of the conversation when one is configured; "" builds an extractive one.
	ModelSummary string
	Now          time.Time
}

// buildPacket assembles the hand-off packet of in.Conversation. It is pure: the same input gives the same packet.
// The packet it returns passes Validate when in names an id, a reason and a valid trigger.
func buildPacket(in packetInput) journeystate.Handoff {
	conv := in.Conversation
	h := journeystate.Handoff{
		ID: in.ID, ConversationID: conv.ID, CustomerID: conv.CustomerID, Channel: conv.Channel,
		Intent: in.Intent, Sentiment: in.Sentiment, Stage: in.Customer.Stage, Language: in.Language,
		Profile: in.Customer.Profile, Traits: maps.Clone(in.Customer.Traits), Memory: cloneMemory(in.Customer.Memory),
		Reason: in.Reason, Trigger: in.Trigger, Urgency: cmp.Or(in.Urgency, journeystate.UrgencyNormal),
		Confidence: min(max(in.Confidence, 0), 1), CreatedAt: in.Now,
	}
	if h.Intent == "" {
		h.Intent = newestIntent(in.Events)
	}
	h.Summary, h.SummarySource = strings.TrimSpace(in.ModelSummary), journeystate.SummaryModel
	if h.Summary == "" {
		h.Summary, h.SummarySource = extractiveSummary("", conv, in.Messages, packetSummaryChars), journeystate.SummaryExtractive
		if h.Summary == "" {
			h.Summary = "The customer has not written in this conversation."
		}
	}
	h.Timeline = packetTimeline(conv, in.Messages, in.Events)
	h.Tried = packetTried(conv, in.Messages, in.Events)
	h.WaitingSince = waitingSince(in.Messages, in.Now)
	return h
}

func cloneMemory(m journeystate.Memory) journeystate.Memory {
	m.Facts = maps.Clone(m.Facts)
	return m
}

// newestIntent returns the intent of the newest "intent_detected" event, "" when there is none.
func newestIntent(events []journeystate.Event) string {
	for _, ev := range slices.Backward(events) {
		if ev.Type != EventIntentDetected {
			continue
		}
		var p struct {
			Intent string `json:"intent"`
		}
		if json.Unmarshal(ev.Payload, &p) == nil && p.Intent != "" {
			return p.Intent
		}
	}
	return ""
}

// packetTimeline merges the conversation's messages with the journey events the prompt's timeline shows
// (timelineEntry: other conversations' messages, stage changes, intents, business events) and the conversation's
// owner changes (an agent wants to know that a person already helped, or that the bot had it back), oldest first,
// the newest packetTimelineMax of them. Unlike the prompt's timeline it is not chosen by relevance: an agent reads
// the journey as it happened.
func packetTimeline(conv journeystate.Conversation, msgs []journeystate.Message, events []journeystate.Event) []journeystate.HandoffEntry {
	var out []journeystate.HandoffEntry
	for _, m := range msgs {
		if strings.TrimSpace(m.Text) == "" {
			continue
		}
		out = append(out, journeystate.HandoffEntry{Time: m.CreatedAt, Channel: conv.Channel, ConversationID: conv.ID,
			Kind: EventMessage, Author: m.Author, Text: truncate(m.Text, packetTextMax)})
	}
	for _, ev := range events {
		entry := journeystate.HandoffEntry{Time: ev.Time, Channel: ev.Channel, ConversationID: ev.ConversationID,
			Kind: ev.Type, Author: ev.Actor}
		if ev.Type == "owner_changed" {
			if ev.ConversationID != conv.ID {
				continue
			}
			var p struct {
				From    journeystate.Owner `json:"from"`
				To      journeystate.Owner `json:"to"`
				AgentID string             `json:"agent_id"`
			}
			if json.Unmarshal(ev.Payload, &p) != nil || p.To == "" {
				continue
			}
			entry.Text = fmt.Sprintf("%s → %s", p.From, p.To)
			if p.AgentID != "" {
				entry.Text += " " + p.AgentID
			}
			if ev.Cause != "" {
				entry.Text += " (" + ev.Cause + ")"
			}
			out = append(out, entry)
			continue
		}
		te, _, ok := timelineEntry(ev, conv.ID)
		if !ok {
			continue
		}
		entry.Text = truncate(te.Text, packetTextMax)
		out = append(out, entry)
	}
	slices.SortStableFunc(out, func(a, b journeystate.HandoffEntry) int { return a.Time.Compare(b.Time) })
	if len(out) > packetTimelineMax {
		out = out[len(out)-packetTimelineMax:]
	}
	return out
}

// packetTried lists what the bot tried in the conversation, oldest first: its replies, with what produced them and
// the pages they cite, and its tool calls ("tool_call" events of the conversation) with their result; the newest
// packetTriedMax of them.
func packetTried(conv journeystate.Conversation, msgs []journeystate.Message, events []journeystate.Event) []journeystate.HandoffAttempt {
	var out []journeystate.HandoffAttempt
	for _, m := range msgs {
		if m.Author != journeystate.ActorBot {
			continue
		}
		out = append(out, journeystate.HandoffAttempt{Time: m.CreatedAt, Kind: journeystate.AttemptAnswer,
			Text: truncate(m.Text, packetTextMax), Source: m.Meta.Source, Citations: slices.Clone(m.Meta.Citations)})
	}
	for _, ev := range events {
		if ev.Type != EventToolCall || ev.ConversationID != conv.ID {
			continue
		}
		var p struct {
			Tool      string `json:"tool"`
			Arguments string `json:"arguments"`
			OK        bool   `json:"ok"`
			Result    string `json:"result"`
		}
		if json.Unmarshal(ev.Payload, &p) != nil {
			continue
		}
		out = append(out, journeystate.HandoffAttempt{Time: ev.Time, Kind: journeystate.AttemptTool,
			Tool: cmp.Or(p.Tool, ev.Cause), Arguments: truncate(p.Arguments, packetToolArgsMax), OK: p.OK,
			Result: truncate(p.Result, packetToolResMax)})
	}
	slices.SortStableFunc(out, func(a, b journeystate.HandoffAttempt) int { return a.Time.Compare(b.Time) })
	if len(out) > packetTriedMax {
		out = out[len(out)-packetTriedMax:]
	}
	return out
}

// waitingSince returns when the customer started waiting for a person: the first of their newest run of messages,
// the ones after the last message by anyone else. A bot reply ends a run even when it only says a person is on the
// way, which makes the trigger's own message the start. now when the customer has not written (an agent took over
// on their own), and never later than now.
func waitingSince(msgs []journeystate.Message, now time.Time) time.Time {
	since, found := now, false
	for _, m := range slices.Backward(msgs) {
		if m.Author != journeystate.ActorCustomer {
			if found {
				break
			}
			continue // replies after the customer's newest message
		}
		since, found = m.CreatedAt, true
	}
	if since.After(now) {
		return now
	}
	return since
}
