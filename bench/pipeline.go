package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// PipelineResult is the durable message pipeline measured to the ack frame, which the server sends only after the
// message's row is committed.
type PipelineResult struct {
	Customers int     `json:"customers"`
	Rate      float64 `json:"offered_per_s"`
	Achieved  float64 `json:"achieved_per_s"`
	Tally     Tally   `json:"tally"`
	Ack       Summary `json:"ack"`
	// BotReplies counts bot messages received during the step: with no model configured the offline responder
	// answers every customer message, so its replies are load on the same store.
	BotReplies int64  `json:"bot_replies"`
	Answering  string `json:"answering"`
	Err        string `json:"error,omitempty"`
}

type pipeCustomer struct {
	client  *ChatClient
	mu      sync.Mutex
	pending map[string]chan pipeEnd // message id → where its ack goes
	replies *atomic.Int64
}

type pipeEnd struct {
	at time.Time
	ok bool
}

func (pc *pipeCustomer) onFrame(f *Frame, at time.Time) {
	switch f.Type {
	case "ack", "error":
		pc.mu.Lock()
		ch, ok := pc.pending[f.ID]
		delete(pc.pending, f.ID)
		pc.mu.Unlock()
		if ok {
			ch <- pipeEnd{at: at, ok: f.Type == "ack"}
		}
	case "message":
		if m, err := f.Message(); err == nil && m.Author == "bot" {
			pc.replies.Add(1)
		}
	}
}

// RunPipeline connects customers web-chat customers and offers messages at rate for d, round robin over them (a
// customer may have several messages in flight), measuring from each message's due time to its ack.
func RunPipeline(ctx context.Context, d ChatDial, runID string, customers int, rate float64, dur, timeout time.Duration) PipelineResult {
	r := PipelineResult{Customers: customers, Rate: rate}
	var replies atomic.Int64
	pcs, failed, err := DialMany(ctx, customers, 64, func(ctx context.Context, i int) (*pipeCustomer, error) {
		pc := &pipeCustomer{pending: make(map[string]chan pipeEnd), replies: &replies}
		dd := d
		dd.VisitorID = fmt.Sprintf("bench-%s-p%06d", runID, i)
		c, err := DialChat(ctx, dd, pc.onFrame)
		if err != nil {
			return nil, err
		}
		pc.client = c
		return pc, nil
	})
	defer func() {
		for _, pc := range pcs {
			pc.client.Close()
		}
	}()
	if failed > 0 {
		r.Err = fmt.Sprintf("%d of %d customers could not connect: %v", failed, customers, err)
	}
	if len(pcs) == 0 {
		return r
	}
	r.Customers = len(pcs)
	loop := OpenLoop{Rate: rate, Duration: dur, MaxInFlight: 20000}
	acks := NewSamples(loop.Count())
	replies.Store(0)
	r.Tally = loop.Run(ctx, func(ctx context.Context, i int, due time.Time) Outcome {
		pc := pcs[i%len(pcs)]
		id := fmt.Sprintf("m-%d", i)
		ch := make(chan pipeEnd, 1)
		pc.mu.Lock()
		pc.pending[id] = ch
		pc.mu.Unlock()
		forget := func() {
			pc.mu.Lock()
			delete(pc.pending, id)
			pc.mu.Unlock()
		}
		if err := pc.client.SendMessage(id, fmt.Sprintf("Message %d: how long does shipping take?", i)); err != nil {
			forget()
			return Failed
		}
		timer := time.NewTimer(max(time.Until(due.Add(timeout)), 0))
		defer timer.Stop()
		select {
		case end := <-ch:
			if !end.ok {
				return Failed
			}
			acks.Add(end.at.Sub(due))
			return OK
		case <-pc.client.Closed():
			forget()
			return Failed
		case <-timer.C:
			forget()
			return TimedOut
		case <-ctx.Done():
			forget()
			return TimedOut
		}
	})
	r.Achieved = r.Tally.AchievedRate()
	r.Ack = acks.Summary()
	r.BotReplies = replies.Load()
	return r
}
