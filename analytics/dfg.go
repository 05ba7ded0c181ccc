package analytics

// The directly-follows graph (van der Aalst 2016, the directly-follows relation a >_L b: some case has b right
// after a), with frequencies and the times between.

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Graph is a directly-follows graph: an edge a → b for every pair of steps of a case where b comes right after a,
// and edges from Start to every case's first activity and from every case's last activity to End.
type Graph struct {
	// Nodes are the activities with Start and End, most frequent first (then by name).
	Nodes []Node
	// Edges are most frequent first, then by From, then by To.
	Edges []Edge
	// Cases counts the traces with at least one step; Start and End have this count.
	Cases int
}

// Node is an activity of the graph.
type Node struct {
	Activity string
	Count    int // how many steps are this activity
	Cases    int // how many cases have it at least once
}

// Edge is a directly-follows pair with how often it happens and the time from the one step to the next. Edges from
// Start and to End have no time (Mean and Median are 0).
type Edge struct {
	From, To string
	Count    int
	Mean     time.Duration
	// Median is the middle time between, or the mean of the two middle ones when Count is even.
	Median time.Duration
}

// DFG returns the directly-follows graph of traces. Traces without steps are left out. Activities named Start or
// End are taken for the artificial nodes: stage and event names never are.
func DFG(traces []Trace) Graph {
	a := newAlphabet()
	start, end := a.id(Start), a.id(End)
	var g Graph
	type acc struct {
		from, to int32
		gaps     []time.Duration
	}
	var edges []acc
	edgeAt := map[uint64]int32{} // (from<<32 | to) → index in edges
	var counts, cases, seen []int
	grow := func() {
		for len(counts) < len(a.names) {
			counts, cases, seen = append(counts, 0), append(cases, 0), append(seen, -1)
		}
	}
	add := func(from, to int32, gap time.Duration, timed bool) {
		key := uint64(uint32(from))<<32 | uint64(uint32(to))
		i, ok := edgeAt[key]
		if !ok {
			i = int32(len(edges))
			edgeAt[key] = i
			edges = append(edges, acc{from: from, to: to})
		}
		e := &edges[i]
		if timed {
			e.gaps = append(e.gaps, gap)
		} else {
			e.gaps = append(e.gaps, 0)
		}
	}
	for ti := range traces {
		steps := traces[ti].Steps
		if len(steps) == 0 {
			continue
		}
		g.Cases++
		prev := start
		for si := range steps {
			id := a.id(steps[si].Activity)
			grow()
			counts[id]++
			if seen[id] != ti {
				seen[id] = ti
				cases[id]++
			}
			if si == 0 {
				add(prev, id, 0, false)
			} else {
				add(prev, id, steps[si].Time.Sub(steps[si-1].Time), true)
			}
			prev = id
		}
		add(prev, end, 0, false)
	}
	grow()
	if g.Cases == 0 {
		return g
	}
	counts[start], cases[start], counts[end], cases[end] = g.Cases, g.Cases, g.Cases, g.Cases
	for id, name := range a.names {
		g.Nodes = append(g.Nodes, Node{Activity: name, Count: counts[id], Cases: cases[id]})
	}
	slices.SortFunc(g.Nodes, func(x, y Node) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return cmp.Compare(x.Activity, y.Activity)
	})
	g.Edges = make([]Edge, len(edges))
	for i, e := range edges {
		out := Edge{From: a.names[e.from], To: a.names[e.to], Count: len(e.gaps)}
		if e.from != start && e.to != end {
			out.Mean, out.Median = meanMedian(e.gaps)
		}
		g.Edges[i] = out
	}
	slices.SortFunc(g.Edges, compareEdges)
	return g
}

func compareEdges(x, y Edge) int {
	if c := cmp.Compare(y.Count, x.Count); c != 0 {
		return c
	}
	if c := cmp.Compare(x.From, y.From); c != 0 {
		return c
	}
	return cmp.Compare(x.To, y.To)
}

// meanMedian sorts gaps and returns their mean and median; the mean is summed in float64, so that hostile times
// (years apart, many of them) do not overflow.
func meanMedian(gaps []time.Duration) (mean, median time.Duration) {
	if len(gaps) == 0 {
		return 0, 0
	}
	var sum float64
	for _, d := range gaps {
		sum += float64(d)
	}
	slices.Sort(gaps)
	n := len(gaps)
	median = gaps[n/2]
	if n%2 == 0 {
		lo, hi := gaps[n/2-1], gaps[n/2]
		median = lo + (hi-lo)/2
	}
	return floatDuration(sum / float64(n)), median
}

// floatDuration converts d to a Duration, saturating where a float64 passes what an int64 holds (time.Sub
// saturates too, so a mean of saturated gaps would otherwise wrap to a negative).
func floatDuration(d float64) time.Duration {
	if d >= math.MaxInt64 {
		return math.MaxInt64
	}
	if d <= math.MinInt64 {
		return math.MinInt64
	}
	return time.Duration(d)
}

// Filter returns the graph with the edges keep accepts and the nodes they touch (Start and End always), counts
// unchanged: a view for drawing, not the graph of fewer cases.
func (g Graph) Filter(keep func(Edge) bool) Graph {
	out := Graph{Cases: g.Cases}
	touched := map[string]bool{Start: true, End: true}
	for _, e := range g.Edges {
		if keep(e) {
			out.Edges = append(out.Edges, e)
			touched[e.From], touched[e.To] = true, true
		}
	}
	for _, n := range g.Nodes {
		if touched[n.Activity] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	return out
}

// TopEdges returns the view of the n most frequent edges (ties broken as Edges is sorted) and the nodes they
// touch; n ≤ 0 keeps none.
func (g Graph) TopEdges(n int) Graph {
	i := 0
	return g.Filter(func(Edge) bool { i++; return i <= n })
}

// MinCount returns the view of the edges that happen at least n times and the nodes they touch.
func (g Graph) MinCount(n int) Graph {
	return g.Filter(func(e Edge) bool { return e.Count >= n })
}
