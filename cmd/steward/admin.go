package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/demo"
	"steward/internal/people"
	"steward/internal/reports"
	"steward/internal/validator"
)

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	if err := flags(e, "migrate").Parse(args); err != nil {
		return err
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	var version int
	if err := d.GetContext(ctx, &version, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "database %s is at schema version %d\n", db.Redact(e.cfg.DatabaseURL), version)
	return nil
}

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "demo")
	size := fs.Int("people", 0, "build a large organisation of this many people (at least 50) with three years of history, for trying reports at scale")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if e.cfg.Production() {
		return usagef("refused with STEWARD_ENV=production: demo accounts have public passwords")
	}
	if *size != 0 && *size < 50 {
		return usagef("--people must be at least 50")
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	if *size > 0 {
		start := time.Now()
		big, err := demo.Large(ctx, d, e.now(), demo.LargeOptions{People: *size})
		if err != nil {
			return err
		}
		// The reports' standings, so that the first report is as fast as
		// the ones after serve's next refresh.
		if _, err := reports.New(d, e.cfg.MinGroupSize, e.cfg.RetentionDays).Refresh(ctx, e.now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "large demo organisation loaded in %s: %d people in %d teams, %d courses, %d staff policies, "+
			"%d cycles, %d attempts, %d acknowledgements; every account's password is %q\n",
			time.Since(start).Round(time.Millisecond), big.People, big.Teams, big.Courses, big.Policies,
			big.Cycles, big.Attempts, big.Acknowledgements, demo.Password)
		return nil
	}
	res, err := demo.Seed(ctx, d, e.now(), demo.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo organisation loaded: %d people in %d teams; every account's password is %q\n", res.People, res.Teams, demo.Password)
	return nil
}

func cmdPeopleImport(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "people import")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name one CSV file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := people.ParseRoster(f)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	res, err := people.NewStore(d).Import(ctx, rows, audit.CLI, e.now())
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(e.stdout, "imported %s: %d added, %d updated, %d unchanged, %d new teams\n",
		fs.Arg(0), res.Created, res.Updated, res.Unchanged, res.TeamsCreated)
	return nil
}

func cmdUserAdd(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "user add")
	email := fs.String("email", "", "work email (required)")
	name := fs.String("name", "", "full name (required)")
	role := fs.String("role", "employee", "employee, manager, admin or auditor")
	team := fs.String("team", "", "team name (created if it does not exist)")
	manager := fs.String("manager", "", "manager's email")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := people.Input{Email: people.NormalizeEmail(*email), Name: strings.TrimSpace(*name), Role: people.Role(*role)}
	// people decides what is valid (Input.Problems); the command words it
	// as its flags.
	if p := in.Problems(); len(p) > 0 {
		for _, f := range []struct{ field, usage string }{
			{"email", "--email must be an address like name@example.com"},
			{"name", "--name must be 1 to 200 characters"},
			{"role", "--role must be employee, manager, admin or auditor"},
		} {
			if _, ok := p[f.field]; ok {
				return usagef("%s", f.usage)
			}
		}
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	if err := people.CheckPersonalPassword(password, in.Email, in.Name); err != nil {
		return passwordUsage(err)
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	store := people.NewStore(d)
	if *manager != "" {
		m, err := store.ByEmail(ctx, *manager)
		if err != nil {
			return usagef("--manager: nobody has the email %q", *manager)
		}
		in.ManagerID = &m.ID
	}
	if *team != "" {
		id, err := teamID(ctx, store, *team)
		if err != nil {
			return err
		}
		in.TeamID = &id
	}
	hash, err := people.HashPassword(password, bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	id, err := store.Create(ctx, in, audit.CLI, e.now())
	if err != nil {
		return err
	}
	if err := store.SetPassword(ctx, id, hash, audit.CLI, e.now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added %s <%s> as %s\n", in.Name, in.Email, in.Role)
	return nil
}

func teamID(ctx context.Context, store *people.Store, name string) (int64, error) {
	teams, err := store.Teams(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range teams {
		if strings.EqualFold(t.Name, strings.TrimSpace(name)) {
			return t.ID, nil
		}
	}
	if !validator.MaxChars(name, 100) {
		return 0, usagef("--team must be at most 100 characters")
	}
	return store.CreateTeam(ctx, name, audit.CLI, time.Now().UTC())
}

func cmdUserPasswd(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "user passwd")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name one person by email")
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	store := people.NewStore(d)
	u, err := store.ByEmail(ctx, fs.Arg(0))
	if errors.Is(err, people.ErrNotFound) {
		return fmt.Errorf("nobody has the email %q", fs.Arg(0))
	}
	if err != nil {
		return err
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	if err := people.CheckPersonalPassword(password, u.Email, u.Name); err != nil {
		return passwordUsage(err)
	}
	hash, err := people.HashPassword(password, bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	if err := store.SetPassword(ctx, u.ID, hash, audit.CLI, e.now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "password set for %s\n", u.Email)
	return nil
}

// passwordUsage says why people.CheckPersonalPassword refused a password.
func passwordUsage(err error) error {
	switch {
	case errors.Is(err, people.ErrBreachedPassword):
		return usagef("the password is on a list of passwords leaked in breaches, which attackers try first: choose another")
	case errors.Is(err, people.ErrPersonalPassword):
		return usagef("the password must not be the person's own email or name: choose another")
	default:
		return usagef("the password must be 12 to 72 characters")
	}
}

// readPassword reads one line from standard input, so passwords never sit
// in shell history or the process list.
func readPassword(e *env) (string, error) {
	fmt.Fprint(e.stderr, "password (12-72 characters), then Enter: ")
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usagef("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
