package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Event types of merges.
const (
	eventCustomersMerged   = "customers_merged"   // on the survivor; payload customersMergedPayload
	eventCustomersUnmerged = "customers_unmerged" // on both; payload customersUnmergedPayload
)

// maxCause bounds the cause Unmerge records, in bytes.
const maxCause = 1000

// customersMergedPayload is the payload of a "customers_merged" event.
type customersMergedPayload struct {
	MergeID    string       `json:"merge_id"`
	AbsorbedID string       `json:"absorbed_id"`
	Claim      claimPayload `json:"claim"`
	Evidence   string       `json:"evidence,omitempty"`
}

// customersUnmergedPayload is the payload of a "customers_unmerged" event.
type customersUnmergedPayload struct {
	MergeID    string `json:"merge_id"`
	SurvivorID string `json:"survivor_id"`
	AbsorbedID string `json:"absorbed_id"`
}

// mergeManifest is what a merge moved from the absorbed customer to the survivor, and what both customers were
// before it: the merges.manifest column. Unmerge moves back exactly these identities and conversations (with every
// message and event of those conversations, also those added after the merge) and these events outside them.
type mergeManifest struct {
	Identities    []identityKey    `json:"identities"`
	Conversations []string         `json:"conversations"`
	Events        []int64          `json:"events"` // seqs of the absorbed's events outside its conversations
	Survivor      customerSnapshot `json:"survivor"`
	Absorbed      customerSnapshot `json:"absorbed"`
}

type identityKey struct {
	Channel    string `json:"channel"`
	ExternalID string `json:"external_id"`
}

// customerSnapshot is what a merge may change of a customer.
type customerSnapshot struct {
	Profile journeystate.Profile `json:"profile"`
	Traits  map[string]string    `json:"traits,omitempty"`
	Stage   string               `json:"stage,omitempty"`
	Memory  journeystate.Memory  `json:"memory"`
}

func snapshotOf(c journeystate.Customer) customerSnapshot {
	return customerSnapshot{Profile: c.Profile, Traits: c.Traits, Stage: c.Stage, Memory: c.Memory}
}

// apply sets c's profile, traits, stage and memory to the snapshot's.
func (snap customerSnapshot) apply(c *journeystate.Customer) {
	c.Profile, c.Traits, c.Stage, c.Memory = snap.Profile, maps.Clone(snap.Traits), snap.Stage, snap.Memory
	c.Memory.Facts = maps.Clone(snap.Memory.Facts)
}

// combine is what the survivor becomes when it absorbs x: its empty profile fields filled from x, traits and facts
// united (the survivor's value wins a clash), x's stage when the survivor has none, and both summaries, the
// survivor's first, when they fit in MaxSummary together (else the survivor's alone). It is a function of the two
// snapshots alone, so that Unmerge can tell what the merge brought.
func combine(survivor, x customerSnapshot) customerSnapshot {
	out := survivor
	c := journeystate.Customer{Profile: survivor.Profile}
	fillProfile(&c, x.Profile)
	out.Profile = c.Profile
	out.Traits = union(survivor.Traits, x.Traits)
	out.Memory.Facts = union(survivor.Memory.Facts, x.Memory.Facts)
	if out.Stage == "" {
		out.Stage = x.Stage
	}
	switch both := survivor.Memory.Summary + "\n\n" + x.Memory.Summary; {
	case x.Memory.Summary == "":
	case survivor.Memory.Summary == "":
		out.Memory.Summary, out.Memory.SummaryUpdatedAt = x.Memory.Summary, x.Memory.SummaryUpdatedAt
	case len(both) <= MaxSummary:
		out.Memory.Summary = both
		if x.Memory.SummaryUpdatedAt.After(out.Memory.SummaryUpdatedAt) {
			out.Memory.SummaryUpdatedAt = x.Memory.SummaryUpdatedAt
		}
	}
	return out
}

// union returns a's entries and those of b's keys a lacks.
func union(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return maps.Clone(a)
	}
	out := maps.Clone(b)
	maps.Copy(out, a)
	return out
}

