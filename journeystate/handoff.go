package journeystate

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Handoff is the packet an agent gets with a conversation handed to people: everything needed to help the customer
// without asking again. It is stored as the payload of a hand-off event and shown in the agent console and in Slack,
// so its JSON names are part of the stored format: add fields, do not rename them. All of its text is untrusted
// (customer and model text): whatever shows it escapes it.
type Handoff struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	CustomerID     string `json:"customer_id"`
	// Channel is the conversation's channel, where the agent's replies go.
	Channel string `json:"channel"`

	// Summary says in a few lines what the customer wants and what happened; SummarySource says who wrote it.
	Summary       string        `json:"summary"`
	SummarySource SummarySource `json:"summary_source"`
	Intent        string        `json:"intent,omitempty"`    // the newest intent detected, "" when none
	Sentiment     Sentiment     `json:"sentiment,omitempty"` // "" when nobody assessed it
	Stage         string        `json:"stage,omitempty"`     // the customer's journey stage at the hand-off
	Language      string        `json:"language,omitempty"`  // BCP 47 ("de", "pt-BR"), "" when unknown

	Profile Profile           `json:"profile"`
	Traits  map[string]string `json:"traits,omitempty"`
	Memory  Memory            `json:"memory"`

	// Timeline is the customer's journey across channels, oldest first: this conversation's messages, messages of
	// their other conversations, stage changes, intents, owner changes and business events.
	Timeline []HandoffEntry `json:"timeline"`
	// Tried is what the bot tried in this conversation, oldest first: its answers and the tools it called.
	Tried []HandoffAttempt `json:"tried,omitempty"`

	// Reason says why the conversation was handed off, in words an agent reads ("asked for a refund over 500").
	Reason  string  `json:"reason"`
	Trigger string  `json:"trigger"` // see ValidTrigger
	Urgency Urgency `json:"urgency"`
	// Confidence is how sure the trigger was that a person is needed, from 0 to 1 (1 for a customer's request).
	Confidence float64 `json:"confidence"`
	// WaitingSince is when the customer started waiting for a person: their oldest message nobody has answered.
	WaitingSince time.Time `json:"waiting_since"`
	// Team is the team the packet is routed to; "" until routing chose one.
	Team      string    `json:"team,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// SummarySource says who wrote a hand-off packet's summary.
type SummarySource string

// Summary sources.
const (
	SummaryModel      SummarySource = "model"      // the model, when one is configured
	SummaryExtractive SummarySource = "extractive" // picked from the customer's own words
)

// Sentiment is the customer's mood as a trigger assessed it.
type Sentiment string

// Sentiments.
const (
	SentimentNegative Sentiment = "negative"
	SentimentNeutral  Sentiment = "neutral"
	SentimentPositive Sentiment = "positive"
)

// Urgency is how soon a person should answer: the model's handoff_to_agent(reason, urgency) argument, or a rule's.
type Urgency string

// Urgencies, least urgent first.
const (
	UrgencyLow    Urgency = "low"
	UrgencyNormal Urgency = "normal"
	UrgencyHigh   Urgency = "high"
)

// Hand-off triggers. A rule's trigger is TriggerRulePrefix followed by the rule's name ("rule:vip").
const (
	TriggerCustomerRequest = "customer_request" // the customer asked for a person
	TriggerModel           = "model"            // the model called handoff_to_agent
	TriggerAgent           = "agent"            // an agent took over on their own
	TriggerRulePrefix      = "rule:"
)

// ValidTrigger reports whether trigger is one of the Trigger constants or a rule's trigger with a name.
func ValidTrigger(trigger string) bool {
	switch trigger {
	case TriggerCustomerRequest, TriggerModel, TriggerAgent:
		return true
	}
	name, ok := strings.CutPrefix(trigger, TriggerRulePrefix)
	return ok && strings.TrimSpace(name) != ""
}

// HandoffEntry is one line of a hand-off packet's timeline.
type HandoffEntry struct {
	Time           time.Time `json:"time"`
	Channel        string    `json:"channel,omitempty"`
	ConversationID string    `json:"conversation_id,omitempty"`
	// Kind is "message" or the event's type ("stage_changed", "order_placed", ...).
	Kind string `json:"kind"`
	// Author is who wrote a message; for other kinds, who caused the event.
	Author Actor  `json:"author,omitempty"`
	Text   string `json:"text"`
}

// HandoffAttempt is one thing the bot tried before the hand-off: an answer, or a tool call.
type HandoffAttempt struct {
	Time time.Time   `json:"time"`
	Kind AttemptKind `json:"kind"`
	// For an answer: its text, what produced it (MessageMeta.Source) and the knowledge pages it answered from.
	Text      string     `json:"text,omitempty"`
	Source    string     `json:"source,omitempty"`
	Citations []Citation `json:"citations,omitempty"`
	// For a tool call: the tool, its arguments (JSON text), whether it succeeded and its result, cut short.
	Tool      string `json:"tool,omitempty"`
	Arguments string `json:"arguments,omitempty"`
	OK        bool   `json:"ok,omitempty"`
	Result    string `json:"result,omitempty"`
}

// AttemptKind says what a HandoffAttempt is.
type AttemptKind string

// Attempt kinds.
const (
	AttemptAnswer AttemptKind = "answer"
	AttemptTool   AttemptKind = "tool"
)

// Validate returns an error naming every field of h that is missing or out of range, nil when h may be stored: ids,
// channel, summary, reason, a valid trigger and urgency, a known sentiment or none, a confidence in [0, 1], waiting
// since and created at set (waiting since not after created at), and timeline entries and attempts that say when
// and what they are.
func (h Handoff) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, f := range []struct{ name, v string }{{"id", h.ID}, {"conversation_id", h.ConversationID},
		{"customer_id", h.CustomerID}, {"channel", h.Channel}, {"summary", h.Summary}, {"reason", h.Reason}} {
		if strings.TrimSpace(f.v) == "" {
			bad("%s is required", f.name)
		}
	}
	if h.SummarySource != SummaryModel && h.SummarySource != SummaryExtractive {
		bad("summary_source %q is not model or extractive", h.SummarySource)
	}
	if !ValidTrigger(h.Trigger) {
		bad("trigger %q is not customer_request, model, agent or rule:<name>", h.Trigger)
	}
	switch h.Urgency {
	case UrgencyLow, UrgencyNormal, UrgencyHigh:
	default:
		bad("urgency %q is not low, normal or high", h.Urgency)
	}
	switch h.Sentiment {
	case "", SentimentNegative, SentimentNeutral, SentimentPositive:
	default:
		bad("sentiment %q is not negative, neutral or positive", h.Sentiment)
	}
	if math.IsNaN(h.Confidence) || h.Confidence < 0 || h.Confidence > 1 {
		bad("confidence %v is not between 0 and 1", h.Confidence)
	}
	if h.CreatedAt.IsZero() {
		bad("created_at is required")
	}
	if h.WaitingSince.IsZero() {
		bad("waiting_since is required")
	} else if h.WaitingSince.After(h.CreatedAt) {
		bad("waiting_since %s is after created_at %s", h.WaitingSince.Format(time.RFC3339), h.CreatedAt.Format(time.RFC3339))
	}
	for i, e := range h.Timeline {
		if e.Time.IsZero() || e.Kind == "" {
			bad("timeline[%d] needs a time and a kind", i)
		}
	}
	for i, a := range h.Tried {
		switch {
		case a.Time.IsZero():
			bad("tried[%d] needs a time", i)
		case a.Kind == AttemptTool && a.Tool == "":
			bad("tried[%d] is a tool call without a tool", i)
		case a.Kind != AttemptTool && a.Kind != AttemptAnswer:
			bad("tried[%d] kind %q is not answer or tool", i, a.Kind)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid hand-off packet: %w", err)
	}
	return nil
}
