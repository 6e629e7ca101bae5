package reminders

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/mail"
)

var day0 = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// smallOrg: Mia manages Ben; both have "basics" due in 30 days, and Ben
// also has "privacy-101" due in 3 days.
func smallOrg(t *testing.T, d *db.DB) *org {
	o := orgOn(t, d)
	joined := day0.AddDate(0, 0, -60)
	o.user(1, "Mia", 0, true, joined)
	o.user(2, "Ben", 1, true, joined)
	o.course(1, "basics", 12, joined)
	o.course(2, "privacy-101", 12, joined)
	o.cycle(1, 1, 1, day0, day0.AddDate(0, 0, 30), time.Time{}, false)
	o.cycle(2, 1, 1, day0, day0.AddDate(0, 0, 30), time.Time{}, false)
	o.cycle(2, 2, 1, day0, day0.AddDate(0, 0, 3), time.Time{}, false)
	return o
}

func outboxCount(t *testing.T, o *org) int {
	var n int
	if err := o.d.Get(&n, `SELECT COUNT(*) FROM outbox`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDryRunPrintsThePlanAndChangesNothing(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := smallOrg(t, d)
		p, err := o.s.Sweep(context.Background(), day0, true)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		p.WriteTo(&out)
		for _, want := range []string{"would queue (dry run) 2 digests with 4 events", "Ben <Ben@example.com> (user 2)",
			"training_assigned      Course basics", "training_due_soon      Course privacy-101"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("plan lacks %q:\n%s", want, out.String())
			}
		}
		if n := outboxCount(t, o); n != 0 {
			t.Errorf("a dry run queued %d emails", n)
		}
		if p2 := o.sweep(day0); p2.Events() != 4 {
			t.Errorf("the real run after a dry run found %d events, want the same 4", p2.Events())
		}
	})
}

