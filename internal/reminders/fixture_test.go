package reminders

import (
	"context"
	"fmt"
	"testing"
	"time"

	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/mail"
)

// org builds people, courses, cycles and policies straight into the
// tables the courses and policies packages own, as their stores would
// leave them.
type org struct {
	t testing.TB
	d *db.DB
	s *Sweeper
}

func newOrg(t testing.TB, path string) *org {
	t.Helper()
	if path == "" {
		return orgOn(t, dbtest.Open(t))
	}
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return orgOn(t, d)
}

// orgOn builds the fixture on a migrated database of either dialect.
func orgOn(t testing.TB, d *db.DB) *org {
	t.Helper()
	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return &org{t: t, d: d, s: New(d, r)}
}

func (o *org) exec(q string, args ...any) {
	o.t.Helper()
	if _, err := o.d.Exec(o.d.Rebind(q), args...); err != nil {
		o.t.Fatalf("%s: %v", q, err)
	}
}

// insert runs an INSERT and returns the new row's id.
func (o *org) insert(q string, args ...any) int64 {
	o.t.Helper()
	var id int64
	if err := o.d.Get(&id, o.d.Rebind(q+" RETURNING id"), args...); err != nil {
		o.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (o *org) user(id int64, name string, manager int64, active bool, created time.Time) {
	var mgr any
	if manager != 0 {
		mgr = manager
	}
	role := "employee"
	if manager == 0 {
		role = "manager"
	}
	o.exec(`INSERT INTO users (id, email, name, role, manager_id, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, fmt.Sprintf("%s@example.com", name), name, role, mgr, active, created, created)
}

func (o *org) course(id int64, slug string, validMonths int, at time.Time) {
	o.exec(`INSERT INTO courses (id, slug, title, audience_kind, due_days, valid_months, recert_window_days,
		pass_mark, max_attempts, content_hash, created_at, updated_at)
		VALUES (?, ?, ?, 'everyone', 30, ?, 30, 80, 0, 'h', ?, ?)`, id, slug, "Course "+slug, validMonths, at, at)
}

// cycle opens a cycle; lapses is zero for a first assignment.
func (o *org) cycle(user, course int64, seq int, assigned, due, lapses time.Time, exempt bool) int64 {
	var l any
	if !lapses.IsZero() {
		l = lapses
	}
	return o.insert(`INSERT INTO course_cycles (user_id, course_id, seq, assigned_at, due_at, lapses_at, exempt)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, user, course, seq, assigned, due, l, exempt)
}

func (o *org) complete(cycle int64, at time.Time, validMonths int) {
	var exp any
	if validMonths > 0 {
		exp = at.AddDate(0, validMonths, 0)
	}
	o.exec(`UPDATE course_cycles SET completed_at = ?, expires_at = ?, score = 100 WHERE id = ?`, at, exp, cycle)
}

func (o *org) close(cycle int64, at time.Time) {
	o.exec(`UPDATE course_cycles SET closed_at = ?, closed_reason = 'recertification' WHERE id = ?`, at, cycle)
}

func (o *org) policy(id int64, slug string, withinDays int, at time.Time) {
	o.exec(`INSERT INTO policies (id, slug, title, audience, requires_ack, ack_within_days, created_at, updated_at)
		VALUES (?, ?, ?, 'staff', TRUE, ?, ?, ?)`, id, slug, "Policy "+slug, withinDays, at, at)
}

func (o *org) publish(policy int64, number int, kind string, effective time.Time) int64 {
	return o.insert(`INSERT INTO policy_versions (policy_id, status, number, body_md, change_kind, sha256,
		created_at, updated_at, published_at, effective_at)
		VALUES (?, 'published', ?, 'text', ?, 'sum', ?, ?, ?, ?)`, policy, number, kind, effective, effective, effective, effective)
}

func (o *org) ack(user, version int64, at time.Time) {
	o.exec(`INSERT INTO policy_acknowledgements (user_id, version_id, acknowledged_at) VALUES (?, ?, ?)`, user, version, at)
}

func (o *org) sweep(now time.Time) Plan {
	o.t.Helper()
	p, err := o.s.Sweep(context.Background(), now, false)
	if err != nil {
		o.t.Fatalf("sweep at %s: %v", now, err)
	}
	return p
}
