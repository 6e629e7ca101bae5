package reports

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/mail"
	"steward/policies"
)

// snapshot is everything the manager's page (every status, and the
// first pages of what needs action) and the organisation page show at
// the moment, as text.
func snapshot(t *testing.T, s *Store, mgr int64, at time.Time) string {
	t.Helper()
	ctx := context.Background()
	l, err := s.Line(ctx, mgr, Filter{Status: "all"}, at)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Org(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	day := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	for _, line := range []*Line{l, o.Line} {
		fmt.Fprintf(&b, "people %d\n", line.People)
		for _, c := range line.Courses {
			fmt.Fprintf(&b, "course %+v\n", c)
		}
		for _, p := range line.Policies {
			fmt.Fprintf(&b, "policy %+v\n", p)
		}
		for _, p := range line.Trend {
			fmt.Fprintf(&b, "trend %+v\n", p)
		}
	}
	for _, it := range l.Items {
		done := "-"
		if it.Done != nil {
			done = day(*it.Done)
		}
		fmt.Fprintf(&b, "item %d %s %s %q %s %s due %s done %s, %d days late\n", it.UserID, it.Name, it.Email, it.Team,
			it.Title, it.Status, day(it.Due), done, it.DaysOverdue)
	}
	for _, tf := range o.Teams {
		fmt.Fprintf(&b, "team %+v\n", tf)
	}
	// The first two pages of what needs action, as the team page opens.
	for _, offset := range []int{0, 15} {
		p, err := s.LinePage(ctx, mgr, Filter{Status: NeedsAction}, at, offset, 15)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "needs action from %d: %d\n", offset, p.Total)
		for _, it := range p.Items {
			fmt.Fprintf(&b, "page item %d %s %s %q %s %s due %s, %d days late\n", it.UserID, it.Name, it.Email, it.Team,
				it.Title, it.Status, day(it.Due), it.DaysOverdue)
		}
	}
	return b.String()
}

// forget drops every remembered standing.
func forget(t *testing.T, d *db.DB) {
	t.Helper()
	if _, err := d.Exec(`UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL`); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"policy_standings", "person_standings"} {
		if _, err := d.Exec(`DELETE FROM ` + table); err != nil {
			t.Fatal(err)
		}
	}
}

// sameWithAndWithout says what the pages show at the moment from the
// standings as they are, then derived afresh with none remembered, and
// fails if the two differ; it leaves the standings refreshed at refreshAt.
func sameWithAndWithout(t *testing.T, d *db.DB, s *Store, mgr int64, at, refreshAt time.Time, what string) {
	t.Helper()
	got := snapshot(t, s, mgr, at)
	forget(t, d)
	want := snapshot(t, s, mgr, at)
	if got != want {
		t.Fatalf("%s, at %s: the pages from remembered standings differ from the records:\n%s", what, at, diffLines(got, want))
	}
	if _, err := s.Refresh(context.Background(), refreshAt); err != nil {
		t.Fatal(err)
	}
}

// diffLines names the first lines that differ.
func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var out []string
	for i := 0; i < max(len(g), len(w)) && len(out) < 6; i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("line %d\n  remembered: %s\n  records:    %s", i+1, a, b))
		}
	}
	return strings.Join(out, "\n")
}

