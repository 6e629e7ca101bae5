package reminders

import (
	"context"
	"testing"
	"time"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

// TestNotifyEffectiveTellsAtOnceAndTheSweepNeverRepeats: a material
// version scheduled for 14:00 is told to everyone who must acknowledge it
// at the first check after 14:00, one email each, not before; checking
// again sends nothing; and the next morning's sweep does not send the
// notice again (only the later weekly reminder is left to it).
func TestNotifyEffectiveTellsAtOnceAndTheSweepNeverRepeats(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := orgOn(t, d)
		joined := day0.AddDate(-1, 0, 0)
		o.user(1, "Mia", 0, true, joined)
		o.user(2, "Ben", 1, true, joined)
		o.user(3, "Gone", 1, false, joined)
		o.policy(1, "conduct", 14, joined)
		v1 := o.publish(1, 1, "material", joined)
		o.ack(1, v1, joined.AddDate(0, 0, 1))
		o.ack(2, v1, joined.AddDate(0, 0, 1))
		o.sweep(day0.Add(-3 * time.Hour)) // this morning's sweep: nothing open
		before := outboxCount(t, o)

		effective := day0.Add(5 * time.Hour) // 14:00
		v2 := o.publish(1, 2, "material", effective)
		if n, err := o.s.NotifyEffective(ctx, effective.Add(-time.Minute)); err != nil || n != 0 {
			t.Fatalf("a minute before it takes effect: told %d, %v", n, err)
		}
		n, err := o.s.NotifyEffective(ctx, effective.Add(30*time.Second))
		if err != nil || n != 2 {
			t.Fatalf("when it takes effect: told %d, %v; want Mia and Ben", n, err)
		}
		var rows []struct {
			To      string `db:"recipient"`
			Subject string `db:"subject"`
			Key     string `db:"dedupe_key"`
		}
		if err := d.Select(&rows, d.Rebind(`SELECT recipient, subject, dedupe_key FROM outbox WHERE id > ? ORDER BY recipient`), before); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].To != "Ben@example.com" || rows[1].To != "Mia@example.com" {
			t.Fatalf("outbox = %+v", rows)
		}
		round := effective.UTC().Format(time.RFC3339)
		if rows[0].Key != EffectiveKey(v2, 2, round) {
			t.Errorf("key = %q", rows[0].Key)
		}
		if again, err := o.s.NotifyEffective(ctx, effective.Add(2*time.Minute)); err != nil || again != 0 {
			t.Errorf("a second check told %d, %v", again, err)
		}

		// Next morning: the notice is not repeated.
		plan := o.sweep(day0.AddDate(0, 0, 1))
		for _, dg := range plan.Digests() {
			for _, e := range dg.Events {
				if e.Stage == StageNotice {
					t.Errorf("the sweep repeated the notice to %s", dg.To.Name)
				}
			}
		}
		if got := outboxCount(t, o); got != before+2 {
			t.Errorf("outbox grew to %d, want %d", got, before+2)
		}
		// A week on, the weekly reminder still comes from the sweep.
		plan = o.sweep(effective.AddDate(0, 0, 7).Add(time.Hour))
		if plan.Events() != 2 {
			t.Errorf("a week later the sweep has %d events, want the 2 reminders", plan.Events())
		}

		// A minor version asks nobody, and tells nobody.
		o.publish(1, 3, "minor", effective.AddDate(0, 0, 8))
		if n, err := o.s.NotifyEffective(ctx, effective.AddDate(0, 0, 8).Add(time.Minute)); err != nil || n != 0 {
			t.Errorf("a minor version told %d, %v", n, err)
		}
	})
}

// TestNotifyEffectiveAfterTheSweepSendsNothing: when the sweep got there
// first (it ran in the minute the version took effect), the check finds
// the notices sent and sends none.
func TestNotifyEffectiveAfterTheSweepSendsNothing(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := orgOn(t, d)
		joined := day0.AddDate(-1, 0, 0)
		o.user(1, "Mia", 0, true, joined)
		o.policy(1, "conduct", 14, joined)
		o.publish(1, 1, "material", day0)
		plan := o.sweep(day0.Add(time.Second))
		if plan.Events() != 1 {
			t.Fatalf("sweep events = %d, want Mia's notice", plan.Events())
		}
		if n, err := o.s.NotifyEffective(context.Background(), day0.Add(time.Minute)); err != nil || n != 0 {
			t.Errorf("after the sweep: told %d, %v", n, err)
		}
	})
}
