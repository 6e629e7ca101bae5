package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/courses"
	"steward/internal/csvout"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/demo"
	"steward/internal/mail"
	"steward/internal/people"
	"steward/policies"
)

var testNow = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// org builds a generated organisation of n people with three years of history.
func org(t testing.TB, n int) *db.DB { return orgIn(t, dbtest.Open(t), n) }

// orgIn builds the organisation in d.
func orgIn(t testing.TB, d *db.DB, n int) *db.DB {
	t.Helper()
	if _, err := demo.Large(context.Background(), d, testNow, demo.LargeOptions{People: n, BcryptCost: bcrypt.MinCost, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return d
}

// fresh opens another empty database of the same dialect as like.
func fresh(t testing.TB, like *db.DB) *db.DB {
	if like.Dialect == db.Postgres {
		return dbtest.OpenPostgres(t)
	}
	return dbtest.Open(t)
}

func idOf(t testing.TB, d *db.DB, email string) int64 {
	t.Helper()
	var id int64
	if err := d.Get(&id, d.Rebind(`SELECT id FROM users WHERE email = ?`), email); err != nil {
		t.Fatal(err)
	}
	return id
}

// asOf is a cycle as it stood at the moment: what happened later undone.
func asOf(c courses.Cycle, at time.Time) courses.Cycle {
	if c.CompletedAt != nil && c.CompletedAt.After(at) {
		c.CompletedAt, c.ExpiresAt, c.Score = nil, nil, nil
	}
	if c.StartedAt != nil && c.StartedAt.After(at) {
		c.StartedAt = nil
	}
	if c.Exempt && c.ExemptAt != nil && c.ExemptAt.After(at) {
		c.Exempt = false
	}
	return c
}

func currentAtMoment(c courses.Cycle, at time.Time) bool {
	return !c.AssignedAt.After(at) && (c.ClosedAt == nil || c.ClosedAt.After(at))
}

func allCycles(t testing.TB, d *db.DB) []courses.Cycle {
	t.Helper()
	var out []courses.Cycle
	if err := d.Select(&out, `SELECT `+cycleCols+` FROM course_cycles ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return out
}

const cycleCols = `id, user_id, course_id, seq, assigned_at, due_at, lapses_at, started_at, completed_at,
	completed_revision, expires_at, score, exempt, exempt_reason, exempt_by, exempt_at, closed_at, closed_reason`

// The SQL status matches courses.Cycle.Status for every cycle current at
// each of several moments, today and in the past.
func TestStatusExprMatchesCourses(t *testing.T) {
	d := org(t, 150)
	cycles := allCycles(t, d)
	seen := map[string]int{}
	for _, at := range []time.Time{testNow, testNow.AddDate(0, 0, -20), testNow.AddDate(0, -5, 0), testNow.AddDate(-1, -2, 3), testNow.AddDate(-2, 0, 0)} {
		var rows []struct {
			ID     int64  `db:"id"`
			Status string `db:"status"`
		}
		if err := d.Select(&rows, d.Rebind(`SELECT c.id, `+statusExpr+` AS status FROM course_cycles c WHERE `+currentAt),
			append(statusArgs(at), currentArgs(at)...)...); err != nil {
			t.Fatal(err)
		}
		got := map[int64]string{}
		for _, r := range rows {
			got[r.ID] = r.Status
		}
		want := 0
		for _, c := range cycles {
			if !currentAtMoment(c, at) {
				continue
			}
			want++
			s := asOf(c, at)
			st := string(s.Status(at))
			if got[c.ID] != st {
				t.Fatalf("cycle %d at %s: SQL says %q, courses says %q (%+v)", c.ID, at, got[c.ID], st, s)
			}
			seen[st]++
		}
		if want != len(rows) {
			t.Fatalf("at %s: SQL finds %d current cycles, want %d", at, len(rows), want)
		}
	}
	for _, s := range []courses.Status{courses.StatusCompleted, courses.StatusLapsed, courses.StatusOverdue, courses.StatusDueSoon, courses.StatusNotStarted, courses.StatusExempt} {
		if seen[string(s)] == 0 {
			t.Errorf("no cycle was %s at any moment: the comparison does not cover it", s)
		}
	}
}

// The manager's figures agree with the courses and policies packages' own
// answers, person by person, for everyone in the line.
func TestLineAgreesWithDomainPackages(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 200)
		ctx := context.Background()
		mgr := idOf(t, d, "manager@example.com")
		s := New(d, 5, 365)
		l, err := s.Line(ctx, mgr, Filter{Status: "all"}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		line, err := people.NewStore(d).ReportingLine(ctx, mgr)
		if err != nil {
			t.Fatal(err)
		}
		active := map[int64]bool{}
		for _, u := range line {
			if u.Active {
				active[u.ID] = true
			}
		}
		if l.People != len(active) || len(active) < 20 {
			t.Fatalf("report counts %d people, the line has %d active", l.People, len(active))
		}
		var current []courses.Cycle
		if err := d.SelectContext(ctx, &current, `SELECT id, user_id, course_id, assigned_at, due_at, lapses_at, started_at,
			completed_at, expires_at, exempt, exempt_at FROM course_cycles WHERE closed_at IS NULL`); err != nil {
			t.Fatal(err)
		}
		want := map[int64]map[courses.Status]int{}
		for _, c := range current {
			if active[c.UserID] {
				if want[c.CourseID] == nil {
					want[c.CourseID] = map[courses.Status]int{}
				}
				want[c.CourseID][c.Status(testNow)]++
			}
		}
		for _, f := range l.Courses {
			w := want[f.ID]
			got := map[courses.Status]int{courses.StatusCompleted: f.Completed, courses.StatusDueSoon: f.DueSoon, courses.StatusOverdue: f.Overdue,
				courses.StatusLapsed: f.Lapsed, courses.StatusExempt: f.Exempt, courses.StatusInProgress: f.InProgress, courses.StatusNotStarted: f.NotStarted}
			for st, n := range got {
				if w[st] != n {
					t.Errorf("%s: %d %s, courses says %d", f.Title, n, st, w[st])
				}
			}
		}
		r, err := mail.NewRenderer("http://steward.test")
		if err != nil {
			t.Fatal(err)
		}
		ps := policies.NewStore(d, r)
		type counts struct{ acked, pending, overdue int }
		wantP := map[string]*counts{}
		for id := range active {
			sts, err := ps.StatusFor(ctx, id, testNow)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range sts {
				c := wantP[st.Policy.Slug]
				if c == nil {
					c = &counts{}
					wantP[st.Policy.Slug] = c
				}
				switch st.State {
				case policies.AckAcknowledged:
					c.acked++
				case policies.AckPending:
					c.pending++
				case policies.AckOverdue:
					c.overdue++
				}
			}
		}
		if len(l.Policies) != len(wantP) || len(l.Policies) == 0 {
			t.Fatalf("%d policies in the report, policies says %d", len(l.Policies), len(wantP))
		}
		for _, p := range l.Policies {
			w := wantP[p.Slug]
			if p.Acknowledged != w.acked || p.Pending != w.pending || p.Overdue != w.overdue {
				t.Errorf("%s: report %d/%d/%d acknowledged/pending/overdue, policies says %d/%d/%d", p.Slug,
					p.Acknowledged, p.Pending, p.Overdue, w.acked, w.pending, w.overdue)
			}
		}
		// Every item listed is someone in the line.
		for _, it := range l.Items {
			if !active[it.UserID] {
				t.Fatalf("item of user %d, who is not in the line", it.UserID)
			}
		}
	})
}

// The trend recomputes each month's end from the cycles as they stood
// then, for the organisation and for a manager's line, the second time
// from the stored months.
func TestTrendIsPointInTime(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 150)
		ctx := context.Background()
		s := New(d, 5, 365)
		mgr := idOf(t, d, "manager@example.com")
		line, err := people.NewStore(d).ReportingLine(ctx, mgr)
		if err != nil {
			t.Fatal(err)
		}
		inLine := map[int64]bool{}
		for _, u := range line {
			inLine[u.ID] = true
		}
		cycles := allCycles(t, d)
		for _, c := range []struct {
			name    string
			manager int64
			counts  func(userID int64) bool
		}{
			{"organisation", 0, func(int64) bool { return true }},
			{"line", mgr, func(id int64) bool { return inLine[id] }},
			{"organisation again", 0, func(int64) bool { return true }},
			{"line again", mgr, func(id int64) bool { return inLine[id] }},
		} {
			tr, err := s.Line(ctx, c.manager, Filter{}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Trend) != TrendMonths {
				t.Fatalf("%d points, want %d", len(tr.Trend), TrendMonths)
			}
			for i, p := range tr.Trend {
				if i > 0 && !p.At.After(tr.Trend[i-1].At) {
					t.Fatalf("points out of order: %s after %s", p.At, tr.Trend[i-1].At)
				}
				items, good := 0, 0
				for _, cy := range cycles {
					if !c.counts(cy.UserID) || !currentAtMoment(cy, p.At) {
						continue
					}
					items++
					then := asOf(cy, p.At)
					if st := then.Status(p.At); st != courses.StatusOverdue && st != courses.StatusLapsed {
						good++
					}
				}
				if p.Items != items || p.Good != good {
					t.Errorf("%s, %s: report %d of %d in good standing, recomputed %d of %d", c.name, p.Label, p.Good, p.Items, good, items)
				}
			}
			if last := tr.Trend[len(tr.Trend)-1]; !last.At.Equal(testNow) {
				t.Fatalf("the last point is %s, not now", last.At)
			}
		}
	})
}

// pageQueries counts the queries of every report page on an organisation.
func pageQueries(t *testing.T, d *db.DB, n int) map[string]int64 {
	orgIn(t, d, n)
	ctx := context.Background()
	s := New(d, 5, 365)
	mgr := idOf(t, d, "manager@example.com")
	emp := idOf(t, d, "employee@example.com")
	asOfDay, err := ParseAsOf("2026-06-30", testNow)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	measure := func(name string, fn func() error) {
		before := s.Queries()
		if err := fn(); err != nil {
			t.Fatal(err)
		}
		out[name] = s.Queries() - before
	}
	measure("manager page", func() error { _, err := s.Line(ctx, mgr, Filter{Status: NeedsAction}, testNow); return err })
	measure("manager page, every status, one team", func() error {
		_, err := s.Line(ctx, mgr, Filter{Status: "all", TeamID: 1}, testNow)
		return err
	})
	measure("organisation", func() error { _, err := s.Org(ctx, testNow); return err })
	measure("person", func() error { _, err := s.History(ctx, emp, testNow); return err })
	if _, err := s.Refresh(ctx, testNow); err != nil {
		t.Fatal(err)
	}
	measure("manager page, standings remembered", func() error {
		_, err := s.LinePage(ctx, mgr, Filter{Status: NeedsAction}, testNow, 0, 100)
		return err
	})
	measure("organisation, standings remembered", func() error { _, err := s.Org(ctx, testNow); return err })
	measure("evidence", func() error {
		var b bytes.Buffer
		_, err := s.Evidence(ctx, &b, FormatCSV, EvidenceMeta{AsOf: asOfDay, GeneratedAt: testNow, GeneratedBy: "test"}, testNow)
		return err
	})
	return out
}

// A page costs the same number of queries for 60 people as for 400.
func TestQueriesDoNotGrowWithPeople(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) { queriesDoNotGrow(t, d) })
}

func queriesDoNotGrow(t *testing.T, d *db.DB) {
	small, large := pageQueries(t, d, 60), pageQueries(t, fresh(t, d), 400)
	for page, n := range small {
		if large[page] != n {
			t.Errorf("%s: %d queries for 60 people, %d for 400", page, n, large[page])
		}
		t.Logf("%s: %d queries", page, n)
	}
}

// The evidence export has one row per current cycle and per policy in
// effect for everyone there that day, and nothing completed after it.
func TestEvidenceAsOfADay(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 120)
		ctx := context.Background()
		s := New(d, 5, 365)
		at, err := ParseAsOf("2026-03-15", testNow)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		n, err := s.Evidence(ctx, &b, FormatCSV, EvidenceMeta{AsOf: at, GeneratedAt: testNow, GeneratedBy: "Tess Ter <tess@example.com>"}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		text, ok := strings.CutPrefix(b.String(), csvout.BOM)
		if !ok || !strings.HasPrefix(text, strings.Join(EvidenceColumns, ",")+"\n") {
			t.Fatalf("the file does not start with the BOM and the header:\n%s", text[:300])
		}
		rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows)-1 != n {
			t.Fatalf("%d rows written, %d read", n, len(rows)-1)
		}
		courseRows := 0
		for _, row := range rows[1:] {
			if row[5] == "course" {
				courseRows++
				if done := row[11]; done != "" && done > at.Format(time.RFC3339) {
					t.Fatalf("row completed after the day: %v", row)
				}
				if row[8] == "completed" && row[11] == "" {
					t.Fatalf("completed without a date: %v", row)
				}
			}
		}
		want := 0
		retained := testNow.AddDate(0, 0, -365)
		var left []struct {
			ID int64      `db:"id"`
			At *time.Time `db:"deactivated_at"`
		}
		if err := d.Select(&left, `SELECT id, deactivated_at FROM users`); err != nil {
			t.Fatal(err)
		}
		gone := map[int64]bool{}
		for _, u := range left {
			if u.At != nil && (!u.At.After(at) || !u.At.After(retained)) {
				gone[u.ID] = true
			}
		}
		for _, c := range allCycles(t, d) {
			if currentAtMoment(c, at) && !gone[c.UserID] {
				want++
			}
		}
		if courseRows != want || want == 0 {
			t.Fatalf("%d course rows, %d cycles were current that day", courseRows, want)
		}
	})
}

// The generated organisation looks like the one the issue asks for: ten
// courses, five staff policies, a reporting tree several levels deep,
// three years of history and some people who have left.
func TestLargeOrganisationShape(t *testing.T) {
	d := org(t, 400)
	count := func(q string, args ...any) int {
		var n int
		if err := d.Get(&n, d.Rebind(q), args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM users`); n != 400 {
		t.Errorf("%d people, want 400", n)
	}
	if n := count(`SELECT COUNT(*) FROM courses`); n != 10 {
		t.Errorf("%d courses, want 10", n)
	}
	if n := count(`SELECT COUNT(*) FROM policies WHERE audience = 'staff' AND requires_ack = TRUE`); n != 5 {
		t.Errorf("%d staff policies, want 5", n)
	}
	if n := count(`SELECT COUNT(*) FROM users WHERE email = 'manager@example.com' AND manager_id IS NULL AND role = 'manager'`); n != 1 {
		t.Error("manager@example.com is not a top-level manager")
	}
	line, err := people.NewStore(d).ReportingLine(context.Background(), idOf(t, d, "manager@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	direct := 0
	for _, u := range line {
		if u.ManagerEmail != nil && *u.ManagerEmail == "manager@example.com" {
			direct++
		}
	}
	if direct == 0 || len(line) < 3*direct {
		t.Errorf("manager@example.com has %d direct and %d in all: not a tree of several levels", direct, len(line))
	}
	if n := count(`SELECT COUNT(*) FROM course_cycles WHERE assigned_at < ?`, testNow.AddDate(-2, -9, 0)); n == 0 {
		t.Error("no cycle is older than two years and nine months")
	}
	if n := count(`SELECT COUNT(*) FROM course_cycles WHERE seq >= 3`); n == 0 {
		t.Error("nobody has recertified twice in three years")
	}
	if n := count(`SELECT COUNT(*) FROM users WHERE active = FALSE AND deactivated_at IS NOT NULL`); n == 0 {
		t.Error("nobody has left")
	}
	if n := count(`SELECT COUNT(*) FROM course_attempts WHERE passed = FALSE`); n == 0 {
		t.Error("nobody ever failed a quiz")
	}
	if n := count(`SELECT COUNT(*) FROM policy_acknowledgements`); n < 400 {
		t.Errorf("only %d acknowledgements", n)
	}
}

// Policy figures do not depend on what the page lists: the organisation
// view and a manager page filtered to late items (which read no
// acknowledgement times for policies without renewal) count as the page
// that lists everyone does.
func TestPolicyFiguresIgnoreTheListing(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 200)
		ctx := context.Background()
		s := New(d, 1, 365)
		mgr := idOf(t, d, "manager@example.com")
		for _, c := range []struct {
			name    string
			manager int64
		}{{"organisation", 0}, {"line", mgr}} {
			all, err := s.Line(ctx, c.manager, Filter{Status: "all"}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			late, err := s.Line(ctx, c.manager, Filter{Status: NeedsAction}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(all.Policies) == 0 || len(late.Policies) != len(all.Policies) {
				t.Fatalf("%s: %d policies listing late items, %d listing all", c.name, len(late.Policies), len(all.Policies))
			}
			for i := range all.Policies {
				if late.Policies[i] != all.Policies[i] {
					t.Errorf("%s: listing late items %+v, listing all %+v", c.name, late.Policies[i], all.Policies[i])
				}
			}
			if c.manager == 0 {
				o, err := s.Org(ctx, testNow)
				if err != nil {
					t.Fatal(err)
				}
				for i := range all.Policies {
					if o.Policies[i] != all.Policies[i] {
						t.Errorf("organisation view %+v, organisation page %+v", o.Policies[i], all.Policies[i])
					}
				}
			}
			overdue := 0
			for _, p := range all.Policies {
				overdue += p.Overdue
			}
			listed := 0
			for _, it := range late.Items {
				if it.Kind == "policy" {
					listed++
					if it.Status != "overdue" || it.Due.IsZero() || it.DaysOverdue < 0 {
						t.Errorf("%s: late item %+v", c.name, it)
					}
				}
			}
			if listed != overdue {
				t.Errorf("%s: %d overdue acknowledgements listed, %d counted", c.name, listed, overdue)
			}
		}
	})
}
