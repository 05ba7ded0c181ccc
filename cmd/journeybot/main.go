// Command journeybot runs the journeybot server and its maintenance subcommands.
//
//	journeybot serve [-config FILE] [-addr HOST:PORT]
//	journeybot knowledge reindex [-config FILE]
//	journeybot events import [-config FILE] [-format csv|jsonl] FILE
//	journeybot tokens new [-name NAME] [-scopes a,b]
//	journeybot customers merges|unmerge [-config FILE] ...
//	journeybot users add|list [-config FILE] ...
//	journeybot export [-config FILE] -format csv|json|xes|ocel ...
//	journeybot demo seed [-config FILE] [-customers N] [-days D] [-seed S]
//
// It is the only place that reads the configuration file and the environment: everything else gets its settings
// through constructor arguments.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/journeybot/journeybot/api"
)

const usage = `journeybot talks with your customers on the web, in Slack and over SMS, and remembers their journey.

Usage:
  journeybot serve [-config FILE] [-addr HOST:PORT]   run the server
  journeybot knowledge reindex [-config FILE]         index the knowledge folder again, now
  journeybot events import [-config FILE] [-format csv|jsonl] [-sender NAME] [-keep-going] FILE
                                                      back-fill business events (Segment calls) from a file
  journeybot tokens new [-name NAME] [-scopes a,b]    make an API token; prints its config entry
  journeybot customers merges [-config FILE] CUSTOMER list the merges a customer took part in
  journeybot customers unmerge [-config FILE] [-reason TEXT] MERGE
                                                      undo a merge of two customers
  journeybot users add [-config FILE] -email EMAIL -name NAME [-role agent|manager|admin] [-teams a,b]
                       [-capacity N] -password-stdin  add a console user (password on stdin)
  journeybot users list [-config FILE]                list the console's users
  journeybot export [-config FILE] -format csv|json|xes|ocel [-from DATE] [-to DATE] [-o FILE]
                                                      conversations with their KPIs (csv, json), or the journey
                                                      log for process-mining tools (xes, ocel); streamed
  journeybot export [-config FILE] -format json|csv -conversation ID [-o FILE]
                                                      one conversation with its messages
  journeybot demo seed [-config FILE] [-customers N] [-days D] [-seed S]
                                                      fill a fresh database with demo customers and journeys
  journeybot help                                     show this text

Every configuration key can also be set from the environment (see config.yaml).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "journeybot:", err)
		}
		os.Exit(2)
	}
}

// run executes one subcommand; it returns when the subcommand is done or, for serve, when ctx ends and the server
// has shut down.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a subcommand is required")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], environ, stderr)
	case "knowledge":
		if len(args) < 2 || args[1] != "reindex" {
			return errors.New(`usage: journeybot knowledge reindex [-config FILE]`)
		}
		return runReindex(ctx, args[2:], environ, stdout, stderr)
	case "events":
		return runEvents(ctx, args[1:], environ, stdout, stderr, func(ctx context.Context, configPath string) (api.Recorder, string, func() error, error) {
			return openEngine(ctx, configPath, environ, stderr)
		})
	case "tokens":
		return runTokens(args[1:], stdout, stderr)
	case "customers":
		return runCustomers(ctx, args[1:], environ, stdout, stderr)
	case "users":
		return runUsers(ctx, args[1:], environ, os.Stdin, stdout, stderr)
	case "export":
		return runExport(ctx, args[1:], environ, stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], environ, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
}

func runServe(ctx context.Context, args, environ []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	addr := fs.String("addr", "", "listen address, HOST:PORT (overrides server.addr)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := LoadConfig(*configPath, environ)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	m := NewMain(cfg, logger)
	if err := m.Open(ctx); err != nil {
		return err
	}
	logger.Info("journeybot is serving", "addr", m.Addr(), "open", cfg.Server.PublicURL, "model", m.ModelName())
	<-ctx.Done()
	logger.Info("shutting down: finishing turns in flight", "timeout", cfg.Server.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	return m.Close(sctx)
}

func runReindex(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("knowledge reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := LoadConfig(*configPath, environ)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := syncKnowledge(ctx, cfg, store, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "indexed %d passages from %s (version %.12s)\n", res.Passages, cfg.Knowledge.Dir, res.Version)
	return nil
}

func newLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
