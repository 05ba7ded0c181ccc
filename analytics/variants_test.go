package analytics

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The golden log's variants, by hand. c5 and c6 take the same activities (aw, on, da); every other case is a
// variant of its own. Ties of one case are in lexical order of their activities: [aw co aw] < [aw co op pu on]
// (third activity "awareness" < "order_placed") < [aw op pu] < [co op pu]. Durations: c5 130m and c6 80m, mean
// 105m; c3 40m; c1 90m; c2 20m; c4 60m.
func TestVariantsGolden(t *testing.T) {
	want := []Variant{
		{Activities: []string{"awareness", "onboarding", "device_activated"}, Count: 2, Share: 2.0 / 6,
			MeanDuration: mins(105), Examples: []string{"c5", "c6"}},
		{Activities: []string{"awareness", "consideration", "awareness"}, Count: 1, Share: 1.0 / 6,
			MeanDuration: mins(40), Examples: []string{"c3"}},
		{Activities: []string{"awareness", "consideration", "order_placed", "purchase", "onboarding"}, Count: 1,
			Share: 1.0 / 6, MeanDuration: mins(90), Examples: []string{"c1"}},
		{Activities: []string{"awareness", "order_placed", "purchase"}, Count: 1, Share: 1.0 / 6,
			MeanDuration: mins(20), Examples: []string{"c2"}},
		{Activities: []string{"consideration", "order_placed", "purchase"}, Count: 1, Share: 1.0 / 6,
			MeanDuration: mins(60), Examples: []string{"c4"}},
	}
	if diff := cmp.Diff(want, Variants(goldenLog())); diff != "" {
		t.Errorf("variants (-want +got):\n%s", diff)
	}
}

// Stage paths: c1 aw co pu on; c2 aw pu; c3 aw co aw; c4 co pu; c5 and c6 aw on. Position 0 links: aw→co (c1, c3),
// aw→on (c5, c6), aw→pu (c2), co→pu (c4); position 1: co→aw (c3), co→pu (c1); position 2: pu→on (c1). aw→on and
// co→aw are the links no desired path has.
func TestStagePathsGolden(t *testing.T) {
	want := []PathFlow{
		{0, "awareness", "consideration", 2, true},
		{0, "awareness", "onboarding", 2, false},
		{0, "awareness", "purchase", 1, true},
		{0, "consideration", "purchase", 1, true},
		{1, "consideration", "awareness", 1, false},
		{1, "consideration", "purchase", 1, true},
		{2, "purchase", "onboarding", 1, true},
	}
	if diff := cmp.Diff(want, StagePaths(goldenLog(), testMap)); diff != "" {
		t.Errorf("stage paths (-want +got):\n%s", diff)
	}
}

func TestStageTracesCollapseRepeats(t *testing.T) {
	tr := Trace{CaseID: "x", Steps: []Step{
		{Activity: "awareness", Kind: KindStage}, {Activity: "page_viewed", Kind: KindEvent},
		{Activity: "awareness", Kind: KindStage}, {Activity: "purchase", Kind: KindStage},
		{Activity: "awareness", Kind: KindStage},
	}}
	var got []string
	for _, s := range StageTraces([]Trace{tr})[0].Steps {
		got = append(got, s.Activity)
	}
	if diff := cmp.Diff([]string{"awareness", "purchase", "awareness"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(tr.Steps) != 5 {
		t.Errorf("StageTraces changed its input")
	}
}
