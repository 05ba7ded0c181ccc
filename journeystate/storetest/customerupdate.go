package storetest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testUpdateCustomer(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_update")
	conv := newConversation(t, s, c.ID, "t")

	steps := []struct {
		name    string
		update  journeystate.CustomerUpdate
		want    journeystate.Customer // Profile, Traits and Memory.Facts
		payload string                // of the customer_updated event; "" when none is recorded
	}{
		{
			name: "first",
			update: journeystate.CustomerUpdate{
				Profile: journeystate.Profile{Name: "Ada", Email: "ada@example.com"},
				Traits:  map[string]string{"plan": "pro", "tier": "gold"},
				Facts:   map[string]string{"thermostat_model": "T2"},
				Actor:   journeystate.ActorAgent, Cause: "console edit", Channel: journeystate.ChannelWeb,
				ConversationID: conv.ID,
			},
			want: journeystate.Customer{
				Profile: journeystate.Profile{Name: "Ada", Email: "ada@example.com"},
				Traits:  map[string]string{"plan": "pro", "tier": "gold"},
				Memory:  journeystate.Memory{Facts: map[string]string{"thermostat_model": "T2"}},
			},
			payload: `{"profile":{"name":"Ada","email":"ada@example.com"},"traits":{"plan":"pro","tier":"gold"},
				"facts":{"thermostat_model":"T2"}}`,
		},
		{
			name: "only what changed",
			update: journeystate.CustomerUpdate{
				Profile: journeystate.Profile{Name: "Ada", Phone: "+14155550100"},
				Traits:  map[string]string{"plan": "pro", "tier": "", "seats": "5"},
				Facts:   map[string]string{"thermostat_model": ""},
				Actor:   journeystate.ActorBot, Cause: "tool update_profile",
			},
			want: journeystate.Customer{
				Profile: journeystate.Profile{Name: "Ada", Email: "ada@example.com", Phone: "+14155550100"},
				Traits:  map[string]string{"plan": "pro", "seats": "5"},
			},
			payload: `{"profile":{"phone":"+14155550100"},"traits":{"tier":"","seats":"5"},"facts":{"thermostat_model":""}}`,
		},
		{
			name: "no change",
			update: journeystate.CustomerUpdate{
				Profile: journeystate.Profile{Name: "Ada"},
				Traits:  map[string]string{"plan": "pro", "gone": ""},
				Facts:   map[string]string{"never_set": ""},
				Actor:   journeystate.ActorBot,
			},
			want: journeystate.Customer{
				Profile: journeystate.Profile{Name: "Ada", Email: "ada@example.com", Phone: "+14155550100"},
				Traits:  map[string]string{"plan": "pro", "seats": "5"},
			},
		},
	}
	prev := c
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := events(t, s, journeystate.EventQuery{CustomerID: c.ID})
			got, err := s.UpdateCustomer(ctx, c.ID, st.update)
			if err != nil {
				t.Fatalf("UpdateCustomer() = %v", err)
			}
			want := prev
			want.Profile, want.Traits, want.Memory.Facts = st.want.Profile, st.want.Traits, st.want.Memory.Facts
			if st.payload != "" {
				want.UpdatedAt = got.UpdatedAt
				if !got.UpdatedAt.After(prev.UpdatedAt) {
					t.Errorf("UpdatedAt = %v, want after %v", got.UpdatedAt, prev.UpdatedAt)
				}
			}
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("UpdateCustomer() mismatch (-want +got):\n%s", diff)
			}
			stored, err := s.Customer(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, stored, cmpOpts); diff != "" {
				t.Errorf("stored customer differs (-returned +stored):\n%s", diff)
			}
			added := events(t, s, journeystate.EventQuery{CustomerID: c.ID})[len(before):]
			if st.payload == "" {
				if len(added) != 0 {
					t.Errorf("an update changing nothing recorded %d events: %+v", len(added), added)
				}
				return
			}
			if len(added) != 1 {
				t.Fatalf("UpdateCustomer recorded %d events, want 1", len(added))
			}
			wantEvent := journeystate.Event{
				ID: added[0].ID, Seq: added[0].Seq, CustomerID: c.ID, ConversationID: st.update.ConversationID,
				Type: "customer_updated", Channel: st.update.Channel, Actor: st.update.Actor, Cause: st.update.Cause,
				Payload: json.RawMessage(st.payload), Time: added[0].Time,
			}
			if diff := cmp.Diff(wantEvent, added[0], cmpOpts); diff != "" {
				t.Errorf("customer_updated event mismatch (-want +got):\n%s", diff)
			}
			prev = got
		})
	}
}

func testUpdateCustomerBadInput(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_update_bad")
	dconv := newConversation(t, s, newCustomer(t, s, "v_update_bad_other").ID, "t")
	ok := journeystate.CustomerUpdate{Traits: map[string]string{"plan": "pro"}, Actor: journeystate.ActorSystem}
	tests := []struct {
		name     string
		id       string
		edit     func(u *journeystate.CustomerUpdate)
		notFound bool
	}{
		{"unknown customer", "no-such-customer", func(*journeystate.CustomerUpdate) {}, true},
		{"unknown actor", c.ID, func(u *journeystate.CustomerUpdate) { u.Actor = "martian" }, false},
		{"empty trait key", c.ID, func(u *journeystate.CustomerUpdate) { u.Traits = map[string]string{"": "x"} }, false},
		{"huge trait key", c.ID, func(u *journeystate.CustomerUpdate) {
			u.Traits = map[string]string{strings.Repeat("k", 101): "x"}
		}, false},
		{"huge trait value", c.ID, func(u *journeystate.CustomerUpdate) {
			u.Traits = map[string]string{"plan": strings.Repeat("v", 2001)}
		}, false},
		{"huge fact value", c.ID, func(u *journeystate.CustomerUpdate) {
			u.Facts = map[string]string{"model": strings.Repeat("v", 2001)}
		}, false},
		{"huge name", c.ID, func(u *journeystate.CustomerUpdate) { u.Profile.Name = strings.Repeat("n", 10_000) }, false},
		{"unknown conversation", c.ID, func(u *journeystate.CustomerUpdate) { u.ConversationID = "no-such-conversation" }, true},
		{"another customer's conversation", c.ID, func(u *journeystate.CustomerUpdate) { u.ConversationID = dconv.ID }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := ok
			tt.edit(&u)
			_, err := s.UpdateCustomer(ctx, tt.id, u)
			if err == nil {
				t.Fatalf("UpdateCustomer(%+v) = nil, want an error", u)
			}
			if tt.notFound && !errors.Is(err, journeystate.ErrNotFound) {
				t.Errorf("UpdateCustomer() = %v, want ErrNotFound", err)
			}
			got, err := s.Customer(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c, got, cmpOpts); diff != "" {
				t.Errorf("a refused update changed the customer (-before +after):\n%s", diff)
			}
			if evs := ofType(events(t, s, journeystate.EventQuery{CustomerID: c.ID}), "customer_updated"); len(evs) != 0 {
				t.Errorf("a refused update recorded %d events", len(evs))
			}
		})
	}
}
