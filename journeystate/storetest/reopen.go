package storetest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

// testReopen writes one of everything, restarts the store, and reads it all back.
func testReopen(t *testing.T, open func(t *testing.T) journeystate.Store, reopen func(t *testing.T, s journeystate.Store) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	claim := journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: "v_reopen", Level: journeystate.LevelClaimed,
		Profile: journeystate.Profile{Name: "Grace", Email: "grace@example.com"}}
	c, err := s.ResolveIdentity(ctx, claim)
	if err != nil {
		t.Fatalf("ResolveIdentity() = %v", err)
	}
	conv := newConversation(t, s, c.ID, "t")
	m, _, err := s.AppendMessage(ctx, customerMessage(conv, "c1", "Is this kept?"))
	if err != nil {
		t.Fatalf("AppendMessage() = %v", err)
	}
	conv, err = s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerAgent, AgentID: "a1", Actor: journeystate.ActorAgent, Cause: "claimed"})
	if err != nil {
		t.Fatalf("SetOwner() = %v", err)
	}
	if _, _, err := s.AppendEvent(ctx, journeystate.Event{CustomerID: c.ID, Type: "order_placed", Actor: journeystate.ActorSystem,
		Key: "k1", Payload: json.RawMessage(`{"order":"A-9"}`)}); err != nil {
		t.Fatalf("AppendEvent() = %v", err)
	}
	indexCorpus(t, s)
	evs := events(t, s, journeystate.EventQuery{CustomerID: c.ID})

	s = reopen(t, s)

	if got, err := s.ResolveIdentity(ctx, claim); err != nil || got.ID != c.ID {
		t.Errorf("ResolveIdentity() after reopen = %s, %v; want %s", got.ID, err, c.ID)
	}
	if got, err := s.Customer(ctx, c.ID); err != nil || !cmp.Equal(c, got, cmpOpts) {
		t.Errorf("Customer() after reopen = %+v, %v; want %+v", got, err, c)
	}
	if got, err := s.Conversation(ctx, conv.ID); err != nil || !cmp.Equal(conv, got, cmpOpts) {
		t.Errorf("Conversation() after reopen = %+v, %v; want %+v", got, err, conv)
	}
	if got, err := s.Messages(ctx, conv.ID, 0, 10); err != nil || !cmp.Equal([]journeystate.Message{m}, got, cmpOpts) {
		t.Errorf("Messages() after reopen = %+v, %v; want [%+v]", got, err, m)
	}
	if _, dup, err := s.AppendMessage(ctx, customerMessage(conv, "c1", "Is this kept?")); err != nil || !dup {
		t.Errorf("resend after reopen: duplicate %v, %v; want a duplicate", dup, err)
	}
	if diff := cmp.Diff(evs, events(t, s, journeystate.EventQuery{CustomerID: c.ID}), cmpOpts); diff != "" {
		t.Errorf("Events() after reopen mismatch (-before +after):\n%s", diff)
	}
	if v, n, err := s.KnowledgeVersion(ctx); err != nil || v != "v1" || n != len(corpus) {
		t.Errorf("KnowledgeVersion() after reopen = %q, %d, %v; want v1, %d", v, n, err, len(corpus))
	}
	if got := search(t, s, "password", 10); !cmp.Equal(got, []string{"account.md"}) {
		t.Errorf("search(password) after reopen = %v, want [account.md]", got)
	}
	// New writes continue the sequences.
	next, _, err := s.AppendMessage(ctx, customerMessage(conv, "c2", "and this?"))
	if err != nil || next.Seq != m.Seq+1 {
		t.Errorf("AppendMessage() after reopen = seq %d, %v; want %d", next.Seq, err, m.Seq+1)
	}
	e, _, err := s.AppendEvent(ctx, journeystate.Event{CustomerID: c.ID, Type: "later", Actor: journeystate.ActorSystem})
	if err != nil || e.Seq <= evs[len(evs)-1].Seq {
		t.Errorf("AppendEvent() after reopen = seq %d, %v; want above %d", e.Seq, err, evs[len(evs)-1].Seq)
	}
}
