package analytics

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/journeybot/journeybot/journeystate"
)

// The golden log against testMap, by hand (footprint: start→aw; aw→co, co→pu, pu→on, aw→pu; only onboarding ends
// a path; the goal is the event device_activated):
//
//	case stage path      moves allowed  first deviation                       fits  goal  ends  fell out
//	c1   aw co pu on      4     4       -                                     yes   no    on    no (on ends a path)
//	c2   aw pu            2     2       -                                     yes   no    pu    yes
//	c3   aw co aw         3     2       @2 co→aw: no way back (Skipped nil)   no    no    aw    yes
//	c4   co pu            2     1       @0 start→co: skips aw                 no    no    pu    yes
//	c5   aw on            2     1       @1 aw→on: skips pu (via quick)        no    yes   on    no
//	c6   aw on            2     1       @1 aw→on: skips pu                    no    yes   on    no
//
// Log fitness 11/15. Nearest paths by longest common subsequence: c3 researched 2 vs quick 1; c4 researched 2
// (co pu) vs 1; c5/c6 2 vs 2, a tie to researched, first in map order.
//
// Per stage (cases, not visits): awareness reached by c1 c2 c3 c5 c6 = 5, ended 1 (c3), fell out 1, continued 4;
// consideration c1 c3 c4 = 3, ended 0; purchase c1 c2 c4 = 3, ended 2 (c2, c4), both fell out, continued 1;
// onboarding c1 c5 c6 = 3, all ended, none fell out. Ended sums to the six cases.
//
// Cost, with facts for c1 (0 hand-offs, rated 5), c2 (0, 4), c3 (2, 1) and c4 (1, unrated); c5 and c6 have no
// facts, so their traces' hand-offs count (1 and 0) and they are unrated. Fitting c1 c2: 0 hand-offs, rating 4.5
// from 2; deviating c3 c4 c5 c6: (2+1+1+0)/4 = 1 hand-off, rating 1 from 1.
func TestConformanceGolden(t *testing.T) {
	facts := map[string]CaseFacts{"c1": {0, 5}, "c2": {0, 4}, "c3": {2, 1}, "c4": {1, 0}}
	got := Conformance(goldenLog(), testMap, facts)
	stages := func(s ...string) []string { return s }
	want := ConformanceReport{
		Cases: 6, Fitting: 2, Deviating: 4, Fitness: 11.0 / 15,
		Traces: []TraceFit{
			{CaseID: "c1", Stages: stages("awareness", "consideration", "purchase", "onboarding"), Moves: 4, Allowed: 4,
				Fitness: 1, Fits: true},
			{CaseID: "c2", Stages: stages("awareness", "purchase"), Moves: 2, Allowed: 2, Fitness: 1, Fits: true,
				FellOut: true},
			{CaseID: "c3", Stages: stages("awareness", "consideration", "awareness"), Moves: 3, Allowed: 2,
				Fitness: 2.0 / 3, FellOut: true,
				Deviation: &Deviation{Position: 2, From: "consideration", To: "awareness", Path: "researched"}},
			{CaseID: "c4", Stages: stages("consideration", "purchase"), Moves: 2, Allowed: 1, Fitness: 0.5,
				FellOut: true,
				Deviation: &Deviation{Position: 0, From: "", To: "consideration", Path: "researched",
					Skipped: stages("awareness")}},
			{CaseID: "c5", Stages: stages("awareness", "onboarding"), Moves: 2, Allowed: 1, Fitness: 0.5, Goal: true,
				Deviation: &Deviation{Position: 1, From: "awareness", To: "onboarding", Path: "researched",
					Skipped: stages("purchase")}},
			{CaseID: "c6", Stages: stages("awareness", "onboarding"), Moves: 2, Allowed: 1, Fitness: 0.5, Goal: true,
				Deviation: &Deviation{Position: 1, From: "awareness", To: "onboarding", Path: "researched",
					Skipped: stages("purchase")}},
		},
		Stages: []StageFlow{
			{Stage: "awareness", Known: true, Reached: 5, Continued: 4, Ended: 1, FellOut: 1, FallOut: 0.2},
			{Stage: "consideration", Known: true, Reached: 3, Continued: 3},
			{Stage: "purchase", Known: true, Reached: 3, Continued: 1, Ended: 2, FellOut: 2, FallOut: 2.0 / 3},
			{Stage: "onboarding", Known: true, Reached: 3, Ended: 3},
		},
		Deviations: []DeviationCount{
			{From: "awareness", To: "onboarding", Count: 2, Cases: 2},
			{From: "", To: "consideration", Count: 1, Cases: 1},
			{From: "consideration", To: "awareness", Count: 1, Cases: 1},
		},
		FittingCost:   Cost{Cases: 2, MeanHandoffs: 0, Rated: 2, MeanRating: 4.5},
		DeviatingCost: Cost{Cases: 4, MeanHandoffs: 1, Rated: 1, MeanRating: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conformance (-want +got):\n%s", diff)
	}
}

// Stages the map does not know are never allowed and are reported after the map's own, by name; a stage goal
// stops a fall-out; a case without stages is left out; a map without paths allows nothing.
func TestConformanceEdges(t *testing.T) {
	st := func(names ...string) Trace {
		tr := Trace{CaseID: names[0]}
		for _, n := range names[1:] {
			tr.Steps = append(tr.Steps, Step{Activity: n, Kind: KindStage, Time: t0})
		}
		return tr
	}
	m := testMap
	m.Goals = []journeystate.Goal{{Name: "bought", Stage: "purchase"}}
	traces := []Trace{
		st("u1", "awareness", "zeta"),
		st("u2", "awareness", "alpha", "awareness"),
		st("u3", "awareness", "purchase"),
		{CaseID: "empty", Steps: []Step{{Activity: "order_placed", Kind: KindEvent}}},
		st("one", "awareness"),
	}
	rep := Conformance(traces, m, nil)
	if rep.Cases != 4 || rep.Fitting != 2 || rep.Deviating != 2 {
		t.Fatalf("cases %d fitting %d deviating %d, want 4, 2, 2", rep.Cases, rep.Fitting, rep.Deviating)
	}
	var names []string
	for _, s := range rep.Stages {
		names = append(names, s.Stage)
	}
	if diff := cmp.Diff([]string{"awareness", "consideration", "purchase", "onboarding", "alpha", "zeta"}, names); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	if s := rep.Stages[5]; s.Known || s.FellOut != 1 {
		t.Errorf("zeta = %+v, want unknown, fell out once", s)
	}
	// u2 deviates into alpha and back out of it: two moves not allowed, the first one reported.
	if d := rep.Traces[1].Deviation; d == nil || d.To != "alpha" || d.Skipped != nil || rep.Traces[1].Allowed != 1 {
		t.Errorf("u2 = %+v, want first deviation into alpha, 1 move of 3 allowed", rep.Traces[1])
	}
	if rep.Traces[2].FellOut || !rep.Traces[2].Goal {
		t.Errorf("u3 reached the purchase goal: %+v", rep.Traces[2])
	}
	if rep.Traces[3].CaseID != "one" || !rep.Traces[3].FellOut {
		t.Errorf("one-stage case = %+v, want fitting and fallen out at awareness", rep.Traces[3])
	}

	none := Conformance(traces, journeystate.JourneyMap{Stages: testMap.Stages}, nil)
	if none.Fitting != 0 || none.Fitness != 0 || none.Traces[0].Deviation.Path != "" {
		t.Errorf("no paths: fitting %d fitness %v, path %q; want nothing allowed", none.Fitting, none.Fitness,
			none.Traces[0].Deviation.Path)
	}
	if empty := Conformance(nil, testMap, nil); empty.Cases != 0 || empty.Fitness != 0 || len(empty.Stages) != 4 {
		t.Errorf("empty log = %+v", empty)
	}
}
