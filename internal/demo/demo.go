// Package demo builds the demo organisation: people in a reporting tree,
// then each area's demo content, so a newcomer sees Steward at work.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/people"
	"steward/policies"
)

// Password is every demo account's password; the README says so.
const Password = "steward-demo"

// ErrNotEmpty means the database already has people: the demo never
// touches an installation that is in use.
var ErrNotEmpty = errors.New("demo: the database already has people; the demo data was not loaded")

// Options tune the demo.
type Options struct {
	BcryptCost int
	BaseURL    string // for links in emails; default http://127.0.0.1:8080
}

// Result says what was created.
type Result struct {
	People int
	Teams  int
}

// Seed loads the demo organisation into an empty database.
func Seed(ctx context.Context, d *db.DB, now time.Time, opts Options) (Result, error) {
	store := people.NewStore(d)
	n, err := store.Count(ctx)
	if err != nil {
		return Result{}, err
	}
	if n > 0 {
		return Result{}, ErrNotEmpty
	}
	rows, err := people.ParseRoster(strings.NewReader(Roster(now)))
	if err != nil {
		return Result{}, fmt.Errorf("demo: roster: %w", err)
	}
	res, err := store.Import(ctx, rows, audit.System, now)
	if err != nil {
		return Result{}, fmt.Errorf("demo: import: %w", err)
	}
	hash, err := people.HashPassword(Password, opts.BcryptCost)
	if err != nil {
		return Result{}, err
	}
	// One hash for every demo account: bcrypt per person would only make
	// the demo slower to load, and these passwords are public anyway.
	for _, r := range rows {
		u, err := store.ByEmail(ctx, r.Email)
		if err != nil {
			return Result{}, err
		}
		if err := store.SetPassword(ctx, u.ID, hash, audit.System, now); err != nil {
			return Result{}, err
		}
	}
	for _, email := range leavers {
		u, err := store.ByEmail(ctx, email)
		if err != nil {
			return Result{}, err
		}
		if err := store.SetActive(ctx, u.ID, false, audit.System, now.AddDate(0, -2, 0)); err != nil {
			return Result{}, err
		}
	}
	if err := seedContent(ctx, d, store, now, opts); err != nil {
		return Result{}, err
	}
	return Result{People: res.Created, Teams: res.TeamsCreated}, nil
}

// seedContent publishes the demo policies, has most people acknowledge the
// staff policy, and loads the starter course with completions spread so
// that the team pages show every status.
func seedContent(ctx context.Context, d *db.DB, store *people.Store, now time.Time, opts Options) error {
	if opts.BaseURL == "" {
		opts.BaseURL = "http://127.0.0.1:8080"
	}
	renderer, err := mail.NewRenderer(opts.BaseURL)
	if err != nil {
		return err
	}
	pol := policies.NewStore(d, renderer)
	if err := policies.SeedDemo(ctx, pol, now); err != nil {
		return err
	}
	everyone, _, err := store.List(ctx, people.Filter{Limit: 500})
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(everyone))
	for _, u := range everyone {
		ids = append(ids, u.ID)
	}
	if err := acknowledgeDemo(ctx, pol, everyone, now); err != nil {
		return err
	}
	return courses.SeedDemo(ctx, courses.NewStore(d), now, ids)
}

// acknowledgeDemo has two people in three acknowledge the acceptable-use
// policy on different days after it took effect; the rest are pending or
// overdue, as in a real organisation. Nobody acknowledges before they
// were hired.
func acknowledgeDemo(ctx context.Context, pol *policies.Store, everyone []people.User, now time.Time) error {
	t, err := pol.Timeline(ctx, acceptableUse)
	if err != nil {
		return err
	}
	v, ok := t.InEffect(now)
	if !ok {
		return nil
	}
	for i, u := range everyone {
		if i%3 == 2 {
			continue
		}
		at := v.EffectiveAt.Add(time.Duration(1+i%20) * 24 * time.Hour)
		if u.HiredOn != nil && at.Before(*u.HiredOn) {
			at = u.HiredOn.UTC().Add(time.Duration(1+i%5) * 24 * time.Hour)
		}
		if at.After(now) {
			at = now
		}
		if _, err := pol.Acknowledge(ctx, u.ID, acceptableUse, v.Number, at); err != nil {
			return fmt.Errorf("demo: acknowledge: %w", err)
		}
	}
	return nil
}

