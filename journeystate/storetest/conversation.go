package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testOpenConversation(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_open")

	conv, opened, err := s.OpenConversation(ctx, c.ID, journeystate.ChannelWeb, "t1")
	if err != nil || !opened {
		t.Fatalf("OpenConversation(new) = %v, opened %v; want opened", err, opened)
	}
	want := journeystate.Conversation{
		ID: conv.ID, CustomerID: c.ID, Channel: journeystate.ChannelWeb, ThreadID: "t1",
		Owner: journeystate.OwnerBot, OwnerSince: conv.CreatedAt, CreatedAt: conv.CreatedAt, UpdatedAt: conv.UpdatedAt,
	}
	if diff := cmp.Diff(want, conv, cmpOpts); diff != "" || conv.ID == "" {
		t.Errorf("new conversation mismatch (-want +got):\n%s", diff)
	}
	checkUTCNow(t, "CreatedAt", conv.CreatedAt)

	again, opened, err := s.OpenConversation(ctx, c.ID, journeystate.ChannelWeb, "t1")
	if err != nil || opened || again.ID != conv.ID {
		t.Errorf("OpenConversation(open thread) = %s, opened %v, %v; want %s reused", again.ID, opened, err, conv.ID)
	}
	got, err := s.Conversation(ctx, conv.ID)
	if err != nil {
		t.Fatalf("Conversation() = %v", err)
	}
	if diff := cmp.Diff(conv, got, cmpOpts); diff != "" {
		t.Errorf("Conversation() mismatch (-opened +stored):\n%s", diff)
	}

	other, opened, err := s.OpenConversation(ctx, c.ID, journeystate.ChannelWeb, "t2")
	if err != nil || !opened || other.ID == conv.ID {
		t.Errorf("OpenConversation(other thread) = %s, opened %v, %v; want a new conversation", other.ID, opened, err)
	}

	evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), "conversation_opened")
	if len(evs) != 1 {
		t.Fatalf("conversation_opened events of %s = %d, want 1", conv.ID, len(evs))
	}
	if e := evs[0]; e.CustomerID != c.ID || e.Channel != journeystate.ChannelWeb {
		t.Errorf("conversation_opened event = %+v, want customer %s on web", e, c.ID)
	}

	// Closing the conversation makes the next message on the thread open a new one.
	closeChange := journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerClosed, Actor: journeystate.ActorAgent, Cause: "resolved"}
	if _, err := s.SetOwner(ctx, conv.ID, closeChange); err != nil {
		t.Fatalf("SetOwner(closed) = %v", err)
	}
	next, opened, err := s.OpenConversation(ctx, c.ID, journeystate.ChannelWeb, "t1")
	if err != nil || !opened || next.ID == conv.ID {
		t.Errorf("OpenConversation(after close) = %s, opened %v, %v; want a new conversation", next.ID, opened, err)
	}
	if next.Owner != journeystate.OwnerBot {
		t.Errorf("reopened thread owner = %q, want bot", next.Owner)
	}

	if _, _, err := s.OpenConversation(ctx, "no-such-customer", journeystate.ChannelWeb, "t1"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("OpenConversation(unknown customer) = %v, want ErrNotFound", err)
	}
	if _, err := s.Conversation(ctx, "no-such-conversation"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Conversation(unknown) = %v, want ErrNotFound", err)
	}
}

func testOpenConversationConcurrent(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	c := newCustomer(t, s, "v_conv_race")
	const n = 12
	ids := make([]string, n)
	opened := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			conv, o, err := s.OpenConversation(t.Context(), c.ID, journeystate.ChannelWeb, "t")
			ids[i], opened[i], errs[i] = conv.ID, o, err
		})
	}
	wg.Wait()
	nOpened := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("OpenConversation #%d = %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("OpenConversation #%d = %s, want %s (one conversation per thread)", i, ids[i], ids[0])
		}
		if opened[i] {
			nOpened++
		}
	}
	if nOpened != 1 {
		t.Errorf("calls that opened the conversation = %d, want 1", nOpened)
	}
}

func testLatestConversation(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_latest")
	if _, err := s.LatestConversation(ctx, c.ID, journeystate.ChannelWeb, "t"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("LatestConversation(none) = %v, want ErrNotFound", err)
	}
	first := newConversation(t, s, c.ID, "t")
	got, err := s.LatestConversation(ctx, c.ID, journeystate.ChannelWeb, "t")
	if err != nil || got.ID != first.ID {
		t.Errorf("LatestConversation() = %s, %v; want %s", got.ID, err, first.ID)
	}
	closed, err := s.SetOwner(ctx, first.ID, journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerClosed, Actor: journeystate.ActorBot, Cause: "idle"})
	if err != nil {
		t.Fatalf("SetOwner(closed) = %v", err)
	}
	got, err = s.LatestConversation(ctx, c.ID, journeystate.ChannelWeb, "t")
	if err != nil {
		t.Fatalf("LatestConversation(closed) = %v", err)
	}
	if diff := cmp.Diff(closed, got, cmpOpts); diff != "" {
		t.Errorf("LatestConversation(closed) mismatch (-want +got):\n%s", diff)
	}
	second := newConversation(t, s, c.ID, "t")
	if got, err := s.LatestConversation(ctx, c.ID, journeystate.ChannelWeb, "t"); err != nil || got.ID != second.ID {
		t.Errorf("LatestConversation() = %s, %v; want the newer %s", got.ID, err, second.ID)
	}
	// Another channel, thread or customer is another conversation.
	if _, err := s.LatestConversation(ctx, c.ID, journeystate.ChannelSMS, "t"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("LatestConversation(other channel) = %v, want ErrNotFound", err)
	}
	if _, err := s.LatestConversation(ctx, c.ID, journeystate.ChannelWeb, "u"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("LatestConversation(other thread) = %v, want ErrNotFound", err)
	}
	d := newCustomer(t, s, "v_latest_other")
	if _, err := s.LatestConversation(ctx, d.ID, journeystate.ChannelWeb, "t"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("LatestConversation(other customer) = %v, want ErrNotFound", err)
	}
}
