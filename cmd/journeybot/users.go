package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/journeybot/journeybot/bot/routing"
	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

const usersUsage = "usage: journeybot users add [-config FILE] -email EMAIL -name NAME [-role agent|manager|admin]\n" +
	"                          [-teams a,b] [-capacity N] -password-stdin\n" +
	"       journeybot users list [-config FILE]"

// runUsers runs "journeybot users add" and "journeybot users list": the console's users (agents, managers,
// admins). The password is read from the first line of stdin, so that it appears in no process list or shell
// history.
func runUsers(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" && args[0] != "list" {
		return errors.New(usersUsage)
	}
	fs := flag.NewFlagSet("users "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	email := fs.String("email", "", "the user's email: their sign-in name")
	name := fs.String("name", "", "the user's name, as customers and colleagues see it")
	role := fs.String("role", "agent", "agent, manager or admin")
	teams := fs.String("teams", "", "comma-separated teams (handoff.teams) whose queues the user works")
	capacity := fs.Int("capacity", 3, "conversations routing gives the user at once")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New(usersUsage)
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
	if args[0] == "list" {
		users, err := store.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tTEAMS\tCAPACITY\tSTATUS\tDISABLED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%t\n", u.Email, u.Name, u.Role, strings.Join(u.Teams, ","),
				u.Capacity, u.Status, u.Disabled)
		}
		return tw.Flush()
	}

	u := journeystate.User{Name: strings.TrimSpace(*name), Capacity: *capacity, Status: journeystate.StatusOffline}
	if u.Email, err = journeystate.NormalizeEmail(*email); err != nil {
		return fmt.Errorf("-email: %w", err)
	}
	if u.Name == "" {
		return errors.New("-name is required")
	}
	if u.Role, err = journeystate.ParseRole(*role); err != nil {
		return fmt.Errorf("-role: %w", err)
	}
	if u.Capacity < 0 || u.Capacity > 100 {
		return errors.New("-capacity must be between 0 and 100")
	}
	for _, t := range strings.Split(*teams, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !slices.ContainsFunc(cfg.Handoff.Teams, func(team routing.Team) bool { return team.Name == t }) {
			return fmt.Errorf("-teams: %q is not a team of handoff.teams", t)
		}
		u.Teams = append(u.Teams, t)
	}
	if !*passwordStdin {
		return errors.New("-password-stdin is required: pipe the password in, e.g. `printf %s \"$PASSWORD\" | journeybot users add ... -password-stdin`")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password: %w", err)
	}
	if u.PasswordHash, err = console.HashPassword(strings.TrimRight(line, "\r\n")); err != nil {
		return err
	}
	created, err := store.CreateUser(ctx, u)
	if errors.Is(err, journeystate.ErrConflict) {
		return fmt.Errorf("a user with the email %s exists already", u.Email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s %s (%s), id %s\n", created.Role, created.Email, created.Name, created.ID)
	return nil
}
