package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/journeybot/journeybot/journeystate"
)

// Event types Identify records, besides "customer_updated" (a verified claim filling profile fields) and
// "customers_merged" (merge.go). Identify's events are the system's, with the evidence as their cause.
const (
	eventIdentityClaimed = "identity_claimed" // payload identityClaimedPayload
	eventMergeRefused    = "merge_refused"    // payload mergeRefusedPayload
)

// Bounds on one Identify call.
const (
	maxClaims     = 20
	maxExternalID = 500  // bytes of a claim's external id
	maxEvidence   = 1000 // bytes of the evidence
	// maxMergeChain bounds how many MergedInto links Identify follows to the live customer; merges only ever
	// point to a live customer, so a longer chain means a damaged database.
	maxMergeChain = 64
)

// reasonUnverifiedHolder is why a verified claim of an identity another customer holds below verified (a web visitor
// id, a claimed address) merges nothing: the other customer was never proven to be that person, so the identity
// tells nothing about whether the two are one. Taking the identity away from them instead would let anyone who can
// verify a key take over a stranger's conversations, so nothing moves.
const reasonUnverifiedHolder = "held by another customer without verification"

// reasonSecondExclusiveID refuses a verified claim of a kind of which the customer holds another verified id already
// (a second user id): one customer with two would be two people joined. The caller decides what to do instead (the
// engine moves a web visitor who signs in as someone else to a customer of their own).
const reasonSecondExclusiveID = "the customer holds another verified id of this kind"

// claimPayload is a claim as the events and the merge rows record it.
type claimPayload struct {
	Channel    string             `json:"channel"`
	ExternalID string             `json:"external_id"`
	Level      journeystate.Level `json:"level"`
}

func claimOf(c journeystate.IdentityClaim) claimPayload {
	return claimPayload{Channel: c.Channel, ExternalID: c.ExternalID, Level: c.Level}
}

// identityClaimedPayload is the payload of an "identity_claimed" event: the claim and the profile fields it filled.
type identityClaimedPayload struct {
	Claim  claimPayload         `json:"claim"`
	Filled journeystate.Profile `json:"filled,omitzero"`
}

// mergeRefusedPayload is the payload of a "merge_refused" event.
type mergeRefusedPayload struct {
	Claim           claimPayload `json:"claim"`
	OtherCustomerID string       `json:"other_customer_id"`
	Reason          string       `json:"reason"`
}

// Identify attaches the claims to the customer (or to the customer it was merged into), merging customers that
// turn out to hold the same verified identity; see journeystate.Store. Claims are taken in order, each seeing what
// the ones before it did. An email claim's external id is normalised with journeystate.NormalizeEmail and a phone
// claim's must be in E.164 (journeystate.NormalizePhone with no default region); an empty level counts as anonymous;
// at most 20 claims, external ids of at most 500 bytes. A claim of an email or phone fills the profile's email or
// phone as well as the claim's own profile hints.
//
// Before merging two customers it checks journeystate.MergeConflict with the current customer holding, besides its
// identities, every verified claim of the call (so that a later claim cannot make a merge the rule forbids), and it
// refuses the merge of two customers (or of any customers merged into them) whose earlier merge was undone, and of
// two customers with messages of the same client id (the survivor could not hold both). A verified claim of an
// identity another customer holds below verified is refused too (see reasonUnverifiedHolder).
func (s *Store) Identify(ctx context.Context, customerID string, claims []journeystate.IdentityClaim, evidence string) (journeystate.IdentifyResult, error) {
	claims, err := normalizeClaims(claims)
	if err == nil && len(evidence) > maxEvidence {
		err = fmt.Errorf("evidence has at most %d bytes, got %d", maxEvidence, len(evidence))
	}
	if err != nil {
		return journeystate.IdentifyResult{}, fmt.Errorf("identify customer %s: %w", customerID, err)
	}
	var res journeystate.IdentifyResult
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		res = journeystate.IdentifyResult{} // fn may run again (see inWrite)
		c, err := liveCustomer(ctx, tx, customerID)
		if err != nil {
			return err
		}
		cur := c.ID
		for i, claim := range claims {
			if claim.Level != journeystate.LevelVerified {
				err = s.claimBelowVerified(ctx, tx, cur, claim, evidence)
			} else {
				cur, err = s.identifyVerified(ctx, tx, cur, claim, claims[i+1:], evidence, &res)
			}
			if err != nil {
				return fmt.Errorf("claim %s/%s: %w", claim.Channel, claim.ExternalID, err)
			}
		}
		res.Customer, err = customerByID(ctx, tx, cur)
		return err
	})
	if err != nil {
		return journeystate.IdentifyResult{}, fmt.Errorf("identify customer %s: %w", customerID, err)
	}
	return res, nil
}

