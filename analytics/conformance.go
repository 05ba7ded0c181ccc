package analytics

// Desired vs actual: every case's stage path replayed on the journey map's desired paths.

import (
	"cmp"
	"slices"

	"github.com/journeybot/journeybot/journeystate"
)

// CaseFacts are what the caller knows of a case beyond the log, for what deviating journeys cost.
type CaseFacts struct {
	Handoffs int
	// Rating is the customer's rating (1 to 5, a mean when there are several); 0 means unrated.
	Rating float64
}

// Deviation is a move the journey map does not allow.
type Deviation struct {
	// Position is the index, in TraceFit.Stages, of the stage the move entered; From is the stage before it, ""
	// for a case's first stage (a journey that starts where no desired path starts).
	Position int
	From, To string
	// Path is the name of the desired path nearest the case's whole stage path (the longest common subsequence,
	// ties to the first in map order); "" when the map has no paths.
	Path string
	// Skipped are the stages the map passes through on its shortest way from From to To; nil when To is not a
	// stage of the map or no way leads from From to To (then the move goes back or off the map).
	Skipped []string
}

// TraceFit is one case checked against the map.
type TraceFit struct {
	CaseID string
	// Stages is the case's stage path: the stages it entered, in order, a run of one stage counted once.
	Stages []string
	// Moves counts the moves into Stages[0], Stages[1], ...: len(Stages). Allowed counts those the map allows.
	Moves, Allowed int
	// Fitness is Allowed/Moves, from 0 to 1.
	Fitness float64
	// Fits reports whether every move is allowed.
	Fits bool
	// Deviation is the first move not allowed; nil when the case fits.
	Deviation *Deviation
	// Goal reports whether the case reached one of the map's goals: entered a goal's stage, or has a step of a goal's
	// business event.
	Goal bool
	// FellOut reports whether the case ended in a stage that ends no desired path, without reaching a goal.
	FellOut bool
}

// StageFlow is what cases did in one stage. Reached = Continued + Ended; FellOut ≤ Ended.
type StageFlow struct {
	Stage string
	Known bool // a stage of the map
	// Reached counts the cases that entered the stage at least once; Continued those of them that ended elsewhere;
	// Ended those whose last stage it is; FellOut those of Ended that fell out there (TraceFit.FellOut).
	Reached, Continued, Ended, FellOut int
	// FallOut is FellOut/Reached.
	FallOut float64
}

// DeviationCount is how often the map saw a move it does not allow.
type DeviationCount struct {
	From, To string
	Count    int // moves
	Cases    int // cases with the move at least once
}

// Cost is what a group of cases cost in hand-offs and ratings.
type Cost struct {
	Cases        int
	MeanHandoffs float64
	// Rated counts the cases with a rating; MeanRating is their mean, 0 when none is rated.
	Rated      int
	MeanRating float64
}

// ConformanceReport is a log checked against the journey map.
type ConformanceReport struct {
	// Cases counts the traces with at least one stage (the others have no stage path to check and are left out);
	// Fitting and Deviating split them.
	Cases, Fitting, Deviating int
	// Fitness is the log's fitness: the allowed moves over all moves of all cases.
	Fitness float64
	// Traces are the cases checked, in the order given.
	Traces []TraceFit
	// Stages are the map's stages in map order, then stages cases entered that the map does not know, by name.
	Stages []StageFlow
	// Deviations are the moves the map does not allow, most frequent first, then by From and To.
	Deviations []DeviationCount
	// FittingCost and DeviatingCost are what fitting and deviating cases cost: hand-offs from the facts given for a
	// case, or else counted in its trace; ratings from the facts.
	FittingCost, DeviatingCost Cost
}

