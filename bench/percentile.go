package bench

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Summary describes a set of latencies.
type Summary struct {
	Count int           `json:"count"`
	Min   time.Duration `json:"min_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
	Mean  time.Duration `json:"mean_ns"`
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of sorted, which must be in ascending order:
// the smallest value that at least p% of the values are less than or equal to. It returns 0 for an empty slice; p
// outside (0, 100] is clamped.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Summarize returns the summary of ds. It sorts a copy; ds is not changed.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum float64
	for _, d := range s {
		sum += float64(d)
	}
	return Summary{
		Count: len(s),
		Min:   s[0],
		P50:   Percentile(s, 50),
		P90:   Percentile(s, 90),
		P99:   Percentile(s, 99),
		P999:  Percentile(s, 99.9),
		Max:   s[len(s)-1],
		Mean:  time.Duration(sum / float64(len(s))),
	}
}

// Samples collects latencies from many goroutines, keeping at most its capacity; later samples beyond it are counted
// in Dropped, not kept, so that memory stays bounded whatever the load. The zero value keeps nothing: use NewSamples.
type Samples struct {
	mu      sync.Mutex
	ds      []time.Duration
	limit   int
	dropped int
}

// NewSamples returns an empty collection that keeps up to limit samples.
func NewSamples(limit int) *Samples {
	return &Samples{ds: make([]time.Duration, 0, min(limit, 1<<16)), limit: limit}
}

// Add records d. It is safe for concurrent use.
func (s *Samples) Add(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ds) >= s.limit {
		s.dropped++
		return
	}
	s.ds = append(s.ds, d)
}

// Summary summarizes the samples kept so far.
func (s *Samples) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Summarize(s.ds)
}

// Dropped returns how many samples did not fit.
func (s *Samples) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Ratio returns a/b, or 0 when b is 0.
func Ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
