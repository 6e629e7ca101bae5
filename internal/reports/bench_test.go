package reports

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/demo"
	"steward/internal/mail"
	"steward/policies"
)

// benchNow is the large organisation's present.
var benchNow = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

var large struct {
	once sync.Once
	db   *db.DB
	dir  string
	err  error
}

// largeOrg builds the 10,000-person organisation once per test binary, or
// opens STEWARD_REPORTS_DB when set (built with `steward demo --people 10000`).
func largeOrg(b *testing.B) *db.DB {
	b.Helper()
	large.once.Do(func() {
		ctx := context.Background()
		path := os.Getenv("STEWARD_REPORTS_DB")
		if path == "" {
			large.dir, large.err = os.MkdirTemp("", "steward-reports-bench")
			if large.err != nil {
				return
			}
			path = filepath.Join(large.dir, "large.db")
		}
		large.db, large.err = db.Open(path)
		if large.err != nil {
			return
		}
		if _, large.err = large.db.Migrate(ctx); large.err != nil {
			return
		}
		var n int
		if large.err = large.db.Get(&n, `SELECT COUNT(*) FROM users`); large.err != nil {
			return
		}
		if n == 0 {
			if _, large.err = demo.Large(ctx, large.db, benchNow, demo.LargeOptions{People: 10000, BcryptCost: bcrypt.MinCost}); large.err != nil {
				return
			}
		}
		if os.Getenv("STEWARD_BENCH_CHECK") != "" {
			if large.err = materialChangeWithCheck(ctx, large.db); large.err != nil {
				return
			}
		}
		// As the daily refresh leaves it (see BenchmarkRefresh for its cost).
		_, large.err = New(large.db, 5, 365).Refresh(ctx, benchNow)
	})
	if large.err != nil {
		b.Fatal(large.err)
	}
	return large.db
}

func TestMain(m *testing.M) {
	code := m.Run()
	if large.db != nil {
		large.db.Close()
	}
	if large.dir != "" {
		os.RemoveAll(large.dir)
	}
	os.Exit(code)
}

// cpuTime is the CPU time the process has used. The machine is shared, so
// wall time swings with others' load; CPU time says what a page costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU reports the CPU milliseconds per operation since start.
func measureCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func managerID(b *testing.B, d *db.DB, email string) int64 {
	var id int64
	if err := d.Get(&id, d.Rebind(`SELECT id FROM users WHERE email = ?`), email); err != nil {
		b.Fatal(err)
	}
	return id
}

// BenchmarkManagerPage is the team page, with its default filter, of two
// top-level managers: the head of the largest department (about 3,000
// people, manager@example.com) and of a mid-sized one (about 1,000). The
// page shows the first 100 people of the listing, as handlers do;
// "largest-whole-listing" reads every item, as the CSV export does.
func BenchmarkManagerPage(b *testing.B) {
	d := largeOrg(b)
	var mid int64
	if err := d.Get(&mid, `SELECT m.id FROM users m JOIN teams t ON t.id = m.team_id
		WHERE m.manager_id IS NULL AND m.role = 'manager' AND t.name = 'Operations'`); err != nil {
		b.Fatal(err)
	}
	largest := managerID(b, d, "manager@example.com")
	for _, head := range []struct {
		name  string
		id    int64
		whole bool
	}{{"largest", largest, false}, {"mid-sized", mid, false}, {"largest-whole-listing", largest, true}} {
		b.Run(head.name, func(b *testing.B) {
			s := New(d, 5, 365)
			ctx := context.Background()
			page := func() (*Line, error) {
				if head.whole {
					return s.Line(ctx, head.id, Filter{Status: NeedsAction}, benchNow)
				}
				return s.LinePage(ctx, head.id, Filter{Status: NeedsAction}, benchNow, 0, 100)
			}
			if _, err := page(); err != nil {
				b.Fatal(err) // the first view computes the ended months of the trend
			}
			b.ResetTimer()
			cpu := cpuTime()
			before := s.Queries()
			var l *Line
			for i := 0; i < b.N; i++ {
				var err error
				if l, err = page(); err != nil {
					b.Fatal(err)
				}
			}
			measureCPU(b, cpu)
			b.ReportMetric(float64(s.Queries()-before)/float64(b.N), "queries/op")
			b.ReportMetric(float64(l.People), "people")
			b.ReportMetric(float64(l.Total), "rows")
		})
	}
}

// BenchmarkOrgReport is the organisation view over all 10,000 people.
// The standings are as the daily refresh left them; "nothing-remembered"
// is the worst case, every standing derived from the records.
func BenchmarkOrgReport(b *testing.B) {
	d := largeOrg(b)
	s := New(d, 5, 365)
	ctx := context.Background()
	if _, err := s.Org(ctx, benchNow); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := cpuTime()
	before := s.Queries()
	for i := 0; i < b.N; i++ {
		if _, err := s.Org(ctx, benchNow); err != nil {
			b.Fatal(err)
		}
	}
	measureCPU(b, cpu)
	b.ReportMetric(float64(s.Queries()-before)/float64(b.N), "queries/op")
}