const acceptableUse = "acceptable-use-of-customer-data"

// leavers are demo people who have left; their evidence stays.
var leavers = []string{"noah.fischer@example.com", "zoe.martin@example.com"}

// Roster returns the demo organisation as a roster CSV: two admins (the
// second approves what the first writes), an auditor, five teams with their managers (Growth's manager reports to
// Marketing's, so manager@example.com has an indirect line) and about fifty
// employees. Start dates are relative to now so that new hires stay new.
func Roster(now time.Time) string {
	var b strings.Builder
	b.WriteString("email,name,team,manager_email,role,hired_on\n")
	day := func(daysAgo int) string { return now.AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	add := func(email, name, team, manager, role string, daysAgo int) {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s\n", email, name, team, manager, role, day(daysAgo))
	}
	add("admin@example.com", "Priya Raman", "", "", "admin", 2400)
	add("auditor@example.com", "Omar Haddad", "", "", "auditor", 1500)
	add("manager@example.com", "Maya Brooks", "Marketing", "", "manager", 2100)
	add("growth.lead@example.com", "Tomás Silva", "Growth", "manager@example.com", "manager", 1400)
	add("sales.lead@example.com", "Grace Okafor", "Sales", "", "manager", 1900)
	add("support.lead@example.com", "Henrik Larsen", "Customer Support", "", "manager", 1700)
	add("eng.lead@example.com", "Aiko Tanaka", "Engineering", "", "manager", 2000)
	add("employee@example.com", "Eli Turner", "Marketing", "manager@example.com", "employee", 600)

	teams := []struct{ name, lead string }{
		{"Marketing", "manager@example.com"}, {"Growth", "growth.lead@example.com"}, {"Sales", "sales.lead@example.com"},
		{"Customer Support", "support.lead@example.com"}, {"Engineering", "eng.lead@example.com"},
	}
	for i, name := range employees {
		t := teams[i%len(teams)]
		first, last, _ := strings.Cut(name, " ")
		email := strings.ToLower(first + "." + last + "@example.com")
		// Spread start dates over six years; every ninth person started
		// in the last three weeks and is still inside their first cycle.
		daysAgo := 30 + (i*137)%2100
		if i%9 == 4 {
			daysAgo = 3 + i%18
		}
		add(email, name, t.name, t.lead, "employee", daysAgo)
	}
	// A second admin approves what the first writes (four eyes). Last in
	// the roster and by name, so the demo's spread of statuses stays as it
	// was before she joined.
	add("privacy.lead@example.com", "Zuri Adebayo", "", "", "admin", 900)
	return b.String()
}

var employees = []string{
	"Amara Nwosu", "Ben Carter", "Chloe Dubois", "Dev Patel", "Elena Petrova", "Farah Khan", "Gabriel Costa",
	"Hana Kim", "Isaac Cohen", "Julia Nowak", "Kofi Mensah", "Lena Vogel", "Mateo Rossi", "Nadia Ali",
	"Noah Fischer", "Olivia Wright", "Pedro Alves", "Quinn Murphy", "Rosa Jimenez", "Sami Virtanen",
	"Tara Singh", "Umar Farouk", "Vera Lindqvist", "Wei Zhang", "Xenia Ivanova", "Yusuf Demir",
	"Zoe Martin", "Aaron Blake", "Bianca Moretti", "Carlos Mendes", "Daria Sokolova", "Emeka Obi",
	"Fiona Gallagher", "George Hughes", "Hiro Watanabe", "Ines Ferreira", "Jonas Berg", "Kira Novak",
	"Liam O'Brien", "Mina Hosseini", "Nils Andersen", "Ola Adeyemi", "Paula Schmidt", "Rahul Mehta",
}
