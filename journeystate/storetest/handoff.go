package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// packetFor returns a valid hand-off packet for conv.
func packetFor(conv journeystate.Conversation, id, team string) journeystate.Handoff {
	now := time.Now().UTC()
	return journeystate.Handoff{ID: id, ConversationID: conv.ID, CustomerID: conv.CustomerID, Channel: conv.Channel,
		Summary: "Wants a person.", SummarySource: journeystate.SummaryExtractive, Reason: "asked",
		Trigger: journeystate.TriggerCustomerRequest, Urgency: journeystate.UrgencyNormal, Confidence: 1,
		WaitingSince: now.Add(-time.Minute), CreatedAt: now, Team: team}
}

func testHandoffPacket(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_handoff")
	conv := newConversation(t, s, c.ID, "t")
	if _, err := s.LatestHandoff(ctx, conv.ID); !errors.Is(err, journeystate.ErrNotFound) {
		t.Fatalf("LatestHandoff before any = %v, want ErrNotFound", err)
	}
	before, _ := s.Events(ctx, journeystate.EventQuery{ConversationID: conv.ID})

	// A packet that fails Validate, or names another conversation, or goes with a move to the bot, changes nothing.
	bad := packetFor(conv, "p0", "support")
	bad.Summary = ""
	other := packetFor(conv, "p0", "support")
	other.ConversationID = "someone-else"
	for name, change := range map[string]journeystate.OwnerChange{
		"invalid packet": {From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "x", Handoff: &bad},
		"other conv":     {From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "x", Handoff: &other},
		"to closed":      {From: journeystate.OwnerBot, Owner: journeystate.OwnerClosed, Actor: journeystate.ActorBot, Cause: "x", Handoff: ptr(packetFor(conv, "p0", ""))},
	} {
		if _, err := s.SetOwner(ctx, conv.ID, change); err == nil {
			t.Errorf("%s: SetOwner accepted it", name)
		}
	}
	if got, _ := s.Conversation(ctx, conv.ID); got.Owner != journeystate.OwnerBot {
		t.Fatalf("a refused hand-off changed the owner to %s", got.Owner)
	}
	if after, _ := s.Events(ctx, journeystate.EventQuery{ConversationID: conv.ID}); len(after) != len(before) {
		t.Fatalf("a refused hand-off recorded %d events", len(after)-len(before))
	}

	p1 := packetFor(conv, "p1", "support")
	got, err := s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue,
		Actor: journeystate.ActorCustomer, Cause: p1.Trigger, Team: "support", Handoff: &p1})
	if err != nil {
		t.Fatal(err)
	}
	if got.Team != "support" || got.Owner != journeystate.OwnerQueue || got.OwnerSince.IsZero() {
		t.Errorf("queued conversation %+v, want team support and an owner-since", got)
	}
	stored, err := s.LatestHandoff(ctx, conv.ID)
	if err != nil || stored.ID != "p1" || stored.Team != "support" || stored.Summary != p1.Summary {
		t.Fatalf("LatestHandoff = %+v, %v; want p1", stored, err)
	}
	// Taken, keeps its team; handed back to the bot, loses it; a second hand-off's packet is the latest.
	taken, err := s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerAgent,
		AgentID: "a1", Actor: journeystate.ActorAgent, Cause: "take"})
	if err != nil || taken.Team != "support" || !taken.OwnerSince.After(got.OwnerSince) && !taken.OwnerSince.Equal(got.OwnerSince) {
		t.Errorf("taken = %+v, %v", taken, err)
	}
	back, err := s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerAgent, FromAgentID: "a1",
		Owner: journeystate.OwnerBot, Actor: journeystate.ActorAgent, Cause: "hand back"})
	if err != nil || back.Team != "" {
		t.Errorf("handed back = %+v, %v; want no team", back, err)
	}
	p2 := packetFor(back, "p2", "sales")
	if _, err := s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue,
		Actor: journeystate.ActorRule, Cause: "rule:vip", Team: "sales", Handoff: &p2}); err != nil {
		t.Fatal(err)
	}
	if stored, err := s.LatestHandoff(ctx, conv.ID); err != nil || stored.ID != "p2" {
		t.Errorf("LatestHandoff after the second = %+v, %v; want p2", stored.ID, err)
	}
	if _, err := s.LatestHandoff(ctx, "no-such-conversation"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("LatestHandoff(unknown) = %v, want ErrNotFound", err)
	}
}

func ptr[T any](v T) *T { return &v }

