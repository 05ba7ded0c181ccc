package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

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

const customerColumns = `id, name, email, phone, traits, stage, memory, merged_into, created_at, updated_at`

// emptyJSON is how an empty traits or memory object is stored: scanCustomer skips decoding it, since
// ResolveIdentity reads a customer on every message and most customers have neither.
const emptyJSON = `{}`

func scanCustomer(row scanner) (journeystate.Customer, error) {
	var c journeystate.Customer
	var traits, memory, created, updated string
	var mergedInto sql.NullString
	err := row.Scan(&c.ID, &c.Profile.Name, &c.Profile.Email, &c.Profile.Phone, &traits, &c.Stage, &memory,
		&mergedInto, &created, &updated)
	if err != nil {
		return journeystate.Customer{}, notFound(err)
	}
	c.MergedInto = mergedInto.String
	if traits != emptyJSON {
		if err := json.Unmarshal([]byte(traits), &c.Traits); err != nil {
			return journeystate.Customer{}, fmt.Errorf("customer %s traits: %w", c.ID, err)
		}
		if len(c.Traits) == 0 {
			c.Traits = nil
		}
	}
	if memory != emptyJSON {
		if err := json.Unmarshal([]byte(memory), &c.Memory); err != nil {
			return journeystate.Customer{}, fmt.Errorf("customer %s memory: %w", c.ID, err)
		}
		if len(c.Memory.Facts) == 0 {
			c.Memory.Facts = nil
		}
		c.Memory.SummaryUpdatedAt = c.Memory.SummaryUpdatedAt.UTC()
	}
	if c.CreatedAt, err = parseTime(created); err != nil {
		return journeystate.Customer{}, err
	}
	if c.UpdatedAt, err = parseTime(updated); err != nil {
		return journeystate.Customer{}, err
	}
	return c, nil
}

// Bounds on what a customer holds, so that no caller (a model's tool call, a business event) can grow a customer
// row without limit. Keys and values are counted in bytes.
const (
	maxProfileField = 500  // a name, email or phone
	maxKey          = 100  // a trait or fact key
	maxValue        = 2000 // a trait or fact value
	maxEntries      = 200  // traits, and facts, a customer holds
)

// eventCustomerUpdated is recorded by UpdateCustomer (payload customerChange) and by Identify when a verified claim
// fills profile fields (payload customerChange with the profile only).
const eventCustomerUpdated = "customer_updated"

// customerChange is the payload of a "customer_updated" event: only what changed. A trait or fact set to "" was
// removed.
type customerChange struct {
	Profile journeystate.Profile `json:"profile,omitzero"`
	Traits  map[string]string    `json:"traits,omitempty"`
	Facts   map[string]string    `json:"facts,omitempty"`
}

func (ch customerChange) empty() bool {
	return ch.Profile == (journeystate.Profile{}) && len(ch.Traits) == 0 && len(ch.Facts) == 0
}

// Identities returns the customer's identities, oldest first; see journeystate.Store. ErrNotFound when the customer
// does not exist; a merged customer has none.
func (s *Store) Identities(ctx context.Context, customerID string) ([]journeystate.Identity, error) {
	var ids []journeystate.Identity
	err := s.inRead(ctx, func(tx *sql.Tx) error {
		if err := customerExists(ctx, tx, customerID); err != nil {
			return err
		}
		var err error
		ids, err = identitiesOf(ctx, tx, customerID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("identities of customer %s: %w", customerID, err)
	}
	return ids, nil
}

// identitiesOf returns the customer's identities, oldest first (rowid breaks ties: identities made together).
func identitiesOf(ctx context.Context, q querier, customerID string) ([]journeystate.Identity, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+identityColumns+` FROM identities WHERE customer_id = ?
		ORDER BY created_at, rowid`, customerID)
	return collect(rows, err, scanIdentity)
}

const identityColumns = `channel, external_id, customer_id, level, created_at`

func scanIdentity(row scanner) (journeystate.Identity, error) {
	var id journeystate.Identity
	var level, created string
	if err := row.Scan(&id.Channel, &id.ExternalID, &id.CustomerID, &level, &created); err != nil {
		return journeystate.Identity{}, notFound(err)
	}
	id.Level = journeystate.Level(level)
	var err error
	id.CreatedAt, err = parseTime(created)
	return id, err
}

// UpdateCustomer applies u and records a "customer_updated" event whose payload is what changed; see
// journeystate.Store. u.Actor must be a known actor; u.ConversationID, when set, must be the customer's. Profile
// fields are bounded to 500 bytes, trait and fact keys to 100 and values to 2000, and a customer holds at most 200
// traits and 200 facts: an update beyond these is refused whole.
func (s *Store) UpdateCustomer(ctx context.Context, id string, u journeystate.CustomerUpdate) (journeystate.Customer, error) {
	if err := validUpdate(u); err != nil {
		return journeystate.Customer{}, fmt.Errorf("update customer %s: %w", id, err)
	}
	var c journeystate.Customer
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = customerByID(ctx, tx, id); err != nil {
			return err
		}
		if c.MergedInto != "" {
			return fmt.Errorf("customer was merged into %s: %w", c.MergedInto, journeystate.ErrConflict)
		}
		if err := checkConversation(ctx, tx, c.ID, u.ConversationID); err != nil {
			return err
		}
		traits, facts := len(c.Traits), len(c.Memory.Facts)
		change := applyUpdate(&c, u)
		if change.empty() {
			return nil
		}
		// Only growth is refused: a merge may have left a customer above the bound, and removing must still work.
		if (len(c.Traits) > maxEntries && len(c.Traits) > traits) ||
			(len(c.Memory.Facts) > maxEntries && len(c.Memory.Facts) > facts) {
			return fmt.Errorf("a customer holds at most %d traits and %d facts", maxEntries, maxEntries)
		}
		c.UpdatedAt = s.stamp()
		if err := saveCustomer(ctx, tx, c); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, c.ID, change, u.Actor, u.Cause, u.Channel, u.ConversationID, c.UpdatedAt)
	})
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("update customer %s: %w", id, err)
	}
	return c, nil
}

