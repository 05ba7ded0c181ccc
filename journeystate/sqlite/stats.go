package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// conversation_stats (migration 00006) holds running figures of each conversation, kept in the transaction of every
// write they depend on, so that the transcript list and the KPI facts read one row per conversation. Its times are
// microseconds since the Unix epoch.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us sql.NullInt64) time.Time {
	if !us.Valid {
		return time.Time{}
	}
	return time.UnixMicro(us.Int64).UTC()
}

// messageStats are the updates of a conversation's stats for a new message, by its author: ?1 is the message's
// time, ?2 its customer, ?3 the conversation. SQLite evaluates every SET expression on the row as it was, so
// pending_us is read before it is cleared.
var messageStats = map[journeystate.Actor]string{
	journeystate.ActorCustomer: `first_customer_us = COALESCE(first_customer_us, ?1),
		pending_us = COALESCE(pending_us, ?1)`,
	journeystate.ActorBot: `first_bot_reply_us = CASE WHEN first_bot_reply_us IS NULL AND first_customer_us IS NOT NULL
			THEN ?1 ELSE first_bot_reply_us END,
		bot_replies = bot_replies + (pending_us IS NOT NULL), bot_reply_us = bot_reply_us + COALESCE(?1 - pending_us, 0),
		pending_us = NULL`,
	journeystate.ActorAgent: `first_agent_reply_us = CASE WHEN first_agent_reply_us IS NULL AND handoff_us IS NOT NULL
			THEN ?1 ELSE first_agent_reply_us END,
		agent_replies = agent_replies + (pending_us IS NOT NULL),
		agent_reply_us = agent_reply_us + COALESCE(?1 - pending_us, 0), pending_us = NULL`,
	journeystate.ActorSystem: `pending_us = pending_us`, // a notice answers nobody
}

// noteMessage brings the conversation's stats and the message search index up to date with m, just stored.
func noteMessage(ctx context.Context, tx *sql.Tx, m journeystate.Message) error {
	byAuthor, ok := messageStats[m.Author]
	if !ok {
		return fmt.Errorf("stats: unknown author %q", m.Author)
	}
	_, err := tx.ExecContext(ctx, `UPDATE conversation_stats SET messages = messages + 1,
		first_message_us = COALESCE(first_message_us, ?1), last_message_us = ?1,
		stage = COALESCE((SELECT stage FROM customers WHERE id = ?2), ''), `+byAuthor+`
		WHERE conversation_id = ?3`, micros(m.CreatedAt), m.CustomerID, m.ConversationID)
	if err != nil {
		return fmt.Errorf("update stats: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO message_search (text, conversation_id) VALUES (?, ?)`,
		m.Text, m.ConversationID)
	if err != nil {
		return fmt.Errorf("index message: %w", err)
	}
	return nil
}

// isHandoff says whether a move from one owner to another hands the conversation to people.
func isHandoff(from, to journeystate.Owner) bool {
	return (from == journeystate.OwnerBot || from == journeystate.OwnerClosed) &&
		(to == journeystate.OwnerQueue || to == journeystate.OwnerAgent)
}

// noteOwnerChange brings the conversation's stats up to date with a change from before to after (as stored, at
// after.OwnerSince) made by change.
func noteOwnerChange(ctx context.Context, tx *sql.Tx, before, after journeystate.Conversation, change journeystate.OwnerChange) error {
	now := micros(after.OwnerSince)
	var sets []string
	var args []any
	set := func(s string, a ...any) { sets, args = append(sets, s), append(args, a...) }
	if isHandoff(before.Owner, after.Owner) {
		trigger, stage := change.Cause, ""
		if change.Handoff != nil {
			trigger, stage = change.Handoff.Trigger, change.Handoff.Stage
		}
		set(`handoff_stage = CASE WHEN handoffs = 0 THEN ? ELSE handoff_stage END`, stage)
		set(`handoffs = handoffs + 1, handoff_us = COALESCE(handoff_us, ?), triggers = json_insert(triggers, '$[#]', ?)`,
			now, trigger)
	}
	switch {
	case after.Owner == journeystate.OwnerQueue:
		set(`queued_us = ?`, now)
	case before.Owner == journeystate.OwnerQueue && after.Owner == journeystate.OwnerAgent:
		set(`queue_waits = queue_waits + 1, queue_wait_us = queue_wait_us + (? - queued_us), queued_us = NULL`, now)
	default:
		set(`queued_us = NULL`)
	}
	if after.Owner == journeystate.OwnerAgent {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO conversation_agents (agent_id, conversation_id)
			VALUES (?, ?)`, after.AgentID, after.ID)
		if err != nil {
			return fmt.Errorf("note agent: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			set(`agents = json_insert(agents, '$[#]', ?)`, after.AgentID)
		}
	}
	if after.Team != "" {
		set(`team = ?`, after.Team)
	}
	if after.Owner == journeystate.OwnerClosed {
		set(`closed_us = ?, outcome = ?`, now, change.Cause)
	} else {
		set(`closed_us = NULL, outcome = ''`)
	}
	query := `UPDATE conversation_stats SET `
	for i, s := range sets {
		if i > 0 {
			query += ", "
		}
		query += s
	}
	_, err := tx.ExecContext(ctx, query+` WHERE conversation_id = ?`, append(args, after.ID)...)
	if err != nil {
		return fmt.Errorf("update stats: %w", err)
	}
	return nil
}