// BenchmarkNothingRemembered is the organisation view and the largest
// manager page when no standing holds (a moment a year after the last
// refresh): every status is derived from the records.
func BenchmarkNothingRemembered(b *testing.B) {
	d := largeOrg(b)
	s := New(d, 5, 365)
	ctx := context.Background()
	at := benchNow.AddDate(1, 0, 0)
	head := managerID(b, d, "manager@example.com")
	for _, page := range []struct {
		name string
		fn   func() error
	}{
		{"organisation", func() error { _, err := s.Org(ctx, at); return err }},
		{"largest-manager", func() error {
			_, err := s.LinePage(ctx, head, Filter{Status: NeedsAction}, at, 0, 100)
			return err
		}},
	} {
		b.Run(page.name, func(b *testing.B) {
			if err := page.fn(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				if err := page.fn(); err != nil {
					b.Fatal(err)
				}
			}
			measureCPU(b, cpu)
		})
	}
}

// BenchmarkRefresh is the daily refresh of every standing of the 10,000
// people: each round first forgets them all.
func BenchmarkRefresh(b *testing.B) {
	d := largeOrg(b)
	s := New(d, 5, 365)
	ctx := context.Background()
	cpu := cpuTime()
	var r Refreshed
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := d.Exec(`UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL`); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Exec(`DELETE FROM policy_standings`); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Exec(`DELETE FROM person_standings`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var err error
		if r, err = s.Refresh(ctx, benchNow); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	measureCPU(b, cpu) // includes forgetting
	b.ReportMetric(float64(r.Cycles+r.Policies), "standings")
	b.ReportMetric(float64(r.People), "summaries")
}

// BenchmarkEvidenceExport streams the evidence of the whole organisation
// as of a past date.
func BenchmarkEvidenceExport(b *testing.B) {
	d := largeOrg(b)
	s := New(d, 5, 365)
	ctx := context.Background()
	asOf, err := ParseAsOf("2026-06-30", benchNow)
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{FormatCSV, FormatJSON} {
		b.Run(format, func(b *testing.B) {
			var rows int
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				rows, err = s.Evidence(ctx, io.Discard, format, EvidenceMeta{AsOf: asOf, GeneratedAt: benchNow, GeneratedBy: "bench"}, benchNow)
				if err != nil {
					b.Fatal(err)
				}
			}
			measureCPU(b, cpu)
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// BenchmarkRefreshIdle is serve's refresh every minute when no
// standing has run out or been forgotten since the last one.
func BenchmarkRefreshIdle(b *testing.B) {
	d := largeOrg(b)
	s := New(d, 5, 365)
	ctx := context.Background()
	if _, err := s.Refresh(ctx, benchNow); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		r, err := s.Refresh(ctx, benchNow)
		if err != nil || r != (Refreshed{}) {
			b.Fatalf("refreshed %+v (%v), want nothing", r, err)
		}
	}
	measureCPU(b, cpu)
}

// materialChangeWithCheck publishes a material version of the
// information security policy, in effect from 1 June 2026, that asks
// three questions, and has four people in five answer them in June: three
// right at once, one after a failed attempt. With STEWARD_BENCH_CHECK
// set, the benchmarks measure the organisation after such a change.
func materialChangeWithCheck(ctx context.Context, d *db.DB) error {
	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		return err
	}
	ps := policies.NewStore(d, r)
	const slug = "information-security"
	by := audit.Actor{Label: "bench"}
	published := time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC)
	body := "# Information security policy\n\n## Passwords {#passwords}\n\nUse a password manager and a second factor.\n\n## Laptops {#laptops}\n\nLock your screen when you leave it.\n"
	if _, err := ps.SaveDraft(ctx, slug, policies.DraftInput{Body: body, Summary: "A second factor everywhere.", ChangeKind: policies.Material}, by, published); err != nil {
		return err
	}
	qs := []policies.QuestionInput{
		{Section: "passwords", Prompt: "What do you use besides a password manager?", Choices: []string{"Nothing", "A second factor", "A notebook"}, Correct: 1},
		{Section: "passwords", Prompt: "Where do passwords live?", Choices: []string{"In the password manager", "On a sticky note"}, Correct: 0},
		{Section: "laptops", Prompt: "What do you do when you leave your laptop?", Choices: []string{"Lock the screen", "Nothing"}, Correct: 0},
	}
	if err := ps.SaveDraftCheck(ctx, slug, qs, by, published); err != nil {
		return err
	}
	if err := ps.SetFourEyes(ctx, slug, false, "the benchmark publishes alone", by, published); err != nil {
		return err
	}
	v, _, err := ps.Publish(ctx, slug, policies.PublishInput{Kind: policies.Material, Effective: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, by, published)
	if err != nil {
		return err
	}
	var ids []int64
	if err := d.Select(&ids, `SELECT id FROM users WHERE active = TRUE ORDER BY id`); err != nil {
		return err
	}
	for i, id := range ids {
		if i%5 == 4 {
			continue
		}
		at := time.Date(2026, 6, 2+i%20, 10, 0, 0, 0, time.UTC)
		c, err := ps.CheckFor(ctx, id, slug, at)
		if err != nil {
			return err
		}
		right := map[int64]int{}
		for _, q := range c.Questions {
			right[q.ID] = q.Correct
		}
		if i%5 == 3 {
			wrong := map[int64]int{}
			for k, a := range right {
				wrong[k] = a
			}
			wrong[c.Questions[0].ID] = 0
			if _, err := ps.AnswerCheck(ctx, id, slug, v.Number, wrong, at); err != nil {
				return err
			}
		}
		if _, err := ps.AnswerCheck(ctx, id, slug, v.Number, right, at.Add(time.Minute)); err != nil {
			return err
		}
	}
	return nil
}
