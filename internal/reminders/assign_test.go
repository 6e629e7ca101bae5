package reminders

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

// The sweep brings assignments up to date first, so a cycle that Assign
// opens is announced in the same run; a dry run never assigns.
func TestSweepAssignsBeforePlanningButNotOnDryRuns(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := smallOrg(t, d)
		calls := 0
		o.s.Assign = func(ctx context.Context, now time.Time) error {
			calls++
			o.cycle(1, 2, 1, now, now.AddDate(0, 0, 30), time.Time{}, false)
			return nil
		}
		if _, err := o.s.Sweep(context.Background(), day0, true); err != nil {
			t.Fatal(err)
		}
		if calls != 0 {
			t.Fatal("a dry run assigned")
		}
		p := o.sweep(day0)
		if calls != 1 {
			t.Fatalf("Assign ran %d times", calls)
		}
		// Mia now has privacy-101 too: 2 + 3 events instead of 4.
		if p.Events() != 5 {
			t.Fatalf("events = %d, want the new assignment announced with the rest (5)", p.Events())
		}

		o.s.Assign = func(context.Context, time.Time) error { return errors.New("database on fire") }
		if _, err := o.s.Sweep(context.Background(), day0.AddDate(0, 0, 1), false); err == nil {
			t.Fatal("a failed assignment did not stop the sweep")
		}
	})
}

// Two schedulers that both found the sweep due, one waiting for the lease
// while the other sweeps: the second sees the run and does not sweep again.
func TestSchedulerRechecksUnderTheLease(t *testing.T) {
	dbtest.Dialects(t, testSchedulerRechecks)
}

func testSchedulerRechecks(t *testing.T, d *db.DB) {
	o := smallOrg(t, d)
	at := day0.Add(time.Hour)
	o.s.Clock = func() time.Time { return at } // the run is recorded at this time, as in production
	first := NewScheduler(o.s, 6)
	first.Now = func() time.Time { return at }
	second := NewScheduler(o.s, 6)
	second.Now = func() time.Time { return at }
	// The second scheduler decided "due" before the first one's run was
	// recorded: simulate by sweeping with the first, then asking the
	// second to sweep with its stale decision.
	if ran, err := first.RunDue(context.Background()); err != nil || !ran {
		t.Fatalf("first scheduler: ran=%v err=%v", ran, err)
	}
	stale := func(ctx context.Context) (bool, error) {
		last, ran, err := o.s.LastRun(ctx)
		return err == nil && Due(at, 6, last, ran), err
	}
	if _, err := o.s.sweep(context.Background(), at, false, stale); !errors.Is(err, errNotDue) {
		t.Fatalf("second sweep under the lease: err = %v, want errNotDue", err)
	}
	var runs int
	if err := o.d.Get(&runs, `SELECT COUNT(*) FROM reminder_runs`); err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Fatalf("%d sweep runs recorded, want 1", runs)
	}
}
