// Command journeybot-bench is journeybot's load generator: it starts journeybot as a subprocess against an
// in-process mock model, measures turn overhead, idle-connection memory and the durable message pipeline against
// bare baselines, and prints a table and one line of JSON. See docs/BENCHMARKS.md.
//
//	journeybot-bench [flags]                              run the benchmark
//	journeybot-bench bare-hub -addr HOST:PORT             the bare gorilla/websocket hub (a helper it starts)
//	journeybot-bench bare-proxy -addr HOST:PORT -target URL  the bare reverse proxy (a helper it starts)
//
// It talks to loopback addresses only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/journeybot/journeybot/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "journeybot-bench:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "bare-hub":
			return runBareHub(ctx, args[1:], stdin, stdout, stderr)
		case "bare-proxy":
			return runBareProxy(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	// A run ends by itself; this bound only stops a wedged one.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	rep, err := bench.Run(ctx, cfg, stderr)
	if rep != nil {
		rep.WriteTable(stdout)
		fmt.Fprintln(stdout)
		if jerr := rep.WriteJSON(stdout); jerr != nil {
			return jerr
		}
	}
	return err
}

func parseFlags(args []string, stderr io.Writer) (bench.Config, error) {
	fs := flag.NewFlagSet("journeybot-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg      bench.Config
		rates    = fs.String("rates", "50,200,1000", "offered turn rates, turns/s, comma separated")
		phases   = fs.String("phases", "turns,idle,pipeline", "phases to run, comma separated")
		quick    = fs.Bool("quick", false, "a ~15 s smoke run: small loads and short steps (overrides the sizes below)")
		self     = fs.String("self", "", "this benchmark's binary for its helpers (default: the running executable)")
		firstTok = fs.Duration("model-first-token", 200*time.Millisecond, "mock model: time to the first token")
	)
	fs.StringVar(&cfg.Journeybot, "journeybot", "bin/journeybot", "journeybot binary")
	fs.StringVar(&cfg.JourneybotConfig, "config", "", "journeybot -config file (default: none given, journeybot's own default)")
	fs.StringVar(&cfg.WorkDir, "workdir", "", "directory for stores and logs, kept afterwards (default: a temporary one, removed)")
	fs.Float64Var(&cfg.Mock.TokensPerSec, "model-tokens-per-sec", 50, "mock model: tokens per second")
	fs.IntVar(&cfg.Mock.Tokens, "model-tokens", 60, "mock model: tokens per answer")
	fs.DurationVar(&cfg.Step, "step", 3*time.Second, "how long each turn rate is offered, per target")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "unrecorded load at the lowest rate before the turn steps (0: none)")
	fs.DurationVar(&cfg.TurnTimeout, "turn-timeout", 30*time.Second, "one turn's deadline from its due time")
	fs.IntVar(&cfg.MaxCustomers, "max-customers", 6000, "web-chat customers for turns, at most")
	fs.BoolVar(&cfg.Direct, "direct", true, "also send the load straight to the mock model, to know the model's own time")
	fs.IntVar(&cfg.IdleConns, "idle-conns", 2000, "idle connections to each server (10,000 and more need a high open-file limit)")
	fs.IntVar(&cfg.IdleParallel, "idle-parallel", 64, "connections opened at once")
	fs.IntVar(&cfg.PipelineCustomers, "pipeline-customers", 200, "web-chat customers in the pipeline phase")
	fs.Float64Var(&cfg.PipelineRate, "pipeline-rate", 5000, "offered messages/s in the pipeline phase")
	fs.DurationVar(&cfg.Pipeline, "pipeline-duration", 5*time.Second, "how long the pipeline rate is offered")
	fs.DurationVar(&cfg.PipelineTimeout, "pipeline-timeout", 10*time.Second, "one message's deadline for its ack")
	fs.IntVar(&cfg.CeilingBatch, "ceiling-batch", 256, "messages per transaction when measuring the store's ceiling")
	fs.DurationVar(&cfg.Ceiling, "ceiling-duration", 2*time.Second, "how long to measure the store's ceiling (0: skip)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.Mock.FirstToken = *firstTok
	cfg.Command = "journeybot-bench " + strings.Join(args, " ")
	if *quick {
		*rates = "100"
		cfg.Step = 2 * time.Second
		cfg.Warmup = 0
		cfg.Direct = false
		cfg.IdleConns = 500
		cfg.Pipeline = time.Second
		cfg.PipelineTimeout = 3 * time.Second
		cfg.Ceiling = 500 * time.Millisecond
	}
	var err error
	if cfg.Rates, err = parseRates(*rates); err != nil {
		return cfg, err
	}
	if cfg.Phases, err = parsePhases(*phases); err != nil {
		return cfg, err
	}
	if cfg.Self = *self; cfg.Self == "" {
		if cfg.Self, err = os.Executable(); err != nil {
			return cfg, fmt.Errorf("find own binary (give -self): %w", err)
		}
	}
	if cfg.Phases[bench.PhaseTurns] || cfg.Phases[bench.PhaseIdle] || cfg.Phases[bench.PhasePipeline] {
		if _, err := os.Stat(cfg.Journeybot); err != nil {
			return cfg, fmt.Errorf("journeybot binary: %w (build it: go build -tags sqlite_fts5 -o bin/journeybot ./cmd/journeybot)", err)
		}
	}
	return cfg, validate(cfg)
}

func validate(cfg bench.Config) error {
	switch {
	case cfg.Warmup < 0:
		return errors.New("-warmup must not be negative")
	case cfg.Step <= 0 || cfg.Pipeline <= 0 || cfg.TurnTimeout <= 0 || cfg.PipelineTimeout <= 0:
		return errors.New("-step, -pipeline-duration and the timeouts must be positive")
	case cfg.Mock.TokensPerSec <= 0 || cfg.Mock.Tokens < 1 || cfg.Mock.FirstToken < 0:
		return errors.New("the mock model needs tokens ≥ 1, a positive token rate and a first-token time ≥ 0")
	case cfg.MaxCustomers < 1 || cfg.IdleConns < 1 || cfg.IdleParallel < 1 || cfg.PipelineCustomers < 1:
		return errors.New("-max-customers, -idle-conns, -idle-parallel and -pipeline-customers must be ≥ 1")
	case cfg.PipelineRate <= 0 || cfg.CeilingBatch < 1:
		return errors.New("-pipeline-rate and -ceiling-batch must be positive")
	}
	return nil
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("-rates: %q is not a positive number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parsePhases(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		switch p := strings.TrimSpace(f); p {
		case bench.PhaseTurns, bench.PhaseIdle, bench.PhasePipeline:
			out[p] = true
		default:
			return nil, fmt.Errorf("-phases: unknown phase %q (want turns, idle, pipeline)", p)
		}
	}
	return out, nil
}

func runBareHub(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bare-hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return bench.ServeHelper(ctx, *addr, bench.NewBareHub(), stdin, stdout)
}

func runBareProxy(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bare-proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	target := fs.String("target", "", "origin of the OpenAI-compatible server, e.g. http://127.0.0.1:8080")
	conns := fs.Int("conns", 8192, "upstream connections kept idle")
	if err := fs.Parse(args); err != nil {
		return err
	}
	h, err := bench.NewBareProxy(*target, *conns)
	if err != nil {
		return err
	}
	return bench.ServeHelper(ctx, *addr, h, stdin, stdout)
}
