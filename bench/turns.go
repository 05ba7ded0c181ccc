package bench

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Targets of the turn-overhead phase.
const (
	TargetJourneybot = "journeybot" // a web-chat turn: customer message → streamed bot reply
	TargetProxy      = "proxy"      // a streaming chat completion through a bare reverse proxy to the mock model
	TargetDirect     = "direct"     // the same request straight to the mock model: the model's own time
)

// TurnStep is the result of one target at one offered rate. Latencies are measured from each request's due time,
// not from when it was actually sent, so that a generator or server that falls behind is charged for it.
type TurnStep struct {
	Target    string  `json:"target"`
	Rate      float64 `json:"offered_per_s"`
	Achieved  float64 `json:"achieved_per_s"`
	Tally     Tally   `json:"tally"`
	Total     Summary `json:"total"`       // due → final message (journeybot) or [DONE] (proxy, direct)
	First     Summary `json:"first_token"` // due → first delta frame or content chunk
	NoFirst   int     `json:"no_first"`    // answers that came without any delta
	Customers int     `json:"customers,omitempty"`
	Err       string  `json:"error,omitempty"` // the first failure's reason
}

// turnSink records the latencies of one step.
type turnSink struct {
	total, first *Samples
	mu           sync.Mutex
	noFirst      int
	firstErr     string
}

// fail remembers the first failure's reason, for the report.
func (s *turnSink) fail(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstErr == "" {
		s.firstErr = reason
	}
}

func newTurnSink(limit int) *turnSink {
	return &turnSink{total: NewSamples(limit), first: NewSamples(limit)}
}

func (s *turnSink) record(due, first, done time.Time) {
	s.total.Add(done.Sub(due))
	if first.IsZero() {
		s.mu.Lock()
		s.noFirst++
		s.mu.Unlock()
		return
	}
	s.first.Add(first.Sub(due))
}

func (s *turnSink) step(target string, rate float64, t Tally) TurnStep {
	s.mu.Lock()
	defer s.mu.Unlock()
	return TurnStep{
		Target: target, Rate: rate, Achieved: t.AchievedRate(), Tally: t,
		Total: s.total.Summary(), First: s.first.Summary(), NoFirst: s.noFirst, Err: s.firstErr,
	}
}

// CustomersFor returns how many web-chat customers an open-loop step at rate needs so that one is almost always
// idle when a turn is due, given the expected time of one turn: twice the mean number of turns in flight, plus a
// margin, capped at limit.
func CustomersFor(rate float64, turn time.Duration, limit int) int {
	n := int(math.Ceil(rate*turn.Seconds()*2)) + 16
	return min(n, limit)
}

// RunStreamStep offers streaming chat-completion requests to c at rate for d, each with its own timeout.
func RunStreamStep(ctx context.Context, c *StreamClient, target string, rate float64, d, timeout time.Duration, questions []string) TurnStep {
	loop := OpenLoop{Rate: rate, Duration: d, MaxInFlight: 20000}
	sink := newTurnSink(loop.Count())
	tally := loop.Run(ctx, func(ctx context.Context, i int, due time.Time) Outcome {
		ctx, cancel := context.WithDeadline(ctx, due.Add(timeout))
		defer cancel()
		res, err := c.Stream(ctx, questions[i%len(questions)])
		if err != nil {
			if ctx.Err() != nil {
				return TimedOut
			}
			sink.fail(err.Error())
			return Failed
		}
		sink.record(due, res.FirstToken, res.Done)
		return OK
	})
	return sink.step(target, rate, tally)
}

// ChatPool is a set of web-chat customers for turn steps, each with at most one turn in flight, so that the next
// bot message it receives answers that turn.
type ChatPool struct {
	dial  ChatDial
	runID string
	idle  chan *turnCustomer
	n     int
}

type turnCustomer struct {
	client *ChatClient
	mu     sync.Mutex
	turn   *pendingTurn
}

type pendingTurn struct {
	id      string
	acked   bool
	ackSeq  int64
	first   time.Time
	done    chan turnEnd // buffered 1
	settled bool
}

type turnEnd struct {
	at     time.Time
	ok     bool
	reason string // why it failed
}

// NewChatPool returns an empty pool of customers that connect as d (d.VisitorID is ignored: each customer gets its
// own, made from runID) and can hold up to limit customers.
func NewChatPool(d ChatDial, runID string, limit int) *ChatPool {
	return &ChatPool{dial: d, runID: runID, idle: make(chan *turnCustomer, limit)}
}

