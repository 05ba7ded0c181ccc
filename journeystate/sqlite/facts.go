package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Limits of ConversationFacts and ScanEvents.
const (
	// DefaultFactsLimit is used when a FactsQuery has no Limit, and by ScanEvents for a limit of 0.
	DefaultFactsLimit = 1000
	// MaxFactsLimit caps FactsQuery.Limit and the limit of ScanEvents.
	MaxFactsLimit = 10000
)

// ConversationFacts returns the facts of the conversations q selects, oldest first; see journeystate.Store. They are
// read from conversation_stats, one row per conversation (see stats.go). q.Limit 0 means DefaultFactsLimit; it is
// capped at MaxFactsLimit.
func (s *Store) ConversationFacts(ctx context.Context, q journeystate.FactsQuery) ([]journeystate.ConversationFacts, error) {
	limit, err := clampLimit(q.Limit, DefaultFactsLimit, MaxFactsLimit)
	if err != nil {
		return nil, fmt.Errorf("conversation facts: %w", err)
	}
	where, args := []string{"1"}, []any{}
	if !q.From.IsZero() {
		where, args = append(where, `s.created_at >= ?`), append(args, formatTime(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, `s.created_at < ?`), append(args, formatTime(q.To))
	}
	if q.Channel != "" {
		where, args = append(where, `s.channel = ?`), append(args, q.Channel)
	}
	if q.After != "" {
		t, id, err := journeystate.ParseFactsCursor(q.After)
		if err != nil {
			return nil, fmt.Errorf("conversation facts: %w", err)
		}
		where, args = append(where, `(s.created_at, s.conversation_id) > (?, ?)`), append(args, formatTime(t), id)
	}
	var out []journeystate.ConversationFacts
	err = s.readOne(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `SELECT `+factsColumns+` FROM conversation_stats s
			JOIN conversations c ON c.id = s.conversation_id
			WHERE `+and(where)+` ORDER BY s.created_at, s.conversation_id LIMIT ?`, append(args, limit)...)
		out, err = collect(rows, err, scanFacts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("conversation facts: %w", err)
	}
	return out, nil
}

const factsColumns = `s.conversation_id, c.customer_id, s.channel, s.created_at, s.closed_us, s.outcome, s.team, ` +
	`s.agents, s.stage, s.handoff_stage, s.messages, s.last_message_us, s.handoffs, s.triggers, s.handoff_us, ` +
	`s.first_customer_us, s.first_bot_reply_us, s.first_agent_reply_us, s.bot_replies, s.bot_reply_us, ` +
	`s.agent_replies, s.agent_reply_us, s.queue_waits, s.queue_wait_us, s.rating`

func scanFacts(row scanner) (journeystate.ConversationFacts, error) {
	var f journeystate.ConversationFacts
	var created, agents, triggers string
	var closed, last, handoff, firstCustomer, firstBot, firstAgent sql.NullInt64
	var handoffs int
	var botUS, agentUS, queueUS int64
	err := row.Scan(&f.ConversationID, &f.CustomerID, &f.Channel, &created, &closed, &f.Outcome, &f.Team, &agents,
		&f.Stage, &f.HandoffStage, &f.Messages, &last, &handoffs, &triggers, &handoff, &firstCustomer, &firstBot,
		&firstAgent, &f.BotReplies, &botUS, &f.AgentReplies, &agentUS, &f.QueueWaits, &queueUS, &f.Rating)
	if err != nil {
		return journeystate.ConversationFacts{}, notFound(err)
	}
	if f.CreatedAt, err = parseTime(created); err != nil {
		return journeystate.ConversationFacts{}, err
	}
	f.ClosedAt, f.LastMessageAt, f.HandoffAt = fromMicros(closed), fromMicros(last), fromMicros(handoff)
	f.FirstCustomerAt, f.FirstBotReplyAt, f.FirstAgentReplyAt = fromMicros(firstCustomer), fromMicros(firstBot), fromMicros(firstAgent)
	f.HandedOff = handoffs > 0
	f.BotReplyTime = time.Duration(botUS) * time.Microsecond
	f.AgentReplyTime = time.Duration(agentUS) * time.Microsecond
	f.QueueWait = time.Duration(queueUS) * time.Microsecond
	if agents != "[]" {
		if err := json.Unmarshal([]byte(agents), &f.Agents); err != nil {
			return journeystate.ConversationFacts{}, fmt.Errorf("conversation %s agents: %w", f.ConversationID, err)
		}
	}
	if triggers != "[]" {
		if err := json.Unmarshal([]byte(triggers), &f.Triggers); err != nil {
			return journeystate.ConversationFacts{}, fmt.Errorf("conversation %s triggers: %w", f.ConversationID, err)
		}
	}
	return f, nil
}

// ScanEvents returns up to limit events of the whole log with Seq > afterSeq, in Seq order; see journeystate.Store.
// limit 0 means DefaultFactsLimit; it is capped at MaxFactsLimit.
func (s *Store) ScanEvents(ctx context.Context, afterSeq int64, limit int) ([]journeystate.Event, error) {
	limit, err := clampLimit(limit, DefaultFactsLimit, MaxFactsLimit)
	if err != nil {
		return nil, fmt.Errorf("scan events: %w", err)
	}
	var out []journeystate.Event
	err = s.readOne(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
			afterSeq, limit)
		out, err = collect(rows, err, scanEvent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("scan events: %w", err)
	}
	return out, nil
}

// ScanCaseEvents returns the journey log by customer, then seq, after (afterCustomer, afterSeq); see
// journeystate.Store. The events_customer index serves it.
func (s *Store) ScanCaseEvents(ctx context.Context, afterCustomer string, afterSeq int64, limit int) ([]journeystate.Event, error) {
	limit, err := clampLimit(limit, DefaultFactsLimit, MaxFactsLimit)
	if err != nil {
		return nil, fmt.Errorf("scan events by customer: %w", err)
	}
	var out []journeystate.Event
	err = s.readOne(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
			WHERE customer_id > ? OR (customer_id = ? AND seq > ?) ORDER BY customer_id, seq LIMIT ?`,
			afterCustomer, afterCustomer, afterSeq, limit)
		out, err = collect(rows, err, scanEvent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("scan events by customer: %w", err)
	}
	return out, nil
}
