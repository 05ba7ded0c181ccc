package analytics

// Unknown journeys: frequent stage paths the journey map does not describe.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// DefaultMinSupport is the fewest cases an unknown journey has when UnknownOptions.MinSupport is 0.
const DefaultMinSupport = 2

// UnknownOptions says which variants count as frequent and how their trend is cut.
type UnknownOptions struct {
	// MinSupport is the fewest cases a variant needs; 0 means DefaultMinSupport.
	MinSupport int
	// MinShare is the smallest share of the cases (with at least one stage) a variant needs; 0 means any.
	MinShare float64
	// Periods, when it holds two times or more, are the boundaries of the trend's periods: period i holds the cases
	// that started in [Periods[i], Periods[i+1]); cases outside them count in no period. Otherwise the trend has two
	// periods, the first and second halves of the time from the earliest case start to the latest (both included).
	Periods []time.Time
}

// PeriodCount is how many cases of a journey started in a period.
type PeriodCount struct {
	Start, End time.Time
	Count      int
}

// UnknownJourney is a frequent stage path that does not fit the map.
type UnknownJourney struct {
	// Name is DefaultName's until NameJourneys asks a Namer.
	Name   string
	Stages []string
	Count  int
	// Share is Count over the cases with at least one stage.
	Share        float64
	MeanDuration time.Duration
	Examples     []string
	// Deviation is the path's first move the map does not allow (Deviation.Path names the nearest desired path).
	Deviation Deviation
	// Trend counts the journey's cases per period, oldest first; a case's time is its first stage's.
	Trend []PeriodCount
}

// UnknownJourneys returns the stage-path variants (Variants of StageTraces) with at least the options' support
// whose path does not fit the map (Conformance), most cases first.
func UnknownJourneys(traces []Trace, m journeystate.JourneyMap, opts UnknownOptions) []UnknownJourney {
	st := StageTraces(traces)
	a, accs, of, cases := variantsOf(st)
	minSupport := opts.MinSupport
	if minSupport <= 0 {
		minSupport = DefaultMinSupport
	}
	// Each variant once through Conformance: its representative trace carries its stages.
	var picked []int
	var reps []Trace
	for vi, v := range accs {
		if v.count >= minSupport && share(v.count, cases) >= opts.MinShare {
			picked = append(picked, vi)
			reps = append(reps, st[v.first])
		}
	}
	if len(picked) == 0 {
		return nil
	}
	fits := Conformance(reps, m, nil).Traces
	periods := trendPeriods(st, opts.Periods)
	fp := newFootprint(m)
	var out []UnknownJourney
	slot := map[int]int{} // variant index → index in out
	for i, vi := range picked {
		if fits[i].Fits {
			continue
		}
		v := accs[vi].variant(a, cases)
		uj := UnknownJourney{
			Stages: v.Activities, Count: v.Count, Share: v.Share, MeanDuration: v.MeanDuration,
			Examples: v.Examples, Deviation: *fits[i].Deviation,
			Trend: make([]PeriodCount, len(periods)),
		}
		copy(uj.Trend, periods)
		uj.Name = defaultName(uj, fp)
		slot[vi] = len(out)
		out = append(out, uj)
	}
	for ti := range st {
		if of[ti] < 0 {
			continue
		}
		j, ok := slot[int(of[ti])]
		if !ok {
			continue
		}
		t := st[ti].Steps[0].Time
		for p := range out[j].Trend {
			pc := &out[j].Trend[p]
			last := p == len(out[j].Trend)-1 && len(opts.Periods) < 2
			if !t.Before(pc.Start) && (t.Before(pc.End) || last && t.Equal(pc.End)) {
				pc.Count++
				break
			}
		}
	}
	slices.SortFunc(out, func(x, y UnknownJourney) int { return compareVariants(x.Count, y.Count, x.Stages, y.Stages) })
	return out
}

// trendPeriods returns the periods of the trend, with zero counts.
func trendPeriods(st []Trace, bounds []time.Time) []PeriodCount {
	if len(bounds) >= 2 {
		out := make([]PeriodCount, len(bounds)-1)
		for i := range out {
			out[i] = PeriodCount{Start: bounds[i], End: bounds[i+1]}
		}
		return out
	}
	var lo, hi time.Time
	for _, t := range st {
		if len(t.Steps) == 0 {
			continue
		}
		s := t.Steps[0].Time
		if lo.IsZero() || s.Before(lo) {
			lo = s
		}
		if hi.IsZero() || s.After(hi) {
			hi = s
		}
	}
	mid := lo.Add(hi.Sub(lo) / 2)
	return []PeriodCount{{Start: lo, End: mid}, {Start: mid, End: hi}}
}

// DefaultName names an unknown journey by its stages and how its first deviation leaves the map:
// "awareness → consideration → support (skips purchase, onboarding)", "purchase → awareness (no designed way from
// purchase to awareness)", "consideration → purchase (starts at consideration)", "awareness → trial (trial is not
// a stage of the map)". A path of more than eight stages is cut in the middle.
func DefaultName(j UnknownJourney, m journeystate.JourneyMap) string {
	return defaultName(j, newFootprint(m))
}

func defaultName(j UnknownJourney, fp *footprint) string {
	stages := j.Stages
	if len(stages) > 8 {
		stages = append(append(append([]string{}, stages[:4]...), "…"), stages[len(stages)-3:]...)
	}
	d := j.Deviation
	var why string
	switch {
	case fp.id(d.To) >= int32(len(fp.names)):
		why = d.To + " is not a stage of the map"
	case d.From == "":
		why = "starts at " + d.To
	case fp.id(d.From) >= int32(len(fp.names)):
		why = d.From + " is not a stage of the map"
	case len(d.Skipped) > 0:
		why = "skips " + strings.Join(d.Skipped, ", ")
	default:
		why = "no designed way from " + d.From + " to " + d.To
	}
	return strings.Join(stages, " → ") + " (" + why + ")"
}

// Namer names an unknown journey for people, typically with a language model. Name returns a short name, or an
// error (the journey keeps its default name); it must not keep j.
type Namer interface {
	Name(ctx context.Context, j UnknownJourney) (string, error)
}

// NameJourneys asks n to name each journey and sets Name to its answer, keeping the default name where n fails or
// answers blank. It stops at the first error of ctx. The error joins every failure, nil when n named them all.
func NameJourneys(ctx context.Context, journeys []UnknownJourney, n Namer) error {
	var errs []error
	for i := range journeys {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		name, err := n.Name(ctx, journeys[i])
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("name journey %s: %w", strings.Join(journeys[i].Stages, ">"), err))
		case strings.TrimSpace(name) != "":
			journeys[i].Name = strings.TrimSpace(name)
		}
	}
	return errors.Join(errs...)
}
