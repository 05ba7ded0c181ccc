package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/journeybot/journeybot/journeystate"
)

// verified is a verified claim of (kind, id).
func verified(kind, id string) journeystate.IdentityClaim {
	return journeystate.IdentityClaim{Channel: kind, ExternalID: id, Level: journeystate.LevelVerified}
}

// identify calls Identify, failing the test on an error.
func identify(t *testing.T, s journeystate.Store, customerID string, claims ...journeystate.IdentityClaim) journeystate.IdentifyResult {
	t.Helper()
	res, err := s.Identify(t.Context(), customerID, claims, "test evidence")
	if err != nil {
		t.Fatalf("Identify(%s, %+v) = %v", customerID, claims, err)
	}
	return res
}

// identities returns the customer's identities, failing the test on an error.
func identities(t *testing.T, s journeystate.Store, customerID string) []journeystate.Identity {
	t.Helper()
	ids, err := s.Identities(t.Context(), customerID)
	if err != nil {
		t.Fatalf("Identities(%s) = %v", customerID, err)
	}
	return ids
}

// ignoreCreatedAt compares identities without the time they were made.
var ignoreCreatedAt = cmpopts.IgnoreFields(journeystate.Identity{}, "CreatedAt")

func testIdentifyVerified(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_identify")

	res := identify(t, s, c.ID, verified(journeystate.IdentityUser, "u1"), verified(journeystate.IdentityEmail, " Ada@Example.COM "))
	wantAdded := []journeystate.Identity{
		{Channel: journeystate.IdentityUser, ExternalID: "u1", CustomerID: c.ID, Level: journeystate.LevelVerified},
		{Channel: journeystate.IdentityEmail, ExternalID: "ada@example.com", CustomerID: c.ID, Level: journeystate.LevelVerified},
	}
	if diff := cmp.Diff(wantAdded, res.Added, cmpOpts, ignoreCreatedAt); diff != "" {
		t.Errorf("Identify().Added mismatch (-want +got):\n%s", diff)
	}
	if len(res.Merges) != 0 || len(res.Refused) != 0 {
		t.Errorf("Identify() = %d merges, %d refusals; want none", len(res.Merges), len(res.Refused))
	}
	if res.Customer.ID != c.ID || res.Customer.Profile.Email != "ada@example.com" {
		t.Errorf("Identify().Customer = %s with email %q, want %s with the claimed email", res.Customer.ID,
			res.Customer.Profile.Email, c.ID)
	}
	want := append([]journeystate.Identity{{Channel: journeystate.ChannelWeb, ExternalID: "v_identify", CustomerID: c.ID,
		Level: journeystate.LevelAnonymous}}, wantAdded...)
	if diff := cmp.Diff(want, identities(t, s, c.ID), cmpOpts, ignoreCreatedAt); diff != "" {
		t.Errorf("Identities() mismatch (-want +got):\n%s", diff)
	}

	// The same claims again change nothing.
	again := identify(t, s, c.ID, verified(journeystate.IdentityUser, "u1"), verified(journeystate.IdentityEmail, "ada@example.com"))
	if len(again.Added) != 0 || len(again.Merges) != 0 || len(again.Refused) != 0 {
		t.Errorf("Identify(same claims) = %+v, want nothing added, merged or refused", again)
	}

	// An identity held below verified is raised.
	d, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSlack, ExternalID: "U1",
		Level: journeystate.LevelClaimed})
	if err != nil {
		t.Fatal(err)
	}
	res = identify(t, s, d.ID, verified(journeystate.ChannelSlack, "U1"))
	if len(res.Added) != 1 || res.Added[0].Level != journeystate.LevelVerified || !res.Added[0].CreatedAt.Equal(d.CreatedAt) {
		t.Errorf("Identify(raise).Added = %+v, want the slack identity raised to verified, made when the customer was", res.Added)
	}
	if id, err := s.FindIdentity(ctx, journeystate.ChannelSlack, "U1"); err != nil || id.Level != journeystate.LevelVerified {
		t.Errorf("FindIdentity(raised) = %+v, %v; want level verified", id, err)
	}

	if _, err := s.Identities(ctx, "no-such-customer"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Identities(unknown customer) = %v, want ErrNotFound", err)
	}
}

