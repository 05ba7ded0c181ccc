package console_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeybot/journeybot/analytics"
	"github.com/journeybot/journeybot/console"
)

// fakeNamer names journeys by their stages, counts its calls, and fails for journeys through "renewal".
type fakeNamer struct {
	mu    sync.Mutex
	calls int
}

func (n *fakeNamer) Name(_ context.Context, j analytics.UnknownJourney) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls++
	if strings.Contains(strings.Join(j.Stages, " "), "renewal") {
		return "", errors.New("model unavailable")
	}
	return "Named " + strings.Join(j.Stages, "+"), nil
}

func TestInsightsNameUnknownJourneysOnceEach(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedJourneys(f, rep)
	mined := func(in *console.Insights) *console.Mined {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			m, err := in.Get(context.Background(), 5*time.Second)
			if err == nil && m != nil && m.At.Equal(f.clock()) {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("no insights: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	plain := console.NewInsights(countingScanner{rep}, testJourney, time.Minute, f.clock, slog.New(slog.DiscardHandler))
	t.Cleanup(plain.Close)
	base := mined(plain)
	if len(base.Unknown) == 0 {
		t.Fatal("the fixture has no unknown journey to name")
	}

	namer := &fakeNamer{}
	in := console.NewInsights(countingScanner{rep}, testJourney, time.Minute, f.clock, slog.New(slog.DiscardHandler))
	in.SetNamer(namer)
	t.Cleanup(in.Close)
	m := mined(in)
	for i, j := range m.Unknown {
		want := "Named " + strings.Join(j.Stages, "+")
		if strings.Contains(strings.Join(j.Stages, " "), "renewal") {
			want = base.Unknown[i].Name // the namer failed: the default name stays
		}
		if j.Name != want {
			t.Errorf("journey %v named %q, want %q", j.Stages, j.Name, want)
		}
	}
	calls := namer.calls
	// A refresh asks again only for what the namer could not name before.
	f.advance(2 * time.Minute)
	mined(in)
	failed := 0
	for _, j := range m.Unknown {
		if strings.Contains(strings.Join(j.Stages, " "), "renewal") {
			failed++
		}
	}
	if namer.calls != calls+failed {
		t.Errorf("the refresh asked the namer %d more times, want %d (only the failed ones)", namer.calls-calls, failed)
	}
}
