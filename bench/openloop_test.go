package bench

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock jumps to each time the scheduler sleeps until, so a run takes no real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
	// cancelAt, when not zero, cancels cancel once the clock reaches it.
	cancelAt time.Time
	cancel   context.CancelFunc
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	if !c.cancelAt.IsZero() && !c.now.Before(c.cancelAt) {
		c.cancel()
	}
	c.mu.Unlock()
	return ctx.Err()
}

var epoch = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestOpenLoopDueTimesAndCount(t *testing.T) {
	tests := []struct {
		name      string
		loop      OpenLoop
		wantCount int
		wantLast  time.Duration // due time of the last request, from the start
	}{
		{"10/s for 1s", OpenLoop{Rate: 10, Duration: time.Second}, 10, 900 * time.Millisecond},
		{"bounded by MaxCount", OpenLoop{Rate: 1000, Duration: time.Minute, MaxCount: 5}, 5, 4 * time.Millisecond},
		{"fractional rate", OpenLoop{Rate: 2.5, Duration: 2 * time.Second}, 5, 1600 * time.Millisecond},
		{"too short for one", OpenLoop{Rate: 1, Duration: 500 * time.Millisecond}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.loop.Clock = &fakeClock{now: epoch}
			var mu sync.Mutex
			var dues []time.Duration
			tally := tt.loop.Run(context.Background(), func(_ context.Context, i int, due time.Time) Outcome {
				mu.Lock()
				defer mu.Unlock()
				dues = append(dues, due.Sub(epoch))
				return OK
			})
			if got := len(dues); got != tt.wantCount {
				t.Fatalf("fired %d requests, want %d", got, tt.wantCount)
			}
			if tally.Offered != tt.wantCount || tally.OK != tt.wantCount {
				t.Errorf("tally offered %d ok %d, want %d each", tally.Offered, tally.OK, tt.wantCount)
			}
			if tt.wantCount > 0 {
				slices.Sort(dues)
				if got := dues[len(dues)-1]; got != tt.wantLast {
					t.Errorf("last due at +%v, want +%v", got, tt.wantLast)
				}
				if dues[0] != 0 {
					t.Errorf("first due at +%v, want +0", dues[0])
				}
			}
			if tally.MaxLag != 0 {
				t.Errorf("MaxLag = %v with a clock that is never late, want 0", tally.MaxLag)
			}
		})
	}
}

func TestOpenLoopTally(t *testing.T) {
	outcomes := []Outcome{OK, Failed, TimedOut, OK, Dropped, OK}
	loop := OpenLoop{Rate: 6, Duration: time.Second, Clock: &fakeClock{now: epoch}}
	got := loop.Run(context.Background(), func(_ context.Context, i int, _ time.Time) Outcome { return outcomes[i] })
	// Completion times depend on when the goroutines ran against the fake clock; the counts do not.
	counts := Tally{Offered: got.Offered, OK: got.OK, Failed: got.Failed, TimedOut: got.TimedOut, Dropped: got.Dropped,
		Skipped: got.Skipped, Period: got.Period, Start: got.Start}
	want := Tally{Offered: 6, OK: 3, Failed: 1, TimedOut: 1, Dropped: 1, Period: time.Second, Start: epoch}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("tally mismatch (-want +got):\n%s", diff)
	}
	last := epoch.Add(time.Second * 5 / 6) // the fake clock never passes the last due time
	if got.FirstOK.Before(epoch) || got.LastOK.Before(got.FirstOK) || got.End.Before(got.LastOK) || got.End.After(last) {
		t.Errorf("times out of order: start %v first ok %v last ok %v end %v", got.Start, got.FirstOK, got.LastOK, got.End)
	}
	if got, want := got.OfferedRate(), 6.0; got != want {
		t.Errorf("OfferedRate = %v, want %v", got, want)
	}
}

func TestTallyAchievedRate(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name  string
		tally Tally
		want  float64
	}{
		{"keeps up, whatever the latency", Tally{Offered: 10, OK: 10, Period: sec,
			FirstOK: epoch.Add(5 * sec), LastOK: epoch.Add(5*sec + 900*time.Millisecond)}, 10},
		{"falls behind: answers spread over 4 s", Tally{Offered: 10, OK: 10, Period: sec,
			FirstOK: epoch, LastOK: epoch.Add(3900 * time.Millisecond)}, 2.5},
		{"half lost", Tally{Offered: 10, OK: 5, Period: sec,
			FirstOK: epoch, LastOK: epoch.Add(400 * time.Millisecond)}, 10},
		{"nothing answered", Tally{Offered: 10, Period: sec}, 0},
		{"nothing offered", Tally{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tally.AchievedRate(); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("AchievedRate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOpenLoopMaxInFlightDrops(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	loop := OpenLoop{Rate: 10, Duration: time.Second, MaxInFlight: 2, Clock: &fakeClock{now: epoch}}
	done := make(chan Tally, 1)
	go func() {
		done <- loop.Run(context.Background(), func(_ context.Context, i int, _ time.Time) Outcome {
			started <- struct{}{}
			<-release
			return OK
		})
	}()
	// The scheduler hands out the first two, drops the other eight, then waits for the two in flight.
	<-started
	<-started
	close(release)
	tally := <-done
	if tally.OK != 2 || tally.Dropped != 8 {
		t.Errorf("ok %d dropped %d, want 2 and 8", tally.OK, tally.Dropped)
	}
}

func TestOpenLoopCancelSkipsTheRest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{now: epoch, cancelAt: epoch.Add(450 * time.Millisecond), cancel: cancel}
	loop := OpenLoop{Rate: 10, Duration: time.Second, Clock: clock}
	tally := loop.Run(ctx, func(context.Context, int, time.Time) Outcome { return OK })
	if tally.OK != 5 || tally.Skipped != 5 {
		t.Errorf("ok %d skipped %d, want 5 and 5", tally.OK, tally.Skipped)
	}
}

func TestOpenLoopRecordsLag(t *testing.T) {
	// A clock that is always 3 ms late: every request goes out 3 ms after it is due.
	clock := &lateClock{fakeClock: fakeClock{now: epoch}, late: 3 * time.Millisecond}
	loop := OpenLoop{Rate: 100, Duration: 100 * time.Millisecond, Clock: clock}
	tally := loop.Run(context.Background(), func(context.Context, int, time.Time) Outcome { return OK })
	if tally.MaxLag != 3*time.Millisecond {
		t.Errorf("MaxLag = %v, want 3ms", tally.MaxLag)
	}
}

type lateClock struct {
	fakeClock
	late time.Duration
}

func (c *lateClock) SleepUntil(ctx context.Context, t time.Time) error {
	return c.fakeClock.SleepUntil(ctx, t.Add(c.late))
}
