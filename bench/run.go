package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Phases of a run.
const (
	PhaseTurns    = "turns"
	PhaseIdle     = "idle"
	PhasePipeline = "pipeline"
)

// Config is one benchmark run. Every loop it starts is bounded by a count and a duration.
type Config struct {
	Journeybot       string // path of the journeybot binary
	JourneybotConfig string // passed as -config when not empty
	Self             string // this benchmark's own binary, run as the bare-hub and bare-proxy helpers
	WorkDir          string // stores and logs; empty: a new temporary directory, removed afterwards
	Phases           map[string]bool
	Command          string // the command line, for the report

	Mock         MockOptions
	Rates        []float64     // offered turn rates
	Step         time.Duration // how long each rate is offered, per target
	Warmup       time.Duration // unrecorded load at the lowest rate before the first step (0: none)
	TurnTimeout  time.Duration // one turn's deadline from its due time
	MaxCustomers int           // web-chat customers for turns, at most
	Direct       bool          // also measure requests straight to the mock (the model's own time)

	IdleConns    int
	IdleParallel int // connections opened at once

	PipelineCustomers int
	PipelineRate      float64
	Pipeline          time.Duration
	PipelineTimeout   time.Duration

	CeilingBatch int
	Ceiling      time.Duration // 0: not measured
}

// runner holds what a run started, so that it is stopped whatever happens.
type runner struct {
	cfg   Config
	log   io.Writer
	dir   string
	runID string
	rep   *Report
}

// Run executes the phases of cfg, writing progress to log, and returns the report. Errors of one phase are recorded
// in Report.Errors and the run goes on; an error is returned only when nothing could be measured (no mock model, no
// work directory) or ctx ended.
func Run(ctx context.Context, cfg Config, log io.Writer) (*Report, error) {
	r := &runner{cfg: cfg, log: log, runID: fmt.Sprintf("%x", time.Now().UnixNano()%(1<<40))}
	r.rep = &Report{Started: time.Now(), Command: cfg.Command, Machine: ReadMachine(), Mock: cfg.Mock}
	r.dir = cfg.WorkDir
	if r.dir == "" {
		dir, err := os.MkdirTemp("", "journeybot-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		r.dir = dir
	} else if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, err
	}
	want := uint64(max(cfg.IdleConns, cfg.MaxCustomers, cfg.PipelineCustomers) + 4096)
	if lim, err := RaiseNoFile(want); err != nil || lim < want {
		r.logf("open-file limit %d is below the %d this run may need (%v)", lim, want, err)
	}
	mock, err := StartMock(cfg.Mock)
	if err != nil {
		return nil, err
	}
	defer mock.Close()
	r.logf("mock model at %s: first token %s, %.0f tokens/s, %d tokens", mock.BaseURL(), cfg.Mock.FirstToken,
		cfg.Mock.TokensPerSec, cfg.Mock.Tokens)

	if cfg.Phases[PhaseTurns] {
		r.record(r.turns(ctx, mock))
	}
	if cfg.Phases[PhaseIdle] || cfg.Phases[PhasePipeline] {
		r.record(r.offline(ctx))
	}
	if cfg.Phases[PhasePipeline] && cfg.Ceiling > 0 && ctx.Err() == nil {
		r.logf("store ceiling: SQLite group commit, %d per transaction, %s", cfg.CeilingBatch, cfg.Ceiling)
		c := MeasureCeiling(ctx, r.dir, cfg.CeilingBatch, cfg.Ceiling)
		r.rep.Ceiling = &c
	}
	return r.rep, ctx.Err()
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func (r *runner) record(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		r.logf("error: %v", err)
		r.rep.Errors = append(r.rep.Errors, err.Error())
	}
}

func (r *runner) startJourneybot(ctx context.Context, name string, env map[string]string) (*Server, error) {
	store := filepath.Join(r.dir, name)
	if err := os.MkdirAll(store, 0o755); err != nil {
		return nil, err
	}
	env["JOURNEYBOT_STORE_PATH"] = filepath.Join(store, "journeybot.db")
	env["JOURNEYBOT_LOG_LEVEL"] = "warn"
	// Turns left over from an overloaded phase must not hold the stop up past stopWait.
	env["JOURNEYBOT_SERVER_SHUTDOWN_TIMEOUT"] = "5s"
	s, err := StartJourneybot(ctx, JourneybotOptions{
		Binary: r.cfg.Journeybot, Config: r.cfg.JourneybotConfig, Env: env,
		LogPath: filepath.Join(r.dir, name+".log"),
	})
	if err != nil {
		return nil, err
	}
	r.logf("%s: journeybot pid %d at %s", name, s.PID(), s.URL())
	return s, nil
}

func (r *runner) stop(s *Server) {
	if err := s.Stop(); err != nil {
		r.record(err)
	}
	if tail := s.LogTail(1024); tail != "" {
		r.logf("%s log tail:\n%s", s.Name, tail)
	}
}

func chatDial(s *Server) ChatDial {
	return ChatDial{URL: "ws://" + s.Addr + "/chat/ws", Origin: s.URL()}
}