func validUpdate(u journeystate.CustomerUpdate) error {
	if err := validActor(u.Actor); err != nil {
		return err
	}
	if err := validProfile(u.Profile); err != nil {
		return err
	}
	for what, m := range map[string]map[string]string{"trait": u.Traits, "fact": u.Facts} {
		if len(m) > maxEntries {
			return fmt.Errorf("%d %ss in one update, at most %d", len(m), what, maxEntries)
		}
		for k, v := range m {
			if k == "" || len(k) > maxKey {
				return fmt.Errorf("%s key %.20q...: a key has 1 to %d bytes", what, k, maxKey)
			}
			if len(v) > maxValue {
				return fmt.Errorf("%s %q: a value has at most %d bytes, got %d", what, k, maxValue, len(v))
			}
		}
	}
	return nil
}

func validProfile(p journeystate.Profile) error {
	for _, f := range []string{p.Name, p.Email, p.Phone} {
		if len(f) > maxProfileField {
			return fmt.Errorf("a profile field has at most %d bytes, got %d", maxProfileField, len(f))
		}
	}
	return nil
}

// applyUpdate applies u to c and returns what changed.
func applyUpdate(c *journeystate.Customer, u journeystate.CustomerUpdate) customerChange {
	var ch customerChange
	set := func(stored *string, to string, changed *string) {
		if to != "" && *stored != to {
			*stored, *changed = to, to
		}
	}
	set(&c.Profile.Name, u.Profile.Name, &ch.Profile.Name)
	set(&c.Profile.Email, u.Profile.Email, &ch.Profile.Email)
	set(&c.Profile.Phone, u.Profile.Phone, &ch.Profile.Phone)
	c.Traits, ch.Traits = mergeEntries(c.Traits, u.Traits)
	c.Memory.Facts, ch.Facts = mergeEntries(c.Memory.Facts, u.Facts)
	return ch
}

// mergeEntries merges update into stored ("" removes a key) and returns the result and what changed.
func mergeEntries(stored, update map[string]string) (merged, changed map[string]string) {
	for k, v := range update {
		old, ok := stored[k]
		if (v == "" && !ok) || (ok && old == v) {
			continue
		}
		if changed == nil {
			changed = make(map[string]string)
			stored = maps.Clone(stored)
			if stored == nil {
				stored = make(map[string]string)
			}
		}
		changed[k] = v
		if v == "" {
			delete(stored, k)
		} else {
			stored[k] = v
		}
	}
	if len(stored) == 0 {
		stored = nil
	}
	return stored, changed
}

// fillProfile sets c's empty profile fields from p and returns the fields it set.
func fillProfile(c *journeystate.Customer, p journeystate.Profile) journeystate.Profile {
	var filled journeystate.Profile
	fill := func(stored *string, from string, set *string) {
		if *stored == "" && from != "" {
			*stored, *set = from, from
		}
	}
	fill(&c.Profile.Name, p.Name, &filled.Name)
	fill(&c.Profile.Email, p.Email, &filled.Email)
	fill(&c.Profile.Phone, p.Phone, &filled.Phone)
	return filled
}

