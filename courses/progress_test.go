package courses

import (
	"context"
	"testing"

	"steward/internal/db"
)

func TestLocate(t *testing.T) {
	step := func(pos, minutes int, passed bool, left int, last int64) Step {
		return Step{Position: pos, Title: "m", Minutes: minutes, Passed: passed, AttemptsLeft: left, LastAttempt: last}
	}
	posOf := func(s *Step) int {
		if s == nil {
			return 0
		}
		return s.Position
	}
	for _, tc := range []struct {
		name          string
		steps         []Step
		stopped, next int // 0: none
		left, total   int
	}{
		{"not started", []Step{step(1, 5, false, 3, 0), step(2, 7, false, 3, 0)}, 0, 1, 12, 12},
		{"opened the first module and left", []Step{step(1, 5, false, 3, 4), step(2, 7, false, 3, 0)}, 1, 1, 12, 12},
		{"passed the first", []Step{step(1, 5, true, 2, 4), step(2, 7, false, 3, 0), step(3, 2, false, 3, 0)}, 1, 2, 9, 14},
		{"failed the second, attempts left", []Step{step(1, 5, true, 2, 4), step(2, 7, false, 1, 9), step(3, 2, false, 3, 0)}, 2, 2, 9, 14},
		{"out of attempts at the second", []Step{step(1, 5, true, 2, 4), step(2, 7, false, 0, 9), step(3, 2, false, 3, 0)}, 2, 3, 9, 14},
		{"skipped ahead, goes round", []Step{step(1, 5, false, 3, 0), step(2, 7, true, 2, 9), step(3, 2, true, -1, 12)}, 3, 1, 5, 14},
		{"all passed", []Step{step(1, 5, true, 2, 4), step(2, 7, true, 2, 9)}, 2, 0, 0, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := Locate(tc.steps)
			if posOf(pl.Stopped) != tc.stopped || posOf(pl.Next) != tc.next || pl.MinutesLeft != tc.left || pl.Total != tc.total {
				t.Errorf("stopped at %d, next %d, %d of %d minutes left; want %d, %d, %d of %d",
					posOf(pl.Stopped), posOf(pl.Next), pl.MinutesLeft, pl.Total, tc.stopped, tc.next, tc.left, tc.total)
			}
		})
	}
}

// TestPlaceOnHomeAgreesWithCoursePage checks that the home page's query
// (MyCourses, which counts slots and characters in SQL) places a learner
// where the course page (CourseProgress, from the loaded course) does, as
// they work through the starter course and a module that draws.
func TestPlaceOnHomeAgreesWithCoursePage(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		a := addPerson(t, d, person{email: "a@example.com"})
		mustImport(t, s, Starter(), date(2026, 1, 5))
		mustImport(t, s, folder(t, func(f map[string]string) {
			f["01-collect-less.md"] = "---\nposition: 1\ntitle: Collect less\ndraw: 3\n" + f["01-collect-less.md"][len("---\nposition: 1\ntitle: Collect less\n"):]
		}), date(2026, 1, 5))
		mustSync(t, s, date(2026, 1, 5))
		check := func(when string) {
			t.Helper()
			mine, err := s.MyCourses(ctx, a, date(2026, 1, 7))
			if err != nil {
				t.Fatal(err)
			}
			if len(mine) != 2 {
				t.Fatalf("%d courses assigned, want 2", len(mine))
			}
			for _, as := range mine {
				p, err := s.CourseProgress(ctx, a, as.Slug, date(2026, 1, 7))
				if err != nil {
					t.Fatal(err)
				}
				if !samePlace(as.Place, p.Place) {
					t.Errorf("%s, %s: home says %+v, the course page %+v", when, as.Slug, as.Place, p.Place)
				}
			}
		}
		check("not started")
		c, err := s.Course(ctx, StarterSlug)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := s.CourseProgress(ctx, a, StarterSlug, date(2026, 1, 7)); p.Place.Total < 40 || p.Place.Total > 200 {
			t.Errorf("the starter course is estimated at %d minutes", p.Place.Total)
		}
		take(t, s, a, StarterSlug, 1, true, date(2026, 1, 6))
		take(t, s, a, "basics", 1, false, date(2026, 1, 6))
		if _, err := s.StartAttempt(ctx, a, StarterSlug, 3, date(2026, 1, 6)); err != nil {
			t.Fatal(err)
		}
		check("one passed, one failed, one opened")
		p, _ := s.CourseProgress(ctx, a, StarterSlug, date(2026, 1, 7))
		if p.Place.Stopped == nil || p.Place.Stopped.Position != 3 || p.Place.Next.Position != 3 {
			t.Errorf("after opening module 3: %+v", p.Place)
		}
		want := p.Place.Total - c.Modules[0].EstimatedMinutes()
		if p.Place.MinutesLeft != want {
			t.Errorf("%d minutes left after module 1, want %d", p.Place.MinutesLeft, want)
		}
		if n := p.NextAfter(1); n == nil || n.Position != 2 {
			t.Errorf("after module 1 comes %+v, want module 2", n)
		}
	})
}

func samePlace(a, b Place) bool {
	same := func(x, y *Step) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.MinutesLeft == b.MinutesLeft && a.Total == b.Total && same(a.Stopped, b.Stopped) && same(a.Next, b.Next)
}