// identifyVerified attaches one verified claim to the live customer cur and returns the live customer afterwards:
// cur, or the survivor of the merge the claim caused. later are the call's claims still to come.
func (s *Store) identifyVerified(ctx context.Context, tx *sql.Tx, cur string, claim journeystate.IdentityClaim, later []journeystate.IdentityClaim, evidence string, res *journeystate.IdentifyResult) (string, error) {
	held, err := scanIdentity(tx.QueryRowContext(ctx, `SELECT `+identityColumns+` FROM identities
		WHERE channel = ? AND external_id = ?`, claim.Channel, claim.ExternalID))
	if err == nil && held.CustomerID == cur && held.Level == journeystate.LevelVerified {
		return cur, nil
	}
	if err == nil && held.CustomerID != cur && held.Level == journeystate.LevelVerified {
		// Another customer's verified identity: a merge, decided below.
	} else if err == nil || errors.Is(err, journeystate.ErrNotFound) {
		// The claim would become cur's own verified identity: not when cur holds a different verified id of the
		// same kind already (two user ids on one customer would join two people, as a merge would).
		mine, ierr := identitiesOf(ctx, tx, cur)
		if ierr != nil {
			return "", ierr
		}
		candidate := []journeystate.Identity{{Channel: claim.Channel, ExternalID: claim.ExternalID, CustomerID: cur,
			Level: journeystate.LevelVerified}}
		if reason := journeystate.MergeConflict(mine, candidate); reason != "" {
			return cur, s.refuseMerge(ctx, tx, cur, claim, "", reasonSecondExclusiveID, evidence, res)
		}
	}
	switch {
	case errors.Is(err, journeystate.ErrNotFound):
		id := journeystate.Identity{Channel: claim.Channel, ExternalID: claim.ExternalID, CustomerID: cur,
			Level: journeystate.LevelVerified, CreatedAt: s.stamp()}
		_, err = tx.ExecContext(ctx, `INSERT INTO identities (channel, external_id, customer_id, level, created_at)
			VALUES (?, ?, ?, ?, ?)`, id.Channel, id.ExternalID, id.CustomerID, string(id.Level), formatTime(id.CreatedAt))
		if err != nil {
			return "", fmt.Errorf("insert identity: %w", err)
		}
		res.Added = append(res.Added, id)
	case err != nil:
		return "", err
	case held.CustomerID == cur:
		if held.Level == journeystate.LevelVerified {
			break
		}
		held.Level = journeystate.LevelVerified
		_, err = tx.ExecContext(ctx, `UPDATE identities SET level = ? WHERE channel = ? AND external_id = ?`,
			string(held.Level), held.Channel, held.ExternalID)
		if err != nil {
			return "", fmt.Errorf("raise identity: %w", err)
		}
		res.Added = append(res.Added, held)
	case held.Level != journeystate.LevelVerified:
		return cur, s.refuseMerge(ctx, tx, cur, claim, held.CustomerID, reasonUnverifiedHolder, evidence, res)
	default:
		reason, err := mergeObstacle(ctx, tx, cur, held.CustomerID, later)
		if err != nil {
			return "", err
		}
		if reason != "" {
			return cur, s.refuseMerge(ctx, tx, cur, claim, held.CustomerID, reason, evidence, res)
		}
		m, err := s.merge(ctx, tx, cur, held.CustomerID, claim, evidence)
		if err != nil {
			return "", err
		}
		res.Merges = append(res.Merges, m)
		cur = m.SurvivorID
	}

	// The claim is the customer's now: its profile hints fill the empty fields.
	c, err := customerByID(ctx, tx, cur)
	if err != nil {
		return "", err
	}
	if filled := fillProfile(&c, claimProfile(claim)); filled != (journeystate.Profile{}) {
		c.UpdatedAt = s.stamp()
		if err := saveCustomer(ctx, tx, c); err != nil {
			return "", err
		}
		err := s.recordChange(ctx, tx, c.ID, customerChange{Profile: filled}, journeystate.ActorSystem, evidence, "", "",
			c.UpdatedAt)
		if err != nil {
			return "", err
		}
	}
	return cur, nil
}