func TestOneDigestPerPersonPerDayListingEverything(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := smallOrg(t, d)
		o.sweep(day0)
		var m struct {
			Subject string `db:"subject"`
			Text    string `db:"body_text"`
			HTML    string `db:"body_html"`
		}
		if err := o.d.Get(&m, `SELECT subject, body_text, body_html FROM outbox WHERE recipient = 'Ben@example.com'`); err != nil {
			t.Fatal(err)
		}
		if m.Subject != "steward.example.com: 2 items for you" {
			t.Errorf("subject %q", m.Subject)
		}
		for _, want := range []string{"Complete the course Course basics", "Course privacy-101 is due soon",
			"https://steward.example.com/courses/privacy-101", "Due by 4 Mar 2027, in 3 days."} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("digest lacks %q:\n%s", want, m.Text)
			}
		}
		// Nine days later privacy-101 is one day overdue; basics has nothing
		// new but is listed as still open.
		o.sweep(day0.AddDate(0, 0, 4))
		if err := o.d.Get(&m, `SELECT subject, body_text, body_html FROM outbox WHERE recipient = 'Ben@example.com' ORDER BY id DESC LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, "Course privacy-101 is overdue") || !strings.Contains(m.Text, "Also open:\n\n- Course basics\n  Due by 31 Mar 2027.") {
			t.Errorf("second digest:\n%s", m.Text)
		}
		if n := outboxCount(t, o); n != 3 {
			t.Errorf("%d emails, want 3 (Mia and Ben on day 0, Ben on day 4)", n)
		}
	})
}

func TestSecondRunSameDayDefersNewEventsToTomorrow(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := smallOrg(t, d)
		o.s.TeamWeekly = false // day0 is a Monday; only Ben's digest matters here
		o.sweep(day0)
		o.course(3, "late", 12, day0)
		o.cycle(2, 3, 1, day0.Add(time.Hour), day0.AddDate(0, 0, 30), time.Time{}, false)
		p := o.sweep(day0.Add(2 * time.Hour))
		if p.Deferred != 1 || outboxCount(t, o) != 2 {
			t.Fatalf("second run: deferred %d, outbox %d; want 1 deferred and no new email", p.Deferred, outboxCount(t, o))
		}
		p = o.sweep(day0.AddDate(0, 0, 1))
		if p.Events() != 1 || p.Digests()[0].Events[0].Item.Title != "Course late" || outboxCount(t, o) != 3 {
			t.Fatalf("next day: %+v", p)
		}
	})
}

func TestNothingForInactiveOrExemptPeople(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := orgOn(t, d)
		o.user(1, "Mia", 0, true, day0)
		o.user(2, "Gone", 1, false, day0)
		o.user(3, "Free", 1, true, day0)
		o.course(1, "basics", 12, day0)
		o.cycle(2, 1, 1, day0, day0.AddDate(0, 0, 30), time.Time{}, false)
		o.cycle(3, 1, 1, day0, day0.AddDate(0, 0, 30), time.Time{}, true)
		for d := 0; d < 60; d++ {
			o.sweep(day0.AddDate(0, 0, d))
		}
		if n := outboxCount(t, o); n != 0 {
			t.Errorf("%d emails about an inactive and an exempt person", n)
		}
	})
}

func TestLeaseKeepsSweepsApart(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := smallOrg(t, d)
		ctx := context.Background()
		holder, err := o.s.takeLease(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.s.Sweep(ctx, day0, false); !errors.Is(err, ErrBusy) {
			t.Fatalf("sweep while the lease is held: %v, want ErrBusy", err)
		}
		if _, err := o.s.Sweep(ctx, day0, true); err != nil {
			t.Errorf("a dry run needs no lease: %v", err)
		}
		// The holder crashed: once the lease expires, a sweep takes it over.
		wall := time.Now().UTC()
		o.s.Clock = func() time.Time { return wall.Add(o.s.LeaseTTL + time.Second) }
		if _, err := o.s.Sweep(ctx, day0, false); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		if err := o.s.renewLeaseIn(ctx, o.s.DB, holder); !errors.Is(err, ErrBusy) {
			t.Errorf("the crashed holder renewing a lease it lost: %v", err)
		}
	})
}

func TestTwoProcessesSweepingAtOnceSendOneDigestEach(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		a := smallOrg(t, d)
		b := orgOn(t, dbtest.Reopen(t, d))
		var wg sync.WaitGroup
		var busy int
		var mu sync.Mutex
		for _, o := range []*org{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := o.s.Sweep(context.Background(), day0, false)
				if errors.Is(err, ErrBusy) {
					mu.Lock()
					busy++
					mu.Unlock()
				} else if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := outboxCount(t, a); n != 2 {
			t.Errorf("%d emails, want one each for Mia and Ben (busy %d)", n, busy)
		}
		var events int
		a.d.Get(&events, `SELECT COUNT(*) FROM reminder_events`)
		if events != 4 {
			t.Errorf("%d events recorded, want 4", events)
		}
	})
}

func TestDigestDroppedAtSendTimeWhenEverythingIsDone(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := smallOrg(t, d)
		v := func() int64 {
			o.policy(1, "privacy", 14, day0)
			return o.publish(1, 1, "material", day0)
		}()
		o.sweep(day0)
		c := &Checker{DB: o.d, Now: func() time.Time { return day0.Add(time.Hour) }}
		get := func(to string) mail.Outgoing {
			rows, err := mail.NewOutbox(o.d).List(context.Background(), mail.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Recipient == to {
					return r
				}
			}
			t.Fatalf("no digest to %s", to)
			return mail.Outgoing{}
		}
		ben := get("Ben@example.com")
		if ok, err := c.StillWanted(context.Background(), ben); !ok || err != nil {
			t.Fatalf("Ben's digest before he did anything: %v %v", ok, err)
		}
		// Ben completes both courses and acknowledges the policy before the
		// worker gets to his digest: it is dropped.
		o.exec(`UPDATE course_cycles SET completed_at = ?, expires_at = ? WHERE user_id = 2`, day0.Add(30*time.Minute), day0.AddDate(1, 0, 0))
		if ok, _ := c.StillWanted(context.Background(), ben); !ok {
			t.Fatal("the policy is still open: the digest is still wanted")
		}
		o.ack(2, v, day0.Add(40*time.Minute))
		if ok, _ := c.StillWanted(context.Background(), ben); ok {
			t.Error("everything in Ben's digest is done: it should be dropped")
		}
		// Mia left the company before her digest went out.
		o.exec(`UPDATE users SET active = FALSE WHERE id = 1`)
		if ok, _ := c.StillWanted(context.Background(), get("Mia@example.com")); ok {
			t.Error("a digest to a deactivated person should be dropped")
		}
		if ok, _ := c.StillWanted(context.Background(), mail.Outgoing{Kind: "password_reset"}); !ok {
			t.Error("other kinds of mail are always wanted")
		}
	})
}

func TestManagersWeeklySummaryOfTheirLine(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := orgOn(t, d)
		joined := day0.AddDate(0, 0, -60)
		o.user(1, "Mia", 0, true, joined)
		o.user(2, "Leo", 1, true, joined) // a manager under Mia
		o.user(3, "Ben", 2, true, joined)
		o.user(4, "Kim", 2, true, joined)
		o.course(1, "basics", 12, joined)
		o.cycle(3, 1, 1, day0.AddDate(0, 0, -40), day0.AddDate(0, 0, -10), time.Time{}, false) // Ben: overdue
		o.cycle(4, 1, 1, day0.AddDate(0, 0, -1), day0.AddDate(0, 0, 29), time.Time{}, false)   // Kim: open
		if day0.Weekday() != time.Monday {
			t.Fatal("the test needs day0 to be a Monday")
		}
		p, err := o.s.Sweep(context.Background(), day0.Add(-day), true) // a Sunday: no summaries
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Digests() {
			if d.Team != nil {
				t.Errorf("summary for %s on a Sunday", d.To.Name)
			}
		}
		if err := SetTeamWeekly(context.Background(), o.d, 1, false, day0); err != nil {
			t.Fatal(err)
		}
		if on, _ := TeamWeekly(context.Background(), o.d, 1); on {
			t.Fatal("Mia opted out")
		}
		o.sweep(day0)
		var leo string
		if err := o.d.Get(&leo, `SELECT body_text FROM outbox WHERE recipient = 'Leo@example.com'`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(leo, "Your reporting line this week") ||
			!strings.Contains(leo, "2 people with open items; 1 item overdue or lapsed (1 person), 1 item otherwise open.") {
			t.Errorf("Leo's summary:\n%s", leo)
		}
		var mia int
		o.d.Get(&mia, `SELECT COUNT(*) FROM outbox WHERE recipient = 'Mia@example.com'`)
		if mia != 0 {
			t.Error("Mia opted out of the weekly summary and has nothing else due, yet got an email")
		}
	})
}

func TestSchedulerRunsOncePerDayAndCatchesUpAtStart(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := smallOrg(t, d)
		now := day0.Add(-3 * time.Hour) // 06:00, the configured hour
		clock := func() time.Time { return now }
		o.s.Clock = clock
		sc := NewScheduler(o.s, 6)
		sc.Now = clock
		ctx := context.Background()
		ran, err := sc.RunDue(ctx)
		if err != nil || !ran {
			t.Fatalf("first start with no run yet: ran %v, %v", ran, err)
		}
		now = now.Add(5 * time.Hour)
		if ran, _ := sc.RunDue(ctx); ran {
			t.Error("ran twice on one day")
		}
		// The process was down over the next day's 06:00: it runs on start.
		now = now.Add(30 * time.Hour)
		if ran, _ := sc.RunDue(ctx); !ran {
			t.Error("a missed run was not caught up")
		}
		var runs int
		o.d.Get(&runs, `SELECT COUNT(*) FROM reminder_runs`)
		if runs != 2 {
			t.Errorf("%d runs recorded, want 2", runs)
		}
	})
}

// TestWALWriterLeavesTheWALCheckpointed: the sweep writes with SQLite's
// automatic checkpoints off and checkpoints beside itself; when it is done
// the WAL is empty and every connection checkpoints automatically again.
func TestWALWriterLeavesTheWALCheckpointed(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	w, err := newWALWriter(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		err := w.tx(ctx, func(tx *sqlx.Tx) error {
			for j := 0; j < 50; j++ {
				if _, err := tx.Exec(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)`,
					fmt.Sprintf("l%d.%d", i, j), strings.Repeat("x", 2000), day0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	w.close()
	var file string
	if err := d.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(file + "-wal"); err == nil && st.Size() != 0 {
		t.Errorf("the WAL holds %d bytes after writing, want it truncated", st.Size())
	}
	var n int
	if err := d.Get(&n, `SELECT COUNT(*) FROM leases`); err != nil || n != 1000 {
		t.Fatalf("%d rows written (%v), want 1000", n, err)
	}
	var conns []*sql.Conn
	for i := 0; i < 8; i++ {
		c, err := d.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		var n int
		if err := c.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1000 {
			t.Errorf("connection %d: wal_autocheckpoint = %d, want 1000", i, n)
		}
	}
}
