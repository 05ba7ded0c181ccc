package bench

import (
	"context"
	"sync"
	"time"
)

// Outcome is how one request of an open-loop run ended.
type Outcome int

// Outcomes a fire function reports.
const (
	OK       Outcome = iota // answered as expected
	Failed                  // an error frame or status, a broken connection, a wrong answer
	TimedOut                // no answer within the request's deadline
	Dropped                 // not sent: no capacity to send it (no idle client); counted against the achieved rate
)

// Clock is the time source of an open-loop run; tests give a fake one.
type Clock interface {
	Now() time.Time
	// SleepUntil returns at t, at once if t has passed, or with ctx.Err() when ctx ends first.
	SleepUntil(ctx context.Context, t time.Time) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// OpenLoop offers requests at a fixed rate whatever the responses do, so that a slow server cannot slow the load
// down (no coordinated omission): request i is due at start + i/Rate, is sent then or as soon after as the generator
// can, and its latency is to be measured from its due time, which fire is given.
type OpenLoop struct {
	Rate     float64       // requests per second; must be > 0
	Duration time.Duration // how long load is offered
	// MaxCount bounds the number of requests (0: Rate×Duration only).
	MaxCount int
	// MaxInFlight bounds the requests outstanding at once (0: 10,000); a request due while the bound is reached is
	// not sent and is counted as Dropped.
	MaxInFlight int
	Clock       Clock // nil: real time
}

// Tally is the bookkeeping of one open-loop run.
type Tally struct {
	Offered  int `json:"offered"` // requests planned: Rate×Duration, bounded by MaxCount
	Skipped  int `json:"skipped"` // planned but not attempted because the context ended
	OK       int `json:"ok"`
	Failed   int `json:"failed"`
	TimedOut int `json:"timed_out"`
	Dropped  int `json:"dropped"`
	// MaxLag is the largest delay between a request's due time and the moment it was handed to fire.
	MaxLag  time.Duration `json:"max_lag_ns"`
	Start   time.Time     `json:"start"`    // due time of request 0
	FirstOK time.Time     `json:"first_ok"` // when the first request finished OK
	LastOK  time.Time     `json:"last_ok"`  // when the last request finished OK
	End     time.Time     `json:"end"`      // when the last request finished, whatever its outcome
	Period  time.Duration `json:"period_ns"`
}

// OfferedRate returns the planned rate in requests per second.
func (t Tally) OfferedRate() float64 {
	if t.Period <= 0 {
		return 0
	}
	return float64(t.Offered) / t.Period.Seconds()
}

// AchievedRate returns the rate at which requests were answered OK: the OK count over the span from the first OK
// answer to the last, plus one offered interval (so that a server that keeps up exactly achieves the offered rate
// whatever its latency; one that falls behind spreads its answers over a longer span).
func (t Tally) AchievedRate() float64 {
	if t.OK == 0 || t.Offered == 0 || t.Period <= 0 {
		return 0
	}
	span := t.LastOK.Sub(t.FirstOK) + t.Period/time.Duration(t.Offered)
	return float64(t.OK) / span.Seconds()
}

// Count returns the number of requests the run plans.
func (o OpenLoop) Count() int {
	n := int(o.Rate * o.Duration.Seconds())
	if o.MaxCount > 0 && n > o.MaxCount {
		n = o.MaxCount
	}
	return max(n, 0)
}

// Due returns the time request i is due in a run that starts at start.
func (o OpenLoop) Due(start time.Time, i int) time.Time {
	return start.Add(time.Duration(float64(i) * float64(time.Second) / o.Rate))
}

// Run offers o.Count() requests and returns once every request sent has finished. fire is called on its own
// goroutine with the request's index and due time, must end by itself within a bounded time (its own deadline) and
// reports the outcome; ctx is passed on to it. When ctx ends, Run stops sending and waits for what is in flight.
func (o OpenLoop) Run(ctx context.Context, fire func(ctx context.Context, i int, due time.Time) Outcome) Tally {
	clock := o.Clock
	if clock == nil {
		clock = realClock{}
	}
	limit := o.MaxInFlight
	if limit <= 0 {
		limit = 10000
	}
	t := Tally{Offered: o.Count(), Period: o.Duration}
	if o.Rate <= 0 {
		return t
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		inFlight = make(chan struct{}, limit)
	)
	finish := func(out Outcome) {
		now := clock.Now()
		mu.Lock()
		defer mu.Unlock()
		switch out {
		case OK:
			t.OK++
			if t.FirstOK.IsZero() {
				t.FirstOK = now
			}
			t.LastOK = now
		case TimedOut:
			t.TimedOut++
		case Dropped:
			t.Dropped++
		default:
			t.Failed++
		}
		if now.After(t.End) {
			t.End = now
		}
	}
	t.Start = clock.Now()
	t.End = t.Start
	for i := range t.Offered {
		due := o.Due(t.Start, i)
		if err := clock.SleepUntil(ctx, due); err != nil {
			mu.Lock()
			t.Skipped = t.Offered - i
			mu.Unlock()
			break
		}
		if lag := clock.Now().Sub(due); lag > t.MaxLag {
			t.MaxLag = lag
		}
		select {
		case inFlight <- struct{}{}:
		default:
			finish(Dropped)
			continue
		}
		wg.Go(func() {
			defer func() { <-inFlight }()
			finish(fire(ctx, i, due))
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return t
}
