package reminders

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// generate fills the database with people x courses cycles: a manager
// for every 20 people, cycles assigned over the last 120 days and due 30
// days after, half of them completed; one staff policy that half the
// people have acknowledged.
func generate(tb testing.TB, o *org, people, courses int, now time.Time) {
	tb.Helper()
	joined := now.AddDate(-1, 0, 0)
	err := o.d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		users, err := tx.Preparex(`INSERT INTO users (id, email, name, role, manager_id, active, created_at, updated_at)
			VALUES (?, ?, ?, 'employee', ?, TRUE, ?, ?)`)
		if err != nil {
			return err
		}
		for i := 1; i <= people; i++ {
			var mgr any
			if i%20 != 1 {
				mgr = int64((i-1)/20*20 + 1)
			}
			if _, err := users.Exec(i, fmt.Sprintf("p%d@example.com", i), fmt.Sprintf("Person %d", i), mgr, joined, joined); err != nil {
				return err
			}
		}
		for c := 1; c <= courses; c++ {
			if _, err := tx.Exec(`INSERT INTO courses (id, slug, title, audience_kind, due_days, valid_months, recert_window_days,
				pass_mark, max_attempts, content_hash, created_at, updated_at)
				VALUES (?, ?, ?, 'everyone', 30, 12, 30, 80, 0, 'h', ?, ?)`, c, fmt.Sprintf("c%d", c), fmt.Sprintf("Course %d", c), joined, joined); err != nil {
				return err
			}
		}
		cyc, err := tx.Preparex(`INSERT INTO course_cycles (user_id, course_id, seq, assigned_at, due_at, completed_at, expires_at)
			VALUES (?, ?, 1, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		for i := 1; i <= people; i++ {
			for c := 1; c <= courses; c++ {
				assigned := now.Add(-time.Duration((i*7+c*13)%120) * day)
				var done, exp any
				if (i+c)%2 == 0 {
					done, exp = assigned.Add(5*day), assigned.AddDate(1, 0, 0)
				}
				if _, err := cyc.Exec(i, c, assigned, assigned.Add(30*day), done, exp); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Exec(`INSERT INTO policies (id, slug, title, audience, requires_ack, ack_within_days, created_at, updated_at)
			VALUES (1, 'privacy', 'Privacy', 'staff', TRUE, 14, ?, ?)`, joined, joined); err != nil {
			return err
		}
		eff := now.Add(-20 * day)
		if _, err := tx.Exec(`INSERT INTO policy_versions (id, policy_id, status, number, change_kind, sha256, created_at, updated_at, published_at, effective_at)
			VALUES (1, 1, 'published', 1, 'material', 's', ?, ?, ?, ?)`, eff, eff, eff, eff); err != nil {
			return err
		}
		ack, err := tx.Preparex(`INSERT INTO policy_acknowledgements (user_id, version_id, acknowledged_at) VALUES (?, 1, ?)`)
		if err != nil {
			return err
		}
		for i := 2; i <= people; i += 2 {
			if _, err := ack.Exec(i, eff.Add(day)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// cpuTime is the CPU time the process has used: on a shared machine it
// tells the sweep's cost better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the live heap while fn runs.
func peakHeap(fn func()) (peak uint64) {
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

// BenchmarkSweep100kPeople measures the sweep over 100,000 people x 5
// courses: the first day (every open item is new: a digest for almost
// everyone), the next day (the policy's weekly reminder falls due for the
// 50,000 people who have not acknowledged it) and an ordinary day after.
//
//	go test -run XXX -bench Sweep100k -benchtime 1x ./internal/reminders/
func BenchmarkSweep100kPeople(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		o := newOrg(b, "")
		now := time.Date(2027, 5, 31, 6, 0, 0, 0, time.UTC) // a Monday: managers get their weekly summary too
		generate(b, o, 100_000, 5, now)
		runtime.GC()
		b.StartTimer()
		for _, run := range []struct {
			name string
			at   time.Time
		}{{"first-day", now}, {"next-day", now.Add(day)}, {"day-after", now.Add(2 * day)}} {
			var plan Plan
			start, cpu0 := time.Now(), cpuTime()
			peak := peakHeap(func() { plan = o.sweep(run.at) })
			took, cpu := time.Since(start), cpuTime()-cpu0
			b.ReportMetric(took.Seconds(), run.name+"-s")
			b.ReportMetric(cpu.Seconds(), run.name+"-cpu-s")
			b.ReportMetric(float64(peak)/(1<<20), run.name+"-peak-heap-MB")
			b.Logf("%s: %d digests, %d events in %s (%s of CPU), peak heap %.0f MB",
				run.name, plan.Len(), plan.Events(), took.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(peak)/(1<<20))
			runtime.GC()
		}
	}
}
