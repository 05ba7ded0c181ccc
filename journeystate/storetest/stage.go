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

func testSetStage(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_stage")
	conv := newConversation(t, s, c.ID, "t")
	back := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

	steps := []struct {
		name        string
		change      journeystate.StageChange
		wantStage   string
		wantChanged bool
		wantErr     error
	}{
		{"first stage", journeystate.StageChange{From: "", To: "awareness", Actor: journeystate.ActorRule,
			Cause: "event viewed_pricing", Channel: journeystate.ChannelWeb, ConversationID: conv.ID},
			"awareness", true, nil},
		{"already there", journeystate.StageChange{From: "", To: "awareness", Actor: journeystate.ActorRule},
			"awareness", false, nil},
		{"stale from", journeystate.StageChange{From: "", To: "purchase", Actor: journeystate.ActorBot},
			"awareness", false, journeystate.ErrConflict},
		{"back-filled", journeystate.StageChange{From: "awareness", To: "purchase", Actor: journeystate.ActorSystem,
			Cause: "event order_placed", Time: back}, "purchase", true, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := events(t, s, journeystate.EventQuery{CustomerID: c.ID})
			got, changed, err := s.SetStage(ctx, c.ID, st.change)
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("SetStage(%+v) = %v, want %v", st.change, err, st.wantErr)
			}
			if changed != st.wantChanged {
				t.Errorf("SetStage() changed = %v, want %v", changed, st.wantChanged)
			}
			stored, err := s.Customer(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Stage != st.wantStage {
				t.Errorf("stored stage = %q, want %q", stored.Stage, st.wantStage)
			}
			if st.wantErr == nil {
				if diff := cmp.Diff(stored, got, cmpOpts); diff != "" {
					t.Errorf("SetStage() returned another customer than stored (-stored +got):\n%s", diff)
				}
			}
			added := events(t, s, journeystate.EventQuery{CustomerID: c.ID})[len(before):]
			if !st.wantChanged {
				if len(added) != 0 {
					t.Errorf("SetStage recorded %d events, want none", len(added))
				}
				return
			}
			checkUTCNow(t, "UpdatedAt", got.UpdatedAt)
			if len(added) != 1 {
				t.Fatalf("SetStage recorded %d events, want 1", len(added))
			}
			from, _ := json.Marshal(map[string]string{"from": st.change.From, "to": st.change.To})
			want := journeystate.Event{
				ID: added[0].ID, Seq: added[0].Seq, CustomerID: c.ID, ConversationID: st.change.ConversationID,
				Type: "stage_changed", Channel: st.change.Channel, Actor: st.change.Actor, Cause: st.change.Cause,
				Payload: from, Time: st.change.Time,
			}
			if st.change.Time.IsZero() {
				checkUTCNow(t, "event Time", added[0].Time)
				want.Time = added[0].Time
			}
			if diff := cmp.Diff(want, added[0], cmpOpts); diff != "" {
				t.Errorf("stage_changed event mismatch (-want +got):\n%s", diff)
			}
		})
	}

	bad := []struct {
		name     string
		id       string
		change   journeystate.StageChange
		notFound bool
	}{
		{"unknown customer", "no-such-customer", journeystate.StageChange{From: "purchase", To: "x", Actor: journeystate.ActorBot}, true},
		{"no stage", c.ID, journeystate.StageChange{From: "purchase", Actor: journeystate.ActorBot}, false},
		{"unknown actor", c.ID, journeystate.StageChange{From: "purchase", To: "x", Actor: "martian"}, false},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.SetStage(ctx, tt.id, tt.change); err == nil ||
				(tt.notFound && !errors.Is(err, journeystate.ErrNotFound)) {
				t.Errorf("SetStage(%+v) = %v, want an error (ErrNotFound: %v)", tt.change, err, tt.notFound)
			}
		})
	}
	if got, _ := s.Customer(ctx, c.ID); got.Stage != "purchase" {
		t.Errorf("after refused changes stage = %q, want purchase", got.Stage)
	}
}

func testSetStageConcurrent(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	c := newCustomer(t, s, "v_stage_race")
	const n = 8
	changed := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, changed[i], errs[i] = s.SetStage(t.Context(), c.ID, journeystate.StageChange{
				From: "", To: fmt.Sprintf("stage_%d", i), Actor: journeystate.ActorRule,
			})
		})
	}
	wg.Wait()
	wins := 0
	for i := range n {
		switch {
		case errs[i] == nil && changed[i]:
			wins++
		case !errors.Is(errs[i], journeystate.ErrConflict):
			t.Errorf("SetStage #%d = changed %v, %v; want a change or ErrConflict", i, changed[i], errs[i])
		}
	}
	if wins != 1 {
		t.Errorf("%d racing changes from one stage won, want 1", wins)
	}
	if n := len(ofType(events(t, s, journeystate.EventQuery{CustomerID: c.ID}), "stage_changed")); n != 1 {
		t.Errorf("stage_changed events = %d, want 1", n)
	}
}
