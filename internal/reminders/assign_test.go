package reminders

import (
	"context"
	"errors"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"testing"
	"time"
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
