package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testAppendMessage(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_msg")
	conv := newConversation(t, s, c.ID, "t")

	given := time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.FixedZone("CET", 3600))
	inputs := []journeystate.Message{
		customerMessage(conv, "c1", "Where is my order?"),
		{
			ConversationID: conv.ID, Author: journeystate.ActorBot, ClientID: "reply:c1", Text: "It ships <b>today</b>.",
			Meta: journeystate.MessageMeta{
				Source: "offline", ReplyTo: "c1",
				Citations: []journeystate.Citation{{Title: "Shipping", Source: "shipping.md", URL: "https://example.com/s"}},
			},
			CreatedAt: given,
		},
		{ConversationID: conv.ID, Author: journeystate.ActorAgent, Text: "Hi, Sam here."},
		{ConversationID: conv.ID, Author: journeystate.ActorSystem, Text: "Sam left."},
	}
	var stored []journeystate.Message
	for i, in := range inputs {
		m, dup, err := s.AppendMessage(ctx, in)
		if err != nil || dup {
			t.Fatalf("AppendMessage(#%d) = %v, duplicate %v", i, err, dup)
		}
		want := in
		want.ID, want.CustomerID, want.Seq = m.ID, c.ID, int64(i+1)
		if want.CreatedAt.IsZero() {
			checkUTCNow(t, "CreatedAt", m.CreatedAt)
			want.CreatedAt = m.CreatedAt
		} else if m.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt location = %v, want UTC", m.CreatedAt.Location())
		}
		if diff := cmp.Diff(want, m, cmpOpts); diff != "" || m.ID == "" {
			t.Errorf("AppendMessage(#%d) mismatch (-want +got):\n%s", i, diff)
		}
		stored = append(stored, m)
	}

	got, err := s.Messages(ctx, conv.ID, 0, 100)
	if err != nil {
		t.Fatalf("Messages() = %v", err)
	}
	if diff := cmp.Diff(stored, got, cmpOpts); diff != "" {
		t.Errorf("Messages() mismatch (-appended +stored):\n%s", diff)
	}
	for _, m := range stored {
		if m.ClientID == "" {
			continue
		}
		byClient, err := s.MessageByClientID(ctx, c.ID, m.ClientID)
		if err != nil {
			t.Fatalf("MessageByClientID(%s) = %v", m.ClientID, err)
		}
		if diff := cmp.Diff(m, byClient, cmpOpts); diff != "" {
			t.Errorf("MessageByClientID(%s) mismatch (-want +got):\n%s", m.ClientID, diff)
		}
	}
	if _, err := s.MessageByClientID(ctx, c.ID, "never-sent"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("MessageByClientID(unknown) = %v, want ErrNotFound", err)
	}

	after, err := s.Conversation(ctx, conv.ID)
	if err != nil {
		t.Fatalf("Conversation() = %v", err)
	}
	if after.LastSeq != int64(len(inputs)) {
		t.Errorf("LastSeq = %d, want %d", after.LastSeq, len(inputs))
	}

	evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), "message")
	if len(evs) != len(inputs) {
		t.Fatalf("message events = %d, want %d", len(evs), len(inputs))
	}
	for i, e := range evs {
		if e.Actor != stored[i].Author || e.CustomerID != c.ID || e.Channel != conv.Channel {
			t.Errorf("message event #%d = actor %q customer %s channel %q; want %q %s %q",
				i, e.Actor, e.CustomerID, e.Channel, stored[i].Author, c.ID, conv.Channel)
		}
	}

	_, _, err = s.AppendMessage(ctx, journeystate.Message{ConversationID: "no-such-conversation", Author: journeystate.ActorCustomer, Text: "hi"})
	if !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("AppendMessage(unknown conversation) = %v, want ErrNotFound", err)
	}
}

func testAppendMessageDuplicate(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_dup")
	conv := newConversation(t, s, c.ID, "t1")

	first, dup, err := s.AppendMessage(ctx, customerMessage(conv, "c1", "hello"))
	if err != nil || dup {
		t.Fatalf("AppendMessage(first) = %v, duplicate %v", err, dup)
	}
	// A resend, even with other text or in another conversation of the customer, is the message stored first.
	other := newConversation(t, s, c.ID, "t2")
	for _, resend := range []journeystate.Message{
		customerMessage(conv, "c1", "hello"),
		customerMessage(conv, "c1", "hello again"),
		customerMessage(other, "c1", "hello"),
	} {
		got, dup, err := s.AppendMessage(ctx, resend)
		if err != nil || !dup {
			t.Fatalf("AppendMessage(resend) = %v, duplicate %v; want duplicate", err, dup)
		}
		if diff := cmp.Diff(first, got, cmpOpts); diff != "" {
			t.Errorf("resend returned another message (-first +got):\n%s", diff)
		}
	}
	if got, _ := s.Conversation(ctx, conv.ID); got.LastSeq != 1 {
		t.Errorf("LastSeq after resends = %d, want 1", got.LastSeq)
	}
	if n := len(ofType(events(t, s, journeystate.EventQuery{CustomerID: c.ID}), "message")); n != 1 {
		t.Errorf("message events after resends = %d, want 1", n)
	}

	// Client ids are unique per customer: another customer may use the same one.
	d := newCustomer(t, s, "v_dup_other")
	dconv := newConversation(t, s, d.ID, "t1")
	if m, dup, err := s.AppendMessage(ctx, customerMessage(dconv, "c1", "hi")); err != nil || dup || m.ID == first.ID {
		t.Errorf("AppendMessage(other customer, same client id) = %s, duplicate %v, %v; want a new message", m.ID, dup, err)
	}
	// Messages without a client id are never duplicates.
	for i := range 2 {
		if _, dup, err := s.AppendMessage(ctx, customerMessage(conv, "", "no id")); err != nil || dup {
			t.Errorf("AppendMessage(no client id #%d) = %v, duplicate %v", i, err, dup)
		}
	}
}

func testAppendMessageBadInput(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	c := newCustomer(t, s, "v_msg_bad")
	conv := newConversation(t, s, c.ID, "t")
	d := newCustomer(t, s, "v_msg_bad_other")
	tests := []struct {
		name string
		m    journeystate.Message
	}{
		{"no conversation", journeystate.Message{Author: journeystate.ActorCustomer, ClientID: "b1", Text: "x"}},
		{"unknown author", journeystate.Message{ConversationID: conv.ID, Author: "martian", ClientID: "b2", Text: "x"}},
		{"empty author", journeystate.Message{ConversationID: conv.ID, ClientID: "b3", Text: "x"}},
		{"another customer's conversation", journeystate.Message{ConversationID: conv.ID, CustomerID: d.ID, Author: journeystate.ActorCustomer, ClientID: "b4", Text: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, _, err := s.AppendMessage(t.Context(), tt.m); err == nil {
				t.Fatalf("AppendMessage(%+v) = %s, want an error", tt.m, m.ID)
			}
			if got, err := s.Conversation(t.Context(), conv.ID); err != nil || got.LastSeq != 0 {
				t.Errorf("after a refused message: LastSeq %d, %v; want 0", got.LastSeq, err)
			}
			for _, cust := range []string{c.ID, d.ID} {
				if _, err := s.MessageByClientID(t.Context(), cust, tt.m.ClientID); !errors.Is(err, journeystate.ErrNotFound) {
					t.Errorf("refused message stored for %s: MessageByClientID = %v, want ErrNotFound", cust, err)
				}
			}
		})
	}
}