// The pages read from remembered standings say exactly what they say
// derived from the records: right after a refresh, as time moves on
// without one (standings run out), and after every kind of change a
// person or an admin makes before the next refresh.
func TestStandingsChangeNothingShown(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 200)
		ctx := context.Background()
		s := New(d, 5, 365)
		mgr := idOf(t, d, "manager@example.com")

		before := snapshot(t, s, mgr, testNow)
		defer func(n int) { refreshChunk = n }(refreshChunk)
		refreshChunk = 7 // many chunks, the last one short
		r, err := s.Refresh(ctx, testNow)
		if err != nil {
			t.Fatal(err)
		}
		var current, activePeople, staffPolicies int
		for q, n := range map[string]*int{
			`SELECT COUNT(*) FROM course_cycles c JOIN users u ON u.id = c.user_id WHERE c.closed_at IS NULL AND u.active = TRUE`: &current,
			`SELECT COUNT(*) FROM users WHERE active = TRUE`:                                                                      &activePeople,
			`SELECT COUNT(*) FROM policies WHERE audience = 'staff' AND requires_ack = TRUE`:                                      &staffPolicies,
		} {
			if err := d.Get(n, q); err != nil {
				t.Fatal(err)
			}
		}
		if r.Cycles != current || r.Policies != activePeople*staffPolicies || r.People != activePeople {
			t.Fatalf("refresh wrote %+v, want %d cycles, %d x %d policy standings and %d people", r, current, activePeople, staffPolicies, activePeople)
		}
		if again, err := s.Refresh(ctx, testNow); err != nil || again != (Refreshed{}) {
			t.Fatalf("a second refresh at the same moment wrote %+v (%v), want nothing", again, err)
		}
		if after := snapshot(t, s, mgr, testNow); after != before {
			t.Fatalf("the refresh changed the pages:\n%s", diffLines(after, before))
		}

		// Time moves on (and back, for a past date) with no refresh.
		for _, at := range []time.Time{testNow.Add(time.Hour), testNow.AddDate(0, 0, 3), testNow.AddDate(0, 0, 8),
			testNow.AddDate(0, 0, 40), testNow.AddDate(1, 1, 0), testNow.AddDate(0, 0, -10)} {
			sameWithAndWithout(t, d, s, mgr, at, testNow, "no refresh since "+testNow.Format(time.DateOnly))
		}

		// Changes made after the refresh, through the domain stores.
		line := lineOf(t, d, mgr)
		cs := courses.NewStore(d)
		ps := policyStore(t, d)
		later := testNow.Add(2 * time.Hour)

		var open struct {
			ID     int64  `db:"id"`
			UserID int64  `db:"user_id"`
			Slug   string `db:"slug"`
		}
		if err := d.Get(&open, d.Rebind(`SELECT c.id, c.user_id, k.slug FROM course_cycles c JOIN courses k ON k.id = c.course_id
			WHERE c.closed_at IS NULL AND c.completed_at IS NULL AND c.exempt = FALSE AND c.due_at < ? AND c.user_id IN (`+line+`)
			ORDER BY c.id LIMIT 1`), testNow); err != nil {
			t.Fatal(err)
		}
		if err := cs.Exempt(ctx, open.UserID, open.Slug, "on leave", audit.Actor{Label: "test"}, later); err != nil {
			t.Fatal(err)
		}
		sameWithAndWithout(t, d, s, mgr, later, later, "an overdue course exempted")

		if _, err := d.Exec(d.Rebind(`UPDATE course_cycles SET completed_at = ?, completed_revision = 1, score = 90, expires_at = ?
			WHERE id = (SELECT MIN(id) FROM course_cycles WHERE closed_at IS NULL AND completed_at IS NULL AND exempt = FALSE
				AND user_id IN (`+line+`))`), later, later.AddDate(1, 0, 0)); err != nil {
			t.Fatal(err)
		}
		sameWithAndWithout(t, d, s, mgr, later, later, "a course completed")

		var pending struct {
			UserID int64  `db:"user_id"`
			Slug   string `db:"slug"`
		}
		if err := d.Get(&pending, d.Rebind(`SELECT s.user_id, p.slug FROM policy_standings s JOIN policies p ON p.id = s.policy_id
			WHERE s.status = 'overdue' AND s.user_id IN (`+line+`) ORDER BY s.user_id, p.id LIMIT 1`)); err != nil {
			t.Fatal(err)
		}
		tl, err := ps.Timeline(ctx, pending.Slug)
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := tl.InEffect(later)
		if _, err := ps.Acknowledge(ctx, pending.UserID, pending.Slug, cur.Number, later); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := d.Get(&left, d.Rebind(`SELECT COUNT(*) FROM policy_standings WHERE user_id = ? AND policy_id = ?`), pending.UserID, tl.Policy.ID); err != nil || left != 0 {
			t.Fatalf("after acknowledging, %d standings of that person and policy are left (%v), want none", left, err)
		}
		sameWithAndWithout(t, d, s, mgr, later, later, "an overdue acknowledgement made")

		if _, err := ps.SaveDraft(ctx, pending.Slug, policies.DraftInput{Body: "# New rules\n\nRead them.", Summary: "New rules.",
			ChangeKind: policies.Material}, audit.Actor{Label: "test"}, later); err != nil {
			t.Fatal(err)
		}
		sameWithAndWithout(t, d, s, mgr, later, later, "a draft saved")
		if err := ps.SetFourEyes(ctx, pending.Slug, false, "published by the test alone", audit.Actor{Label: "test"}, later); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ps.Publish(ctx, pending.Slug, policies.PublishInput{Kind: policies.Material, Effective: later.AddDate(0, 0, 2)}, audit.Actor{Label: "test"}, later); err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{later, later.AddDate(0, 0, 3), later.AddDate(0, 2, 0)} {
			sameWithAndWithout(t, d, s, mgr, at, later, "a material version scheduled two days ahead")
		}

		if err := setAckSettings(ctx, d, pending.Slug, 1, 6, later); err != nil {
			t.Fatal(err)
		}
		sameWithAndWithout(t, d, s, mgr, later.AddDate(0, 0, 5), later, "the policy's deadline and renewal changed")
	})
}

