package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/journeybot/journeybot/journeystate"
)

// maxBy bounds the user id SetTags and SetReview record, in bytes.
const maxBy = 200

type tagsChangedPayload struct {
	From []string `json:"from"`
	To   []string `json:"to"`
	By   string   `json:"by,omitempty"`
}

type reviewMarkedPayload struct {
	From journeystate.ReviewMark `json:"from"`
	To   journeystate.ReviewMark `json:"to"`
	By   string                  `json:"by,omitempty"`
	Note string                  `json:"note,omitempty"`
}

type ratingPayload struct {
	Rating   int    `json:"rating"`
	Comment  string `json:"comment,omitempty"`
	CloseSeq int64  `json:"close_seq"`
}

// SetTags replaces the conversation's tags; see journeystate.Store. actor must be a known actor and by has at most
// 200 bytes.
func (s *Store) SetTags(ctx context.Context, conversationID string, tags []string, actor journeystate.Actor, by string) ([]string, error) {
	norm, err := journeystate.NormalizeTags(tags)
	if err == nil {
		err = validActor(actor)
	}
	if err == nil && len(by) > maxBy {
		err = fmt.Errorf("by has at most %d bytes", maxBy)
	}
	if err != nil {
		return nil, fmt.Errorf("set tags of conversation %s: %w", conversationID, err)
	}
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		conv, err := conversationByID(ctx, tx, conversationID)
		if err != nil {
			return err
		}
		var raw string
		if err := tx.QueryRowContext(ctx, `SELECT tags FROM conversation_stats WHERE conversation_id = ?`, conv.ID).Scan(&raw); err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		var old []string
		if err := json.Unmarshal([]byte(raw), &old); err != nil {
			return fmt.Errorf("stored tags: %w", err)
		}
		if slices.Equal(old, norm) {
			return nil
		}
		for _, t := range old {
			if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_tags WHERE tag = ? AND conversation_id = ?`, t, conv.ID); err != nil {
				return fmt.Errorf("untag: %w", err)
			}
		}
		for _, t := range norm {
			if _, err := tx.ExecContext(ctx, `INSERT INTO conversation_tags (tag, conversation_id) VALUES (?, ?)`, t, conv.ID); err != nil {
				return fmt.Errorf("tag: %w", err)
			}
		}
		list, err := json.Marshal(norm)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversation_stats SET tags = ? WHERE conversation_id = ?`, string(list), conv.ID); err != nil {
			return fmt.Errorf("update stats: %w", err)
		}
		payload, err := json.Marshal(tagsChangedPayload{From: nonNil(old), To: nonNil(norm), By: by})
		if err != nil {
			return err
		}
		_, err = s.insertEvent(ctx, tx, journeystate.Event{CustomerID: conv.CustomerID, ConversationID: conv.ID,
			Type: journeystate.EventTagsChanged, Channel: conv.Channel, Actor: actor, Cause: by, Payload: payload})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set tags of conversation %s: %w", conversationID, err)
	}
	return norm, nil
}

// SetReview sets the conversation's review mark; see journeystate.Store. by has at most 200 bytes. The event's
// actor is ActorAgent: reviewers are console users. A mark equal to the stored one is recorded again when it comes
// with a note (the note is news), and not otherwise.
func (s *Store) SetReview(ctx context.Context, conversationID string, mark journeystate.ReviewMark, by, note string) error {
	var err error
	switch {
	case !journeystate.ValidReviewMark(mark):
		err = fmt.Errorf("review mark %q is not good, needs_work, escalate or none", mark)
	case len(note) > journeystate.MaxReviewNote:
		err = fmt.Errorf("a review note has at most %d bytes, got %d", journeystate.MaxReviewNote, len(note))
	case len(by) > maxBy:
		err = fmt.Errorf("by has at most %d bytes", maxBy)
	}
	if err != nil {
		return fmt.Errorf("review conversation %s: %w", conversationID, err)
	}
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		conv, err := conversationByID(ctx, tx, conversationID)
		if err != nil {
			return err
		}
		var old string
		if err := tx.QueryRowContext(ctx, `SELECT review FROM conversation_stats WHERE conversation_id = ?`, conv.ID).Scan(&old); err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		if journeystate.ReviewMark(old) == mark && note == "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversation_stats SET review = ? WHERE conversation_id = ?`, string(mark), conv.ID); err != nil {
			return fmt.Errorf("update stats: %w", err)
		}
		payload, err := json.Marshal(reviewMarkedPayload{From: journeystate.ReviewMark(old), To: mark, By: by, Note: note})
		if err != nil {
			return err
		}
		_, err = s.insertEvent(ctx, tx, journeystate.Event{CustomerID: conv.CustomerID, ConversationID: conv.ID,
			Type: journeystate.EventReviewMarked, Channel: conv.Channel, Actor: journeystate.ActorAgent, Cause: by,
			Payload: payload})
		return err
	})
	if err != nil {
		return fmt.Errorf("review conversation %s: %w", conversationID, err)
	}
	return nil
}

// RecordRating records the customer's rating of the conversation's newest close; see journeystate.Store.
func (s *Store) RecordRating(ctx context.Context, conversationID string, rating int, channel, comment string) (bool, error) {
	var err error
	switch {
	case rating < journeystate.MinRating || rating > journeystate.MaxRating:
		err = fmt.Errorf("rating %d is not between %d and %d", rating, journeystate.MinRating, journeystate.MaxRating)
	case len(comment) > journeystate.MaxComment:
		err = fmt.Errorf("a rating comment has at most %d bytes, got %d", journeystate.MaxComment, len(comment))
	}
	if err != nil {
		return false, fmt.Errorf("rate conversation %s: %w", conversationID, err)
	}
	duplicate := false
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		duplicate = false // fn may run again (see inWrite)
		conv, err := conversationByID(ctx, tx, conversationID)
		if err != nil {
			return err
		}
		var closeSeq int64
		err = tx.QueryRowContext(ctx, `SELECT seq FROM events WHERE conversation_id = ? AND type = 'owner_changed'
			AND payload ->> 'to' = 'closed' ORDER BY seq DESC LIMIT 1`, conv.ID).Scan(&closeSeq)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("newest close: %w", err)
		}
		var prev sql.NullString
		err = tx.QueryRowContext(ctx, `SELECT payload FROM events WHERE conversation_id = ? AND type = ? AND seq > ?
			ORDER BY seq DESC LIMIT 1`, conv.ID, journeystate.EventRating, closeSeq).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("newest rating: %w", err)
		}
		if prev.Valid {
			var p ratingPayload
			if json.Unmarshal([]byte(prev.String), &p) == nil && p.Rating == rating && p.Comment == comment {
				duplicate = true
				return nil
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversation_stats SET rating = ? WHERE conversation_id = ?`, rating, conv.ID); err != nil {
			return fmt.Errorf("update stats: %w", err)
		}
		payload, err := json.Marshal(ratingPayload{Rating: rating, Comment: comment, CloseSeq: closeSeq})
		if err != nil {
			return err
		}
		if channel == "" {
			channel = conv.Channel
		}
		_, err = s.insertEvent(ctx, tx, journeystate.Event{CustomerID: conv.CustomerID, ConversationID: conv.ID,
			Type: journeystate.EventRating, Channel: channel, Actor: journeystate.ActorCustomer, Payload: payload})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("rate conversation %s: %w", conversationID, err)
	}
	return duplicate, nil
}
