package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Event types the store records itself, and the payloads it gives them.
const (
	eventConversationOpened = "conversation_opened" // payload {"thread_id": ...}
	eventOwnerChanged       = "owner_changed"       // payload ownerChangedPayload
	eventMessage            = "message"             // payload messagePayload
)

// ownerChangedPayload is the payload of an "owner_changed" event.
type ownerChangedPayload struct {
	From        journeystate.Owner `json:"from"`
	To          journeystate.Owner `json:"to"`
	FromAgentID string             `json:"from_agent_id,omitempty"`
	AgentID     string             `json:"agent_id,omitempty"`
	Team        string             `json:"team,omitempty"`
}

// eventHandoff is the event SetOwner stores with a hand-off packet as its payload.
const eventHandoff = "handoff"

// OpenConversation returns the customer's newest open conversation on (channel, threadID) or opens a new one owned
// by the bot, recording a "conversation_opened" event; see journeystate.Store. ErrNotFound when the customer does
// not exist; channel and threadID are required.
func (s *Store) OpenConversation(ctx context.Context, customerID, channel, threadID string) (journeystate.Conversation, bool, error) {
	if customerID == "" || channel == "" || threadID == "" {
		return journeystate.Conversation{}, false, errors.New("open conversation: customer, channel and thread are required")
	}
	// Most calls find the open conversation: look from a reader first, and take the write lock only to open one
	// (looking again under the lock, so that two racing calls open one conversation).
	var conv journeystate.Conversation
	err := s.readOne(ctx, func(q querier) error {
		var err error
		conv, err = openConversation(ctx, q, customerID, channel, threadID)
		return err
	})
	if err == nil {
		return conv, false, nil
	}
	if !errors.Is(err, journeystate.ErrNotFound) {
		return journeystate.Conversation{}, false, fmt.Errorf("open conversation: %w", err)
	}
	opened := false
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		opened = false // fn may run again (see inWrite)
		var err error
		conv, err = openConversation(ctx, tx, customerID, channel, threadID)
		if !errors.Is(err, journeystate.ErrNotFound) {
			return err
		}
		if err := customerExists(ctx, tx, customerID); err != nil {
			return err
		}
		conv, err = s.insertConversation(ctx, tx, customerID, channel, threadID)
		opened = err == nil
		return err
	})
	if err != nil {
		return journeystate.Conversation{}, false, fmt.Errorf("open conversation for customer %s: %w", customerID, err)
	}
	return conv, opened, nil
}

func (s *Store) insertConversation(ctx context.Context, tx *sql.Tx, customerID, channel, threadID string) (journeystate.Conversation, error) {
	id, err := newID()
	if err != nil {
		return journeystate.Conversation{}, err
	}
	now := s.stamp()
	conv := journeystate.Conversation{
		ID: id, CustomerID: customerID, Channel: channel, ThreadID: threadID,
		Owner: journeystate.OwnerBot, OwnerSince: now, CreatedAt: now, UpdatedAt: now,
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO conversations
		(id, customer_id, channel, thread_id, owner, agent_id, last_seq, created_at, updated_at, team, owner_since)
		VALUES (?, ?, ?, ?, ?, '', 0, ?, ?, '', ?)`,
		conv.ID, conv.CustomerID, conv.Channel, conv.ThreadID, string(conv.Owner), formatTime(now), formatTime(now),
		formatTime(now))
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("insert conversation: %w", err)
	}
	payload, err := json.Marshal(map[string]string{"thread_id": threadID})
	if err != nil {
		return journeystate.Conversation{}, err
	}
	_, err = s.insertEvent(ctx, tx, journeystate.Event{
		CustomerID: customerID, ConversationID: conv.ID, Type: eventConversationOpened, Channel: channel,
		Actor: journeystate.ActorSystem, Payload: payload, Time: now,
	})
	return conv, err
}

// LatestConversation returns the customer's newest conversation on (channel, threadID), closed or not, or
// ErrNotFound.
func (s *Store) LatestConversation(ctx context.Context, customerID, channel, threadID string) (journeystate.Conversation, error) {
	var conv journeystate.Conversation
	err := s.inRead(ctx, func(tx *sql.Tx) error {
		var err error
		conv, err = scanConversation(tx.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations
			WHERE customer_id = ? AND channel = ? AND thread_id = ?
			ORDER BY created_at DESC, id DESC LIMIT 1`, customerID, channel, threadID))
		return err
	})
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("latest conversation of customer %s: %w", customerID, err)
	}
	return conv, nil
}

// Conversation returns one conversation, or ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id string) (journeystate.Conversation, error) {
	var conv journeystate.Conversation
	err := s.readOne(ctx, func(q querier) error {
		var err error
		conv, err = conversationByID(ctx, q, id)
		return err
	})
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("load conversation %s: %w", id, err)
	}
	return conv, nil
}

