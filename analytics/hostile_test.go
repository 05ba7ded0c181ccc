package analytics

import (
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Every miner takes an empty log, traces without steps, one-step traces, identical timestamps, unknown stages and
// huge activity names without panicking, and gives counts that add up.
func TestMinersHostile(t *testing.T) {
	huge := strings.Repeat("ü", 1<<18)
	logs := map[string][]Trace{
		"nil":         nil,
		"no steps":    {{CaseID: "a"}, {CaseID: "b", Intents: []string{"buying"}}},
		"one step":    {stageTrace("a", "awareness"), {CaseID: "b", Steps: []Step{{Activity: "order_placed", Kind: KindEvent}}}},
		"same times":  {{CaseID: "a", Steps: []Step{{Activity: "awareness", Kind: KindStage}, {Activity: "purchase", Kind: KindStage}, {Activity: "awareness", Kind: KindStage}}}},
		"unknown":     {stageTrace("a", "mars", "venus", "mars"), stageTrace("b", "mars", "venus", "mars")},
		"huge names":  {stageTrace("a", huge, "awareness"), stageTrace("b", huge, "awareness")},
		"far times":   {{CaseID: "a", Steps: []Step{{Activity: "awareness", Kind: KindStage, Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}, {Activity: "purchase", Kind: KindStage, Time: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		"empty names": {{CaseID: "", Steps: []Step{{Activity: ""}, {Activity: "", Kind: KindStage}}}},
	}
	for name, log := range logs {
		t.Run(name, func(t *testing.T) {
			g := DFG(log)
			out, in := map[string]int{}, map[string]int{}
			for _, e := range g.Edges {
				out[e.From] += e.Count
				in[e.To] += e.Count
				if e.Mean < 0 || e.Median < 0 {
					t.Errorf("edge %s→%s has a negative time", e.From, e.To)
				}
			}
			for _, n := range g.Nodes {
				// Flow is conserved: every step is entered once and left once.
				if n.Activity != Start && in[n.Activity] != n.Count || n.Activity != End && out[n.Activity] != n.Count {
					t.Errorf("node %.20s: count %d, in %d, out %d", n.Activity, n.Count, in[n.Activity], out[n.Activity])
				}
			}
			vs := Variants(log)
			sum := 0
			for _, v := range vs {
				sum += v.Count
				if v.MeanDuration < 0 {
					t.Errorf("variant %.40v has a negative duration", v.Activities)
				}
			}
			if sum != g.Cases {
				t.Errorf("variants count %d cases, graph %d", sum, g.Cases)
			}
			rep := Conformance(log, testMap, nil)
			if rep.Fitting+rep.Deviating != rep.Cases || len(rep.Traces) != rep.Cases {
				t.Errorf("conformance: %d fitting + %d deviating != %d cases (%d traces)", rep.Fitting, rep.Deviating,
					rep.Cases, len(rep.Traces))
			}
			ended := 0
			for _, s := range rep.Stages {
				ended += s.Ended
				if s.Continued < 0 || s.FellOut > s.Ended {
					t.Errorf("stage %.20s: %+v", s.Stage, s)
				}
			}
			if ended != rep.Cases {
				t.Errorf("stages end %d cases, want %d", ended, rep.Cases)
			}
			_ = StagePaths(log, testMap)
			_ = UnknownJourneys(log, testMap, UnknownOptions{MinSupport: 1})
			_ = Categories(log, CategoryOptions{})
		})
	}
}

// A map that Validate would refuse (a path through a stage it does not list, a goal stage it lacks) still gives
// an answer: the path's stage counts as the map's.
func TestConformanceInvalidMap(t *testing.T) {
	m := journeystate.JourneyMap{
		Stages: []journeystate.Stage{{Name: "awareness"}},
		Paths:  []journeystate.Path{{Name: "p", Stages: []string{"awareness", "ghost"}}, {Name: "empty"}},
		Goals:  []journeystate.Goal{{Name: "g", Stage: "nowhere"}},
	}
	rep := Conformance([]Trace{stageTrace("a", "awareness", "ghost")}, m, nil)
	if rep.Fitting != 1 || rep.Traces[0].FellOut {
		t.Errorf("got %+v, want the case to fit and end its path", rep.Traces[0])
	}
}