// claimBelowVerified fills the customer's empty profile fields from a claim below verified and records it as an
// "identity_claimed" event; it never touches identities.
func (s *Store) claimBelowVerified(ctx context.Context, tx *sql.Tx, cur string, claim journeystate.IdentityClaim, evidence string) error {
	c, err := customerByID(ctx, tx, cur)
	if err != nil {
		return err
	}
	now := s.stamp()
	filled := fillProfile(&c, claimProfile(claim))
	if filled != (journeystate.Profile{}) {
		c.UpdatedAt = now
		if err := saveCustomer(ctx, tx, c); err != nil {
			return err
		}
	}
	payload, err := json.Marshal(identityClaimedPayload{Claim: claimOf(claim), Filled: filled})
	if err != nil {
		return err
	}
	_, err = s.insertEvent(ctx, tx, journeystate.Event{
		CustomerID: c.ID, Type: eventIdentityClaimed, Actor: journeystate.ActorSystem, Cause: evidence,
		Payload: payload, Time: now,
	})
	return err
}

// refuseMerge adds the refusal to res and records it as a "merge_refused" event on the customer cur.
func (s *Store) refuseMerge(ctx context.Context, tx *sql.Tx, cur string, claim journeystate.IdentityClaim, other, reason, evidence string, res *journeystate.IdentifyResult) error {
	res.Refused = append(res.Refused, journeystate.MergeRefusal{Claim: claim, OtherCustomerID: other, Reason: reason})
	payload, err := json.Marshal(mergeRefusedPayload{Claim: claimOf(claim), OtherCustomerID: other, Reason: reason})
	if err != nil {
		return err
	}
	_, err = s.insertEvent(ctx, tx, journeystate.Event{
		CustomerID: cur, Type: eventMergeRefused, Actor: journeystate.ActorSystem, Cause: evidence, Payload: payload,
	})
	return err
}

