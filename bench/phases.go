package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
)

// questions are what customers ask in turns; they vary so that knowledge search and prompts are not one cached path.
var questions = []string{
	"How long does shipping take?",
	"Can I return an item I bought three weeks ago?",
	"Do you ship to Portugal, and how much does it cost?",
	"My parcel has not arrived yet, what should I do?",
	"Which payment methods do you accept?",
	"How do I change the address on my order?",
}

// turns runs the turn-overhead phase: at each rate, journeybot over web chat, then the bare proxy, then (with
// Direct) the mock model itself, one after the other so that they do not compete for the CPU.
func (r *runner) turns(ctx context.Context, mock *MockModel) error {
	cfg := r.cfg
	jb, err := r.startJourneybot(ctx, "turns", map[string]string{
		"OPENAI_API_KEY": "bench", "OPENAI_BASE_URL": mock.BaseURL(),
	})
	if err != nil {
		return fmt.Errorf("turns: %w", err)
	}
	defer r.stop(jb)
	proxy, err := StartHelper(ctx, "bare-proxy", cfg.Self,
		[]string{"bare-proxy", "-addr", "127.0.0.1:0", "-target", mock.Origin()}, filepath.Join(r.dir, "bare-proxy.log"))
	if err != nil {
		return fmt.Errorf("turns: %w", err)
	}
	defer r.stop(proxy)
	pool := NewChatPool(chatDial(jb), r.runID, cfg.MaxCustomers)
	defer pool.Close()
	maxRate := 0.0
	for _, rate := range cfg.Rates {
		maxRate = max(maxRate, rate)
	}
	conns := CustomersFor(maxRate, cfg.Mock.ModelTime(), cfg.MaxCustomers)
	viaProxy := NewStreamClient(proxy.URL()+"/v1", conns)
	direct := NewStreamClient(mock.BaseURL(), conns)
	turn := cfg.Mock.ModelTime() + cfg.Mock.ModelTime()/2
	if cfg.Warmup > 0 && len(cfg.Rates) > 0 {
		// Unrecorded: lets journeybot open its store's caches and the proxy its upstream connections, so that the
		// first step does not measure a cold start.
		rate := slices.Min(cfg.Rates)
		if err := pool.Grow(ctx, CustomersFor(rate, turn, cfg.MaxCustomers)); err != nil {
			r.record(fmt.Errorf("turns warm-up: %w", err))
		}
		r.logf("warm-up at %.0f/s for %s (not recorded)", rate, cfg.Warmup)
		RunChatStep(ctx, pool, "w", rate, cfg.Warmup, cfg.TurnTimeout, questions)
		RunStreamStep(ctx, viaProxy, TargetProxy, rate, cfg.Warmup, cfg.TurnTimeout, questions)
	}
	for i, rate := range cfg.Rates {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		want := CustomersFor(rate, turn, cfg.MaxCustomers)
		if err := pool.Grow(ctx, want); err != nil {
			r.record(fmt.Errorf("turns at %.0f/s: %w", rate, err))
		}
		r.logf("turns at %.0f/s for %s: journeybot (%d customers, %d idle)", rate, cfg.Step, want, pool.Idle())
		st := RunChatStep(ctx, pool, fmt.Sprintf("s%d", i), rate, cfg.Step, cfg.TurnTimeout, questions)
		r.rep.Turns = append(r.rep.Turns, st)
		r.logf("turns at %.0f/s: bare proxy", rate)
		r.rep.Turns = append(r.rep.Turns, RunStreamStep(ctx, viaProxy, TargetProxy, rate, cfg.Step, cfg.TurnTimeout, questions))
		if cfg.Direct {
			r.logf("turns at %.0f/s: mock model directly", rate)
			r.rep.Turns = append(r.rep.Turns, RunStreamStep(ctx, direct, TargetDirect, rate, cfg.Step, cfg.TurnTimeout, questions))
		}
	}
	r.rep.Compare = CompareTurns(r.rep.Turns)
	return nil
}

// offline runs the idle-connection and pipeline phases on a journeybot with no model configured, so that the
// offline responder answers.
func (r *runner) offline(ctx context.Context) error {
	cfg := r.cfg
	jb, err := r.startJourneybot(ctx, "offline", map[string]string{})
	if err != nil {
		return fmt.Errorf("idle/pipeline: %w", err)
	}
	defer r.stop(jb)
	var errs []error
	if cfg.Phases[PhaseIdle] {
		errs = append(errs, r.idle(ctx, jb))
	}
	if cfg.Phases[PhasePipeline] && ctx.Err() == nil {
		r.logf("pipeline: %d customers at %.0f msgs/s for %s", cfg.PipelineCustomers, cfg.PipelineRate, cfg.Pipeline)
		p := RunPipeline(ctx, chatDial(jb), r.runID, cfg.PipelineCustomers, cfg.PipelineRate, cfg.Pipeline, cfg.PipelineTimeout)
		p.Answering = "no model configured: the offline responder answers every message, and its replies are load " +
			"on the same store; latency is measured to the ack only"
		r.rep.Pipeline = &p
		if p.Err != "" {
			errs = append(errs, fmt.Errorf("pipeline: %s", p.Err))
		}
	}
	return errors.Join(errs...)
}

// idle measures journeybot first, on a fresh process, then the bare hub, one at a time so that only one set of
// sockets is open.
func (r *runner) idle(ctx context.Context, jb *Server) error {
	cfg := r.cfg
	r.logf("idle: %d connections to journeybot", cfg.IdleConns)
	j := MeasureIdle(ctx, "journeybot", jb.RSS, chatDial(jb), r.runID, cfg.IdleConns, cfg.IdleParallel)
	r.rep.Idle = append(r.rep.Idle, j)
	hub, err := StartHelper(ctx, "bare-hub", cfg.Self, []string{"bare-hub", "-addr", "127.0.0.1:0"},
		filepath.Join(r.dir, "bare-hub.log"))
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	defer r.stop(hub)
	r.logf("idle: %d connections to the bare hub", cfg.IdleConns)
	d := chatDial(hub)
	d.URL = "ws://" + hub.Addr + "/"
	d.Welcome = "hello"
	h := MeasureIdle(ctx, "bare-hub", hub.RSS, d, r.runID, cfg.IdleConns, cfg.IdleParallel)
	r.rep.Idle = append(r.rep.Idle, h)
	if j.PerConn > 0 && h.PerConn > 0 {
		r.rep.IdleRate = j.PerConn / h.PerConn
	}
	var errs []error
	for _, res := range []IdleResult{j, h} {
		if res.Err != "" {
			errs = append(errs, fmt.Errorf("idle %s: %s", res.Server, res.Err))
		}
	}
	return errors.Join(errs...)
}
