package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// messagePayload is the payload of the "message" event recorded with every message, so that the journey log alone
// tells what was said, on which channel, across conversations.
type messagePayload struct {
	MessageID string `json:"message_id"`
	Seq       int64  `json:"seq"`
	ClientID  string `json:"client_id,omitempty"`
	Text      string `json:"text"`
}

// AppendMessage stores m with the next sequence number of its conversation and records a "message" event, in one
// transaction; see journeystate.Store. m.Author must be customer, bot, agent or system; m.CustomerID may be empty
// (it is taken from the conversation) but must otherwise be the conversation's customer. ErrNotFound when the
// conversation does not exist. A duplicate client id returns the stored message and writes nothing.
func (s *Store) AppendMessage(ctx context.Context, m journeystate.Message) (journeystate.Message, bool, error) {
	if m.ConversationID == "" {
		return journeystate.Message{}, false, errors.New("append message: conversation is required")
	}
	switch m.Author {
	case journeystate.ActorCustomer, journeystate.ActorBot, journeystate.ActorAgent, journeystate.ActorSystem:
	default:
		return journeystate.Message{}, false, fmt.Errorf("append message: unknown author %q", m.Author)
	}
	meta, err := json.Marshal(m.Meta)
	if err != nil {
		return journeystate.Message{}, false, fmt.Errorf("append message: meta: %w", err)
	}
	var stored journeystate.Message
	duplicate := false
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		duplicate = false // fn may run again (see inWrite)
		conv, err := conversationByID(ctx, tx, m.ConversationID)
		if err != nil {
			return fmt.Errorf("conversation: %w", err)
		}
		if m.CustomerID == "" {
			m.CustomerID = conv.CustomerID
		} else if m.CustomerID != conv.CustomerID {
			return fmt.Errorf("customer %s does not own the conversation", m.CustomerID)
		}
		if m.ClientID != "" {
			prev, err := messageByClientID(ctx, tx, m.CustomerID, m.ClientID)
			if err == nil {
				stored, duplicate = prev, true
				return nil
			}
			if !errors.Is(err, journeystate.ErrNotFound) {
				return err
			}
		}
		stored, err = s.insertMessage(ctx, tx, conv, m, meta)
		return err
	})
	if err != nil {
		return journeystate.Message{}, false, fmt.Errorf("append message to conversation %s: %w", m.ConversationID, err)
	}
	return stored, duplicate, nil
}

// insertMessage writes m as the next message of conv, moves conv's last_seq, updates the conversation's stats and the
// message search index (see stats.go) and records the "message" event.
func (s *Store) insertMessage(ctx context.Context, tx *sql.Tx, conv journeystate.Conversation, m journeystate.Message, meta []byte) (journeystate.Message, error) {
	id, err := newID()
	if err != nil {
		return journeystate.Message{}, err
	}
	now := s.stamp()
	m.ID, m.Seq = id, conv.LastSeq+1
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.CreatedAt = m.CreatedAt.UTC().Truncate(time.Microsecond)
	_, err = tx.ExecContext(ctx, `INSERT INTO messages
		(id, conversation_id, customer_id, seq, author, client_id, text, meta, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.ConversationID, m.CustomerID, m.Seq, string(m.Author), m.ClientID, m.Text, string(meta),
		formatTime(m.CreatedAt))
	if err != nil {
		return journeystate.Message{}, fmt.Errorf("insert message: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE conversations SET last_seq = ?, updated_at = ? WHERE id = ?`,
		m.Seq, formatTime(now), conv.ID)
	if err != nil {
		return journeystate.Message{}, fmt.Errorf("update conversation: %w", err)
	}
	if err := noteMessage(ctx, tx, m); err != nil {
		return journeystate.Message{}, err
	}
	payload, err := json.Marshal(messagePayload{MessageID: m.ID, Seq: m.Seq, ClientID: m.ClientID, Text: m.Text})
	if err != nil {
		return journeystate.Message{}, err
	}
	_, err = s.insertEvent(ctx, tx, journeystate.Event{
		CustomerID: m.CustomerID, ConversationID: conv.ID, Type: eventMessage, Channel: conv.Channel,
		Actor: m.Author, Payload: payload, Time: m.CreatedAt,
	})
	return m, err
}

