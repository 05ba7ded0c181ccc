package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// AppendEvent adds e to the journey log; see journeystate.Store. e.CustomerID, e.Type and a known e.Actor are
// required, e.Payload must be a JSON object (or empty or null), and e.ConversationID, when set, must be a
// conversation of that customer. ErrNotFound when the customer or the conversation does not exist. When e.Key is
// already used by another customer's event, it returns ErrConflict and never that event.
func (s *Store) AppendEvent(ctx context.Context, e journeystate.Event) (journeystate.Event, bool, error) {
	if e.CustomerID == "" || e.Type == "" {
		return journeystate.Event{}, false, errors.New("append event: customer and type are required")
	}
	if err := validActor(e.Actor); err != nil {
		return journeystate.Event{}, false, fmt.Errorf("append event: %w", err)
	}
	payload, err := objectPayload(e.Payload)
	if err != nil {
		return journeystate.Event{}, false, fmt.Errorf("append event: %w", err)
	}
	e.Payload = payload
	var stored journeystate.Event
	duplicate := false
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		duplicate = false // fn may run again (see inWrite)
		if e.Key != "" {
			prev, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE event_key = ?`, e.Key))
			if err == nil {
				if prev.CustomerID != e.CustomerID {
					return fmt.Errorf("key %q is used by another customer's event: %w", e.Key, journeystate.ErrConflict)
				}
				stored, duplicate = prev, true
				return nil
			}
			if !errors.Is(err, journeystate.ErrNotFound) {
				return err
			}
		}
		if err := customerExists(ctx, tx, e.CustomerID); err != nil {
			return err
		}
		if e.ConversationID != "" {
			conv, err := conversationByID(ctx, tx, e.ConversationID)
			if err != nil {
				return fmt.Errorf("conversation %s: %w", e.ConversationID, err)
			}
			if conv.CustomerID != e.CustomerID {
				return fmt.Errorf("conversation %s is not the customer's", e.ConversationID)
			}
		}
		var err error
		stored, err = s.insertEvent(ctx, tx, e)
		return err
	})
	if err != nil {
		return journeystate.Event{}, false, fmt.Errorf("append %s event for customer %s: %w", e.Type, e.CustomerID, err)
	}
	return stored, duplicate, nil
}

// insertEvent writes e, assigning ID, Seq and (when zero) Time. The caller has checked it.
func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, e journeystate.Event) (journeystate.Event, error) {
	id, err := newID()
	if err != nil {
		return journeystate.Event{}, err
	}
	e.ID = id
	if e.Time.IsZero() {
		e.Time = s.stamp()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	err = tx.QueryRowContext(ctx, `INSERT INTO events
		(id, customer_id, conversation_id, type, channel, actor, cause, payload, event_key, time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		e.ID, e.CustomerID, nullString(e.ConversationID), e.Type, e.Channel, string(e.Actor), e.Cause,
		nullString(string(e.Payload)), nullString(e.Key), formatTime(e.Time)).Scan(&e.Seq)
	if err != nil {
		return journeystate.Event{}, fmt.Errorf("insert event: %w", err)
	}
	return e, nil
}

// Events returns the events the query selects, oldest first (with q.Newest, the newest of them, still oldest
// first); see journeystate.Store. At least one of q.CustomerID and q.ConversationID is required; when both are set
// an event must match both. ErrNotFound when the customer or the conversation named does not exist. q.Limit 0 means DefaultLimit; it is capped at MaxLimit.
func (s *Store) Events(ctx context.Context, q journeystate.EventQuery) ([]journeystate.Event, error) {
	if q.CustomerID == "" && q.ConversationID == "" {
		return nil, errors.New("list events: a customer or a conversation is required")
	}
	limit, err := clampLimit(q.Limit, DefaultLimit, MaxLimit)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	var where []string
	var args []any
	if q.CustomerID != "" {
		where, args = append(where, "customer_id = ?"), append(args, q.CustomerID)
	}
	if q.ConversationID != "" {
		where, args = append(where, "conversation_id = ?"), append(args, q.ConversationID)
	}
	args = append(args, q.AfterSeq, limit)
	order := "seq"
	if q.Newest {
		order = "seq DESC" // the newest; reversed below
	}
	query := `SELECT ` + eventColumns + ` FROM events WHERE ` + strings.Join(where, " AND ") +
		` AND seq > ? ORDER BY ` + order + ` LIMIT ?`
	var events []journeystate.Event
	err = s.inRead(ctx, func(tx *sql.Tx) error {
		if q.CustomerID != "" {
			if err := customerExists(ctx, tx, q.CustomerID); err != nil {
				return err
			}
		}
		if q.ConversationID != "" {
			if _, err := conversationByID(ctx, tx, q.ConversationID); err != nil {
				return fmt.Errorf("conversation %s: %w", q.ConversationID, err)
			}
		}
		rows, err := tx.QueryContext(ctx, query, args...)
		events, err = collect(rows, err, scanEvent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	if q.Newest {
		slices.Reverse(events)
	}
	return events, nil
}

const eventColumns = `seq, id, customer_id, conversation_id, type, channel, actor, cause, payload, event_key, time`

func scanEvent(row scanner) (journeystate.Event, error) {
	var e journeystate.Event
	var conv, payload, key sql.NullString
	var actor, t string
	err := row.Scan(&e.Seq, &e.ID, &e.CustomerID, &conv, &e.Type, &e.Channel, &actor, &e.Cause, &payload, &key, &t)
	if err != nil {
		return journeystate.Event{}, notFound(err)
	}
	e.ConversationID, e.Key, e.Actor = conv.String, key.String, journeystate.Actor(actor)
	if payload.Valid {
		e.Payload = json.RawMessage(payload.String)
	}
	if e.Time, err = parseTime(t); err != nil {
		return journeystate.Event{}, err
	}
	return e, nil
}

// objectPayload checks that p is a JSON object; empty and "null" become nil.
func objectPayload(p json.RawMessage) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(p)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, nil
	}
	if !json.Valid(trimmed) || trimmed[0] != '{' {
		return nil, errors.New("payload is not a JSON object")
	}
	return trimmed, nil
}

func validActor(a journeystate.Actor) error {
	switch a {
	case journeystate.ActorCustomer, journeystate.ActorBot, journeystate.ActorAgent, journeystate.ActorRule,
		journeystate.ActorSystem:
		return nil
	}
	return fmt.Errorf("unknown actor %q", a)
}

// nullString stores "" as NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
