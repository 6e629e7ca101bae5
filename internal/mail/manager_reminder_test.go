package mail

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

// ManagerRemindersOn finds a person's reminders of that day only, per
// course, and not those of someone whose id starts the same way.
func TestManagerRemindersOn(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		day := time.Date(2026, 11, 28, 9, 15, 0, 0, time.UTC)
		for _, id := range []int64{1, 12} {
			if _, err := d.Exec(d.Rebind(`INSERT INTO users (id, email, name, role, created_at, updated_at) VALUES (?, ?, ?, 'employee', ?, ?)`),
				id, "u"+strconv.FormatInt(id, 10)+"@example.com", "U", day, day); err != nil {
				t.Fatal(err)
			}
		}
		send := func(user int64, course string, at time.Time) {
			t.Helper()
			if err := d.Tx(ctx, func(tx *sqlx.Tx) error {
				_, err := Enqueue(ctx, tx, Message{To: "u@example.com", UserID: &user, Kind: KindManagerReminder, Subject: "s", Text: "t",
					DedupeKey: ManagerReminderKey(user, course, at)}, at)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		send(1, "data-basics", day)
		send(1, "data-basics", day.Add(-24*time.Hour))
		send(1, "phishing-101", day.Add(-time.Hour))
		send(12, "security", day)
		got, err := NewOutbox(d).ManagerRemindersOn(ctx, 1, day.Add(10*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !got["data-basics"].Equal(day) || !got["phishing-101"].Equal(day.Add(-time.Hour)) {
			t.Fatalf("reminders of user 1 on %s: %v", day.Format(time.DateOnly), got)
		}
		if got, _ := NewOutbox(d).ManagerRemindersOn(ctx, 1, day.AddDate(0, 0, 1)); len(got) != 0 {
			t.Fatalf("the next day: %v", got)
		}
	})
}
