package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/analytics"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/sqlite"
)

// seedTestNow is the end of the seeded history in the tests, so that two runs are the same.
var seedTestNow = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

const seedTestCustomers = 60

func seedTestConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := LoadConfig(shippedConfig, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Path = filepath.Join(t.TempDir(), "journeybot.db")
	return cfg
}

// scanAll reads the whole journey log of the database at path.
func scanAll(t *testing.T, path string) []journeystate.Event {
	t.Helper()
	store, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var all []journeystate.Event
	for after := int64(0); ; {
		evs, err := store.ScanEvents(context.Background(), after, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return all
		}
		all = append(all, evs...)
		after = evs[len(evs)-1].Seq
	}
}

func TestSeed(t *testing.T) {
	cfg := seedTestConfig(t)
	opts := seedOptions{Customers: seedTestCustomers, Days: 30, Seed: 7, Now: seedTestNow}
	got, err := seedDatabase(context.Background(), cfg, opts, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if got.Customers != seedTestCustomers {
		t.Errorf("made %d customers, want %d", got.Customers, seedTestCustomers)
	}
	events := scanAll(t, cfg.Store.Path)

	// What the store holds is what the seed counted.
	var stored SeedCounts
	channels := map[string]map[string]bool{} // customer → channels of their conversations
	var stageChanges int
	var firstOpen, lastOpen time.Time
	for _, ev := range events {
		switch ev.Type {
		case "conversation_opened":
			stored.Conversations++
			if firstOpen.IsZero() || ev.Time.Before(firstOpen) {
				firstOpen = ev.Time
			}
			if ev.Time.After(lastOpen) {
				lastOpen = ev.Time
			}
			if channels[ev.CustomerID] == nil {
				channels[ev.CustomerID] = map[string]bool{}
			}
			channels[ev.CustomerID][ev.Channel] = true
		case "message":
			stored.Messages++
		case analytics.EventHandoff:
			stored.Handoffs++
			var p journeystate.Handoff
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				t.Fatalf("hand-off %s: %v", ev.ID, err)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("hand-off packet of %s: %v", p.ConversationID, err)
			}
			if p.CustomerID != ev.CustomerID || p.Team == "" {
				t.Errorf("hand-off packet of %s names customer %q team %q, want %q and a team", p.ConversationID, p.CustomerID, p.Team, ev.CustomerID)
			}
		case journeystate.EventRating:
			stored.Ratings++
			var p struct{ Rating int }
			if err := json.Unmarshal(ev.Payload, &p); err != nil || p.Rating < 1 || p.Rating > 5 {
				t.Errorf("rating %s: %s (%v), want 1 to 5", ev.ID, ev.Payload, err)
			}
		case journeystate.EventStageChanged:
			stageChanges++
		}
	}
	// The store stamped the history over the seeded days, not all at the end.
	if start := seedTestNow.AddDate(0, 0, -opts.Days); firstOpen.After(start.AddDate(0, 0, opts.Days/3)) || !lastOpen.After(firstOpen.Add(24*time.Hour)) {
		t.Errorf("conversations opened from %s to %s, want spread over the %d days before %s", firstOpen, lastOpen, opts.Days, seedTestNow)
	}
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"conversations", stored.Conversations, got.Conversations},
		{"messages", stored.Messages, got.Messages},
		{"hand-offs", stored.Handoffs, got.Handoffs},
		{"ratings", stored.Ratings, got.Ratings},
	} {
		if c.got != c.want || c.want == 0 {
			t.Errorf("the store holds %d %s, the seed counted %d (want the same, and some)", c.got, c.name, c.want)
		}
	}
	if share := float64(got.Handoffs) / float64(got.Conversations); share < 0.08 || share > 0.4 {
		t.Errorf("%.0f%% of conversations were handed off, want about 20%%", 100*share)
	}

	// One journey spans two channels for some customers.
	two := 0
	for _, chs := range channels {
		if len(chs) >= 2 {
			two++
		}
	}
	if two == 0 || int64(two) != got.TwoChannels {
		t.Errorf("%d customers have conversations on two channels, the seed counted %d (want the same, and some)", two, got.TwoChannels)
	}

	// Stages are derived, and mostly follow the map, with deviations for the dashboard to find.
	if stageChanges == 0 {
		t.Fatal("no stage_changed events")
	}
	report := analytics.Conformance(analytics.FromEvents(events, analytics.LogOptions{}), cfg.Journey, nil)
	t.Logf("seeded %+v; %d customers on two channels; %d journeys fit, %d deviate", got, two, report.Fitting, report.Deviating)
	if report.Fitting <= report.Deviating || report.Deviating == 0 {
		t.Errorf("%d journeys fit the map and %d deviate, want most to fit and some to deviate", report.Fitting, report.Deviating)
	}

	// Seeding again is refused and changes nothing.
	_, err = seedDatabase(context.Background(), cfg, opts, os.Stderr)
	if !errors.Is(err, errSeeded) {
		t.Fatalf("seeding twice: %v, want errSeeded", err)
	}
	if after := scanAll(t, cfg.Store.Path); len(after) != len(events) {
		t.Errorf("the refused seed changed the log: %d events, had %d", len(after), len(events))
	}

	// The same seed makes the same numbers, and the command prints them.
	other := seedTestConfig(t)
	var out bytes.Buffer
	env := []string{"JOURNEYBOT_STORE_PATH=" + other.Store.Path}
	err = runDemo(context.Background(), []string{"seed", "-config", shippedConfig, "-customers", fmt.Sprint(seedTestCustomers),
		"-days", "30", "-seed", "7"}, env, &out, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		fmt.Sprintf("customers       %7d", got.Customers),
		fmt.Sprintf("conversations   %7d", got.Conversations),
		fmt.Sprintf("messages        %7d", got.Messages),
		fmt.Sprintf("hand-offs       %7d", got.Handoffs),
		fmt.Sprintf("ratings         %7d", got.Ratings),
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("the same seed printed\n%s\nwant a line with %q", out.String(), line)
		}
	}
}
