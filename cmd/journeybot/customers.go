package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// openEngine opens the store and an engine on it, as serve does but with no channels, HTTP or metrics, for the
// subcommands that change customers' journeys. close closes the store.
func openEngine(ctx context.Context, configPath string, environ []string, stderr io.Writer) (*bot.Engine, string, func() error, error) {
	cfg, err := LoadConfig(configPath, environ)
	if err != nil {
		return nil, "", nil, err
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return nil, "", nil, err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, "", nil, err
	}
	engine, _, err := newEngine(cfg, store, nil, logger)
	if err != nil {
		store.Close()
		return nil, "", nil, err
	}
	closeAll := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
		defer cancel()
		return errors.Join(engine.Shutdown(sctx), store.Close())
	}
	return engine, cfg.Identity.PhoneRegion, closeAll, nil
}

// runCustomers runs "journeybot customers merges CUSTOMER" and "journeybot customers unmerge MERGE".
func runCustomers(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	const usage = "usage: journeybot customers merges [-config FILE] CUSTOMER\n" +
		"       journeybot customers unmerge [-config FILE] [-reason TEXT] MERGE"
	if len(args) == 0 || args[0] != "merges" && args[0] != "unmerge" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("customers "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	reason := fs.String("reason", "undone from the command line", "why the merge is undone (recorded in the journey log)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(usage)
	}
	engine, _, closeAll, err := openEngine(ctx, *configPath, environ, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeAll()) }()
	switch args[0] {
	case "merges":
		merges, err := engine.Merges(ctx, fs.Arg(0))
		if err != nil {
			return fmt.Errorf("customers merges: %w", err)
		}
		printMerges(stdout, merges)
		return nil
	default:
		survivor, restored, err := engine.Unmerge(ctx, fs.Arg(0), journeystate.ActorSystem, "command line: "+*reason)
		switch {
		case errors.Is(err, journeystate.ErrNotFound):
			return fmt.Errorf("customers unmerge: there is no merge %q (list them with: journeybot customers merges CUSTOMER)", fs.Arg(0))
		case errors.Is(err, journeystate.ErrConflict):
			return fmt.Errorf("customers unmerge: %w", err)
		case err != nil:
			return fmt.Errorf("customers unmerge: %w", err)
		}
		fmt.Fprintf(stdout, "merge %s undone: customer %s stands on its own again beside %s; they will not be merged automatically again\n",
			fs.Arg(0), restored.ID, survivor.ID)
		return nil
	}
}

func printMerges(w io.Writer, merges []journeystate.Merge) {
	if len(merges) == 0 {
		fmt.Fprintln(w, "no merges")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MERGE\tWHEN\tSURVIVOR\tABSORBED\tIDENTITY\tEVIDENCE\tUNDONE")
	for _, m := range merges {
		undone := "-"
		if !m.UndoneAt.IsZero() {
			undone = m.UndoneAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s:%s\t%s\t%s\n", m.ID, m.CreatedAt.Format(time.RFC3339), m.SurvivorID,
			m.AbsorbedID, m.Claim.Channel, m.Claim.ExternalID, m.Evidence, undone)
	}
	tw.Flush()
}