func testIdentifyClaims(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	holder := newCustomer(t, s, "v_claims_holder")
	identify(t, s, holder.ID, verified(journeystate.IdentityEmail, "ada@example.com"))
	c := newCustomer(t, s, "v_claims")

	// A claim below verified of an address another customer holds verified: no merge, no identity, the profile filled.
	claim := journeystate.IdentityClaim{Channel: journeystate.IdentityEmail, ExternalID: "ada@example.com",
		Level: journeystate.LevelClaimed, Profile: journeystate.Profile{Name: "Ada"}}
	res := identify(t, s, c.ID, claim)
	if len(res.Added) != 0 || len(res.Merges) != 0 || len(res.Refused) != 0 {
		t.Errorf("Identify(claimed) = %+v, want nothing added, merged or refused", res)
	}
	if want := (journeystate.Profile{Name: "Ada", Email: "ada@example.com"}); res.Customer.Profile != want {
		t.Errorf("Identify(claimed) profile = %+v, want %+v", res.Customer.Profile, want)
	}
	if id, err := s.FindIdentity(ctx, journeystate.IdentityEmail, "ada@example.com"); err != nil || id.CustomerID != holder.ID {
		t.Errorf("FindIdentity(claimed address) = %+v, %v; want it still the holder's", id, err)
	}
	if n := len(identities(t, s, c.ID)); n != 1 {
		t.Errorf("customer holds %d identities after a claim, want 1 (its web visitor id)", n)
	}
	claimed := ofType(events(t, s, journeystate.EventQuery{CustomerID: c.ID}), "identity_claimed")
	if len(claimed) != 1 {
		t.Fatalf("identity_claimed events = %d, want 1", len(claimed))
	}

	// A claim never overwrites a profile field.
	res = identify(t, s, c.ID, journeystate.IdentityClaim{Channel: journeystate.IdentityUser, ExternalID: "u9",
		Level: journeystate.LevelClaimed, Profile: journeystate.Profile{Name: "Mallory", Phone: "+14155550100"}})
	if want := (journeystate.Profile{Name: "Ada", Email: "ada@example.com", Phone: "+14155550100"}); res.Customer.Profile != want {
		t.Errorf("second claim profile = %+v, want %+v", res.Customer.Profile, want)
	}

	bad := []struct {
		name     string
		customer string
		claims   []journeystate.IdentityClaim
		notFound bool
	}{
		{"unknown customer", "no-such-customer", []journeystate.IdentityClaim{verified(journeystate.IdentityUser, "x")}, true},
		{"no channel", c.ID, []journeystate.IdentityClaim{verified("", "x")}, false},
		{"no external id", c.ID, []journeystate.IdentityClaim{verified(journeystate.IdentityUser, "")}, false},
		{"unknown level", c.ID, []journeystate.IdentityClaim{{Channel: journeystate.IdentityUser, ExternalID: "x", Level: "trusted"}}, false},
		{"not an email", c.ID, []journeystate.IdentityClaim{verified(journeystate.IdentityEmail, "not-an-address")}, false},
		{"not a number", c.ID, []journeystate.IdentityClaim{verified(journeystate.IdentityPhone, "call me")}, false},
		{"huge id", c.ID, []journeystate.IdentityClaim{verified(journeystate.IdentityUser, strings.Repeat("x", 10_000))}, false},
		{"one bad among good", c.ID, []journeystate.IdentityClaim{verified(journeystate.IdentityUser, "fine"), verified("", "x")}, false},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			before := identities(t, s, c.ID)
			_, err := s.Identify(ctx, tt.customer, tt.claims, "test")
			if err == nil || (tt.notFound && !errors.Is(err, journeystate.ErrNotFound)) {
				t.Fatalf("Identify(%+v) = %v, want an error (ErrNotFound: %v)", tt.claims, err, tt.notFound)
			}
			if diff := cmp.Diff(before, identities(t, s, c.ID), cmpOpts); diff != "" {
				t.Errorf("a refused Identify changed identities (-before +after):\n%s", diff)
			}
		})
	}
}

func testIdentifyNeverMerge(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	x := newCustomer(t, s, "v_never_x")
	identify(t, s, x.ID, verified(journeystate.IdentityUser, "u1"), verified(journeystate.IdentityEmail, "shared@example.com"))
	y := newCustomer(t, s, "v_never_y")
	identify(t, s, y.ID, verified(journeystate.IdentityUser, "u2"))
	z := newCustomer(t, s, "v_never_z")
	w := newCustomer(t, s, "v_never_w")
	xIDs, yIDs := identities(t, s, x.ID), identities(t, s, y.ID)

	tests := []struct {
		name   string
		who    journeystate.Customer
		claims []journeystate.IdentityClaim
		reason string // a part of the refusal's reason
	}{
		{"two verified user ids", y, []journeystate.IdentityClaim{verified(journeystate.IdentityEmail, "shared@example.com")}, "user"},
		// z holds no user id yet, but takes on u3 in the same call: the merge would leave one customer with two.
		{"a user id claimed later in the call", z, []journeystate.IdentityClaim{
			verified(journeystate.IdentityEmail, "shared@example.com"), verified(journeystate.IdentityUser, "u3")}, "user"},
		// A web visitor id x holds anonymously proves nothing about x.
		{"held without verification", w, []journeystate.IdentityClaim{verified(journeystate.ChannelWeb, "v_never_x")}, "without verification"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := identify(t, s, tt.who.ID, tt.claims...)
			if len(res.Merges) != 0 {
				t.Fatalf("Identify() merged: %+v", res.Merges)
			}
			if len(res.Refused) != 1 || res.Refused[0].OtherCustomerID != x.ID || !strings.Contains(res.Refused[0].Reason, tt.reason) {
				t.Fatalf("Identify().Refused = %+v, want one refusal naming %s and %q", res.Refused, x.ID, tt.reason)
			}
			if diff := cmp.Diff(tt.claims[0], res.Refused[0].Claim, cmpOpts); diff != "" {
				t.Errorf("refused claim mismatch (-want +got):\n%s", diff)
			}
			if res.Customer.ID != tt.who.ID || res.Customer.MergedInto != "" {
				t.Errorf("Identify().Customer = %s merged into %q, want %s on its own", res.Customer.ID, res.Customer.MergedInto, tt.who.ID)
			}
			refused := ofType(events(t, s, journeystate.EventQuery{CustomerID: tt.who.ID}), "merge_refused")
			if len(refused) != 1 {
				t.Errorf("merge_refused events = %d, want 1", len(refused))
			}
			if diff := cmp.Diff(xIDs, identities(t, s, x.ID), cmpOpts); diff != "" {
				t.Errorf("the other customer's identities changed (-before +after):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(yIDs, identities(t, s, y.ID), cmpOpts); diff != "" {
		t.Errorf("refused customer's identities changed (-before +after):\n%s", diff)
	}
	for _, c := range []journeystate.Customer{x, y, z, w} {
		if m, err := s.Merges(ctx, c.ID); err != nil || len(m) != 0 {
			t.Errorf("Merges(%s) = %d, %v; want none", c.ID, len(m), err)
		}
	}
}
