package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testSetOwner(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_owner")
	conv := newConversation(t, s, c.ID, "t")

	steps := []struct {
		change   journeystate.OwnerChange
		from     journeystate.Owner
		fromAgnt string
	}{
		{journeystate.OwnerChange{Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "customer asked for a human"}, journeystate.OwnerBot, ""},
		{journeystate.OwnerChange{Owner: journeystate.OwnerAgent, AgentID: "agent-7", Actor: journeystate.ActorAgent, Cause: "claimed"}, journeystate.OwnerQueue, ""},
		{journeystate.OwnerChange{Owner: journeystate.OwnerAgent, AgentID: "agent-9", Actor: journeystate.ActorAgent, Cause: "transfer"}, journeystate.OwnerAgent, "agent-7"},
		{journeystate.OwnerChange{Owner: journeystate.OwnerBot, Actor: journeystate.ActorAgent, Cause: "hand back"}, journeystate.OwnerAgent, "agent-9"},
		{journeystate.OwnerChange{Owner: journeystate.OwnerClosed, Actor: journeystate.ActorRule, Cause: "idle 24h"}, journeystate.OwnerBot, ""},
		{journeystate.OwnerChange{Owner: journeystate.OwnerBot, Actor: journeystate.ActorCustomer, Cause: "customer wrote again"}, journeystate.OwnerClosed, ""},
	}
	for i := range steps {
		steps[i].change.From, steps[i].change.FromAgentID = steps[i].from, steps[i].fromAgnt
	}
	for _, step := range steps {
		got, err := s.SetOwner(ctx, conv.ID, step.change)
		if err != nil {
			t.Fatalf("SetOwner(%+v) = %v", step.change, err)
		}
		if got.Owner != step.change.Owner || got.AgentID != step.change.AgentID {
			t.Errorf("SetOwner(%+v) = owner %q agent %q", step.change, got.Owner, got.AgentID)
		}
		stored, err := s.Conversation(ctx, conv.ID)
		if err != nil {
			t.Fatalf("Conversation() = %v", err)
		}
		if diff := cmp.Diff(got, stored, cmpOpts); diff != "" {
			t.Errorf("stored conversation differs from SetOwner's (-returned +stored):\n%s", diff)
		}
	}

	evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), "owner_changed")
	if len(evs) != len(steps) {
		t.Fatalf("owner_changed events = %d, want %d", len(evs), len(steps))
	}
	for i, e := range evs {
		step := steps[i]
		if e.Actor != step.change.Actor || e.Cause != step.change.Cause || e.CustomerID != c.ID || e.Channel != conv.Channel {
			t.Errorf("owner_changed #%d = actor %q cause %q customer %s channel %q; want %q %q %s %q",
				i, e.Actor, e.Cause, e.CustomerID, e.Channel, step.change.Actor, step.change.Cause, c.ID, conv.Channel)
		}
		var p struct {
			From        journeystate.Owner `json:"from"`
			To          journeystate.Owner `json:"to"`
			FromAgentID string             `json:"from_agent_id"`
			AgentID     string             `json:"agent_id"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatalf("owner_changed #%d payload %s: %v", i, e.Payload, err)
		}
		if p.From != step.from || p.To != step.change.Owner || p.FromAgentID != step.fromAgnt || p.AgentID != step.change.AgentID {
			t.Errorf("owner_changed #%d payload = %+v, want from %q (%q) to %q (%q)",
				i, p, step.from, step.fromAgnt, step.change.Owner, step.change.AgentID)
		}
	}

	_, err := s.SetOwner(ctx, "no-such-conversation", journeystate.OwnerChange{From: journeystate.OwnerBot,
		Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "test"})
	if !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("SetOwner(unknown conversation) = %v, want ErrNotFound", err)
	}
}

func testSetOwnerBadInput(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	c := newCustomer(t, s, "v_owner_bad")
	conv := newConversation(t, s, c.ID, "t")
	tests := []struct {
		name   string
		change journeystate.OwnerChange
	}{
		{"agent without id", journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerAgent, Actor: journeystate.ActorAgent, Cause: "take"}},
		{"unknown owner", journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: "robot", Actor: journeystate.ActorBot, Cause: "test"}},
		{"empty owner", journeystate.OwnerChange{From: journeystate.OwnerBot, Actor: journeystate.ActorBot, Cause: "test"}},
		{"unknown actor", journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue, Actor: "martian", Cause: "test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.SetOwner(t.Context(), conv.ID, tt.change); err == nil {
				t.Errorf("SetOwner(%+v) = nil, want an error", tt.change)
			}
			got, err := s.Conversation(t.Context(), conv.ID)
			if err != nil {
				t.Fatalf("Conversation() = %v", err)
			}
			if diff := cmp.Diff(conv, got, cmpOpts); diff != "" {
				t.Errorf("refused SetOwner changed the conversation (-before +after):\n%s", diff)
			}
			if n := len(ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), "owner_changed")); n != 0 {
				t.Errorf("owner_changed events after a refused change = %d, want 0", n)
			}
		})
	}
}

// testSetOwnerIllegal walks a conversation to each owner and tries moves the switchboard refuses there: each returns
// an ErrConflict and leaves the conversation and its events as they were.
func testSetOwnerIllegal(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_owner_illegal")
	// path leads a new conversation to the owner a case starts from; every step is legal.
	paths := map[journeystate.Owner][]journeystate.OwnerChange{
		journeystate.OwnerBot:    nil,
		journeystate.OwnerQueue:  {{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "customer_request"}},
		journeystate.OwnerAgent:  {{From: journeystate.OwnerBot, Owner: journeystate.OwnerAgent, AgentID: "agent-7", Actor: journeystate.ActorAgent, Cause: "take over"}},
		journeystate.OwnerClosed: {{From: journeystate.OwnerBot, Owner: journeystate.OwnerClosed, Actor: journeystate.ActorAgent, Cause: "resolved"}},
	}
	tests := []struct {
		name   string
		from   journeystate.Owner
		change journeystate.OwnerChange
	}{
		{"reopen straight to the queue", journeystate.OwnerClosed,
			journeystate.OwnerChange{From: journeystate.OwnerClosed, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorCustomer, Cause: "customer wrote again"}},
		{"same owner", journeystate.OwnerQueue,
			journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "customer_request"}},
		{"transfer to the same agent", journeystate.OwnerAgent,
			journeystate.OwnerChange{From: journeystate.OwnerAgent, FromAgentID: "agent-7", Owner: journeystate.OwnerAgent, AgentID: "agent-7", Actor: journeystate.ActorAgent, Cause: "transfer"}},
		{"closed to closed", journeystate.OwnerClosed,
			journeystate.OwnerChange{From: journeystate.OwnerClosed, Owner: journeystate.OwnerClosed, Actor: journeystate.ActorAgent, Cause: "resolved"}},
		{"stale: expects the queue, an agent owns it", journeystate.OwnerAgent,
			journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerAgent, AgentID: "agent-9", Actor: journeystate.ActorAgent, Cause: "take"}},
		{"stale: expects another agent", journeystate.OwnerAgent,
			journeystate.OwnerChange{From: journeystate.OwnerAgent, FromAgentID: "agent-9", Owner: journeystate.OwnerBot, Actor: journeystate.ActorAgent, Cause: "hand back"}},
		{"no expected owner", journeystate.OwnerBot,
			journeystate.OwnerChange{Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "customer_request"}},
		{"no cause", journeystate.OwnerBot,
			journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot}},
		{"the customer picks an agent", journeystate.OwnerBot,
			journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerAgent, AgentID: "agent-7", Actor: journeystate.ActorCustomer, Cause: "asked"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv := newConversation(t, s, c.ID, fmt.Sprintf("t%d", i))
			for _, step := range paths[tt.from] {
				var err error
				if conv, err = s.SetOwner(ctx, conv.ID, step); err != nil {
					t.Fatalf("SetOwner(%+v) on the way to %s = %v", step, tt.from, err)
				}
			}
			before := events(t, s, journeystate.EventQuery{ConversationID: conv.ID})

			_, err := s.SetOwner(ctx, conv.ID, tt.change)
			var te *journeystate.TransitionError
			if !errors.Is(err, journeystate.ErrConflict) || !errors.As(err, &te) {
				t.Fatalf("SetOwner(%+v) on %s = %v, want a TransitionError (ErrConflict)", tt.change, tt.from, err)
			}
			if te.From != conv.Owner || te.To != tt.change.Owner {
				t.Errorf("TransitionError names %s → %s, want %s → %s", te.From, te.To, conv.Owner, tt.change.Owner)
			}
			got, err := s.Conversation(ctx, conv.ID)
			if err != nil {
				t.Fatalf("Conversation() = %v", err)
			}
			if diff := cmp.Diff(conv, got, cmpOpts); diff != "" {
				t.Errorf("refused SetOwner changed the conversation (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(before, events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), cmpOpts); diff != "" {
				t.Errorf("refused SetOwner recorded events (-before +after):\n%s", diff)
			}
		})
	}
}

// testSetOwnerRace has several agents take one queued conversation at once: exactly one wins, the others get
// ErrConflict, and one "owner_changed" event records the take.
func testSetOwnerRace(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_owner_race")
	conv := newConversation(t, s, c.ID, "t")
	if _, err := s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue,
		Actor: journeystate.ActorBot, Cause: "customer_request"}); err != nil {
		t.Fatal(err)
	}
	const agents = 8
	errs := make([]error, agents)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range agents {
		wg.Go(func() {
			<-start
			_, errs[i] = s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerQueue,
				Owner: journeystate.OwnerAgent, AgentID: fmt.Sprintf("agent-%d", i), Actor: journeystate.ActorAgent, Cause: "take"})
		})
	}
	close(start)
	wg.Wait()
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Errorf("agent-%d and %s both took the conversation", i, winner)
			}
			winner = fmt.Sprintf("agent-%d", i)
		case !errors.Is(err, journeystate.ErrConflict):
			t.Errorf("agent-%d: SetOwner() = %v, want nil or ErrConflict", i, err)
		}
	}
	got, err := s.Conversation(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if winner == "" || got.Owner != journeystate.OwnerAgent || got.AgentID != winner {
		t.Errorf("after the race: owner %q agent %q, winner %q", got.Owner, got.AgentID, winner)
	}
	if n := len(ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), "owner_changed")); n != 2 {
		t.Errorf("owner_changed events = %d, want 2 (the hand-off and one take)", n)
	}
}
