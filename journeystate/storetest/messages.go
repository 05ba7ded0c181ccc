package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testMessages(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_list")
	conv := newConversation(t, s, c.ID, "t")
	var all []journeystate.Message
	for i := range 7 {
		m, _, err := s.AppendMessage(ctx, customerMessage(conv, fmt.Sprintf("m%d", i), fmt.Sprintf("text %d", i)))
		if err != nil {
			t.Fatalf("AppendMessage(%d) = %v", i, err)
		}
		all = append(all, m)
	}
	// A message in another conversation must not show up.
	other := newConversation(t, s, c.ID, "u")
	if _, _, err := s.AppendMessage(ctx, customerMessage(other, "x", "elsewhere")); err != nil {
		t.Fatalf("AppendMessage(other) = %v", err)
	}

	tests := []struct {
		name     string
		afterSeq int64
		limit    int
		want     []journeystate.Message
	}{
		{"all", 0, 100, all},
		{"after 3", 3, 100, all[3:]},
		{"after 2 limit 2", 2, 2, all[2:4]},
		{"limit 1", 0, 1, all[:1]},
		{"after last", 7, 100, nil},
		{"after beyond", 70, 100, nil},
	}
	for _, tt := range tests {
		t.Run("Messages "+tt.name, func(t *testing.T) {
			got, err := s.Messages(ctx, conv.ID, tt.afterSeq, tt.limit)
			if err != nil {
				t.Fatalf("Messages(%d, %d) = %v", tt.afterSeq, tt.limit, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("Messages(%d, %d) mismatch (-want +got):\n%s", tt.afterSeq, tt.limit, diff)
			}
		})
	}

	recent := []struct {
		limit int
		want  []journeystate.Message
	}{
		{1, all[6:]},
		{3, all[4:]},
		{7, all},
		{50, all},
	}
	for _, tt := range recent {
		t.Run(fmt.Sprintf("RecentMessages %d", tt.limit), func(t *testing.T) {
			got, err := s.RecentMessages(ctx, conv.ID, tt.limit)
			if err != nil {
				t.Fatalf("RecentMessages(%d) = %v", tt.limit, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("RecentMessages(%d) mismatch (-want +got):\n%s", tt.limit, diff)
			}
		})
	}

	empty := newConversation(t, s, c.ID, "empty")
	if got, err := s.Messages(ctx, empty.ID, 0, 10); err != nil || len(got) != 0 {
		t.Errorf("Messages(empty conversation) = %d messages, %v; want none", len(got), err)
	}
	if got, err := s.RecentMessages(ctx, empty.ID, 10); err != nil || len(got) != 0 {
		t.Errorf("RecentMessages(empty conversation) = %d messages, %v; want none", len(got), err)
	}
	if _, err := s.Messages(ctx, "no-such-conversation", 0, 10); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Messages(unknown conversation) = %v, want ErrNotFound", err)
	}
	if _, err := s.RecentMessages(ctx, "no-such-conversation", 10); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("RecentMessages(unknown conversation) = %v, want ErrNotFound", err)
	}
}

func testAppendMessageConcurrent(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	c := newCustomer(t, s, "v_par")
	conv := newConversation(t, s, c.ID, "t")
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = s.AppendMessage(t.Context(), customerMessage(conv, fmt.Sprintf("p%d", i), "parallel"))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("AppendMessage #%d = %v", i, err)
		}
	}
	got, err := s.Messages(t.Context(), conv.ID, 0, 1000)
	if err != nil {
		t.Fatalf("Messages() = %v", err)
	}
	if len(got) != n {
		t.Fatalf("stored %d messages, want %d", len(got), n)
	}
	clientIDs := make(map[string]bool)
	for i, m := range got {
		if m.Seq != int64(i+1) {
			t.Errorf("message #%d has seq %d, want %d (contiguous from 1)", i, m.Seq, i+1)
		}
		clientIDs[m.ClientID] = true
	}
	if len(clientIDs) != n {
		t.Errorf("distinct client ids stored = %d, want %d", len(clientIDs), n)
	}
	if after, _ := s.Conversation(t.Context(), conv.ID); after.LastSeq != n {
		t.Errorf("LastSeq = %d, want %d", after.LastSeq, n)
	}
	if evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), "message"); len(evs) != n {
		t.Errorf("message events = %d, want %d", len(evs), n)
	}
}

func testAppendMessageConcurrentDuplicate(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	c := newCustomer(t, s, "v_pardup")
	conv := newConversation(t, s, c.ID, "t")
	const n = 16
	ids := make([]string, n)
	dups := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m, dup, err := s.AppendMessage(t.Context(), customerMessage(conv, "same", "resent"))
			ids[i], dups[i], errs[i] = m.ID, dup, err
		})
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("AppendMessage #%d = %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("AppendMessage #%d = %s, want %s (one message per client id)", i, ids[i], ids[0])
		}
		if !dups[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("calls that stored the message = %d, want 1", fresh)
	}
	if evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), "message"); len(evs) != 1 {
		t.Errorf("message events = %d, want 1", len(evs))
	}
}
