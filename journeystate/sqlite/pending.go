package sqlite

// Placeholders for the Store methods of the journey-aware issue; the store work replaces this file.

import (
	"context"
	"errors"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

var errPending = errors.New("sqlite: not implemented yet")

func (s *Store) Identities(ctx context.Context, customerID string) ([]journeystate.Identity, error) {
	return nil, errPending
}

func (s *Store) UpdateCustomer(ctx context.Context, id string, u journeystate.CustomerUpdate) (journeystate.Customer, error) {
	return journeystate.Customer{}, errPending
}

func (s *Store) SetStage(ctx context.Context, customerID string, change journeystate.StageChange) (journeystate.Customer, bool, error) {
	return journeystate.Customer{}, false, errPending
}

func (s *Store) SetSummary(ctx context.Context, customerID, conversationID string, seq int64, summary string) (journeystate.Customer, error) {
	return journeystate.Customer{}, errPending
}

func (s *Store) Identify(ctx context.Context, customerID string, claims []journeystate.IdentityClaim, evidence string) (journeystate.IdentifyResult, error) {
	return journeystate.IdentifyResult{}, errPending
}

func (s *Store) Merges(ctx context.Context, customerID string) ([]journeystate.Merge, error) {
	return nil, errPending
}

func (s *Store) Unmerge(ctx context.Context, mergeID string, actor journeystate.Actor, cause string) (journeystate.Customer, journeystate.Customer, error) {
	return journeystate.Customer{}, journeystate.Customer{}, errPending
}

func (s *Store) QuietConversations(ctx context.Context, before time.Time, limit int) ([]journeystate.Conversation, error) {
	return nil, errPending
}
