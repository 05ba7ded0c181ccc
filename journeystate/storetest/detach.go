package storetest

import (
	"errors"
	"testing"

	"github.com/journeybot/journeybot/journeystate"
)

// testIdentifySecondUserID checks that a customer never gains a second verified user id: one customer holding two
// would be two people joined without a merge.
func testIdentifySecondUserID(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	c := newCustomer(t, s, "v_shared")
	identify(t, s, c.ID, verified(journeystate.IdentityUser, "u-x"))
	res := identify(t, s, c.ID, verified(journeystate.IdentityUser, "u-y"))
	if len(res.Refused) != 1 || len(res.Added) != 0 {
		t.Fatalf("a second verified user id: refused %+v, added %+v; want it refused", res.Refused, res.Added)
	}
	if _, err := s.FindIdentity(t.Context(), journeystate.IdentityUser, "u-y"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("the refused user id is held: %v", err)
	}
	// An email besides is fine: a person has several.
	if res := identify(t, s, c.ID, verified(journeystate.IdentityEmail, "x@example.com")); len(res.Added) != 1 {
		t.Errorf("a verified email was not added: %+v", res)
	}
}

func testDetachIdentity(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_shared2")
	identify(t, s, c.ID, verified(journeystate.IdentityUser, "u-x"))
	conv, _, err := s.OpenConversation(ctx, c.ID, journeystate.ChannelWeb, "v_shared2")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := s.DetachIdentity(ctx, journeystate.ChannelWeb, "v_shared2", journeystate.ActorSystem, "another user signed in")
	if err != nil {
		t.Fatal(err)
	}
	if fresh.ID == "" || fresh.ID == c.ID {
		t.Fatalf("DetachIdentity returned customer %q, want a new one", fresh.ID)
	}
	id, err := s.FindIdentity(ctx, journeystate.ChannelWeb, "v_shared2")
	if err != nil || id.CustomerID != fresh.ID {
		t.Errorf("the identity belongs to %q (%v), want the new customer %s", id.CustomerID, err, fresh.ID)
	}
	if got, err := s.Conversation(ctx, conv.ID); err != nil || got.CustomerID != c.ID {
		t.Errorf("the conversation moved to %q (%v); it must stay with %s", got.CustomerID, err, c.ID)
	}
	if ids := identities(t, s, c.ID); len(ids) != 1 || ids[0].Channel != journeystate.IdentityUser {
		t.Errorf("the old customer keeps %+v, want its user id only", ids)
	}
	for _, owner := range []string{c.ID, fresh.ID} {
		evs, err := s.Events(ctx, journeystate.EventQuery{CustomerID: owner})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs {
			found = found || e.Type == "identity_detached"
		}
		if !found {
			t.Errorf("customer %s has no identity_detached event", owner)
		}
	}
	if _, err := s.DetachIdentity(ctx, journeystate.ChannelWeb, "v_nobody", journeystate.ActorSystem, ""); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("DetachIdentity(unknown) = %v, want ErrNotFound", err)
	}
}
