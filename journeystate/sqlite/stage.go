package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/journeybot/journeybot/journeystate"
)

// eventStageChanged is recorded by SetStage; payload stageChangedPayload.
const eventStageChanged = "stage_changed"

// maxStage bounds the name of a journey stage, in bytes.
const maxStage = 100

// stageChangedPayload is the payload of a "stage_changed" event.
type stageChangedPayload struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// SetStage moves the customer from change.From to change.To and records a "stage_changed" event at change.Time (now
// when zero); see journeystate.Store. change.To is required (at most 100 bytes) and change.Actor must be a known
// actor; change.ConversationID, when set, must be the customer's. The customer's UpdatedAt is the store's time of
// the change, whatever change.Time says.
func (s *Store) SetStage(ctx context.Context, customerID string, change journeystate.StageChange) (journeystate.Customer, bool, error) {
	if err := validStageChange(change); err != nil {
		return journeystate.Customer{}, false, fmt.Errorf("set stage of customer %s: %w", customerID, err)
	}
	var c journeystate.Customer
	changed := false
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		changed = false // fn may run again (see inWrite)
		var err error
		if c, err = customerByID(ctx, tx, customerID); err != nil {
			return err
		}
		if c.MergedInto != "" {
			return fmt.Errorf("customer was merged into %s: %w", c.MergedInto, journeystate.ErrConflict)
		}
		if c.Stage == change.To {
			return nil
		}
		if c.Stage != change.From {
			return fmt.Errorf("stage is %q, not %q: %w", c.Stage, change.From, journeystate.ErrConflict)
		}
		if err := checkConversation(ctx, tx, c.ID, change.ConversationID); err != nil {
			return err
		}
		payload, err := json.Marshal(stageChangedPayload{From: c.Stage, To: change.To})
		if err != nil {
			return err
		}
		c.Stage, c.UpdatedAt = change.To, s.stamp()
		_, err = tx.ExecContext(ctx, `UPDATE customers SET stage = ?, updated_at = ? WHERE id = ?`,
			c.Stage, formatTime(c.UpdatedAt), c.ID)
		if err != nil {
			return fmt.Errorf("update customer: %w", err)
		}
		_, err = s.insertEvent(ctx, tx, journeystate.Event{
			CustomerID: c.ID, ConversationID: change.ConversationID, Type: eventStageChanged, Channel: change.Channel,
			Actor: change.Actor, Cause: change.Cause, Payload: payload, Time: change.Time,
		})
		changed = err == nil
		return err
	})
	if err != nil {
		return journeystate.Customer{}, false, fmt.Errorf("set stage of customer %s: %w", customerID, err)
	}
	return c, changed, nil
}

func validStageChange(c journeystate.StageChange) error {
	if c.To == "" {
		return errors.New("a stage to move to is required")
	}
	if len(c.To) > maxStage || len(c.From) > maxStage {
		return fmt.Errorf("a stage name has at most %d bytes", maxStage)
	}
	return validActor(c.Actor)
}