func testConversationsQuery(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	var queued []string
	for i, team := range []string{"support", "sales", "support"} {
		c := newCustomer(t, s, "v_q"+string(rune('a'+i)))
		conv := newConversation(t, s, c.ID, "t")
		if _, err := s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerBot,
			Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "x", Team: team}); err != nil {
			t.Fatal(err)
		}
		queued = append(queued, conv.ID)
		time.Sleep(2 * time.Millisecond)
	}
	// The second goes to an agent.
	if _, err := s.SetOwner(ctx, queued[1], journeystate.OwnerChange{From: journeystate.OwnerQueue,
		Owner: journeystate.OwnerAgent, AgentID: "a1", Actor: journeystate.ActorAgent, Cause: "take"}); err != nil {
		t.Fatal(err)
	}
	ids := func(q journeystate.ConversationQuery) string {
		t.Helper()
		cs, err := s.Conversations(ctx, q)
		if err != nil {
			t.Fatalf("Conversations(%+v) = %v", q, err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return strings.Join(out, ",")
	}
	if got, want := ids(journeystate.ConversationQuery{Owner: journeystate.OwnerQueue}), queued[0]+","+queued[2]; got != want {
		t.Errorf("queue = %s, want %s (oldest first)", got, want)
	}
	if got := ids(journeystate.ConversationQuery{Owner: journeystate.OwnerQueue, Team: "sales"}); got != "" {
		t.Errorf("sales queue = %s, want none", got)
	}
	if got := ids(journeystate.ConversationQuery{Owner: journeystate.OwnerAgent, AgentID: "a1"}); got != queued[1] {
		t.Errorf("a1's = %s, want %s", got, queued[1])
	}
	if got := ids(journeystate.ConversationQuery{Owner: journeystate.OwnerAgent, AgentID: "a2"}); got != "" {
		t.Errorf("a2's = %s, want none", got)
	}
	if got := ids(journeystate.ConversationQuery{Owner: journeystate.OwnerQueue, Limit: 1}); got != queued[0] {
		t.Errorf("limit 1 = %s", got)
	}
	for _, bad := range []journeystate.ConversationQuery{{}, {Owner: "nobody"}, {Owner: journeystate.OwnerQueue, AgentID: "a1"},
		{Owner: journeystate.OwnerQueue, Limit: -1}} {
		if _, err := s.Conversations(ctx, bad); err == nil {
			t.Errorf("Conversations(%+v) accepted", bad)
		}
	}
}

func testConversationLinks(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_links")
	a := newConversation(t, s, c.ID, "a")
	b := newConversation(t, s, c.ID, "b")
	const kind = "slack_agent_thread"
	if _, err := s.LinkedConversation(ctx, kind, "C1:1.0"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("LinkedConversation before = %v, want ErrNotFound", err)
	}
	if _, err := s.ConversationLink(ctx, kind, a.ID); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("ConversationLink before = %v, want ErrNotFound", err)
	}
	if err := s.LinkConversation(ctx, kind, "C1:1.0", a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkConversation(ctx, kind, "C1:1.0", a.ID); err != nil {
		t.Errorf("linking the same pair again = %v, want nil", err)
	}
	if err := s.LinkConversation(ctx, kind, "C1:1.0", b.ID); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("linking the id to another conversation = %v, want ErrConflict", err)
	}
	if err := s.LinkConversation(ctx, "other_kind", "C1:1.0", b.ID); err != nil {
		t.Errorf("the same id in another kind = %v", err)
	}
	if err := s.LinkConversation(ctx, kind, "C1:2.0", "no-such-conversation"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("linking an unknown conversation = %v, want ErrNotFound", err)
	}
	for _, bad := range [][2]string{{"", "x"}, {kind, ""}, {kind, "  "}, {kind, strings.Repeat("x", 100000)}} {
		if err := s.LinkConversation(ctx, bad[0], bad[1], a.ID); err == nil || errors.Is(err, journeystate.ErrConflict) {
			t.Errorf("LinkConversation(%q, %.20q) = %v, want a clear error", bad[0], bad[1], err)
		}
	}
	if id, err := s.LinkedConversation(ctx, kind, "C1:1.0"); err != nil || id != a.ID {
		t.Errorf("LinkedConversation = %s, %v; want %s", id, err, a.ID)
	}
	if ext, err := s.ConversationLink(ctx, kind, a.ID); err != nil || ext != "C1:1.0" {
		t.Errorf("ConversationLink = %s, %v", ext, err)
	}
	if ext, err := s.ConversationLink(ctx, kind, b.ID); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("ConversationLink(b, %s) = %s, %v; want ErrNotFound", kind, ext, err)
	}
}
