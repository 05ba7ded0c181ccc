package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testEvents(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_events")
	d := newCustomer(t, s, "v_events_other")
	conv := newConversation(t, s, c.ID, "t")
	dconv := newConversation(t, s, d.ID, "t")

	// Interleave the two customers' events, in and out of conversations.
	appendEvent := func(e journeystate.Event) journeystate.Event {
		t.Helper()
		got, _, err := s.AppendEvent(ctx, e)
		if err != nil {
			t.Fatalf("AppendEvent(%+v) = %v", e, err)
		}
		return got
	}
	var all []journeystate.Event // c's, in order
	for i := range 4 {
		e := journeystate.Event{CustomerID: c.ID, Type: fmt.Sprintf("step_%d", i), Actor: journeystate.ActorRule}
		if i%2 == 1 {
			e.ConversationID = conv.ID
		}
		all = append(all, appendEvent(e))
		appendEvent(journeystate.Event{CustomerID: d.ID, ConversationID: dconv.ID, Type: "noise", Actor: journeystate.ActorBot})
	}

	// The customer's log also holds the conversation_opened event recorded before them.
	gotAll := events(t, s, journeystate.EventQuery{CustomerID: c.ID})
	if len(gotAll) != len(all)+1 || gotAll[0].Type != "conversation_opened" {
		t.Fatalf("Events(customer) = %d events starting with %q, want conversation_opened and %d more",
			len(gotAll), typeOf(gotAll), len(all))
	}
	if diff := cmp.Diff(all, gotAll[1:], cmpOpts); diff != "" {
		t.Errorf("Events(customer) mismatch (-want +got):\n%s", diff)
	}
	opened := gotAll[0]

	tests := []struct {
		name string
		q    journeystate.EventQuery
		want []journeystate.Event
	}{
		{"after seq", journeystate.EventQuery{CustomerID: c.ID, AfterSeq: all[1].Seq}, all[2:]},
		{"limit", journeystate.EventQuery{CustomerID: c.ID, AfterSeq: opened.Seq, Limit: 2}, all[:2]},
		{"conversation", journeystate.EventQuery{ConversationID: conv.ID}, []journeystate.Event{opened, all[1], all[3]}},
		{"customer and conversation", journeystate.EventQuery{CustomerID: c.ID, ConversationID: conv.ID, AfterSeq: opened.Seq}, []journeystate.Event{all[1], all[3]}},
		{"customer and another's conversation", journeystate.EventQuery{CustomerID: c.ID, ConversationID: dconv.ID}, nil},
		{"after the last", journeystate.EventQuery{CustomerID: c.ID, AfterSeq: all[3].Seq}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Events(ctx, tt.q)
			if err != nil {
				t.Fatalf("Events(%+v) = %v", tt.q, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("Events(%+v) mismatch (-want +got):\n%s", tt.q, diff)
			}
		})
	}

	if _, err := s.Events(ctx, journeystate.EventQuery{CustomerID: "no-such-customer"}); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Events(unknown customer) = %v, want ErrNotFound", err)
	}
	if _, err := s.Events(ctx, journeystate.EventQuery{ConversationID: "no-such-conversation"}); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Events(unknown conversation) = %v, want ErrNotFound", err)
	}
	if _, err := s.Events(ctx, journeystate.EventQuery{}); err == nil {
		t.Error("Events(no customer, no conversation) = nil, want an error")
	}

	// Limit 0 means the store default of 100.
	e := newCustomer(t, s, "v_events_many")
	for i := range 101 {
		appendEvent(journeystate.Event{CustomerID: e.ID, Type: fmt.Sprintf("n%d", i), Actor: journeystate.ActorSystem})
	}
	got, err := s.Events(ctx, journeystate.EventQuery{CustomerID: e.ID})
	if err != nil {
		t.Fatalf("Events(limit 0) = %v", err)
	}
	if len(got) != 100 || got[0].Type != "n0" {
		t.Errorf("Events(limit 0) = %d events from %q, want 100 from n0", len(got), typeOf(got))
	}
}

func typeOf(evs []journeystate.Event) string {
	if len(evs) == 0 {
		return ""
	}
	return evs[0].Type
}
