package analytics

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The golden log's directly-follows graph, worked out by hand from the picture in fixture_test.go. Each case of n
// steps gives n+1 edges: 6+4+4+4+4+4 = 26 in all.
//
//	[start]→awareness         c1 c2 c3 c5 c6           5
//	[start]→consideration     c4                       1
//	awareness→consideration   c1 10m, c3 30m           2  mean 20m, median 20m
//	awareness→onboarding      c5 120m, c6 60m          2  mean 90m, median 90m
//	awareness→order_placed    c2 20m                   1
//	awareness→[end]           c3                       1
//	consideration→order_placed c1 20m, c4 50m          2  mean 35m, median 35m
//	consideration→awareness   c3 10m                   1
//	order_placed→purchase     c1 0, c2 0, c4 10m       3  mean 200s, median 0
//	purchase→onboarding       c1 60m                   1
//	purchase→[end]            c2 c4                    2
//	onboarding→device_activated c5 10m, c6 20m         2  mean 15m, median 15m
//	onboarding→[end]          c1                       1
//	device_activated→[end]    c5 c6                    2
//
// Nodes: awareness 6 steps in 5 cases (c3 twice); consideration, onboarding, order_placed, purchase 3 in 3;
// device_activated 2 in 2; [start] and [end] 6 each.
func TestDFGGolden(t *testing.T) {
	g := DFG(goldenLog())
	want := Graph{
		Cases: 6,
		Nodes: []Node{
			{End, 6, 6}, {Start, 6, 6}, {"awareness", 6, 5},
			{"consideration", 3, 3}, {"onboarding", 3, 3}, {"order_placed", 3, 3}, {"purchase", 3, 3},
			{"device_activated", 2, 2},
		},
		Edges: []Edge{
			{From: Start, To: "awareness", Count: 5},
			{From: "order_placed", To: "purchase", Count: 3, Mean: mins(10.0 / 3), Median: 0},
			{From: "awareness", To: "consideration", Count: 2, Mean: mins(20), Median: mins(20)},
			{From: "awareness", To: "onboarding", Count: 2, Mean: mins(90), Median: mins(90)},
			{From: "consideration", To: "order_placed", Count: 2, Mean: mins(35), Median: mins(35)},
			{From: "device_activated", To: End, Count: 2},
			{From: "onboarding", To: "device_activated", Count: 2, Mean: mins(15), Median: mins(15)},
			{From: "purchase", To: End, Count: 2},
			{From: Start, To: "consideration", Count: 1},
			{From: "awareness", To: End, Count: 1},
			{From: "awareness", To: "order_placed", Count: 1, Mean: mins(20), Median: mins(20)},
			{From: "consideration", To: "awareness", Count: 1, Mean: mins(10), Median: mins(10)},
			{From: "onboarding", To: End, Count: 1},
			{From: "purchase", To: "onboarding", Count: 1, Mean: mins(60), Median: mins(60)},
		},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Fatalf("DFG (-want +got):\n%s", diff)
	}
	total := 0
	for _, e := range g.Edges {
		total += e.Count
	}
	if total != 26 {
		t.Errorf("edges sum to %d, want 26", total)
	}
}

func TestGraphViews(t *testing.T) {
	g := DFG(goldenLog())
	top := g.TopEdges(2)
	if diff := cmp.Diff(g.Edges[:2], top.Edges); diff != "" {
		t.Errorf("TopEdges(2) edges (-want +got):\n%s", diff)
	}
	var names []string
	for _, n := range top.Nodes {
		names = append(names, n.Activity)
	}
	// [start]→awareness and order_placed→purchase touch four nodes, plus [end] which a view always keeps.
	if diff := cmp.Diff([]string{End, Start, "awareness", "order_placed", "purchase"}, names); diff != "" {
		t.Errorf("TopEdges(2) nodes (-want +got):\n%s", diff)
	}
	if got := len(g.MinCount(2).Edges); got != 8 {
		t.Errorf("MinCount(2) kept %d edges, want 8 (one of 5, one of 3, six of 2)", got)
	}
	if got := g.TopEdges(0); len(got.Edges) != 0 || got.Cases != 6 {
		t.Errorf("TopEdges(0) = %d edges, %d cases; want 0 edges, 6 cases", len(got.Edges), got.Cases)
	}
}

// An even number of gaps has the mean of the two middle ones as its median.
func TestMeanMedianEven(t *testing.T) {
	mean, median := meanMedian([]time.Duration{4, 1, 10, 2})
	if mean != 4 || median != 3 {
		t.Errorf("meanMedian = %v, %v; want 4ns, 3ns", mean, median)
	}
}
