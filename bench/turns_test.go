package bench

import (
	"context"
	"testing"
	"time"
)

func TestRunChatStep(t *testing.T) {
	tests := []struct {
		name     string
		question string
		timeout  time.Duration
		check    func(t *testing.T, st TurnStep)
	}{
		{"answered", "How long does shipping take?", 10 * time.Second, func(t *testing.T, st TurnStep) {
			if st.Tally.OK != 10 || st.Total.Count != 10 || st.First.Count != 10 || st.NoFirst != 0 {
				t.Errorf("ok %d, total %d, first %d, no first %d: want 10, 10, 10, 0",
					st.Tally.OK, st.Total.Count, st.First.Count, st.NoFirst)
			}
			if st.First.Max > st.Total.Max {
				t.Errorf("first delta max %v after final message max %v", st.First.Max, st.Total.Max)
			}
		}},
		{"rejected", "please reject this", 10 * time.Second, func(t *testing.T, st TurnStep) {
			if st.Tally.Failed != 10 || st.Total.Count != 0 {
				t.Errorf("failed %d, recorded %d: want 10 failed, none recorded", st.Tally.Failed, st.Total.Count)
			}
		}},
		{"never answered", "silent please", 50 * time.Millisecond, func(t *testing.T, st TurnStep) {
			if st.Tally.TimedOut != 10 || st.Total.Count != 0 {
				t.Errorf("timed out %d, recorded %d: want 10 timed out, none recorded", st.Tally.TimedOut, st.Total.Count)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := newFakeChat(t)
			pool := NewChatPool(d, "test", 20)
			t.Cleanup(pool.Close)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := pool.Grow(ctx, 20); err != nil {
				t.Fatalf("Grow: %v", err)
			}
			if got := pool.Idle(); got != 20 {
				t.Fatalf("Idle = %d after Grow(20)", got)
			}
			st := RunChatStep(ctx, pool, "s0", 100, 100*time.Millisecond, tt.timeout, []string{tt.question})
			if st.Tally.Offered != 10 || st.Target != TargetJourneybot || st.Customers != 20 {
				t.Errorf("offered %d target %q customers %d, want 10, journeybot, 20", st.Tally.Offered, st.Target, st.Customers)
			}
			tt.check(t, st)
			// Customers whose turn failed leave the pool; the others come back.
			if got, want := pool.Idle(), 20-(st.Tally.Failed+st.Tally.TimedOut); got != want {
				t.Errorf("Idle = %d after the step, want %d", got, want)
			}
		})
	}
}

func TestRunChatStepDropsWithoutIdleCustomers(t *testing.T) {
	_, d := newFakeChat(t)
	pool := NewChatPool(d, "test", 2)
	t.Cleanup(pool.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pool.Grow(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// Two customers who never get answers within the step: the other turns find nobody idle.
	st := RunChatStep(ctx, pool, "s0", 100, 100*time.Millisecond, time.Second, []string{"silent"})
	if st.Tally.Dropped != 8 || st.Tally.TimedOut != 2 {
		t.Errorf("dropped %d timed out %d, want 8 and 2", st.Tally.Dropped, st.Tally.TimedOut)
	}
}

func TestCustomersFor(t *testing.T) {
	tests := []struct {
		rate  float64
		turn  time.Duration
		limit int
		want  int
	}{
		{50, time.Second, 10000, 116},
		{1000, 1500 * time.Millisecond, 10000, 3016},
		{1000, 1500 * time.Millisecond, 2000, 2000},
	}
	for _, tt := range tests {
		if got := CustomersFor(tt.rate, tt.turn, tt.limit); got != tt.want {
			t.Errorf("CustomersFor(%v, %v, %d) = %d, want %d", tt.rate, tt.turn, tt.limit, got, tt.want)
		}
	}
}

func TestRunPipeline(t *testing.T) {
	_, d := newFakeChat(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := RunPipeline(ctx, d, "test", 5, 200, 100*time.Millisecond, 10*time.Second)
	if p.Err != "" || p.Customers != 5 {
		t.Fatalf("RunPipeline: customers %d, err %q", p.Customers, p.Err)
	}
	if p.Tally.Offered != 20 || p.Tally.OK != 20 || p.Ack.Count != 20 {
		t.Errorf("offered %d ok %d acks %d, want 20 each", p.Tally.Offered, p.Tally.OK, p.Ack.Count)
	}
	if p.Achieved <= 0 {
		t.Errorf("Achieved = %v, want > 0", p.Achieved)
	}
}

func TestRunPipelineCannotConnect(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := RunPipeline(ctx, ChatDial{URL: "ws://" + addr + "/chat/ws", Origin: "http://" + addr}, "test", 3, 100, 100*time.Millisecond, time.Second)
	if p.Err == "" || p.Tally.Offered != 0 {
		t.Errorf("RunPipeline against nobody: err %q, offered %d; want an error and nothing offered", p.Err, p.Tally.Offered)
	}
}
