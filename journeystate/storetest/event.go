package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testAppendEvent(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_ev")
	conv := newConversation(t, s, c.ID, "t")
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.FixedZone("PST", -8*3600))

	inputs := []journeystate.Event{
		{CustomerID: c.ID, Type: "order_placed", Actor: journeystate.ActorSystem, Cause: "segment track",
			Payload: json.RawMessage(`{"order": "A-1", "total": 12.5, "items": ["x", "y"]}`), Time: at},
		{CustomerID: c.ID, ConversationID: conv.ID, Type: "bot_turn", Channel: journeystate.ChannelWeb,
			Actor: journeystate.ActorBot, Cause: "customer message"},
		{CustomerID: c.ID, Type: "viewed_pricing", Actor: journeystate.ActorCustomer, Key: "seg-1"},
	}
	var lastSeq int64
	for i, in := range inputs {
		got, dup, err := s.AppendEvent(ctx, in)
		if err != nil || dup {
			t.Fatalf("AppendEvent(#%d) = %v, duplicate %v", i, err, dup)
		}
		if got.ID == "" || got.Seq <= lastSeq {
			t.Errorf("AppendEvent(#%d) = id %q seq %d, want an id and a seq above %d", i, got.ID, got.Seq, lastSeq)
		}
		lastSeq = got.Seq
		want := in
		want.ID, want.Seq = got.ID, got.Seq
		if in.Time.IsZero() {
			checkUTCNow(t, "Time", got.Time)
			want.Time = got.Time
		} else if got.Time.Location() != time.UTC {
			t.Errorf("Time location = %v, want UTC", got.Time.Location())
		}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("AppendEvent(#%d) mismatch (-want +got):\n%s", i, diff)
		}
		stored := events(t, s, journeystate.EventQuery{CustomerID: c.ID, AfterSeq: got.Seq - 1, Limit: 1})
		if len(stored) != 1 {
			t.Fatalf("Events(seq %d) = %d events, want 1", got.Seq, len(stored))
		}
		if diff := cmp.Diff(got, stored[0], cmpOpts); diff != "" {
			t.Errorf("stored event #%d differs (-appended +stored):\n%s", i, diff)
		}
	}
}

func testAppendEventKey(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_key")
	e := journeystate.Event{CustomerID: c.ID, Type: "order_placed", Actor: journeystate.ActorSystem, Key: "msg-42",
		Payload: json.RawMessage(`{"order":"A-1"}`)}
	first, dup, err := s.AppendEvent(ctx, e)
	if err != nil || dup {
		t.Fatalf("AppendEvent(first) = %v, duplicate %v", err, dup)
	}
	retry := e
	retry.Payload = json.RawMessage(`{"order":"A-1","retry":true}`)
	got, dup, err := s.AppendEvent(ctx, retry)
	if err != nil || !dup {
		t.Fatalf("AppendEvent(same key) = %v, duplicate %v; want duplicate", err, dup)
	}
	if diff := cmp.Diff(first, got, cmpOpts); diff != "" {
		t.Errorf("AppendEvent(same key) returned another event (-first +got):\n%s", diff)
	}

	// Racing retries store the event once.
	const n = 12
	seqs := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			race := journeystate.Event{CustomerID: c.ID, Type: "signup", Actor: journeystate.ActorSystem, Key: "race"}
			got, _, err := s.AppendEvent(t.Context(), race)
			seqs[i], errs[i] = got.Seq, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || seqs[i] != seqs[0] {
			t.Errorf("AppendEvent(race #%d) = seq %d, %v; want seq %d", i, seqs[i], errs[i], seqs[0])
		}
	}
	all := events(t, s, journeystate.EventQuery{CustomerID: c.ID})
	if got, want := len(ofType(all, "order_placed")), 1; got != want {
		t.Errorf("order_placed events = %d, want %d", got, want)
	}
	if got, want := len(ofType(all, "signup")), 1; got != want {
		t.Errorf("signup events = %d, want %d", got, want)
	}

	// A key another customer used must neither store an event nor hand out that customer's event.
	d := newCustomer(t, s, "v_key_other")
	other := e
	other.CustomerID = d.ID
	if got, _, err := s.AppendEvent(ctx, other); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("AppendEvent(other customer's key) = event %q of %q, %v; want ErrConflict", got.ID, got.CustomerID, err)
	}
	if n := len(events(t, s, journeystate.EventQuery{CustomerID: d.ID})); n != 0 {
		t.Errorf("events of the other customer = %d, want 0", n)
	}
}

func testAppendEventBadInput(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	c := newCustomer(t, s, "v_ev_bad")
	d := newCustomer(t, s, "v_ev_bad_other")
	dconv := newConversation(t, s, d.ID, "t")
	ok := journeystate.Event{CustomerID: c.ID, Type: "x", Actor: journeystate.ActorSystem}
	tests := []struct {
		name     string
		edit     func(e *journeystate.Event)
		notFound bool
	}{
		{"no customer", func(e *journeystate.Event) { e.CustomerID = "" }, false},
		{"unknown customer", func(e *journeystate.Event) { e.CustomerID = "no-such-customer" }, true},
		{"unknown conversation", func(e *journeystate.Event) { e.ConversationID = "no-such-conversation" }, true},
		{"another customer's conversation", func(e *journeystate.Event) { e.ConversationID = dconv.ID }, false},
		{"no type", func(e *journeystate.Event) { e.Type = "" }, false},
		{"unknown actor", func(e *journeystate.Event) { e.Actor = "martian" }, false},
		{"payload not JSON", func(e *journeystate.Event) { e.Payload = json.RawMessage(`{"a":`) }, false},
		{"payload not an object", func(e *journeystate.Event) { e.Payload = json.RawMessage(`[1,2]`) }, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			e.Key = fmt.Sprintf("bad-%d", i)
			tt.edit(&e)
			_, _, err := s.AppendEvent(t.Context(), e)
			if err == nil {
				t.Fatalf("AppendEvent(%+v) = nil, want an error", e)
			}
			if tt.notFound && !errors.Is(err, journeystate.ErrNotFound) {
				t.Errorf("AppendEvent(%+v) = %v, want ErrNotFound", e, err)
			}
			for _, cust := range []string{c.ID, d.ID} {
				for _, ev := range events(t, s, journeystate.EventQuery{CustomerID: cust}) {
					if ev.Type == "x" || ev.Key == e.Key {
						t.Errorf("refused event was stored: %+v", ev)
					}
				}
			}
		})
	}
}
