package reminders

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

// RemindNow's rule: in the manager's line (an admin's is everyone), still
// active, overdue or lapsed, at most once a day; the email and its audit
// entry are queued together, and a refusal queues nothing.
func TestRemindNow(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := orgOn(t, d)
		ctx := context.Background()
		now := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
		start := now.AddDate(-1, 0, 0)
		o.user(1, "Mia", 0, true, start)
		o.user(2, "Noah", 1, true, start)
		o.user(3, "Zoe", 1, false, start)
		o.user(4, "Other", 0, true, start)
		o.user(5, "Sam", 4, true, start)
		o.user(6, "Ada", 0, true, start)
		o.exec(`UPDATE users SET role = 'admin' WHERE id = 6`)
		o.course(1, "data", 12, start)
		o.course(2, "fresh", 12, start)
		for _, u := range []int64{2, 3, 5} {
			o.cycle(u, 1, 1, now.AddDate(0, -2, 0), now.AddDate(0, -1, 0), time.Time{}, false)
		}
		o.cycle(2, 2, 1, now.AddDate(0, 0, -1), now.AddDate(0, 1, 0), time.Time{}, false)

		queued := func() (mails, audits int) {
			t.Helper()
			if err := d.Get(&mails, `SELECT COUNT(*) FROM outbox WHERE kind = 'manager_reminder'`); err != nil {
				t.Fatal(err)
			}
			if err := d.Get(&audits, `SELECT COUNT(*) FROM audit_log WHERE action = 'reminder.send'`); err != nil {
				t.Fatal(err)
			}
			return mails, audits
		}
		for _, tc := range []struct {
			name             string
			manager, person  int64
			course           string
			want             error
			wantName, wantOf string
		}{
			{"outside the line", 1, 5, "data", ErrNotInLine, "", ""},
			{"no such person", 1, 999, "data", ErrNotInLine, "", ""},
			{"no course", 1, 2, " ", ErrNoCourse, "", ""},
			{"no such course", 1, 2, "nope", ErrNotAssigned, "Noah", ""},
			{"not assigned", 4, 5, "fresh", ErrNotAssigned, "Sam", "Course fresh"},
			{"not overdue", 1, 2, "fresh", ErrNotOpen, "Noah", "Course fresh"},
			{"has left", 1, 3, "data", ErrLeft, "Zoe", "Course data"},
		} {
			r, err := RemindNow(ctx, d, o.s.Mail, tc.manager, tc.person, tc.course, now)
			if !errors.Is(err, tc.want) || r.Person != tc.wantName || r.Course != tc.wantOf {
				t.Errorf("%s: %+v, %v; want %v", tc.name, r, err, tc.want)
			}
		}
		if m, a := queued(); m != 0 || a != 0 {
			t.Fatalf("refusals queued %d emails, %d audit entries", m, a)
		}

		r, err := RemindNow(ctx, d, o.s.Mail, 1, 2, "data", now)
		if err != nil || r.Person != "Noah" || r.Course != "Course data" || r.PersonID != 2 {
			t.Fatalf("remind: %+v, %v", r, err)
		}
		var msg struct {
			To      string `db:"recipient"`
			Subject string `db:"subject"`
			Text    string `db:"body_text"`
		}
		if err := d.Get(&msg, `SELECT recipient, subject, body_text FROM outbox WHERE kind = 'manager_reminder'`); err != nil {
			t.Fatal(err)
		}
		if msg.To != "Noah@example.com" || msg.Subject != "steward.example.com: Course data is overdue" ||
			!strings.Contains(msg.Text, "Mia asked for this reminder") || !strings.Contains(msg.Text, "https://steward.example.com/courses/data") {
			t.Errorf("queued %+v", msg)
		}
		if _, err := RemindNow(ctx, d, o.s.Mail, 1, 2, "data", now.Add(8*time.Hour)); !errors.Is(err, ErrAlreadyReminded) {
			t.Errorf("twice a day: %v", err)
		}
		if m, a := queued(); m != 1 || a != 1 {
			t.Fatalf("after twice on one day: %d emails, %d audit entries, want 1 and 1", m, a)
		}
		if _, err := RemindNow(ctx, d, o.s.Mail, 1, 2, "data", now.Add(24*time.Hour)); err != nil {
			t.Errorf("the next day: %v", err)
		}
		if _, err := RemindNow(ctx, d, o.s.Mail, 6, 5, "data", now); err != nil {
			t.Errorf("an admin reminds anyone: %v", err)
		}
		if m, a := queued(); m != 3 || a != 3 {
			t.Fatalf("%d emails, %d audit entries, want 3 and 3", m, a)
		}
	})
}
