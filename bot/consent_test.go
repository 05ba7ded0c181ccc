package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

func TestConsentOrderedByLog(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	const number = "+14155550100"
	cust, err := f.store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSMS,
		ExternalID: number, Level: journeystate.LevelVerified})
	if err != nil {
		t.Fatal(err)
	}
	change := func(key string, out bool) bot.Consent {
		t.Helper()
		c, err := f.engine.SetConsent(ctx, bot.ConsentChange{Channel: journeystate.ChannelSMS, UserID: number,
			OptedOut: out, Keyword: "kw", Key: key})
		if err != nil {
			t.Fatalf("set consent %s: %v", key, err)
		}
		return c
	}
	consent := func() bool {
		t.Helper()
		c, err := f.engine.Consent(ctx, journeystate.ChannelSMS, number)
		if err != nil {
			t.Fatal(err)
		}
		return c.OptedOut
	}

	if consent() {
		t.Fatal("opted out before any change")
	}
	steps := []struct {
		name string
		key  string
		out  bool
		want bool
	}{
		{"stop", "k1", true, true},
		{"stop retried", "k1", true, true},
		{"start", "k2", false, false},
		{"old stop replayed after start", "k1", true, false},
		{"stop again", "k3", true, true},
		{"old start replayed after stop", "k2", false, true},
	}
	for _, s := range steps {
		got := change(s.key, s.out)
		if got.OptedOut != s.want || consent() != s.want {
			t.Errorf("%s: opted out %v (stored %v), want %v", s.name, got.OptedOut, consent(), s.want)
		}
	}
	evs, err := f.store.Events(ctx, journeystate.EventQuery{CustomerID: cust.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == "sms_consent" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d sms_consent events, want 3 (one per key)", n)
	}
}

func TestConsentUnknownUser(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	_, err := f.engine.SetConsent(ctx, bot.ConsentChange{Channel: journeystate.ChannelSMS, UserID: "+14155550199",
		OptedOut: true, Key: "k"})
	if !errors.Is(err, bot.ErrUnknownUser) {
		t.Fatalf("err %v, want ErrUnknownUser", err)
	}
	c, err := f.engine.Consent(ctx, journeystate.ChannelSMS, "+14155550199")
	if err != nil || c.OptedOut {
		t.Fatalf("consent of unknown user: %+v, %v; want not opted out", c, err)
	}
}

// TestConcurrentConsentChangesEndWithTheLatest: overlapping changes of one number (two webhooks at once) leave the
// consent of the change the log holds last.
func TestConcurrentConsentChangesEndWithTheLatest(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	const number = "+14155550177"
	cust, err := f.store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSMS,
		ExternalID: number, Level: journeystate.LevelVerified})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if _, err := f.engine.SetConsent(ctx, bot.ConsentChange{Channel: journeystate.ChannelSMS, UserID: number,
				OptedOut: i%2 == 0, Keyword: "kw", Key: fmt.Sprintf("race-%d", i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	evs, err := f.store.Events(ctx, journeystate.EventQuery{CustomerID: cust.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var last struct {
		State string `json:"state"`
	}
	for _, e := range evs {
		if e.Type == "sms_consent" {
			_ = json.Unmarshal(e.Payload, &last)
		}
	}
	got, err := f.engine.Consent(ctx, journeystate.ChannelSMS, number)
	if err != nil {
		t.Fatal(err)
	}
	if want := last.State == "opted_out"; got.OptedOut != want {
		t.Errorf("consent opted out = %v after the race, want %v (the log's last change: %s)", got.OptedOut, want, last.State)
	}
}