// lineOf lists the ids of the people in mgr's line for an IN clause.
func lineOf(t *testing.T, d *db.DB, mgr int64) string {
	t.Helper()
	var ids []string
	if err := d.Select(&ids, d.Rebind(`WITH RECURSIVE line(id) AS (
		SELECT id FROM users WHERE manager_id = ? UNION SELECT u.id FROM users u JOIN line ON u.manager_id = line.id
	) SELECT CAST(line.id AS TEXT) FROM line JOIN users u ON u.id = line.id WHERE u.active = TRUE`), mgr); err != nil || len(ids) == 0 {
		t.Fatalf("the line of %d: %v", mgr, err)
	}
	return strings.Join(ids, ", ")
}

// A cycle's status is the same at every moment of the span its standing
// claims (courses.Dates.Standing), and agrees with courses.Cycle.Status on
// the demo's cycles.
func TestCycleStandingHoldsOverItsSpan(t *testing.T) {
	d := org(t, 120)
	var cycles []struct {
		ID int64 `db:"id"`
		courses.Dates
	}
	if err := d.Select(&cycles, `SELECT id, exempt, exempt_at, completed_at, expires_at, lapses_at, due_at, started_at
		FROM course_cycles WHERE closed_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	all := map[int64]courses.Cycle{}
	for _, c := range allCycles(t, d) {
		all[c.ID] = c
	}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[courses.Status]bool{}
	for _, c := range cycles {
		for range 8 {
			at := testNow.Add(time.Duration(r.Int64N(int64(800*24*time.Hour))) - 400*24*time.Hour)
			status, from, until := c.Standing(at)
			then := asOf(all[c.ID], at)
			if want := then.Status(at); status != want {
				t.Fatalf("cycle %d at %s: the standing says %s, courses says %s", c.ID, at, status, want)
			}
			seen[status] = true
			if from > db.Nanos(at) || until <= db.Nanos(at) {
				t.Fatalf("cycle %d at %s: span [%d, %d) leaves the moment out", c.ID, at, from, until)
			}
			for _, n := range []int64{from, until - 1, from/2 + until/2} {
				if n < db.Nanos(testNow.AddDate(-30, 0, 0)) || n > db.Nanos(testNow.AddDate(30, 0, 0)) {
					continue // an open end
				}
				if got := c.StatusAt(time.Unix(0, n).UTC()); got != status {
					t.Fatalf("cycle %d: %s at %s but %s at %s, inside the span", c.ID, status, at, got, time.Unix(0, n).UTC())
				}
			}
		}
	}
	if len(seen) < 6 {
		t.Fatalf("the sample saw only %v: it does not cover the statuses", seen)
	}
}

// itemText is an item as the page and the CSV show it, to the nanosecond.
func itemText(it Item) string {
	done := "-"
	if it.Done != nil {
		done = it.Done.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%d %s %s %q %s %s %s %s due %s done %s, %d days late", it.UserID, it.Name, it.Email, it.Team,
		it.Kind, it.Slug, it.Title, it.Status, it.Due.UTC().Format(time.RFC3339Nano), done, it.DaysOverdue)
}

// Each page the database sorts and cuts is exactly that slice of the
// whole listing sorted in Go, with the same total, for every filter,
// with nothing remembered, everything remembered, and a mix.
func TestPagesAreSlicesOfTheListing(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 150)
		ctx := context.Background()
		s := New(d, 5, 365)
		mgr := idOf(t, d, "manager@example.com")
		var team, course int64
		if err := d.Get(&team, `SELECT MIN(team_id) FROM users WHERE team_id IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		if err := d.Get(&course, `SELECT MIN(id) FROM courses`); err != nil {
			t.Fatal(err)
		}
		// A certification that ran out with no renewal opened: lapsed, and
		// the listing gives its expiry as the date it was due.
		if _, err := d.Exec(d.Rebind(`UPDATE course_cycles SET completed_at = ?, expires_at = ?, lapses_at = NULL
			WHERE id = (SELECT MIN(c.id) FROM course_cycles c JOIN users u ON u.id = c.user_id
				WHERE c.closed_at IS NULL AND c.completed_at IS NULL AND c.exempt = FALSE AND u.manager_id = ?)`),
			testNow.AddDate(-1, -1, 0), testNow.AddDate(0, 0, -20), mgr); err != nil {
			t.Fatal(err)
		}
		cycles := allCycles(t, d) // no cycle changes below: only an acknowledgement
		var slugs []struct {
			ID   int64  `db:"id"`
			Slug string `db:"slug"`
		}
		if err := d.Select(&slugs, `SELECT id, slug FROM courses`); err != nil {
			t.Fatal(err)
		}
		courseOf := map[string]int64{}
		for _, c := range slugs {
			courseOf[c.Slug] = c.ID
		}
		filters := []Filter{{Status: NeedsAction}, {Status: "all"}, {Status: "completed"}, {Status: "lapsed"}, {Status: StatusPending},
			{Status: StatusAcknowledged}, {Status: "overdue"}, {Status: "all", TeamID: team}, {Status: NeedsAction, TeamID: team}, {Status: NeedsAction, CourseID: course}}
		check := func(state string, at time.Time) {
			t.Helper()
			for _, who := range []int64{mgr, 0} {
				for _, f := range filters {
					whole, err := s.Line(ctx, who, f, at)
					if err != nil {
						t.Fatal(err)
					}
					listingHoldsTheRecords(t, whole.Items, cycles, courseOf, at)
					for _, size := range []int{7, 100} {
						n := len(whole.Items)
						for _, offset := range []int{0, size, n / 2, max(0, n-1), n + size} {
							p, err := s.LinePage(ctx, who, f, at, offset, size)
							if err != nil {
								t.Fatal(err)
							}
							if p.Total != len(whole.Items) {
								t.Fatalf("%s, manager %d, %+v: the page says %d items in all, the listing has %d", state, who, f, p.Total, len(whole.Items))
							}
							want := whole.Items[min(offset, len(whole.Items)):min(len(whole.Items), offset+size)]
							if len(p.Items) != len(want) {
								t.Fatalf("%s, manager %d, %+v, from %d: %d items on the page, want %d", state, who, f, offset, len(p.Items), len(want))
							}
							for i := range want {
								if g, w := itemText(p.Items[i]), itemText(want[i]); g != w {
									t.Fatalf("%s, manager %d, %+v, item %d:\n page:    %s\n listing: %s", state, who, f, offset+i, g, w)
								}
							}
						}
					}
				}
			}
		}
		check("nothing remembered", testNow)
		if _, err := s.Refresh(ctx, testNow); err != nil {
			t.Fatal(err)
		}
		check("all remembered", testNow)
		var pending struct {
			UserID int64  `db:"user_id"`
			Slug   string `db:"slug"`
		}
		if err := d.Get(&pending, `SELECT s.user_id, p.slug FROM policy_standings s JOIN policies p ON p.id = s.policy_id
			WHERE s.status = 'overdue' ORDER BY s.user_id, p.id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		ps := policyStore(t, d)
		tl, err := ps.Timeline(ctx, pending.Slug)
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := tl.InEffect(testNow)
		if _, err := ps.Acknowledge(ctx, pending.UserID, pending.Slug, cur.Number, testNow.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		check("one person acknowledged since", testNow.Add(2*time.Hour))
		check("a month on", testNow.AddDate(0, 1, 0))
	})
}

// Refreshes running while people acknowledge and complete leave no
// standing that disagrees with the records, and fail no request.
func TestRefreshWhilePeopleWrite(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 120)
		ctx := context.Background()
		s := New(d, 5, 365)
		mgr := idOf(t, d, "manager@example.com")
		defer func(n int) { refreshChunk = n }(refreshChunk)
		refreshChunk = 10
		var owed []struct {
			UserID int64  `db:"user_id"`
			Slug   string `db:"slug"`
			Number int    `db:"number"`
		}
		// The version in effect of every staff policy, for the first people:
		// some have acknowledged it already (a no-op), most not.
		if err := d.Select(&owed, d.Rebind(`SELECT u.id AS user_id, p.slug, MAX(v.number) AS number
			FROM users u CROSS JOIN policies p JOIN policy_versions v ON v.policy_id = p.id
			WHERE u.active = TRUE AND p.audience = 'staff' AND v.status = 'published' AND v.effective_at <= ?
			GROUP BY u.id, p.slug ORDER BY u.id, p.slug LIMIT 60`), testNow); err != nil {
			t.Fatal(err)
		}
		ps := policyStore(t, d)
		done := make(chan error, 1)
		stop := make(chan struct{})
		go func() {
			at := testNow
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				at = at.Add(time.Minute)
				if _, err := s.Refresh(ctx, at); err != nil {
					done <- err
					return
				}
			}
		}()
		for i, o := range owed {
			if _, err := ps.Acknowledge(ctx, o.UserID, o.Slug, o.Number, testNow.Add(time.Duration(i)*time.Second)); err != nil {
				close(stop)
				<-done
				t.Fatalf("acknowledging while standings refresh: %v", err)
			}
		}
		close(stop)
		if err := <-done; err != nil {
			t.Fatalf("a refresh while people acknowledge: %v", err)
		}
		at := testNow.Add(2 * time.Hour)
		if _, err := s.Refresh(ctx, at); err != nil {
			t.Fatal(err)
		}
		sameWithAndWithout(t, d, s, mgr, at, at, "after refreshes raced with acknowledgements")
	})
}

// A change to a policy made while a refresh is under way (after it has
// chosen whom to refresh, before it writes) is what the refresh uses.
func TestRefreshSeesPolicyChangesMadeWhileItRuns(t *testing.T) {
	for _, change := range []string{"settings", "publish"} {
		t.Run(change, func(t *testing.T) {
			dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
				d := orgIn(t, d0, 60)
				ctx := context.Background()
				s := New(d, 5, 365)
				mgr := idOf(t, d, "manager@example.com")
				ps := policyStore(t, d)
				var slug string
				if err := d.Get(&slug, `SELECT slug FROM policies WHERE audience = 'staff' AND requires_ack = TRUE ORDER BY id LIMIT 1`); err != nil {
					t.Fatal(err)
				}
				var err error
				at := testNow.Add(-3 * time.Hour)
				testHookRefreshPlanned = func() {
					testHookRefreshPlanned = nil
					switch change {
					case "settings":
						err = setAckSettings(ctx, d, slug, 1, 1, at)
					default:
						if _, err = ps.SaveDraft(ctx, slug, policies.DraftInput{Body: "# New\n\nRead.", Summary: "New.",
							ChangeKind: policies.Material}, audit.Actor{Label: "test"}, at); err == nil {
							err = ps.SetFourEyes(ctx, slug, false, "published by the test alone", audit.Actor{Label: "test"}, at)
						}
						if err == nil {
							_, _, err = ps.Publish(ctx, slug, policies.PublishInput{Kind: policies.Material, Effective: at}, audit.Actor{Label: "test"}, at)
						}
					}
				}
				defer func() { testHookRefreshPlanned = nil }()
				if _, err := s.Refresh(ctx, at); err != nil {
					t.Fatal(err)
				}
				if err != nil {
					t.Fatal(err)
				}
				later := at.Add(time.Minute)
				if _, err := s.Refresh(ctx, later); err != nil {
					t.Fatal(err)
				}
				sameWithAndWithout(t, d, s, mgr, later, later, "a policy "+change+" during a refresh")
			})
		})
	}
}

// Pages read while a refresh commits chunk after chunk agree with the
// records, which do not change: each page reads one snapshot, so nobody
// is counted both from a summary and from the records, or by neither.
func TestPagesDuringARefreshCountEveryoneOnce(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 300)
		ctx := context.Background()
		s := New(d, 5, 365)
		figures := func() string {
			l, err := s.Line(ctx, 0, Filter{}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			out := fmt.Sprint(l.People)
			for _, c := range l.Courses {
				out += fmt.Sprintf(" %d/%d", c.Assigned, c.Completed)
			}
			for _, p := range l.Policies {
				out += fmt.Sprintf(" %d/%d", p.Required, p.Acknowledged)
			}
			return out
		}
		want := figures()
		defer func(n int) { refreshChunk = n }(refreshChunk)
		refreshChunk = 3
		pages := 0
		for round := 0; round < 3; round++ {
			forget(t, d)
			done := make(chan error, 1)
			go func() { _, err := s.Refresh(ctx, testNow); done <- err }()
			for running := true; running; {
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					running = false
				default:
					pages++
					if got := figures(); got != want {
						t.Fatalf("a page read during a refresh (round %d) says\n %s\nthe records say\n %s", round, got, want)
					}
				}
			}
		}
		t.Logf("%d pages read during refreshes", pages)
	})
}

// Writing a cycle's dates back unchanged (as starting another attempt
// does) keeps its standings; changing one forgets them.
func TestOnlyRealChangesForgetStandings(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 60)
		ctx := context.Background()
		if _, err := New(d, 5, 365).Refresh(ctx, testNow); err != nil {
			t.Fatal(err)
		}
		var c struct {
			ID     int64 `db:"id"`
			UserID int64 `db:"user_id"`
		}
		if err := d.Get(&c, `SELECT id, user_id FROM course_cycles WHERE closed_at IS NULL AND started_at IS NOT NULL
			AND completed_at IS NULL ORDER BY id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		remembered := func() (cycle, person bool) {
			var n, m int
			if err := d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM course_cycles WHERE id = ? AND standing IS NOT NULL`), c.ID); err != nil {
				t.Fatal(err)
			}
			if err := d.Get(&m, d.Rebind(`SELECT COUNT(*) FROM person_standings WHERE user_id = ?`), c.UserID); err != nil {
				t.Fatal(err)
			}
			return n == 1, m == 1
		}
		if cy, p := remembered(); !cy || !p {
			t.Fatalf("after a refresh: cycle remembered %v, person remembered %v", cy, p)
		}
		if _, err := d.Exec(d.Rebind(`UPDATE course_cycles SET started_at = COALESCE(started_at, ?) WHERE id = ?`), testNow, c.ID); err != nil {
			t.Fatal(err)
		}
		if cy, p := remembered(); !cy || !p {
			t.Fatalf("after writing started_at back unchanged: cycle remembered %v, person remembered %v; want both", cy, p)
		}
		if _, err := d.Exec(d.Rebind(`UPDATE course_cycles SET completed_at = ?, expires_at = ? WHERE id = ?`), testNow, testNow.AddDate(1, 0, 0), c.ID); err != nil {
			t.Fatal(err)
		}
		if cy, p := remembered(); cy || p {
			t.Fatalf("after completing: cycle remembered %v, person remembered %v; want neither", cy, p)
		}
	})
}

// policyStore is the policies store over d, as the app builds it.
func policyStore(t *testing.T, d *db.DB) *policies.Store {
	t.Helper()
	r, err := mail.NewRenderer("http://steward.test")
	if err != nil {
		t.Fatal(err)
	}
	return policies.NewStore(d, r)
}

// listingHoldsTheRecords checks a listing against Go's own answers: it is
// in sortItems' order, and each course item has the status courses gives
// its current cycle at the moment, and the due date a person reads (for a
// lapsed certification, when it lapsed).
func listingHoldsTheRecords(t *testing.T, items []Item, cycles []courses.Cycle, courseOf map[string]int64, at time.Time) {
	t.Helper()
	sorted := slices.Clone(items)
	sortItems(sorted)
	for i := range items {
		if g, w := itemText(items[i]), itemText(sorted[i]); g != w {
			t.Fatalf("item %d out of order:\n listed: %s\n sorted: %s", i, g, w)
		}
	}
	for _, it := range items {
		if it.Kind != "course" {
			continue
		}
		var cur *courses.Cycle
		for i := range cycles {
			if c := &cycles[i]; c.UserID == it.UserID && c.CourseID == courseOf[it.Slug] && currentAtMoment(*c, at) {
				cur = c
			}
		}
		if cur == nil {
			t.Fatalf("%s: no current cycle", itemText(it))
		}
		then := asOf(*cur, at)
		due := then.DueAt
		status := then.Status(at)
		if status == courses.StatusLapsed {
			switch {
			case then.CompletedAt != nil && then.ExpiresAt != nil:
				due = *then.ExpiresAt
			case then.LapsesAt != nil:
				due = *then.LapsesAt
			}
		}
		if string(status) != it.Status || !due.Equal(it.Due) {
			t.Fatalf("%s: courses says %s, due %s", itemText(it), status, due.UTC().Format(time.RFC3339Nano))
		}
	}
}

// The standings triggers (migration 0001_baseline) name the columns the status
// rule reads; a change of any column courses.StatusColumns lists forgets
// the cycle's standing and the person's summary. (A rule that came to
// read a new column would need a migration adding it to the triggers.)
func TestEveryStatusColumnForgetsStandings(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 60)
		ctx := context.Background()
		var c struct {
			ID     int64 `db:"id"`
			UserID int64 `db:"user_id"`
		}
		if err := d.Get(&c, `SELECT id, user_id FROM course_cycles WHERE closed_at IS NULL ORDER BY id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		for i, col := range courses.StatusColumns {
			if _, err := New(d, 5, 365).Refresh(ctx, testNow); err != nil {
				t.Fatal(err)
			}
			set, args := col+` = ?`, []any{time.Date(2001, 2, 3, 4, 5, i, 0, time.UTC)}
			if col == "exempt" {
				set, args = `exempt = NOT exempt`, nil
			}
			if _, err := d.Exec(d.Rebind(`UPDATE course_cycles SET `+set+` WHERE id = ?`), append(args, c.ID)...); err != nil {
				t.Fatal(err)
			}
			var n, m int
			if err := d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM course_cycles WHERE id = ? AND standing IS NOT NULL`), c.ID); err != nil {
				t.Fatal(err)
			}
			if err := d.Get(&m, d.Rebind(`SELECT COUNT(*) FROM person_standings WHERE user_id = ?`), c.UserID); err != nil {
				t.Fatal(err)
			}
			if n != 0 || m != 0 {
				t.Errorf("after a change of %s: cycle standing kept %v, person summary kept %v", col, n != 0, m != 0)
			}
		}
	})
}

// Answers remembered under another version of the course-status rule (a
// due-soon window of another length) are forgotten by the next refresh
// and derived again.
func TestRuleChangeForgetsAnswers(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d0 *db.DB) {
		d := orgIn(t, d0, 60)
		ctx := context.Background()
		if _, err := New(d, 5, 365).Refresh(ctx, testNow); err != nil {
			t.Fatal(err)
		}
		var current int
		if err := d.Get(&current, `SELECT COUNT(*) FROM course_cycles c JOIN users u ON u.id = c.user_id
			WHERE c.closed_at IS NULL AND u.active = TRUE`); err != nil {
			t.Fatal(err)
		}
		if r, err := New(d, 5, 365).Refresh(ctx, testNow); err != nil || r.Cycles != 0 {
			t.Fatalf("a second refresh under the same rule: %+v, %v; want nothing to do", r, err)
		}
		if _, err := d.Exec(`UPDATE report_rule_version SET version = 'a rule of old'`); err != nil {
			t.Fatal(err)
		}
		r, err := New(d, 5, 365).Refresh(ctx, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if r.Cycles != current || r.People == 0 {
			t.Fatalf("after a change of rule the refresh derived %+v; want all %d current cycles and every person", r, current)
		}
		var v string
		if err := d.Get(&v, `SELECT version FROM report_rule_version`); err != nil || v != courses.RuleVersion {
			t.Fatalf("rule version %q, %v; want %q", v, err, courses.RuleVersion)
		}
	})
}

// setAckSettings changes a policy's deadline and renewal in its row, as
// the next published file with new settings does.
func setAckSettings(ctx context.Context, d *db.DB, slug string, within, reack int, at time.Time) error {
	_, err := d.ExecContext(ctx, d.Rebind(`UPDATE policies SET ack_within_days = ?, reack_months = ?, updated_at = ? WHERE slug = ?`),
		within, reack, at, slug)
	return err
}
