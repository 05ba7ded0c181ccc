package main

// The seed's scheduler: it plays every customer's script in one global time order on a simulated clock.
//
// The store stamps what it records without a time of its own (conversations opened, owner changes and the facts the
// KPIs read from them, ratings, tags, merges) with its clock, and every write is an fsync'd commit. Played one write
// at a time, a few thousand customers take minutes; played from many goroutines at once, they share commits (group
// commit) but also the one clock. So steps are dispatched in time order, and:
//   - a shared step (messages and business events carry their own times) runs concurrently with the steps before
//     it; the clock is set to its time when it starts, so whatever the store stamps for it is its time or a little
//     later (by at most the time the steps in flight span), never earlier;
//   - an exclusive step (opening a conversation, changing its owner: the times the KPIs subtract) sets the clock
//     and runs before anything else is dispatched, so its stamps are exact. Steps in flight meanwhile keep running
//     and share its commits.

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// seedClock is the store's clock during a seed: the simulated time the scheduler sets. Safe for concurrent use.
type seedClock struct{ ns atomic.Int64 }

// Now returns the simulated time.
func (c *seedClock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// advance moves the clock to t, never back.
func (c *seedClock) advance(t time.Time) {
	for {
		old := c.ns.Load()
		if t.UnixNano() <= old || c.ns.CompareAndSwap(old, t.UnixNano()) {
			return
		}
	}
}

// seedStep is one thing a customer does at a simulated time.
type seedStep struct {
	at        time.Time
	exclusive bool
	run       func(ctx context.Context) error
}

// seedScript is one customer's steps, in time order, run one after another.
type seedScript struct {
	idx   int
	steps []seedStep
	next  int
	done  chan struct{} // closed when the step in flight ends; nil before the first
}

// scriptHeap orders scripts by their next step's time, then by customer, so that a seed is played the same way
// every time.
type scriptHeap []*seedScript

func (h scriptHeap) Len() int { return len(h) }
func (h scriptHeap) Less(i, j int) bool {
	a, b := h[i].steps[h[i].next].at, h[j].steps[h[j].next].at
	if !a.Equal(b) {
		return a.Before(b)
	}
	return h[i].idx < h[j].idx
}
func (h scriptHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *scriptHeap) Push(x any)   { *h = append(*h, x.(*seedScript)) }
func (h *scriptHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// playScripts runs the scripts' steps in global time order with at most workers shared steps in flight, and
// returns the first error, after the steps in flight have ended.
func playScripts(ctx context.Context, clock *seedClock, scripts []*seedScript, workers int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	h := make(scriptHeap, 0, len(scripts))
	for _, s := range scripts {
		if len(s.steps) > 0 {
			h = append(h, s)
		}
	}
	heap.Init(&h)
	slots := make(chan struct{}, max(workers, 1))
	var wg sync.WaitGroup
	for h.Len() > 0 && ctx.Err() == nil {
		s := heap.Pop(&h).(*seedScript)
		if s.done != nil {
			<-s.done // a customer does one thing at a time
		}
		st := s.steps[s.next]
		s.next++
		clock.advance(st.at)
		if st.exclusive {
			if err := st.run(ctx); err != nil {
				cancel(err)
			}
		} else {
			slots <- struct{}{}
			done := make(chan struct{})
			s.done = done
			wg.Go(func() {
				defer func() { <-slots; close(done) }()
				if err := st.run(ctx); err != nil {
					cancel(err)
				}
			})
		}
		if s.next < len(s.steps) {
			heap.Push(&h, s)
		}
	}
	wg.Wait()
	return context.Cause(ctx)
}
