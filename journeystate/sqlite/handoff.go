package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of Conversations and of link ids.
const (
	defaultConversations = 500
	maxConversations     = 5000
	maxLinkBytes         = 512
)

// Conversations returns the conversations q selects, longest with their owner first; see journeystate.Store.
func (s *Store) Conversations(ctx context.Context, q journeystate.ConversationQuery) ([]journeystate.Conversation, error) {
	switch q.Owner {
	case journeystate.OwnerBot, journeystate.OwnerQueue, journeystate.OwnerAgent, journeystate.OwnerClosed:
	default:
		return nil, fmt.Errorf("conversations: unknown owner %q", q.Owner)
	}
	if q.AgentID != "" && q.Owner != journeystate.OwnerAgent {
		return nil, errors.New("conversations: an agent id selects only conversations owned by an agent")
	}
	limit, err := clampLimit(q.Limit, defaultConversations, maxConversations)
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	where, args := []string{"owner = ?"}, []any{string(q.Owner)}
	if q.AgentID != "" {
		where, args = append(where, "agent_id = ?"), append(args, q.AgentID)
	}
	if q.Team != "" {
		where, args = append(where, "team = ?"), append(args, q.Team)
	}
	var out []journeystate.Conversation
	err = s.readOne(ctx, func(r querier) error {
		rows, err := r.QueryContext(ctx, `SELECT `+conversationColumns+` FROM conversations
			WHERE `+strings.Join(where, " AND ")+` ORDER BY owner_since, id LIMIT ?`, append(args, limit)...)
		out, err = collect(rows, err, scanConversation)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	return out, nil
}

// LatestHandoff returns the packet of the conversation's newest hand-off, or ErrNotFound.
func (s *Store) LatestHandoff(ctx context.Context, conversationID string) (journeystate.Handoff, error) {
	var payload []byte
	err := s.readOne(ctx, func(q querier) error {
		return notFound(q.QueryRowContext(ctx, `SELECT payload FROM events
			WHERE conversation_id = ? AND type = ? ORDER BY seq DESC LIMIT 1`, conversationID, eventHandoff).Scan(&payload))
	})
	if err != nil {
		return journeystate.Handoff{}, fmt.Errorf("latest hand-off of conversation %s: %w", conversationID, err)
	}
	var h journeystate.Handoff
	if err := json.Unmarshal(payload, &h); err != nil {
		return journeystate.Handoff{}, fmt.Errorf("latest hand-off of conversation %s: decode: %w", conversationID, err)
	}
	return h, nil
}

func validLink(kind, externalID string) error {
	if strings.TrimSpace(kind) == "" || strings.TrimSpace(externalID) == "" {
		return errors.New("a link needs a kind and an external id")
	}
	if len(kind) > maxLinkBytes || len(externalID) > maxLinkBytes {
		return fmt.Errorf("a link's kind and external id are at most %d bytes", maxLinkBytes)
	}
	return nil
}

// LinkConversation records that externalID names the conversation in kind; see journeystate.Store.
func (s *Store) LinkConversation(ctx context.Context, kind, externalID, conversationID string) error {
	if err := validLink(kind, externalID); err != nil {
		return fmt.Errorf("link conversation: %w", err)
	}
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		var linked string
		err := tx.QueryRowContext(ctx, `SELECT conversation_id FROM conversation_links WHERE kind = ? AND external_id = ?`,
			kind, externalID).Scan(&linked)
		switch {
		case err == nil && linked == conversationID:
			return nil
		case err == nil:
			return fmt.Errorf("%s %q names another conversation: %w", kind, externalID, journeystate.ErrConflict)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := conversationByID(ctx, tx, conversationID); err != nil {
			return fmt.Errorf("conversation %s: %w", conversationID, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO conversation_links (kind, external_id, conversation_id, created_at)
			VALUES (?, ?, ?, ?)`, kind, externalID, conversationID, formatTime(s.stamp()))
		return err
	})
	if err != nil {
		return fmt.Errorf("link conversation: %w", err)
	}
	return nil
}

// LinkedConversation returns the id of the conversation externalID names in kind, or ErrNotFound.
func (s *Store) LinkedConversation(ctx context.Context, kind, externalID string) (string, error) {
	var id string
	err := s.readOne(ctx, func(q querier) error {
		return notFound(q.QueryRowContext(ctx, `SELECT conversation_id FROM conversation_links
			WHERE kind = ? AND external_id = ?`, kind, externalID).Scan(&id))
	})
	if err != nil {
		return "", fmt.Errorf("linked conversation %s %q: %w", kind, externalID, err)
	}
	return id, nil
}

// ConversationLink returns the newest external id linked to the conversation in kind, or ErrNotFound.
func (s *Store) ConversationLink(ctx context.Context, kind, conversationID string) (string, error) {
	var id string
	err := s.readOne(ctx, func(q querier) error {
		return notFound(q.QueryRowContext(ctx, `SELECT external_id FROM conversation_links
			WHERE conversation_id = ? AND kind = ? ORDER BY created_at DESC, external_id DESC LIMIT 1`,
			conversationID, kind).Scan(&id))
	})
	if err != nil {
		return "", fmt.Errorf("link of conversation %s in %s: %w", conversationID, kind, err)
	}
	return id, nil
}