// Grow connects customers until the pool has made n (or its limit); it returns the first dial error, if any.
func (p *ChatPool) Grow(ctx context.Context, n int) error {
	n = min(n, cap(p.idle))
	if n <= p.n {
		return nil
	}
	base := p.n
	cs, failed, err := DialMany(ctx, n-base, 64, func(ctx context.Context, i int) (*turnCustomer, error) {
		tc := &turnCustomer{}
		d := p.dial
		d.VisitorID = fmt.Sprintf("bench-%s-t%06d", p.runID, base+i)
		c, err := DialChat(ctx, d, tc.onFrame)
		if err != nil {
			return nil, err
		}
		tc.client = c
		return tc, nil
	})
	for _, c := range cs {
		p.idle <- c
	}
	p.n += len(cs)
	if failed > 0 {
		return fmt.Errorf("%d of %d customers could not connect: %w", failed, n-base, err)
	}
	return nil
}

// Idle returns how many customers are idle now.
func (p *ChatPool) Idle() int { return len(p.idle) }

// Close closes every idle customer.
func (p *ChatPool) Close() {
	for {
		select {
		case c := <-p.idle:
			c.client.Close()
		default:
			return
		}
	}
}

func (tc *turnCustomer) onFrame(f *Frame, at time.Time) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t := tc.turn
	if t == nil || t.settled {
		return
	}
	settle := func(ok bool, reason string) {
		t.settled = true
		t.done <- turnEnd{at: at, ok: ok, reason: reason}
	}
	switch f.Type {
	case "ack":
		if f.ID == t.id {
			t.acked, t.ackSeq = true, f.Seq
		}
	case "delta":
		if t.first.IsZero() {
			t.first = at
		}
	case "message":
		m, err := f.Message()
		if err != nil {
			settle(false, err.Error())
			return
		}
		// The answer is the first message not written by the customer and newer than the customer's own.
		if m.Author != "customer" && (!t.acked || m.Seq > t.ackSeq) {
			settle(true, "")
		}
	case "error":
		if f.ID == t.id || f.ID == "" {
			settle(false, fmt.Sprintf("error frame %s: %s", f.Code, f.Raw))
		}
	}
}

// RunChatStep offers web-chat turns at rate for d, each on an idle customer of p (none idle: Dropped). A turn ends
// OK at the first bot message after its ack, Failed on an error frame, TimedOut after timeout; a customer whose turn
// did not end OK is closed and leaves the pool, so that a late answer cannot be taken for the next turn's.
func RunChatStep(ctx context.Context, p *ChatPool, stepID string, rate float64, d, timeout time.Duration, questions []string) TurnStep {
	loop := OpenLoop{Rate: rate, Duration: d, MaxInFlight: cap(p.idle)}
	sink := newTurnSink(loop.Count())
	tally := loop.Run(ctx, func(ctx context.Context, i int, due time.Time) Outcome {
		var tc *turnCustomer
		select {
		case tc = <-p.idle:
		default:
			return Dropped
		}
		t := &pendingTurn{id: fmt.Sprintf("%s-%d", stepID, i), done: make(chan turnEnd, 1)}
		tc.mu.Lock()
		tc.turn = t
		tc.mu.Unlock()
		out := tc.take(ctx, t, questions[i%len(questions)], time.Until(due.Add(timeout)))
		tc.mu.Lock()
		tc.turn = nil
		first := t.first
		tc.mu.Unlock()
		if out.ok {
			sink.record(due, first, out.at)
			p.idle <- tc
			return OK
		}
		tc.client.Close()
		if out.at.IsZero() {
			return TimedOut
		}
		sink.fail(out.reason)
		return Failed
	})
	st := sink.step(TargetJourneybot, rate, tally)
	st.Customers = p.n
	return st
}

// take sends the turn's message and waits for its end; a zero at means it timed out.
func (tc *turnCustomer) take(ctx context.Context, t *pendingTurn, text string, wait time.Duration) turnEnd {
	if err := tc.client.SendMessage(t.id, text); err != nil {
		return turnEnd{at: time.Now(), reason: err.Error()}
	}
	timer := time.NewTimer(max(wait, 0))
	defer timer.Stop()
	select {
	case end := <-t.done:
		return end
	case <-tc.client.Closed():
		return turnEnd{at: time.Now(), reason: "the server closed the connection"}
	case <-timer.C:
		return turnEnd{}
	case <-ctx.Done():
		return turnEnd{}
	}
}
