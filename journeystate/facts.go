package journeystate

import (
	"fmt"
	"strings"
	"time"
)

// FactsQuery selects the conversations whose facts ConversationFacts returns, oldest first (CreatedAt, then id).
type FactsQuery struct {
	// From and To bound CreatedAt: From <= CreatedAt < To; zero is unbounded.
	From, To time.Time
	// Channel, when set, keeps only the conversations on that channel.
	Channel string
	// After is the Cursor of the last facts of the previous page; "" for the first page.
	After string
	// Limit bounds the page; 0 means a store default (1000), a store may cap it (10000).
	Limit int
}

// ConversationFacts is what the KPIs are computed from, for one conversation. The store maintains them as the
// conversation is written, so reading them is cheap. Times are zero when the thing never happened.
type ConversationFacts struct {
	ConversationID string
	CustomerID     string
	Channel        string
	CreatedAt      time.Time
	// ClosedAt and Outcome are those of its close; zero and "" while it is open (a reopen clears them).
	ClosedAt time.Time
	Outcome  string
	// Team is the newest team that held it (kept when it went back to the bot); "" when never handed off.
	Team   string
	Agents []string // every agent who owned it, in the order they first did
	// Stage is the customer's stage when the newest message was stored; HandoffStage the first hand-off packet's.
	Stage        string
	HandoffStage string

	Messages      int
	LastMessageAt time.Time

	// HandedOff: owned by the queue or an agent at least once. Triggers are the triggers of its hand-offs, oldest
	// first (the packet's, else the owner change's cause); HandoffAt is the first hand-off's time.
	HandedOff bool
	Triggers  []string
	HandoffAt time.Time

	// FirstCustomerAt is the first customer message; FirstBotReplyAt the first bot message after it;
	// FirstAgentReplyAt the first agent message after the first hand-off.
	FirstCustomerAt   time.Time
	FirstBotReplyAt   time.Time
	FirstAgentReplyAt time.Time
	// Replies: a bot or agent message answers the customer's messages since the previous bot or agent message; its
	// delay is from the oldest of them. BotReplies and BotReplyTime are how many bot messages answered and the sum
	// of their delays; the same for agents.
	BotReplies     int
	BotReplyTime   time.Duration
	AgentReplies   int
	AgentReplyTime time.Duration
	// QueueWaits is how many times it was taken from the queue by an agent; QueueWait the sum of those waits.
	QueueWaits int
	QueueWait  time.Duration

	Rating int // the newest rating, 0 when none
}

// Trigger returns the first hand-off's trigger, "" when never handed off.
func (f ConversationFacts) Trigger() string {
	if len(f.Triggers) == 0 {
		return ""
	}
	return f.Triggers[0]
}

// Contained reports whether people never took part in the conversation (it was never handed off).
func (f ConversationFacts) Contained() bool { return !f.HandedOff }

// Closed reports whether the conversation is closed.
func (f ConversationFacts) Closed() bool { return !f.ClosedAt.IsZero() }

// BotFirstResponse is the time from the first customer message to the bot's first message after it; ok is false
// when there is no such pair.
func (f ConversationFacts) BotFirstResponse() (d time.Duration, ok bool) {
	if f.FirstCustomerAt.IsZero() || f.FirstBotReplyAt.IsZero() {
		return 0, false
	}
	return f.FirstBotReplyAt.Sub(f.FirstCustomerAt), true
}

// AgentFirstResponse is the time from the first hand-off to the first agent message after it; ok is false when
// there is no such pair.
func (f ConversationFacts) AgentFirstResponse() (d time.Duration, ok bool) {
	if f.HandoffAt.IsZero() || f.FirstAgentReplyAt.IsZero() {
		return 0, false
	}
	return f.FirstAgentReplyAt.Sub(f.HandoffAt), true
}

// Cursor is the FactsQuery.After that continues after f.
func (f ConversationFacts) Cursor() string {
	return f.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + f.ConversationID
}

// ParseFactsCursor splits a FactsQuery.After into the time and id of the conversation it continues after.
func ParseFactsCursor(after string) (time.Time, string, error) {
	ts, id, ok := strings.Cut(after, " ")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || id == "" || err != nil {
		return time.Time{}, "", fmt.Errorf("bad facts cursor %q", after)
	}
	return t, id, nil
}
