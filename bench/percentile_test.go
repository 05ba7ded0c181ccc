package bench

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ds(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ds(7), 99.9, 7 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p99.9 of 1..100 is the max", hundred, 99.9, 100 * time.Millisecond},
		{"p100", hundred, 100, 100 * time.Millisecond},
		{"p0 clamps to the min", hundred, 0, time.Millisecond},
		{"over 100 clamps to the max", hundred, 150, 100 * time.Millisecond},
		{"nearest rank rounds up", ds(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"nearest rank rounds up past the middle", ds(1, 2, 3, 4), 51, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(p=%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	in := ds(5, 1, 4, 2, 3)
	got := Summarize(in)
	want := Summary{
		Count: 5, Min: time.Millisecond, P50: 3 * time.Millisecond, P90: 5 * time.Millisecond,
		P99: 5 * time.Millisecond, P999: 5 * time.Millisecond, Max: 5 * time.Millisecond, Mean: 3 * time.Millisecond,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ds(5, 1, 4, 2, 3), in); diff != "" {
		t.Errorf("Summarize changed its input (-want +got):\n%s", diff)
	}
	if got := Summarize(nil); got != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", got)
	}
}

func TestSamplesBound(t *testing.T) {
	s := NewSamples(100)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				s.Add(time.Duration(g*50+i) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if got, want := s.Summary().Count, 100; got != want {
		t.Errorf("kept %d samples, want %d", got, want)
	}
	if got, want := s.Dropped(), 300; got != want {
		t.Errorf("dropped %d samples, want %d", got, want)
	}
}

func TestRatio(t *testing.T) {
	if got, want := Ratio(3*time.Second, 2*time.Second), 1.5; got != want {
		t.Errorf("Ratio = %v, want %v", got, want)
	}
	if got := Ratio(time.Second, 0); got != 0 {
		t.Errorf("Ratio by zero = %v, want 0", got)
	}
}