// mergeObstacle returns why the live customers a and b must not be merged, or "" when they may be. later are the
// verified claims a is about to take on in the same call: they count as a's for the never-merge rule.
func mergeObstacle(ctx context.Context, tx *sql.Tx, a, b string, later []journeystate.IdentityClaim) (string, error) {
	as, err := identitiesOf(ctx, tx, a)
	if err != nil {
		return "", err
	}
	for _, c := range later {
		if c.Level == journeystate.LevelVerified {
			as = append(as, journeystate.Identity{Channel: c.Channel, ExternalID: c.ExternalID, CustomerID: a,
				Level: c.Level})
		}
	}
	bs, err := identitiesOf(ctx, tx, b)
	if err != nil {
		return "", err
	}
	if reason := journeystate.MergeConflict(as, bs); reason != "" {
		return reason, nil
	}

	// An undone merge blocks the two customers for good, and so the customers merged into them since.
	var blocked bool
	err = tx.QueryRowContext(ctx, `WITH RECURSIVE
			pa(id) AS (SELECT ? UNION SELECT c.id FROM customers c JOIN pa ON c.merged_into = pa.id),
			pb(id) AS (SELECT ? UNION SELECT c.id FROM customers c JOIN pb ON c.merged_into = pb.id)
		SELECT EXISTS (SELECT 1 FROM merge_blocks
			WHERE (customer_a IN (SELECT id FROM pa) AND customer_b IN (SELECT id FROM pb))
				OR (customer_a IN (SELECT id FROM pb) AND customer_b IN (SELECT id FROM pa)))`, a, b).Scan(&blocked)
	if err != nil {
		return "", fmt.Errorf("merge blocks: %w", err)
	}
	if blocked {
		return "an earlier merge of these customers was undone", nil
	}

	// Client ids are unique per customer (a resent message is stored once): the survivor cannot hold two messages
	// with one client id, and dropping either would lose a message.
	var clientID string
	err = tx.QueryRowContext(ctx, `SELECT x.client_id FROM messages x
		JOIN messages y ON y.customer_id = ? AND y.client_id = x.client_id AND y.client_id <> ''
		WHERE x.customer_id = ? AND x.client_id <> '' LIMIT 1`, b, a).Scan(&clientID)
	switch {
	case err == nil:
		return fmt.Sprintf("both customers have a message with client id %q", clientID), nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("client ids: %w", err)
	}
	return "", nil
}

// liveCustomer returns the customer id names, or the one it was merged into, following the chain of merges.
func liveCustomer(ctx context.Context, q querier, id string) (journeystate.Customer, error) {
	for range maxMergeChain {
		c, err := customerByID(ctx, q, id)
		if err != nil || c.MergedInto == "" {
			return c, err
		}
		id = c.MergedInto
	}
	return journeystate.Customer{}, fmt.Errorf("customer %s: more than %d merges in a chain", id, maxMergeChain)
}

// normalizeClaims checks the claims and returns them with their level defaulted and email and phone ids normalised.
func normalizeClaims(claims []journeystate.IdentityClaim) ([]journeystate.IdentityClaim, error) {
	if len(claims) > maxClaims {
		return nil, fmt.Errorf("%d claims, at most %d", len(claims), maxClaims)
	}
	out := make([]journeystate.IdentityClaim, len(claims))
	for i, c := range claims {
		if c.Channel == "" || c.ExternalID == "" {
			return nil, fmt.Errorf("claim %d: channel and external id are required", i)
		}
		if len(c.Channel) > maxKey || len(c.ExternalID) > maxExternalID {
			return nil, fmt.Errorf("claim %d: a channel has at most %d bytes and an external id %d", i, maxKey,
				maxExternalID)
		}
		switch c.Level {
		case "":
			c.Level = journeystate.LevelAnonymous
		case journeystate.LevelAnonymous, journeystate.LevelClaimed, journeystate.LevelVerified:
		default:
			return nil, fmt.Errorf("claim %d: unknown identity level %q", i, c.Level)
		}
		var err error
		switch c.Channel {
		case journeystate.IdentityEmail:
			c.ExternalID, err = journeystate.NormalizeEmail(c.ExternalID)
		case journeystate.IdentityPhone:
			c.ExternalID, err = journeystate.NormalizePhone(c.ExternalID, "")
		}
		if err == nil {
			err = validProfile(c.Profile)
		}
		if err != nil {
			return nil, fmt.Errorf("claim %d: %w", i, err)
		}
		out[i] = c
	}
	return out, nil
}

// claimProfile is the profile a claim tells: its hints, and its address or number when it claims one.
func claimProfile(c journeystate.IdentityClaim) journeystate.Profile {
	p := c.Profile
	switch {
	case c.Channel == journeystate.IdentityEmail && p.Email == "":
		p.Email = c.ExternalID
	case c.Channel == journeystate.IdentityPhone && p.Phone == "":
		p.Phone = c.ExternalID
	}
	return p
}
