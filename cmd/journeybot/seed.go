package main

// journeybot demo seed: a few thousand fictional customers with journeys across channels, conversations, hand-offs
// and ratings, so that a fresh install shows a living dashboard. The plan (seed_plan.go) is drawn from a seeded
// random source, so a seed gives the same numbers every time; the scheduler (seed_sched.go) plays it on the store
// with a simulated clock, so that the history is spread over the past days as if it had happened then.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/sqlite"
)

// seedOptions are the flags of journeybot demo seed.
type seedOptions struct {
	Customers int
	Days      int
	Seed      uint64
	// Now is the end of the seeded history; zero is the time the seed starts.
	Now time.Time
	// Workers bounds the shared steps in flight (see seed_sched.go); 0 is a default.
	Workers int
}

// seedStats counts what a seed made; safe for concurrent use.
type seedStats struct {
	customers, twoChannels, merges                   atomic.Int64
	conversations, messages, handoffs, ratings, tags atomic.Int64
	events, stageChanges                             atomic.Int64
}

// SeedCounts is a snapshot of seedStats.
type SeedCounts struct {
	Customers, TwoChannels, Merges                   int64
	Conversations, Messages, Handoffs, Ratings, Tags int64
	Events, StageChanges                             int64
}

func (s *seedStats) counts() SeedCounts {
	return SeedCounts{Customers: s.customers.Load(), TwoChannels: s.twoChannels.Load(), Merges: s.merges.Load(),
		Conversations: s.conversations.Load(), Messages: s.messages.Load(), Handoffs: s.handoffs.Load(),
		Ratings: s.ratings.Load(), Tags: s.tags.Load(), Events: s.events.Load(), StageChanges: s.stageChanges.Load()}
}

// errSeeded is returned when the database holds a seed already.
var errSeeded = errors.New("this database holds demo data already (journeybot demo seed ran on it before); " +
	"seed a fresh database: point store.path (or JOURNEYBOT_STORE_PATH) at a new file")

// runDemo runs "journeybot demo seed".
func runDemo(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	const usage = "usage: journeybot demo seed [-config FILE] [-customers N] [-days D] [-seed S]"
	if len(args) == 0 || args[0] != "seed" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("demo seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	var opts seedOptions
	fs.IntVar(&opts.Customers, "customers", 3000, "customers to make, 1 to 100000")
	fs.IntVar(&opts.Days, "days", 60, "days of history, 1 to 365, ending now")
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed: the same seed makes the same journeys")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New(usage)
	}
	cfg, err := LoadConfig(*configPath, environ)
	if err != nil {
		return err
	}
	start := time.Now()
	counts, err := seedDatabase(ctx, cfg, opts, stderr)
	if err != nil {
		return fmt.Errorf("demo seed: %w", err)
	}
	printSeedCounts(stdout, cfg.Store.Path, opts, counts, time.Since(start))
	return nil
}

// seedDatabase seeds the database cfg names, which must not hold a seed already (errSeeded; nothing is written
// then), and returns what it made.
func seedDatabase(ctx context.Context, cfg Config, opts seedOptions, stderr io.Writer) (SeedCounts, error) {
	if opts.Customers < 1 || opts.Customers > 100000 {
		return SeedCounts{}, fmt.Errorf("-customers %d is not between 1 and 100000", opts.Customers)
	}
	if opts.Days < 1 || opts.Days > 365 {
		return SeedCounts{}, fmt.Errorf("-days %d is not between 1 and 365", opts.Days)
	}
	if len(cfg.Journey.Stages) == 0 {
		return SeedCounts{}, errors.New("the configuration has no journey map (journey.stages): the demo data is made for one")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return SeedCounts{}, err
	}
	// The clock starts where the seeded history starts: it only moves forward, step by step, to opts.Now.
	clock := &seedClock{}
	clock.advance(opts.Now.AddDate(0, 0, -opts.Days).Add(-time.Hour))
	store, err := sqlite.Open(ctx, cfg.Store.Path, sqlite.WithNow(clock.Now))
	if err != nil {
		return SeedCounts{}, fmt.Errorf("store.path: open %s: %w", cfg.Store.Path, err)
	}
	defer store.Close()
	// The check reads only: a database seeded before is left exactly as it is.
	switch _, err := store.FindIdentity(ctx, journeystate.IdentityUser, seedUserID(0)); {
	case err == nil:
		return SeedCounts{}, errSeeded
	case !errors.Is(err, journeystate.ErrNotFound):
		return SeedCounts{}, err
	}
	engine, _, err := newEngine(cfg, store, nil, logger)
	if err != nil {
		return SeedCounts{}, err
	}
	defer engine.Shutdown(context.Background())

	s := &seeder{cfg: cfg, store: store, engine: engine, now: opts.Now, days: opts.Days}
	if s.agents, err = seedAgents(ctx, cfg, store); err != nil {
		return SeedCounts{}, err
	}
	scripts := make([]*seedScript, opts.Customers)
	for i := range scripts {
		scripts[i] = s.plan(opts.Seed, i)
	}
	if err := playScripts(ctx, clock, scripts, cmpOrInt(opts.Workers, 16)); err != nil {
		return s.stats.counts(), err
	}
	return s.stats.counts(), nil
}

func cmpOrInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func printSeedCounts(w io.Writer, path string, opts seedOptions, c SeedCounts, took time.Duration) {
	fmt.Fprintf(w, "seeded %s with %d days of demo history (seed %d) in %s:\n", path, opts.Days, opts.Seed,
		took.Round(10*time.Millisecond))
	fmt.Fprintf(w, "  customers       %7d  (%d on two channels, %d identities merged)\n", c.Customers, c.TwoChannels, c.Merges)
	fmt.Fprintf(w, "  conversations   %7d\n", c.Conversations)
	fmt.Fprintf(w, "  messages        %7d\n", c.Messages)
	fmt.Fprintf(w, "  hand-offs       %7d\n", c.Handoffs)
	fmt.Fprintf(w, "  ratings         %7d\n", c.Ratings)
	fmt.Fprintf(w, "  tagged          %7d\n", c.Tags)
	fmt.Fprintf(w, "  business events %7d  (%d stage changes)\n", c.Events, c.StageChanges)
	fmt.Fprintln(w, "Sign in to the console as manager@demo.hearthly.example (see the README) to see the dashboard.")
}

// seedAgent is an agent who takes seeded hand-offs.
type seedAgent struct {
	ID, Name string
	Teams    []string
}

// seedAgents makes sure the demo's console accounts and the seed's fictional agents exist, and returns the agents
// (not the manager).
func seedAgents(ctx context.Context, cfg Config, store *sqlite.Store) ([]seedAgent, error) {
	var teams []string
	for _, t := range cfg.Handoff.Teams {
		teams = append(teams, t.Name)
	}
	if err := seedDemoUsers(ctx, store, teams); err != nil {
		return nil, err
	}
	for i, a := range seedExtraAgents {
		if _, err := store.UserByEmail(ctx, a.Email); err == nil {
			continue
		} else if !errors.Is(err, journeystate.ErrNotFound) {
			return nil, fmt.Errorf("look up %s: %w", a.Email, err)
		}
		secret := make([]byte, 24)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		hash, err := console.HashPassword(hex.EncodeToString(secret))
		if err != nil {
			return nil, err
		}
		var own []string
		if len(teams) > 0 {
			own = []string{teams[i%len(teams)]}
			if def := defaultTeam(cfg); def != "" && def != own[0] {
				own = append(own, def)
			}
		}
		_, err = store.CreateUser(ctx, journeystate.User{Email: a.Email, Name: a.Name, Role: journeystate.RoleAgent,
			PasswordHash: hash, Teams: own, Capacity: 4, Status: journeystate.StatusOffline})
		if err != nil && !errors.Is(err, journeystate.ErrConflict) {
			return nil, fmt.Errorf("add %s: %w", a.Email, err)
		}
	}
	users, err := store.Users(ctx)
	if err != nil {
		return nil, err
	}
	var agents []seedAgent
	for _, u := range users {
		if u.Role == journeystate.RoleAgent && !u.Disabled {
			agents = append(agents, seedAgent{ID: u.ID, Name: u.Name, Teams: u.Teams})
		}
	}
	if len(agents) == 0 {
		return nil, errors.New("no agent to take hand-offs")
	}
	return agents, nil
}

func defaultTeam(cfg Config) string {
	for _, t := range cfg.Handoff.Teams {
		if t.Default {
			return t.Name
		}
	}
	return ""
}

// agentFor picks, with pick, an agent of team (any agent when none works it).
func (s *seeder) agentFor(team string, pick uint32) seedAgent {
	var of []seedAgent
	for _, a := range s.agents {
		if slices.Contains(a.Teams, team) {
			of = append(of, a)
		}
	}
	if len(of) == 0 {
		of = s.agents
	}
	return of[int(pick)%len(of)]
}

// seeder plays the seed's plan on the store.
type seeder struct {
	cfg    Config
	store  *sqlite.Store
	engine *bot.Engine
	now    time.Time
	days   int
	agents []seedAgent
	stats  seedStats
}
