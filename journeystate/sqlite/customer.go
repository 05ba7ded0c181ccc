package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/journeybot/journeybot/journeystate"
)

// ResolveIdentity returns the customer known by (claim.Channel, claim.ExternalID), creating the customer and the
// identity when there is none; see journeystate.Store. An empty claim.Level counts as LevelAnonymous; an unknown one,
// an empty channel or external id is an error. An existing identity and its customer are returned unchanged.
func (s *Store) ResolveIdentity(ctx context.Context, claim journeystate.IdentityClaim) (journeystate.Customer, error) {
	if claim.Channel == "" || claim.ExternalID == "" {
		return journeystate.Customer{}, errors.New("resolve identity: channel and external id are required")
	}
	switch claim.Level {
	case "":
		claim.Level = journeystate.LevelAnonymous
	case journeystate.LevelAnonymous, journeystate.LevelClaimed, journeystate.LevelVerified:
	default:
		return journeystate.Customer{}, fmt.Errorf("resolve identity: unknown identity level %q", claim.Level)
	}

	// Nearly every call finds a known identity: answer those from a reader, without queueing behind the one writer.
	// Only a miss takes a write transaction, which looks again under the write lock before creating anything.
	var c journeystate.Customer
	err := s.readOne(ctx, func(q querier) error {
		var err error
		c, err = customerByIdentity(ctx, q, claim.Channel, claim.ExternalID)
		return err
	})
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, journeystate.ErrNotFound) {
		return journeystate.Customer{}, fmt.Errorf("resolve identity: %w", err)
	}
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = customerByIdentity(ctx, tx, claim.Channel, claim.ExternalID)
		if !errors.Is(err, journeystate.ErrNotFound) {
			return err
		}
		c, err = s.createCustomer(ctx, tx, claim)
		return err
	})
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("resolve identity: %w", err)
	}
	return c, nil
}

func (s *Store) createCustomer(ctx context.Context, tx *sql.Tx, claim journeystate.IdentityClaim) (journeystate.Customer, error) {
	id, err := newID()
	if err != nil {
		return journeystate.Customer{}, err
	}
	now := s.stamp()
	c := journeystate.Customer{ID: id, Profile: claim.Profile, CreatedAt: now, UpdatedAt: now}
	_, err = tx.ExecContext(ctx, `INSERT INTO customers (id, name, email, phone, traits, created_at, updated_at)
		VALUES (?, ?, ?, ?, '{}', ?, ?)`,
		c.ID, c.Profile.Name, c.Profile.Email, c.Profile.Phone, formatTime(now), formatTime(now))
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("insert customer: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO identities (channel, external_id, customer_id, level, created_at)
		VALUES (?, ?, ?, ?, ?)`, claim.Channel, claim.ExternalID, c.ID, string(claim.Level), formatTime(now))
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("insert identity: %w", err)
	}
	return c, nil
}

// FindIdentity returns the identity (channel, externalID), or ErrNotFound.
func (s *Store) FindIdentity(ctx context.Context, channel, externalID string) (journeystate.Identity, error) {
	var id journeystate.Identity
	err := s.inRead(ctx, func(tx *sql.Tx) error {
		var level, created string
		err := tx.QueryRowContext(ctx, `SELECT channel, external_id, customer_id, level, created_at
			FROM identities WHERE channel = ? AND external_id = ?`, channel, externalID).
			Scan(&id.Channel, &id.ExternalID, &id.CustomerID, &level, &created)
		if err != nil {
			return notFound(err)
		}
		id.Level = journeystate.Level(level)
		id.CreatedAt, err = parseTime(created)
		return err
	})
	if err != nil {
		return journeystate.Identity{}, fmt.Errorf("find identity %s/%s: %w", channel, externalID, err)
	}
	return id, nil
}

// Customer returns one customer, or ErrNotFound.
func (s *Store) Customer(ctx context.Context, id string) (journeystate.Customer, error) {
	var c journeystate.Customer
	err := s.readOne(ctx, func(q querier) error {
		var err error
		c, err = scanCustomer(q.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = ?`, id))
		return err
	})
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("load customer %s: %w", id, err)
	}
	return c, nil
}

func customerByIdentity(ctx context.Context, q querier, channel, externalID string) (journeystate.Customer, error) {
	return scanCustomer(q.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE id = (SELECT customer_id FROM identities WHERE channel = ? AND external_id = ?)`, channel, externalID))
}

const customerColumns = `id, name, email, phone, traits, created_at, updated_at`

func scanCustomer(row scanner) (journeystate.Customer, error) {
	var c journeystate.Customer
	var traits, created, updated string
	err := row.Scan(&c.ID, &c.Profile.Name, &c.Profile.Email, &c.Profile.Phone, &traits, &created, &updated)
	if err != nil {
		return journeystate.Customer{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(traits), &c.Traits); err != nil {
		return journeystate.Customer{}, fmt.Errorf("customer %s traits: %w", c.ID, err)
	}
	if len(c.Traits) == 0 {
		c.Traits = nil
	}
	if c.CreatedAt, err = parseTime(created); err != nil {
		return journeystate.Customer{}, err
	}
	if c.UpdatedAt, err = parseTime(updated); err != nil {
		return journeystate.Customer{}, err
	}
	return c, nil
}