// SetOwner moves a conversation to a new owner and records an "owner_changed" event; see journeystate.Store.
// change.AgentID is required for OwnerAgent and must be empty otherwise; change.Actor must be a known actor. The
// switchboard (journeystate.CheckTransition) judges the change against the stored conversation inside the write
// transaction: a change from an owner the conversation no longer has, to the owner it already has, or that the
// switchboard does not allow returns a *journeystate.TransitionError (an ErrConflict) and records nothing.
func (s *Store) SetOwner(ctx context.Context, conversationID string, change journeystate.OwnerChange) (journeystate.Conversation, error) {
	if err := validOwnerChange(change); err != nil {
		return journeystate.Conversation{}, fmt.Errorf("set owner of conversation %s: %w", conversationID, err)
	}
	var packet []byte
	if change.Handoff != nil {
		var err error
		if packet, err = handoffPayload(conversationID, change); err != nil {
			return journeystate.Conversation{}, fmt.Errorf("set owner of conversation %s: %w", conversationID, err)
		}
	}
	var conv journeystate.Conversation
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		var err error
		conv, err = conversationByID(ctx, tx, conversationID)
		if err != nil {
			return err
		}
		if err := journeystate.CheckTransition(conv, change); err != nil {
			return err
		}
		team := conv.Team
		switch {
		case change.Owner == journeystate.OwnerBot:
			team = ""
		case change.Team != "":
			team = change.Team
		}
		payload, err := json.Marshal(ownerChangedPayload{
			From: conv.Owner, To: change.Owner, FromAgentID: conv.AgentID, AgentID: change.AgentID, Team: team,
		})
		if err != nil {
			return err
		}
		now := s.stamp()
		before := conv
		conv.Owner, conv.AgentID, conv.Team, conv.OwnerSince, conv.UpdatedAt = change.Owner, change.AgentID, team, now, now
		if err := noteOwnerChange(ctx, tx, before, conv, change); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET owner = ?, agent_id = ?, team = ?, owner_since = ?,
			updated_at = ? WHERE id = ?`,
			string(conv.Owner), conv.AgentID, team, formatTime(now), formatTime(now), conv.ID)
		if err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		_, err = s.insertEvent(ctx, tx, journeystate.Event{
			CustomerID: conv.CustomerID, ConversationID: conv.ID, Type: eventOwnerChanged, Channel: conv.Channel,
			Actor: change.Actor, Cause: change.Cause, Payload: payload, Time: now,
		})
		if err != nil || packet == nil {
			return err
		}
		_, err = s.insertEvent(ctx, tx, journeystate.Event{
			CustomerID: conv.CustomerID, ConversationID: conv.ID, Type: eventHandoff, Channel: conv.Channel,
			Actor: change.Actor, Cause: change.Handoff.Trigger, Payload: packet, Time: now,
		})
		return err
	})
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("set owner of conversation %s: %w", conversationID, err)
	}
	return conv, nil
}

// handoffPayload checks the packet of a change that hands a conversation to people and returns its JSON.
func handoffPayload(conversationID string, c journeystate.OwnerChange) ([]byte, error) {
	if c.Owner != journeystate.OwnerQueue && c.Owner != journeystate.OwnerAgent {
		return nil, fmt.Errorf("a hand-off packet goes with a change to the queue or an agent, not to %s", c.Owner)
	}
	if c.Handoff.ConversationID != conversationID {
		return nil, fmt.Errorf("the hand-off packet names conversation %q", c.Handoff.ConversationID)
	}
	if err := c.Handoff.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(c.Handoff)
}

func validOwnerChange(c journeystate.OwnerChange) error {
	switch c.Owner {
	case journeystate.OwnerAgent:
		if c.AgentID == "" {
			return errors.New("an agent owner needs an agent id")
		}
	case journeystate.OwnerBot, journeystate.OwnerQueue, journeystate.OwnerClosed:
		if c.AgentID != "" {
			return fmt.Errorf("owner %q takes no agent id", c.Owner)
		}
	default:
		return fmt.Errorf("unknown owner %q", c.Owner)
	}
	return validActor(c.Actor)
}

// openConversation returns the newest conversation on the thread that is not closed, or ErrNotFound.
func openConversation(ctx context.Context, q querier, customerID, channel, threadID string) (journeystate.Conversation, error) {
	return scanConversation(q.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations
		WHERE customer_id = ? AND channel = ? AND thread_id = ? AND owner <> 'closed'
		ORDER BY created_at DESC, id DESC LIMIT 1`, customerID, channel, threadID))
}

