package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testResolveIdentity(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	claim := journeystate.IdentityClaim{
		Channel: journeystate.ChannelSMS, ExternalID: "+15550100", Level: journeystate.LevelVerified,
		Profile: journeystate.Profile{Name: "Ada", Phone: "+15550100"},
	}
	first, err := s.ResolveIdentity(ctx, claim)
	if err != nil {
		t.Fatalf("ResolveIdentity(new) = %v", err)
	}
	if first.ID == "" {
		t.Fatal("new customer has no ID")
	}
	if got, want := first.Profile, claim.Profile; got != want {
		t.Errorf("new customer profile = %+v, want %+v", got, want)
	}
	checkUTCNow(t, "CreatedAt", first.CreatedAt)
	checkUTCNow(t, "UpdatedAt", first.UpdatedAt)

	// The same identity again, with other profile hints: the same customer, its profile left as it was.
	again := claim
	again.Profile = journeystate.Profile{Name: "Mallory", Email: "m@example.com"}
	second, err := s.ResolveIdentity(ctx, again)
	if err != nil {
		t.Fatalf("ResolveIdentity(known) = %v", err)
	}
	if diff := cmp.Diff(first, second, cmpOpts); diff != "" {
		t.Errorf("known identity resolved to another customer (-first +second):\n%s", diff)
	}
	stored, err := s.Customer(ctx, first.ID)
	if err != nil {
		t.Fatalf("Customer() = %v", err)
	}
	if diff := cmp.Diff(first, stored, cmpOpts); diff != "" {
		t.Errorf("Customer() differs from the resolved one (-resolved +stored):\n%s", diff)
	}

	// The same external id on another channel is another identity, so another customer.
	other, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{
		Channel: journeystate.ChannelWeb, ExternalID: claim.ExternalID, Level: journeystate.LevelAnonymous,
	})
	if err != nil {
		t.Fatalf("ResolveIdentity(other channel) = %v", err)
	}
	if other.ID == first.ID {
		t.Errorf("identities on two channels share customer %s, want two customers", first.ID)
	}
}

func testResolveIdentityConcurrent(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	const n = 16
	claim := journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: "v_race", Level: journeystate.LevelAnonymous}
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := s.ResolveIdentity(t.Context(), claim)
			ids[i], errs[i] = c.ID, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("ResolveIdentity #%d = %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("ResolveIdentity #%d = customer %s, want %s (one customer for one identity)", i, ids[i], ids[0])
		}
	}
}

func testResolveIdentityBadInput(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	tests := []struct {
		name  string
		claim journeystate.IdentityClaim
	}{
		{"no channel", journeystate.IdentityClaim{ExternalID: "x1", Level: journeystate.LevelAnonymous}},
		{"no external id", journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, Level: journeystate.LevelAnonymous}},
		{"unknown level", journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: "x2", Level: "trusted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := s.ResolveIdentity(t.Context(), tt.claim); err == nil {
				t.Fatalf("ResolveIdentity(%+v) = customer %s, want an error", tt.claim, c.ID)
			}
			_, err := s.FindIdentity(t.Context(), tt.claim.Channel, tt.claim.ExternalID)
			if !errors.Is(err, journeystate.ErrNotFound) {
				t.Errorf("after a refused claim FindIdentity = %v, want ErrNotFound", err)
			}
		})
	}
}

func testFindIdentityAndCustomer(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	if _, err := s.FindIdentity(ctx, journeystate.ChannelSlack, "U123"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("FindIdentity(unknown) = %v, want ErrNotFound", err)
	}
	// FindIdentity must not create what it does not find.
	if _, err := s.FindIdentity(ctx, journeystate.ChannelSlack, "U123"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("FindIdentity(unknown) twice = %v, want ErrNotFound", err)
	}
	if _, err := s.Customer(ctx, "no-such-customer"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Customer(unknown) = %v, want ErrNotFound", err)
	}
	levels := []journeystate.Level{journeystate.LevelAnonymous, journeystate.LevelClaimed, journeystate.LevelVerified}
	for i, level := range levels {
		t.Run(string(level), func(t *testing.T) {
			ext := fmt.Sprintf("U%d", i)
			c, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSlack, ExternalID: ext, Level: level})
			if err != nil {
				t.Fatalf("ResolveIdentity() = %v", err)
			}
			got, err := s.FindIdentity(ctx, journeystate.ChannelSlack, ext)
			if err != nil {
				t.Fatalf("FindIdentity() = %v", err)
			}
			want := journeystate.Identity{
				Channel: journeystate.ChannelSlack, ExternalID: ext, CustomerID: c.ID, Level: level, CreatedAt: c.CreatedAt,
			}
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("FindIdentity() mismatch (-want +got):\n%s", diff)
			}
			checkUTCNow(t, "identity CreatedAt", got.CreatedAt)
		})
	}
}
