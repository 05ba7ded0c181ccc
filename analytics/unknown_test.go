package analytics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/journeybot/journeybot/journeystate"
)

// Unknown journeys of the golden log, by hand. Its stage paths: [aw co pu on] c1, [aw pu] c2, [aw co aw] c3,
// [co pu] c4, [aw on] c5 c6. With the default support of 2 only [aw on] qualifies, and it does not fit (aw→on).
// Its stage-path durations are 120m (c5) and 60m (c6), mean 90m. Case starts run from day 0 (c1) to day 6 (c6),
// so the halves are [day 0, day 3) and [day 3, day 6]: c5 (day 4) and c6 (day 6) both fall in the second.
func TestUnknownJourneysGolden(t *testing.T) {
	got := UnknownJourneys(goldenLog(), testMap, UnknownOptions{})
	want := []UnknownJourney{{
		Name:   "awareness → onboarding (skips purchase)",
		Stages: []string{"awareness", "onboarding"}, Count: 2, Share: 2.0 / 6, MeanDuration: mins(90),
		Examples:  []string{"c5", "c6"},
		Deviation: Deviation{Position: 1, From: "awareness", To: "onboarding", Path: "researched", Skipped: []string{"purchase"}},
		Trend:     []PeriodCount{{Start: day(0), End: day(3), Count: 0}, {Start: day(3), End: day(6), Count: 2}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// With a support of 1 every deviating stage path counts (the fitting [aw pu] and [aw co pu on] do not): [aw on]
// with 2 cases, then [aw co aw] and [co pu] with one each, in lexical order. Periods from the caller: c5 starts in
// [day 0, day 5), c6 in [day 5, day 7); c3 (day 2) and c4 (day 3) in the first.
func TestUnknownJourneysSupportAndPeriods(t *testing.T) {
	periods := []time.Time{day(0), day(5), day(7)}
	got := UnknownJourneys(goldenLog(), testMap, UnknownOptions{MinSupport: 1, Periods: periods})
	type row struct {
		Name  string
		Count int
		Trend []int
	}
	var rows []row
	for _, j := range got {
		r := row{Name: j.Name, Count: j.Count}
		for _, p := range j.Trend {
			r.Trend = append(r.Trend, p.Count)
		}
		rows = append(rows, r)
	}
	want := []row{
		{"awareness → onboarding (skips purchase)", 2, []int{1, 1}},
		{"awareness → consideration → awareness (no designed way from consideration to awareness)", 1, []int{1, 0}},
		{"consideration → purchase (starts at consideration)", 1, []int{1, 0}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := UnknownJourneys(goldenLog(), testMap, UnknownOptions{MinSupport: 1, MinShare: 0.3}); len(got) != 1 {
		t.Errorf("MinShare 0.3 kept %d journeys, want 1 (only [aw on] has 2/6 of the cases)", len(got))
	}
	if got := UnknownJourneys(nil, testMap, UnknownOptions{}); got != nil {
		t.Errorf("empty log: %v", got)
	}
}

// The names on the demo map's shape (config.yaml): consideration → support passes purchase and onboarding on the
// map's shortest way; a stage the map lacks is said so; a long path is cut in the middle.
func TestDefaultName(t *testing.T) {
	demo := journeystate.JourneyMap{
		Stages: []journeystate.Stage{{Name: "awareness"}, {Name: "consideration"}, {Name: "purchase"},
			{Name: "onboarding"}, {Name: "support"}, {Name: "renewal"}},
		Paths: []journeystate.Path{
			{Name: "researched_purchase", Stages: []string{"awareness", "consideration", "purchase", "onboarding"}},
			{Name: "quick_purchase", Stages: []string{"awareness", "purchase", "onboarding"}},
			{Name: "smooth_ownership", Stages: []string{"onboarding", "renewal"}},
			{Name: "supported_ownership", Stages: []string{"onboarding", "support", "renewal"}},
			{Name: "more_devices", Stages: []string{"renewal", "purchase"}},
		},
	}
	tests := []struct {
		stages []string
		want   string
	}{
		{[]string{"awareness", "consideration", "support"}, "awareness → consideration → support (skips purchase, onboarding)"},
		{[]string{"awareness", "trial"}, "awareness → trial (trial is not a stage of the map)"},
		{[]string{"support"}, "support (starts at support)"},
		{[]string{"awareness", "purchase", "onboarding", "renewal", "purchase", "onboarding", "renewal", "awareness", "support"},
			"awareness → purchase → onboarding → renewal → … → renewal → awareness → support (no designed way from renewal to awareness)"},
	}
	for _, tt := range tests {
		rep := Conformance([]Trace{stageTrace("x", tt.stages...)}, demo, nil)
		d := rep.Traces[0].Deviation
		if d == nil {
			t.Fatalf("%v fits, want a deviation", tt.stages)
		}
		if got := DefaultName(UnknownJourney{Stages: tt.stages, Deviation: *d}, demo); got != tt.want {
			t.Errorf("DefaultName(%v)\n got %q\nwant %q", tt.stages, got, tt.want)
		}
	}
}

func stageTrace(id string, stages ...string) Trace {
	tr := Trace{CaseID: id}
	for i, s := range stages {
		tr.Steps = append(tr.Steps, Step{Activity: s, Kind: KindStage, Time: t0.Add(time.Duration(i) * time.Hour)})
	}
	return tr
}

// namerFunc is a Namer backed by a function, the fake the tests use.
type namerFunc func(ctx context.Context, j UnknownJourney) (string, error)

func (f namerFunc) Name(ctx context.Context, j UnknownJourney) (string, error) { return f(ctx, j) }

func TestNameJourneys(t *testing.T) {
	js := []UnknownJourney{{Name: "a", Stages: []string{"x"}}, {Name: "b", Stages: []string{"y"}}, {Name: "c", Stages: []string{"z"}}}
	boom := errors.New("model down")
	err := NameJourneys(context.Background(), js, namerFunc(func(_ context.Context, j UnknownJourney) (string, error) {
		switch j.Stages[0] {
		case "x":
			return "  Support without buying ", nil
		case "y":
			return "", boom
		}
		return " ", nil
	}))
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the namer's error", err)
	}
	var names []string
	for _, j := range js {
		names = append(names, j.Name)
	}
	if diff := cmp.Diff([]string{"Support without buying", "b", "c"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err = NameJourneys(ctx, js, namerFunc(func(context.Context, UnknownJourney) (string, error) { called = true; return "n", nil }))
	if !errors.Is(err, context.Canceled) || called {
		t.Errorf("cancelled: err %v, called %v; want context.Canceled and no call", err, called)
	}
}
