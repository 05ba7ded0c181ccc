package analytics

// Variants: the distinct activity sequences of a log with their traffic (van der Aalst 2016: a log as a multiset
// of traces, each distinct trace a variant), and the stage paths for a flow (Sankey) chart.

import (
	"cmp"
	"encoding/binary"
	"slices"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Variant is a distinct sequence of activities and the cases that took it.
type Variant struct {
	Activities []string
	Count      int     // cases
	Share      float64 // Count over the cases with at least one step
	// MeanDuration is the mean time from a case's first step to its last.
	MeanDuration time.Duration
	// Examples are up to MaxExamples of its case ids, in the order of the traces.
	Examples []string
}

// variantAcc accumulates one variant; ids are the activities in the alphabet of variantsOf.
type variantAcc struct {
	ids      []int32
	first    int // index of the first trace with it, the sequence to name it by
	count    int
	duration float64 // sum, in float64: hostile times may overflow an int64 sum
	examples []string
}

// variantsOf groups traces by their activity sequence. of[i] is trace i's index in accs, -1 for a trace without
// steps; accs are in order of first appearance; cases counts the traces with steps.
func variantsOf(traces []Trace) (a *alphabet, accs []variantAcc, of []int32, cases int) {
	a = newAlphabet()
	at := map[string]int32{}
	of = make([]int32, len(traces))
	var key []byte
	var ids []int32
	for ti := range traces {
		steps := traces[ti].Steps
		if len(steps) == 0 {
			of[ti] = -1
			continue
		}
		cases++
		key, ids = key[:0], ids[:0]
		for si := range steps {
			id := a.id(steps[si].Activity)
			ids = append(ids, id)
			key = binary.AppendUvarint(key, uint64(id))
		}
		vi, ok := at[string(key)]
		if !ok {
			vi = int32(len(accs))
			at[string(key)] = vi
			accs = append(accs, variantAcc{ids: slices.Clone(ids), first: ti})
		}
		v := &accs[vi]
		v.count++
		v.duration += float64(traces[ti].Duration())
		if len(v.examples) < MaxExamples {
			v.examples = append(v.examples, traces[ti].CaseID)
		}
		of[ti] = vi
	}
	return a, accs, of, cases
}

// Variants returns the variants of traces, most cases first, then by their activities in lexical order. Traces
// without steps are left out.
func Variants(traces []Trace) []Variant {
	a, accs, _, cases := variantsOf(traces)
	out := make([]Variant, len(accs))
	for i, v := range accs {
		out[i] = v.variant(a, cases)
	}
	sortVariants(out)
	return out
}

func (v variantAcc) variant(a *alphabet, cases int) Variant {
	acts := make([]string, len(v.ids))
	for i, id := range v.ids {
		acts[i] = a.names[id]
	}
	return Variant{
		Activities:   acts,
		Count:        v.count,
		Share:        share(v.count, cases),
		MeanDuration: floatDuration(v.duration / float64(v.count)),
		Examples:     v.examples,
	}
}

func sortVariants(vs []Variant) {
	slices.SortFunc(vs, func(x, y Variant) int { return compareVariants(x.Count, y.Count, x.Activities, y.Activities) })
}

// compareVariants orders variants most cases first, then by their activities in lexical order.
func compareVariants(nx, ny int, x, y []string) int {
	if c := cmp.Compare(ny, nx); c != 0 {
		return c
	}
	return slices.Compare(x, y)
}

// StageTraces returns traces projected on their stages: only KindStage steps, a run of steps into one stage
// collapsed into its first; Intents are shared with traces. Variants(StageTraces(log)) are the stage-path variants.
func StageTraces(traces []Trace) []Trace {
	out := make([]Trace, len(traces))
	for i, t := range traces {
		out[i] = t
		out[i].Steps = stageSteps(t.Steps)
	}
	return out
}

func stageSteps(steps []Step) []Step {
	n := 0
	for i := range steps {
		if steps[i].Kind == KindStage {
			n++
		}
	}
	out := make([]Step, 0, n)
	for _, s := range steps {
		if s.Kind == KindStage && (len(out) == 0 || out[len(out)-1].Activity != s.Activity) {
			out = append(out, s)
		}
	}
	return out
}

// PathFlow is one link of a flow (Sankey) chart of stage paths: Value cases had From as their stage at Position
// (0 for the first stage of a case) and To at Position+1.
type PathFlow struct {
	Position int
	From, To string
	Value    int
	// Desired reports whether To directly follows From in one of the map's paths.
	Desired bool
}

// StagePaths returns the flow links of the traces' stage paths (StageTraces), by Position, then most cases first,
// then by From and To. A node of the chart is a (Position, stage) pair; the cases that end at a node are its
// inflow minus its outflow. Positions are not capped: a caller drawing a chart cuts them where it likes.
func StagePaths(traces []Trace, m journeystate.JourneyMap) []PathFlow {
	fp := newFootprint(m)
	type link struct {
		pos      int
		from, to string
	}
	at := map[link]int{}
	var out []PathFlow
	for _, t := range traces {
		var prev string
		pos := -1
		for _, s := range t.Steps {
			if s.Kind != KindStage || (pos >= 0 && s.Activity == prev) {
				continue
			}
			if pos >= 0 {
				l := link{pos, prev, s.Activity}
				i, ok := at[l]
				if !ok {
					i = len(out)
					at[l] = i
					out = append(out, PathFlow{Position: pos, From: prev, To: s.Activity, Desired: fp.allowsNames(prev, s.Activity)})
				}
				out[i].Value++
			}
			prev = s.Activity
			pos++
		}
	}
	slices.SortFunc(out, func(x, y PathFlow) int {
		if c := cmp.Compare(x.Position, y.Position); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Value, x.Value); c != 0 {
			return c
		}
		if c := cmp.Compare(x.From, y.From); c != 0 {
			return c
		}
		return cmp.Compare(x.To, y.To)
	})
	return out
}
