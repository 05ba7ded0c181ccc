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

// testUnmergeTakesBackLaterConversations: after a merge, the absorbed person chats again on their own thread (the
// web visitor's); undoing the merge gives them that conversation back too, with its messages and events.
func testUnmergeTakesBackLaterConversations(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	older := newCustomer(t, s, "v_older")
	identify(t, s, older.ID, verified(journeystate.IdentityEmail, "same@example.com"))
	visitor := newCustomer(t, s, "v_later")
	res := identify(t, s, visitor.ID, verified(journeystate.IdentityEmail, "same@example.com"))
	if len(res.Merges) != 1 {
		t.Fatalf("no merge: %+v", res)
	}
	// After the merge the visitor's thread belongs to the survivor: a new conversation opens there.
	conv, opened, err := s.OpenConversation(ctx, res.Customer.ID, journeystate.ChannelWeb, "v_later")
	if err != nil || !opened {
		t.Fatalf("OpenConversation = %v, %v; want a new one", opened, err)
	}
	msg, _, err := s.AppendMessage(ctx, customerMessage(conv, "c-later", "written after the merge"))
	if err != nil {
		t.Fatal(err)
	}
	// And one on the survivor's own thread, which stays with it.
	own, _, err := s.OpenConversation(ctx, res.Customer.ID, journeystate.ChannelWeb, "v_older")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Unmerge(ctx, res.Merges[0].ID, journeystate.ActorAgent, "two people"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Conversation(ctx, conv.ID)
	if err != nil || got.CustomerID != visitor.ID {
		t.Errorf("the conversation opened after the merge on the visitor's thread belongs to %q (%v), want %s",
			got.CustomerID, err, visitor.ID)
	}
	if m, err := s.MessageByClientID(ctx, visitor.ID, "c-later"); err != nil || m.ID != msg.ID {
		t.Errorf("its message is not the restored customer's: %v", err)
	}
	if evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), "message"); len(evs) != 1 || evs[0].CustomerID != visitor.ID {
		t.Errorf("its message event: %+v, want one of the restored customer", evs)
	}
	if got, err := s.Conversation(ctx, own.ID); err != nil || got.CustomerID != older.ID {
		t.Errorf("the survivor's own conversation moved to %q (%v)", got.CustomerID, err)
	}
}