func conversationByID(ctx context.Context, q querier, id string) (journeystate.Conversation, error) {
	return scanConversation(q.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = ?`, id))
}

func customerExists(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM customers WHERE id = ?`, id).Scan(&one)
	if err != nil {
		return fmt.Errorf("customer %s: %w", id, notFound(err))
	}
	return nil
}

const conversationColumns = `id, customer_id, channel, thread_id, owner, agent_id, last_seq, summarized_seq, ` +
	`created_at, updated_at, team, owner_since`

func scanConversation(row scanner) (journeystate.Conversation, error) {
	var c journeystate.Conversation
	var owner, created, updated, ownerSince string
	err := row.Scan(&c.ID, &c.CustomerID, &c.Channel, &c.ThreadID, &owner, &c.AgentID, &c.LastSeq, &c.SummarizedSeq,
		&created, &updated, &c.Team, &ownerSince)
	if err != nil {
		return journeystate.Conversation{}, notFound(err)
	}
	if ownerSince == "" {
		ownerSince = created
	}
	if c.OwnerSince, err = parseTime(ownerSince); err != nil {
		return journeystate.Conversation{}, err
	}
	c.Owner = journeystate.Owner(owner)
	if c.CreatedAt, err = parseTime(created); err != nil {
		return journeystate.Conversation{}, err
	}
	if c.UpdatedAt, err = parseTime(updated); err != nil {
		return journeystate.Conversation{}, err
	}
	return c, nil
}

// UnansweredConversations returns the bot's conversations whose newest message is an unanswered customer message
// stored at or after since; see journeystate.Store.
func (s *Store) UnansweredConversations(ctx context.Context, since time.Time, limit int) ([]journeystate.Conversation, error) {
	limit, err := clampLimit(limit, DefaultLimit, MaxLimit)
	if err != nil {
		return nil, fmt.Errorf("unanswered conversations: %w", err)
	}
	var out []journeystate.Conversation
	err = s.inRead(ctx, func(tx *sql.Tx) error {
		// The conversations_owner_updated index finds the bot's recently updated conversations. Answered is what
		// the newest reply answered: a bot reply answers up to the message named by its reply_to (messages stored
		// while it was written come before it yet still wait), any other author's message everything before it.
		// A conversation waits when a customer message comes after that.
		rows, err := tx.QueryContext(ctx, `SELECT `+prefixed("c.", conversationColumns)+`
			FROM conversations c
			WHERE c.owner = 'bot' AND c.updated_at >= ? AND EXISTS (
				SELECT 1 FROM messages w
				WHERE w.conversation_id = c.id AND w.author = 'customer' AND w.seq > COALESCE((
					SELECT CASE WHEN r.author = 'bot' THEN COALESCE((
						SELECT a.seq FROM messages a
						WHERE a.id = json_extract(r.meta, '$.reply_to') AND a.conversation_id = c.id), r.seq)
					ELSE r.seq END
					FROM messages r
					WHERE r.conversation_id = c.id AND r.author <> 'customer'
					ORDER BY r.seq DESC LIMIT 1), 0))
			ORDER BY c.updated_at, c.id LIMIT ?`, formatTime(since), limit)
		out, err = collect(rows, err, scanConversation)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("unanswered conversations: %w", err)
	}
	return out, nil
}

// prefixed qualifies every column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ", ")
	for i, p := range parts {
		parts[i] = prefix + p
	}
	return strings.Join(parts, ", ")
}

// QuietConversations returns the conversations not updated since before that hold messages the customer's summary
// has not taken in, least recently updated first; see journeystate.Store. A conversation's UpdatedAt moves with
// every message stored in it (and with every owner change), so one updated before before has had its newest message
// stored before then. limit 0 means DefaultLimit; it is capped at MaxLimit.
func (s *Store) QuietConversations(ctx context.Context, before time.Time, limit int) ([]journeystate.Conversation, error) {
	limit, err := clampLimit(limit, DefaultLimit, MaxLimit)
	if err != nil {
		return nil, fmt.Errorf("quiet conversations: %w", err)
	}
	var out []journeystate.Conversation
	err = s.readOne(ctx, func(q querier) error {
		// "summarized_seq < last_seq" repeats the condition of the partial index conversations_unsummarized, which
		// holds only the conversations waiting for a summary. A merged customer holds no conversation, but the
		// check keeps one caught mid-merge out.
		rows, err := q.QueryContext(ctx, `SELECT `+prefixed("c.", conversationColumns)+`
			FROM conversations c
			WHERE c.summarized_seq < c.last_seq AND c.updated_at < ?
				AND (SELECT merged_into FROM customers WHERE id = c.customer_id) IS NULL
			ORDER BY c.updated_at, c.id LIMIT ?`, formatTime(before), limit)
		out, err = collect(rows, err, scanConversation)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("quiet conversations: %w", err)
	}
	return out, nil
}
