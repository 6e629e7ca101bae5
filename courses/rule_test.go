package courses

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/db"
)

// randomDates draws a cycle's dates on an hourly grid around base, each
// optional one absent now and then, so that many fall on one another and
// on the moments a test draws.
func randomDates(r *rand.Rand, base time.Time) Dates {
	at := func() time.Time { return base.Add(time.Duration(r.IntN(24*120)-24*60) * time.Hour) }
	maybe := func() *time.Time {
		if r.IntN(3) == 0 {
			return nil
		}
		t := at()
		return &t
	}
	return Dates{DueAt: at(), LapsesAt: maybe(), StartedAt: maybe(), CompletedAt: maybe(),
		ExpiresAt: maybe(), Exempt: r.IntN(4) == 0, ExemptAt: maybe()}
}

// randomMoment is a moment on the grid, or one of a cycle's change
// points, or just before one: where a rule written twice would disagree.
func randomMoment(r *rand.Rand, base time.Time, cycles []Dates) time.Time {
	switch r.IntN(3) {
	case 0:
		return base.Add(time.Duration(r.IntN(24*140)-24*70) * time.Hour)
	default:
		points := slices.Collect(cycles[r.IntN(len(cycles))].ChangePoints())
		t := points[r.IntN(len(points))]
		if r.IntN(2) == 0 {
			t = t.Add(-time.Second)
		}
		return t
	}
}

// TestStatusSQLAgreesWithGo inserts random cycles and evaluates StatusSQL
// at random moments, as bind variables and as a column, against
// Dates.StatusAt.
func TestStatusSQLAgreesWithGo(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		r := rand.New(rand.NewPCG(14, uint64(time.Now().UnixNano())))
		base := date(2026, 6, 1)
		user := addPerson(t, d, person{email: "rule@example.com"})
		mustImport(t, s, basics, base)
		course, err := s.Course(ctx, "basics")
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int64]Dates{}
		var all []Dates
		for seq := range 300 {
			c := randomDates(r, base)
			var id int64
			// Closed, so that the one-current-cycle index lets them all in;
			// the rule does not read closed_at.
			if err := d.GetContext(ctx, &id, d.Rebind(`INSERT INTO course_cycles (user_id, course_id, seq, assigned_at,
				due_at, lapses_at, started_at, completed_at, expires_at, exempt, exempt_at, closed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				user, course.ID, seq+100, base, c.DueAt, c.LapsesAt, c.StartedAt, c.CompletedAt, c.ExpiresAt,
				c.Exempt, c.ExemptAt, base); err != nil {
				t.Fatal(err)
			}
			byID[id] = c
			all = append(all, c)
		}
		check := func(at time.Time, q string, args ...any) {
			t.Helper()
			var rows []struct {
				ID     int64   `db:"id"`
				Status Status  `db:"status"`
				Due    db.Time `db:"due"`
			}
			if err := d.SelectContext(ctx, &rows, d.Rebind(q), args...); err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(byID) {
				t.Fatalf("%d rows, want %d", len(rows), len(byID))
			}
			for _, row := range rows {
				c := byID[row.ID]
				if want := c.StatusAt(at); row.Status != want {
					t.Fatalf("at %s, cycle %+v: SQL says %s, Go says %s", at, c, row.Status, want)
				}
				if want := c.DueShown(row.Status); !row.Due.Time.Equal(want) {
					t.Fatalf("cycle %+v, %s: SQL shows it due %s, Go %s", c, row.Status, row.Due.Time, want)
				}
			}
		}
		for range 150 {
			at := randomMoment(r, base, all)
			check(at, `SELECT id, status, `+DueShownSQL("x", "x.status")+` AS due FROM (
				SELECT c.*, `+StatusSQL("c", "?", "?")+` AS status FROM course_cycles c WHERE c.user_id = ?) x`,
				append(StatusArgs(at), user)...)
		}
		// A moment as columns: how the trend evaluates several at once.
		at := randomMoment(r, base, all)
		m := `(SELECT ? AS at, ? AS soon)`
		if d.Dialect == db.Postgres {
			m = `(SELECT CAST(? AS TIMESTAMPTZ) AS at, CAST(? AS TIMESTAMPTZ) AS soon)`
		}
		check(at, `SELECT id, status, `+DueShownSQL("x", "x.status")+` AS due FROM (
			SELECT c.*, `+StatusSQL("c", "m.at", "m.soon")+` AS status FROM course_cycles c, `+m+` m WHERE c.user_id = ?) x`,
			at.UTC(), Horizon(at).UTC(), user)
	})
}

// TestChangePoints checks that the status holds from each change point
// until the next: the promise the remembered standings rest on.
func TestChangePoints(t *testing.T) {
	r := rand.New(rand.NewPCG(14, uint64(time.Now().UnixNano())))
	base := date(2026, 6, 1)
	for range 2000 {
		c := randomDates(r, base)
		points := slices.SortedFunc(c.ChangePoints(), time.Time.Compare)
		for range 20 {
			at := randomMoment(r, base, []Dates{c})
			if r.IntN(4) == 0 {
				at = at.Add(time.Duration(r.IntN(3600)) * time.Second)
			}
			// The span around at: the last change point at or before it
			// and the first after it.
			i, _ := slices.BinarySearchFunc(points, at, func(p, at time.Time) int { return p.Compare(at.Add(time.Nanosecond)) })
			want := c.StatusAt(at)
			if i > 0 {
				if got := c.StatusAt(points[i-1]); got != want {
					t.Fatalf("cycle %+v: %s at %s but %s at the change point %s before it", c, want, at, got, points[i-1])
				}
			}
			if i < len(points) {
				if got := c.StatusAt(points[i].Add(-time.Nanosecond)); got != want {
					t.Fatalf("cycle %+v: %s at %s but %s just before the change point %s", c, want, at, got, points[i])
				}
			}
		}
	}
}

// StatusColumns are exactly the columns StatusSQL reads.
func TestStatusColumns(t *testing.T) {
	var read []string
	for _, m := range regexp.MustCompile(`\{c\}\.(\w+)`).FindAllStringSubmatch(statusTemplate, -1) {
		if !slices.Contains(read, m[1]) {
			read = append(read, m[1])
		}
	}
	slices.Sort(read)
	if want := slices.Sorted(slices.Values(StatusColumns)); !slices.Equal(read, want) {
		t.Errorf("StatusSQL reads %v; StatusColumns says %v", read, want)
	}
}

// TestStatusRuleHasOneOwner fails when the course-status rule, or its
// due-soon window, is written anywhere but in this package: changing the
// window is then a change of DueSoonWindow alone. Other packages' code
// asks for StatusAt, StatusSQL, ChangePoints or Horizon rather than
// computing with the window; their tests may name it, to follow it.
func TestStatusRuleHasOneOwner(t *testing.T) {
	restated := []*regexp.Regexp{regexp.MustCompile(`DueSoonWindow\s*=`),
		regexp.MustCompile(`THEN '(due_soon|overdue|lapsed|in_progress|completed|exempt)'`)}
	computed := regexp.MustCompile(`DueSoonWindow`)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if e.IsDir() {
			if rel == "courses" || rel == "node_modules" || strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext != ".go" && ext != ".sql" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found := restated
		if !strings.HasSuffix(path, "_test.go") {
			found = append(found, computed)
		}
		for _, re := range found {
			if m := re.Find(b); m != nil {
				t.Errorf("%s holds %q: the course-status rule belongs to package courses (StatusAt, StatusSQL, ChangePoints)", rel, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
