package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/journeybot/journeybot/journeystate"
)

// eventSummaryUpdated is recorded by SetSummary; payload summaryUpdatedPayload.
const eventSummaryUpdated = "summary_updated"

// MaxSummary bounds a customer's memory summary, in bytes: it goes into every prompt.
const MaxSummary = 16 << 10

// summaryUpdatedPayload is the payload of a "summary_updated" event. It holds the summary's length, not its text:
// the text is in the customer's memory, and the log need not hold every version of it.
type summaryUpdatedPayload struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Length         int    `json:"length"`
}

// SetSummary replaces the customer's memory summary and marks the conversation summarized up to seq, recording a
// "summary_updated" event by the bot; see journeystate.Store. summary has at most MaxSummary bytes, and seq must be
// between 1 and the conversation's LastSeq. ErrConflict when the customer has been merged, or when seq is below the
// conversation's SummarizedSeq: a summary that took in more came first, and this one would undo it.
func (s *Store) SetSummary(ctx context.Context, customerID, conversationID string, seq int64, summary string) (journeystate.Customer, error) {
	if len(summary) > MaxSummary {
		return journeystate.Customer{}, fmt.Errorf("set summary of customer %s: a summary has at most %d bytes, got %d",
			customerID, MaxSummary, len(summary))
	}
	var c journeystate.Customer
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = customerByID(ctx, tx, customerID); err != nil {
			return err
		}
		if c.MergedInto != "" {
			return fmt.Errorf("customer was merged into %s: %w", c.MergedInto, journeystate.ErrConflict)
		}
		conv, err := conversationByID(ctx, tx, conversationID)
		if err != nil {
			return fmt.Errorf("conversation %s: %w", conversationID, err)
		}
		if conv.CustomerID != c.ID {
			return fmt.Errorf("conversation %s is not the customer's: %w", conversationID, journeystate.ErrNotFound)
		}
		switch {
		case seq < 1 || seq > conv.LastSeq:
			return fmt.Errorf("seq %d is not a message of the conversation (1 to %d)", seq, conv.LastSeq)
		case seq < conv.SummarizedSeq:
			return fmt.Errorf("the conversation is summarized up to %d already, not going back to %d: %w",
				conv.SummarizedSeq, seq, journeystate.ErrConflict)
		}
		now := s.stamp()
		c.Memory.Summary, c.Memory.SummaryUpdatedAt, c.UpdatedAt = summary, now, now
		if err := saveCustomer(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET summarized_seq = ? WHERE id = ?`, seq, conv.ID); err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		payload, err := json.Marshal(summaryUpdatedPayload{ConversationID: conv.ID, Seq: seq, Length: len(summary)})
		if err != nil {
			return err
		}
		_, err = s.insertEvent(ctx, tx, journeystate.Event{
			CustomerID: c.ID, ConversationID: conv.ID, Type: eventSummaryUpdated, Channel: conv.Channel,
			Actor: journeystate.ActorBot, Payload: payload, Time: now,
		})
		return err
	})
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("set summary of customer %s: %w", customerID, err)
	}
	return c, nil
}
