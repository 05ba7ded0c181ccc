package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

// appendCustomerMessages appends n customer messages to conv, with client ids prefix-1, prefix-2, ...
func appendCustomerMessages(t *testing.T, s journeystate.Store, conv journeystate.Conversation, prefix string, n int) []journeystate.Message {
	t.Helper()
	var out []journeystate.Message
	for i := range n {
		m, _, err := s.AppendMessage(t.Context(), customerMessage(conv, fmt.Sprintf("%s-%d", prefix, i+1), "hello"))
		if err != nil {
			t.Fatalf("AppendMessage() = %v", err)
		}
		out = append(out, m)
	}
	return out
}

func testSetSummary(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_summary")
	conv := newConversation(t, s, c.ID, "t")
	appendCustomerMessages(t, s, conv, "m", 3)
	other := newConversation(t, s, newCustomer(t, s, "v_summary_other").ID, "t")
	appendCustomerMessages(t, s, other, "m", 1)

	got, err := s.SetSummary(ctx, c.ID, conv.ID, 2, "Asked about the T2.")
	if err != nil {
		t.Fatalf("SetSummary() = %v", err)
	}
	if got.Memory.Summary != "Asked about the T2." {
		t.Errorf("Memory.Summary = %q, want the summary", got.Memory.Summary)
	}
	checkUTCNow(t, "SummaryUpdatedAt", got.Memory.SummaryUpdatedAt)
	stored, err := s.Customer(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, stored, cmpOpts); diff != "" {
		t.Errorf("stored customer differs (-returned +stored):\n%s", diff)
	}
	sconv, err := s.Conversation(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sconv.SummarizedSeq != 2 || sconv.LastSeq != 3 {
		t.Errorf("conversation SummarizedSeq, LastSeq = %d, %d; want 2, 3", sconv.SummarizedSeq, sconv.LastSeq)
	}
	evs := ofType(events(t, s, journeystate.EventQuery{CustomerID: c.ID}), "summary_updated")
	if len(evs) != 1 {
		t.Fatalf("summary_updated events = %d, want 1", len(evs))
	}
	want := json.RawMessage(fmt.Sprintf(`{"conversation_id":%q,"seq":2,"length":19}`, conv.ID))
	if !jsonEqual(evs[0].Payload, want) || evs[0].ConversationID != conv.ID {
		t.Errorf("summary_updated = conversation %q payload %s, want %s", evs[0].ConversationID, evs[0].Payload, want)
	}

	if _, err := s.SetSummary(ctx, c.ID, conv.ID, 3, "All of it."); err != nil {
		t.Errorf("SetSummary(up to the last message) = %v", err)
	}
	bad := []struct {
		name     string
		customer string
		conv     string
		seq      int64
		summary  string
		want     error // nil: any error
	}{
		{"past the last message", c.ID, conv.ID, 4, "x", nil},
		{"seq zero", c.ID, conv.ID, 0, "x", nil},
		{"going back", c.ID, conv.ID, 1, "x", journeystate.ErrConflict},
		{"another customer's conversation", c.ID, other.ID, 1, "x", journeystate.ErrNotFound},
		{"unknown conversation", c.ID, "no-such-conversation", 1, "x", journeystate.ErrNotFound},
		{"unknown customer", "no-such-customer", conv.ID, 1, "x", journeystate.ErrNotFound},
		{"huge summary", c.ID, conv.ID, 3, string(make([]byte, 1<<20)), nil},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.SetSummary(ctx, tt.customer, tt.conv, tt.seq, tt.summary)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("SetSummary() = %v, want an error (%v)", err, tt.want)
			}
			got, err := s.Customer(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Memory.Summary != "All of it." {
				t.Errorf("after a refused SetSummary the summary is %q", got.Memory.Summary)
			}
		})
	}
}

func testQuietConversations(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	// Made in this order, so least recently updated first: unsummarized, partly, then summarized and empty.
	unsummarized := newConversation(t, s, newCustomer(t, s, "v_quiet_1").ID, "t")
	appendCustomerMessages(t, s, unsummarized, "m", 2)
	partly := newConversation(t, s, newCustomer(t, s, "v_quiet_2").ID, "t")
	appendCustomerMessages(t, s, partly, "m", 3)
	summarized := newConversation(t, s, newCustomer(t, s, "v_quiet_3").ID, "t")
	appendCustomerMessages(t, s, summarized, "m", 2)
	newConversation(t, s, newCustomer(t, s, "v_quiet_4").ID, "t")
	for _, conv := range []journeystate.Conversation{partly, summarized} {
		if _, err := s.SetSummary(ctx, conv.CustomerID, conv.ID, 2, "so far"); err != nil {
			t.Fatal(err)
		}
	}

	ids := func(convs []journeystate.Conversation) []string {
		var out []string
		for _, c := range convs {
			out = append(out, c.ID)
		}
		return out
	}
	later := time.Now().Add(time.Minute)
	tests := []struct {
		name   string
		before time.Time
		limit  int
		want   []string
	}{
		{"all quiet", later, 0, []string{unsummarized.ID, partly.ID}},
		{"limit", later, 1, []string{unsummarized.ID}},
		{"none quiet yet", time.Now().Add(-time.Hour), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.QuietConversations(ctx, tt.before, tt.limit)
			if err != nil {
				t.Fatalf("QuietConversations() = %v", err)
			}
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("QuietConversations() (-want +got):\n%s", diff)
			}
		})
	}

	// A new message in the summarized conversation makes it wait again, as the most recently updated one.
	appendCustomerMessages(t, s, summarized, "n", 1)
	got, err := s.QuietConversations(ctx, later, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{unsummarized.ID, partly.ID, summarized.ID}, ids(got)); diff != "" {
		t.Errorf("QuietConversations() after a new message (-want +got):\n%s", diff)
	}
	if len(got) == 3 && (got[1].SummarizedSeq != 2 || got[1].LastSeq != 3) {
		t.Errorf("partly summarized: SummarizedSeq, LastSeq = %d, %d; want 2, 3", got[1].SummarizedSeq, got[1].LastSeq)
	}
	if _, err := s.QuietConversations(ctx, later, -1); err == nil {
		t.Error("QuietConversations(limit -1) = nil error, want one")
	}
}

func testEventsNewest(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_newest")
	var all []journeystate.Event
	for i := range 6 {
		e, _, err := s.AppendEvent(ctx, journeystate.Event{CustomerID: c.ID, Type: fmt.Sprintf("n%d", i),
			Actor: journeystate.ActorSystem})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	tests := []struct {
		name string
		q    journeystate.EventQuery
		want []journeystate.Event
	}{
		{"newest", journeystate.EventQuery{CustomerID: c.ID, Limit: 2, Newest: true}, all[4:]},
		{"newest after seq", journeystate.EventQuery{CustomerID: c.ID, AfterSeq: all[2].Seq, Limit: 10, Newest: true}, all[3:]},
		{"oldest", journeystate.EventQuery{CustomerID: c.ID, Limit: 2}, all[:2]},
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
}