// MessageByClientID returns the customer's message with that client id, or ErrNotFound.
func (s *Store) MessageByClientID(ctx context.Context, customerID, clientID string) (journeystate.Message, error) {
	var m journeystate.Message
	err := s.readOne(ctx, func(q querier) error {
		var err error
		m, err = messageByClientID(ctx, q, customerID, clientID)
		return err
	})
	if err != nil {
		return journeystate.Message{}, fmt.Errorf("message %q of customer %s: %w", clientID, customerID, err)
	}
	return m, nil
}

// Messages returns up to limit messages of the conversation with Seq > afterSeq, oldest first; see
// journeystate.Store. ErrNotFound when the conversation does not exist. limit 0 means DefaultLimit; it is capped at
// MaxLimit.
func (s *Store) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]journeystate.Message, error) {
	limit, err := clampLimit(limit, DefaultLimit, MaxLimit)
	if err != nil {
		return nil, fmt.Errorf("list messages of conversation %s: %w", conversationID, err)
	}
	msgs, err := s.listMessages(ctx, conversationID, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`, conversationID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages of conversation %s: %w", conversationID, err)
	}
	return msgs, nil
}

// RecentMessages returns the newest limit messages of the conversation, oldest first; see journeystate.Store.
// ErrNotFound when the conversation does not exist. limit 0 means DefaultLimit; it is capped at MaxLimit.
func (s *Store) RecentMessages(ctx context.Context, conversationID string, limit int) ([]journeystate.Message, error) {
	limit, err := clampLimit(limit, DefaultLimit, MaxLimit)
	if err != nil {
		return nil, fmt.Errorf("recent messages of conversation %s: %w", conversationID, err)
	}
	msgs, err := s.listMessages(ctx, conversationID, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?`, conversationID, limit)
	if err != nil {
		return nil, fmt.Errorf("recent messages of conversation %s: %w", conversationID, err)
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// listMessages runs query in one read transaction, after checking that the conversation exists.
func (s *Store) listMessages(ctx context.Context, conversationID, query string, args ...any) ([]journeystate.Message, error) {
	var msgs []journeystate.Message
	err := s.inRead(ctx, func(tx *sql.Tx) error {
		if _, err := conversationByID(ctx, tx, conversationID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, query, args...)
		msgs, err = collect(rows, err, scanMessage)
		return err
	})
	return msgs, err
}

func messageByClientID(ctx context.Context, q querier, customerID, clientID string) (journeystate.Message, error) {
	if clientID == "" {
		return journeystate.Message{}, journeystate.ErrNotFound // messages without a client id are not looked up
	}
	// "client_id <> ''" repeats the condition of the partial index messages_client_id: without it SQLite cannot
	// prove that the index covers the row asked for, and scans the whole table on every message.
	return scanMessage(q.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE customer_id = ? AND client_id = ? AND client_id <> ''`, customerID, clientID))
}

const messageColumns = `id, conversation_id, customer_id, seq, author, client_id, text, meta, created_at`

func scanMessage(row scanner) (journeystate.Message, error) {
	var m journeystate.Message
	var author, meta, created string
	err := row.Scan(&m.ID, &m.ConversationID, &m.CustomerID, &m.Seq, &author, &m.ClientID, &m.Text, &meta, &created)
	if err != nil {
		return journeystate.Message{}, notFound(err)
	}
	m.Author = journeystate.Actor(author)
	if err := json.Unmarshal([]byte(meta), &m.Meta); err != nil {
		return journeystate.Message{}, fmt.Errorf("message %s meta: %w", m.ID, err)
	}
	if m.CreatedAt, err = parseTime(created); err != nil {
		return journeystate.Message{}, err
	}
	return m, nil
}