// Conformance checks every trace's stage path against the map's desired paths by comparing footprints: a move
// into a stage is allowed when the stage directly follows the one before in some desired path, or, for a case's
// first stage, when some desired path starts with it (the moves journeystate.JourneyMap.CanMove lets the model
// make). A case fits when all its moves are allowed; its fitness, in the manner of token replay, is the share of
// its moves that are (each move not allowed is one token the model had to invent). A journey that stops part way
// along a path still fits: where cases stop is measured by the fall-out per stage. Stages the map does not know
// are never allowed. A case still under way counts as ended where the log leaves it.
//
// facts may be nil; a case missing from it has its trace's hand-off count and no rating.
func Conformance(traces []Trace, m journeystate.JourneyMap, facts map[string]CaseFacts) ConformanceReport {
	fp := newFootprint(m)
	k := len(fp.names)
	stages := newAlphabet() // map stages first, so that ids below k are the footprint's
	for _, n := range fp.names {
		stages.id(n)
	}
	goalStage := make([]bool, k)
	goalEvent := map[string]bool{}
	for _, g := range m.Goals {
		if id, ok := fp.ids[g.Stage]; ok {
			goalStage[id] = true
		}
		if g.Event != "" {
			goalEvent[g.Event] = true
		}
	}
	type flow struct{ reached, ended, fellOut, seen int }
	var flows []flow
	devAt := map[[2]int32]int{}
	var devs []DeviationCount
	type pairKey = [2]int32
	betweenMemo := map[pairKey][]string{}
	var rep ConformanceReport
	var moves, allowed int
	var fitCost, devCost costAcc
	var ids []int32
	var casePairs []pairKey

	for ti := range traces {
		t := &traces[ti]
		ids = ids[:0]
		goal := false
		for si := range t.Steps {
			s := &t.Steps[si]
			switch s.Kind {
			case KindStage:
				id := stages.id(s.Activity)
				if len(ids) == 0 || ids[len(ids)-1] != id {
					ids = append(ids, id)
				}
				if int(id) < k && goalStage[id] {
					goal = true
				}
			case KindEvent:
				if len(goalEvent) > 0 && goalEvent[s.Activity] {
					goal = true
				}
			}
		}
		if len(ids) == 0 {
			continue
		}
		for len(flows) < len(stages.names) {
			flows = append(flows, flow{seen: -1})
		}
		fit := TraceFit{CaseID: t.CaseID, Stages: make([]string, len(ids)), Moves: len(ids), Goal: goal}
		casePairs = casePairs[:0]
		prev := noStage
		for i, id := range ids {
			fit.Stages[i] = stages.names[id]
			if flows[id].seen != ti {
				flows[id].seen = ti
				flows[id].reached++
			}
			if fp.allows(prev, id) {
				fit.Allowed++
			} else {
				pair := pairKey{prev, id}
				di, ok := devAt[pair]
				if !ok {
					di = len(devs)
					devAt[pair] = di
					from := ""
					if prev != noStage {
						from = stages.names[prev]
					}
					devs = append(devs, DeviationCount{From: from, To: stages.names[id]})
				}
				devs[di].Count++
				if !slices.Contains(casePairs, pair) {
					casePairs = append(casePairs, pair)
					devs[di].Cases++
				}
				if fit.Deviation == nil {
					skipped, ok := betweenMemo[pair]
					if !ok {
						skipped, _ = fp.between(prev, id)
						betweenMemo[pair] = skipped
					}
					fit.Deviation = &Deviation{Position: i, From: devs[di].From, To: devs[di].To, Skipped: skipped}
				}
			}
			prev = id
		}
		last := ids[len(ids)-1]
		flows[last].ended++
		fit.FellOut = !goal && !(int(last) < k && fp.terminal[last])
		if fit.FellOut {
			flows[last].fellOut++
		}
		fit.Fits = fit.Allowed == fit.Moves
		fit.Fitness = share(fit.Allowed, fit.Moves)
		if fit.Deviation != nil {
			if p := fp.nearest(ids); p >= 0 {
				fit.Deviation.Path = fp.pathNames[p]
			}
		}
		moves += fit.Moves
		allowed += fit.Allowed
		rep.Cases++
		cost := &devCost
		if fit.Fits {
			rep.Fitting++
			cost = &fitCost
		} else {
			rep.Deviating++
		}
		f, ok := facts[t.CaseID]
		if !ok {
			f = CaseFacts{Handoffs: t.Handoffs}
		}
		cost.add(f)
		rep.Traces = append(rep.Traces, fit)
	}
	rep.Fitness = share(allowed, moves)
	rep.FittingCost, rep.DeviatingCost = fitCost.cost(), devCost.cost()

	for id, name := range stages.names {
		sf := StageFlow{Stage: name, Known: id < k}
		if id < len(flows) {
			f := flows[id]
			sf.Reached, sf.Ended, sf.FellOut = f.reached, f.ended, f.fellOut
		}
		sf.Continued = sf.Reached - sf.Ended
		sf.FallOut = share(sf.FellOut, sf.Reached)
		rep.Stages = append(rep.Stages, sf)
	}
	slices.SortStableFunc(rep.Stages[k:], func(x, y StageFlow) int { return cmp.Compare(x.Stage, y.Stage) })
	slices.SortFunc(devs, func(x, y DeviationCount) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(x.From, y.From); c != 0 {
			return c
		}
		return cmp.Compare(x.To, y.To)
	})
	rep.Deviations = devs
	return rep
}

type costAcc struct {
	cases, handoffs, rated int
	rating                 float64
}

func (c *costAcc) add(f CaseFacts) {
	c.cases++
	c.handoffs += f.Handoffs
	if f.Rating > 0 {
		c.rated++
		c.rating += f.Rating
	}
}

func (c costAcc) cost() Cost {
	out := Cost{Cases: c.cases, Rated: c.rated}
	if c.cases > 0 {
		out.MeanHandoffs = float64(c.handoffs) / float64(c.cases)
	}
	if c.rated > 0 {
		out.MeanRating = c.rating / float64(c.rated)
	}
	return out
}
