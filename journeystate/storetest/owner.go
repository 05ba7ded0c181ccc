package storetest

import (
	"encoding/json"
	"errors"
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

	_, err := s.SetOwner(ctx, "no-such-conversation", journeystate.OwnerChange{Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot})
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
		{"agent without id", journeystate.OwnerChange{Owner: journeystate.OwnerAgent, Actor: journeystate.ActorAgent}},
		{"unknown owner", journeystate.OwnerChange{Owner: "robot", Actor: journeystate.ActorBot}},
		{"empty owner", journeystate.OwnerChange{Actor: journeystate.ActorBot}},
		{"unknown actor", journeystate.OwnerChange{Owner: journeystate.OwnerQueue, Actor: "martian"}},
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