// recordChange records a "customer_updated" event with change as its payload.
func (s *Store) recordChange(ctx context.Context, tx *sql.Tx, customerID string, change customerChange, actor journeystate.Actor, cause, channel, conversationID string, at time.Time) error {
	payload, err := json.Marshal(change)
	if err != nil {
		return err
	}
	_, err = s.insertEvent(ctx, tx, journeystate.Event{
		CustomerID: customerID, ConversationID: conversationID, Type: eventCustomerUpdated, Channel: channel,
		Actor: actor, Cause: cause, Payload: payload, Time: at,
	})
	return err
}

func customerByID(ctx context.Context, q querier, id string) (journeystate.Customer, error) {
	c, err := scanCustomer(q.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = ?`, id))
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("customer %s: %w", id, err)
	}
	return c, nil
}

// saveCustomer writes c's profile, traits, stage, memory and updated_at.
func saveCustomer(ctx context.Context, tx *sql.Tx, c journeystate.Customer) error {
	traits, err := marshalObject(c.Traits)
	if err != nil {
		return fmt.Errorf("customer %s traits: %w", c.ID, err)
	}
	memory, err := marshalObject(c.Memory)
	if err != nil {
		return fmt.Errorf("customer %s memory: %w", c.ID, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE customers SET name = ?, email = ?, phone = ?, traits = ?, stage = ?,
		memory = ?, updated_at = ? WHERE id = ?`,
		c.Profile.Name, c.Profile.Email, c.Profile.Phone, traits, c.Stage, memory, formatTime(c.UpdatedAt), c.ID)
	if err != nil {
		return fmt.Errorf("update customer %s: %w", c.ID, err)
	}
	return nil
}

// marshalObject encodes v as a JSON object, an empty one ({}) for nil or an empty map.
func marshalObject(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return emptyJSON, nil
	}
	return string(b), nil
}

// checkConversation checks that conversationID, when set, is a conversation of the customer.
func checkConversation(ctx context.Context, q querier, customerID, conversationID string) error {
	if conversationID == "" {
		return nil
	}
	conv, err := conversationByID(ctx, q, conversationID)
	if err != nil {
		return fmt.Errorf("conversation %s: %w", conversationID, err)
	}
	if conv.CustomerID != customerID {
		return fmt.Errorf("conversation %s is not the customer's", conversationID)
	}
	return nil
}

// detachPayload is the payload of the "identity_detached" events.
type detachPayload struct {
	Channel      string `json:"channel"`
	ExternalID   string `json:"external_id"`
	FromCustomer string `json:"from_customer_id"`
	ToCustomer   string `json:"to_customer_id"`
}

// DetachIdentity moves an identity to a new customer of its own; see journeystate.Store.
func (s *Store) DetachIdentity(ctx context.Context, channel, externalID string, actor journeystate.Actor, cause string) (journeystate.Customer, error) {
	if err := validActor(actor); err != nil {
		return journeystate.Customer{}, fmt.Errorf("detach identity: %w", err)
	}
	var c journeystate.Customer
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		var from string
		var level string
		err := tx.QueryRowContext(ctx, `SELECT customer_id, level FROM identities WHERE channel = ? AND external_id = ?`,
			channel, externalID).Scan(&from, &level)
		if err != nil {
			return notFound(err)
		}
		id, err := newID()
		if err != nil {
			return err
		}
		now := s.stamp()
		c = journeystate.Customer{ID: id, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO customers (id, name, email, phone, traits, created_at, updated_at)
			VALUES (?, '', '', '', '{}', ?, ?)`, c.ID, formatTime(now), formatTime(now)); err != nil {
			return fmt.Errorf("insert customer: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET customer_id = ? WHERE channel = ? AND external_id = ?`,
			c.ID, channel, externalID); err != nil {
			return fmt.Errorf("move identity: %w", err)
		}
		payload, err := json.Marshal(detachPayload{Channel: channel, ExternalID: externalID, FromCustomer: from, ToCustomer: c.ID})
		if err != nil {
			return err
		}
		for _, owner := range []string{from, c.ID} {
			if _, err := s.insertEvent(ctx, tx, journeystate.Event{CustomerID: owner, Type: "identity_detached",
				Channel: channel, Actor: actor, Cause: cause, Payload: payload, Time: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("detach identity %s/%s: %w", channel, externalID, err)
	}
	return c, nil
}