// merge merges the live customers a and b: the older one (by creation, then id) survives and takes the other's
// identities, conversations, messages and events; the other is marked merged into it. It writes the merges row and
// records a "customers_merged" event on the survivor. The caller has checked mergeObstacle.
func (s *Store) merge(ctx context.Context, tx *sql.Tx, a, b string, claim journeystate.IdentityClaim, evidence string) (journeystate.Merge, error) {
	sv, err := customerByID(ctx, tx, a)
	if err != nil {
		return journeystate.Merge{}, err
	}
	x, err := customerByID(ctx, tx, b)
	if err != nil {
		return journeystate.Merge{}, err
	}
	if x.CreatedAt.Before(sv.CreatedAt) || (x.CreatedAt.Equal(sv.CreatedAt) && x.ID < sv.ID) {
		sv, x = x, sv
	}
	man := mergeManifest{Survivor: snapshotOf(sv), Absorbed: snapshotOf(x)}
	ids, err := identitiesOf(ctx, tx, x.ID)
	if err != nil {
		return journeystate.Merge{}, err
	}
	for _, id := range ids {
		man.Identities = append(man.Identities, identityKey{Channel: id.Channel, ExternalID: id.ExternalID})
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM conversations WHERE customer_id = ? ORDER BY created_at, id`, x.ID)
	if man.Conversations, err = collect(rows, err, scanOne[string]); err != nil {
		return journeystate.Merge{}, fmt.Errorf("conversations: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT seq FROM events WHERE customer_id = ? AND (conversation_id IS NULL
		OR conversation_id NOT IN (SELECT id FROM conversations WHERE customer_id = ?)) ORDER BY seq`, x.ID, x.ID)
	if man.Events, err = collect(rows, err, scanOne[int64]); err != nil {
		return journeystate.Merge{}, fmt.Errorf("events: %w", err)
	}

	for _, table := range []string{"identities", "conversations", "messages", "events"} {
		_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET customer_id = ? WHERE customer_id = ?`, sv.ID, x.ID)
		if err != nil {
			return journeystate.Merge{}, fmt.Errorf("move %s: %w", table, err)
		}
	}
	now := s.stamp()
	combine(man.Survivor, man.Absorbed).apply(&sv)
	sv.UpdatedAt = now
	if err := saveCustomer(ctx, tx, sv); err != nil {
		return journeystate.Merge{}, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE customers SET merged_into = ?, updated_at = ? WHERE id = ?`,
		sv.ID, formatTime(now), x.ID)
	if err != nil {
		return journeystate.Merge{}, fmt.Errorf("mark customer %s merged: %w", x.ID, err)
	}

	id, err := newID()
	if err != nil {
		return journeystate.Merge{}, err
	}
	m := journeystate.Merge{ID: id, SurvivorID: sv.ID, AbsorbedID: x.ID, Claim: claim, Evidence: evidence,
		Actor: journeystate.ActorSystem, CreatedAt: now}
	manifest, err := json.Marshal(man)
	if err != nil {
		return journeystate.Merge{}, err
	}
	profile, err := json.Marshal(claim.Profile)
	if err != nil {
		return journeystate.Merge{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO merges (id, survivor_id, absorbed_id, claim_channel, claim_external_id,
		claim_level, claim_profile, evidence, actor, manifest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.SurvivorID, m.AbsorbedID, claim.Channel, claim.ExternalID, string(claim.Level), string(profile),
		m.Evidence, string(m.Actor), string(manifest), formatTime(now))
	if err != nil {
		return journeystate.Merge{}, fmt.Errorf("insert merge: %w", err)
	}
	payload, err := json.Marshal(customersMergedPayload{MergeID: m.ID, AbsorbedID: x.ID, Claim: claimOf(claim),
		Evidence: evidence})
	if err != nil {
		return journeystate.Merge{}, err
	}
	_, err = s.insertEvent(ctx, tx, journeystate.Event{
		CustomerID: sv.ID, Type: eventCustomersMerged, Actor: m.Actor, Cause: evidence, Payload: payload, Time: now,
	})
	return m, err
}

// Merges returns the merges the customer took part in, as survivor or absorbed, newest first; see
// journeystate.Store. ErrNotFound when the customer does not exist.
func (s *Store) Merges(ctx context.Context, customerID string) ([]journeystate.Merge, error) {
	var out []journeystate.Merge
	err := s.inRead(ctx, func(tx *sql.Tx) error {
		if err := customerExists(ctx, tx, customerID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+mergeColumns+` FROM merges WHERE survivor_id = ?
			UNION ALL SELECT `+mergeColumns+` FROM merges WHERE absorbed_id = ?
			ORDER BY created_at DESC, id DESC`, customerID, customerID)
		out, err = collect(rows, err, scanMerge)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("merges of customer %s: %w", customerID, err)
	}
	return out, nil
}

// Unmerge undoes a merge; see journeystate.Store. The absorbed customer gets back its profile, traits, stage and
// memory as they were before the merge, and exactly what the merge moved (see mergeManifest). The survivor loses
// what the merge brought it and that has not changed since: a profile field, trait, fact, stage or summary still
// holding the value the merge gave it goes back to its value before the merge; anything changed since the merge
// stays. actor must be a known actor; cause has at most 1000 bytes.
func (s *Store) Unmerge(ctx context.Context, mergeID string, actor journeystate.Actor, cause string) (journeystate.Customer, journeystate.Customer, error) {
	err := validActor(actor)
	if err == nil && len(cause) > maxCause {
		err = fmt.Errorf("a cause has at most %d bytes, got %d", maxCause, len(cause))
	}
	if err != nil {
		return journeystate.Customer{}, journeystate.Customer{}, fmt.Errorf("unmerge %s: %w", mergeID, err)
	}
	var sv, x journeystate.Customer
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		m, err := scanMerge(tx.QueryRowContext(ctx, `SELECT `+mergeColumns+` FROM merges WHERE id = ?`, mergeID))
		if err != nil {
			return err
		}
		if !m.UndoneAt.IsZero() {
			return fmt.Errorf("undone already at %s: %w", formatTime(m.UndoneAt), journeystate.ErrConflict)
		}
		if sv, err = customerByID(ctx, tx, m.SurvivorID); err != nil {
			return err
		}
		if sv.MergedInto != "" {
			return fmt.Errorf("survivor %s was merged into %s since; undo that first: %w", sv.ID, sv.MergedInto,
				journeystate.ErrConflict)
		}
		if x, err = customerByID(ctx, tx, m.AbsorbedID); err != nil {
			return err
		}
		if x.MergedInto != sv.ID {
			return fmt.Errorf("customer %s is not merged into %s: %w", x.ID, sv.ID, journeystate.ErrConflict)
		}
		var raw string
		if err := tx.QueryRowContext(ctx, `SELECT manifest FROM merges WHERE id = ?`, m.ID).Scan(&raw); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		var man mergeManifest
		if err := json.Unmarshal([]byte(raw), &man); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		if err := moveBack(ctx, tx, sv.ID, x.ID, man, m.CreatedAt); err != nil {
			return err
		}

		now := s.stamp()
		man.Absorbed.apply(&x)
		x.MergedInto, x.UpdatedAt = "", now
		if err := saveCustomer(ctx, tx, x); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET merged_into = NULL WHERE id = ?`, x.ID); err != nil {
			return fmt.Errorf("unmark customer %s: %w", x.ID, err)
		}
		takeBack(&sv, man.Survivor, combine(man.Survivor, man.Absorbed))
		sv.UpdatedAt = now
		if err := saveCustomer(ctx, tx, sv); err != nil {
			return err
		}

		_, err = tx.ExecContext(ctx, `UPDATE merges SET undone_at = ?, undone_cause = ? WHERE id = ?`,
			formatTime(now), cause, m.ID)
		if err != nil {
			return fmt.Errorf("mark merge undone: %w", err)
		}
		a, b := min(sv.ID, x.ID), max(sv.ID, x.ID)
		_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO merge_blocks (customer_a, customer_b, merge_id, created_at)
			VALUES (?, ?, ?, ?)`, a, b, m.ID, formatTime(now))
		if err != nil {
			return fmt.Errorf("block merge: %w", err)
		}
		payload, err := json.Marshal(customersUnmergedPayload{MergeID: m.ID, SurvivorID: sv.ID, AbsorbedID: x.ID})
		if err != nil {
			return err
		}
		for _, id := range []string{sv.ID, x.ID} {
			_, err := s.insertEvent(ctx, tx, journeystate.Event{
				CustomerID: id, Type: eventCustomersUnmerged, Actor: actor, Cause: cause, Payload: payload, Time: now,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return journeystate.Customer{}, journeystate.Customer{}, fmt.Errorf("unmerge %s: %w", mergeID, err)
	}
	return sv, x, nil
}

// moveBack moves what the manifest lists from the survivor back to the absorbed customer x, and the conversations
// opened since the merge (at mergedAt) on a thread that is one of those identities (a web visitor's chat, an SMS
// number's), which were the absorbed person's, with their messages and events.
func moveBack(ctx context.Context, tx *sql.Tx, survivor, x string, man mergeManifest, mergedAt time.Time) error {
	ids, err := json.Marshal(man.Identities)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM conversations WHERE customer_id = ? AND created_at >= ?
		AND (channel, thread_id) IN (SELECT value ->> 'channel', value ->> 'external_id' FROM json_each(?))`,
		survivor, formatTime(mergedAt), string(ids))
	later, err := collect(rows, err, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("conversations opened since the merge: %w", err)
	}
	man.Conversations = append(slices.Clone(man.Conversations), later...)
	convs, err := json.Marshal(man.Conversations)
	if err != nil {
		return err
	}
	seqs, err := json.Marshal(man.Events)
	if err != nil {
		return err
	}
	steps := []struct {
		what, query string
		args        []any
	}{
		{"identities", `UPDATE identities SET customer_id = ? WHERE customer_id = ? AND (channel, external_id) IN
			(SELECT value ->> 'channel', value ->> 'external_id' FROM json_each(?))`, []any{x, survivor, string(ids)}},
		{"conversations", `UPDATE conversations SET customer_id = ? WHERE customer_id = ? AND id IN
			(SELECT value FROM json_each(?))`, []any{x, survivor, string(convs)}},
		{"messages", `UPDATE messages SET customer_id = ? WHERE customer_id = ? AND conversation_id IN
			(SELECT value FROM json_each(?))`, []any{x, survivor, string(convs)}},
		{"events", `UPDATE events SET customer_id = ? WHERE customer_id = ? AND (conversation_id IN
			(SELECT value FROM json_each(?)) OR seq IN (SELECT value FROM json_each(?)))`,
			[]any{x, survivor, string(convs), string(seqs)}},
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
			return fmt.Errorf("move %s back: %w", st.what, err)
		}
	}
	return nil
}

// takeBack undoes on the survivor c what the merge brought it and that has not changed since: merged is what the
// merge made of before (see combine).
func takeBack(c *journeystate.Customer, before, merged customerSnapshot) {
	restore := func(cur *string, merged, before string) {
		if *cur == merged && merged != before {
			*cur = before
		}
	}
	restore(&c.Profile.Name, merged.Profile.Name, before.Profile.Name)
	restore(&c.Profile.Email, merged.Profile.Email, before.Profile.Email)
	restore(&c.Profile.Phone, merged.Profile.Phone, before.Profile.Phone)
	restore(&c.Stage, merged.Stage, before.Stage)
	if c.Memory.Summary == merged.Memory.Summary && merged.Memory.Summary != before.Memory.Summary {
		c.Memory.Summary, c.Memory.SummaryUpdatedAt = before.Memory.Summary, before.Memory.SummaryUpdatedAt
	}
	c.Traits = dropBrought(c.Traits, before.Traits, merged.Traits)
	c.Memory.Facts = dropBrought(c.Memory.Facts, before.Memory.Facts, merged.Memory.Facts)
}

// dropBrought removes from cur the entries merged added to before and that still hold merged's value.
func dropBrought(cur, before, merged map[string]string) map[string]string {
	cur = maps.Clone(cur)
	for k, v := range merged {
		if _, had := before[k]; !had && cur[k] == v {
			delete(cur, k)
		}
	}
	if len(cur) == 0 {
		return nil
	}
	return cur
}

const mergeColumns = `id, survivor_id, absorbed_id, claim_channel, claim_external_id, claim_level, claim_profile, ` +
	`evidence, actor, created_at, undone_at, undone_cause`

func scanMerge(row scanner) (journeystate.Merge, error) {
	var m journeystate.Merge
	var level, profile, actor, created string
	var undone sql.NullString
	err := row.Scan(&m.ID, &m.SurvivorID, &m.AbsorbedID, &m.Claim.Channel, &m.Claim.ExternalID, &level, &profile,
		&m.Evidence, &actor, &created, &undone, &m.UndoneCause)
	if err != nil {
		return journeystate.Merge{}, notFound(err)
	}
	m.Claim.Level, m.Actor = journeystate.Level(level), journeystate.Actor(actor)
	if err := json.Unmarshal([]byte(profile), &m.Claim.Profile); err != nil {
		return journeystate.Merge{}, fmt.Errorf("merge %s claim profile: %w", m.ID, err)
	}
	if m.CreatedAt, err = parseTime(created); err != nil {
		return journeystate.Merge{}, err
	}
	if undone.Valid {
		if m.UndoneAt, err = parseTime(undone.String); err != nil {
			return journeystate.Merge{}, err
		}
	}
	return m, nil
}

// scanOne scans a row of one column.
func scanOne[T any](row scanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}
