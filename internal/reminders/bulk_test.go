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

// Remind's rule on both databases: one email per person listing what they
// were reminded of, at most one reminder per person, item and day whoever
// asks, a policy only while pending, and a request naming anyone outside
// the manager's line sends nothing at all.
func TestRemindManyOnceADayAndOnlyInLine(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := orgOn(t, d)
		ctx := context.Background()
		now := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
		start := now.AddDate(-1, 0, 0)
		o.user(1, "Mia", 0, true, start)
		o.user(2, "Noah", 1, true, start)
		o.user(3, "Lea", 1, true, start)
		o.user(4, "Other", 0, true, start)
		o.user(5, "Sam", 4, true, start)
		o.user(7, "Deputy", 0, true, start)
		o.exec(`UPDATE users SET manager_id = 1 WHERE id = 7`)
		o.course(1, "data", 12, start)
		for _, u := range []int64{2, 3, 5} {
			o.cycle(u, 1, 1, now.AddDate(0, -2, 0), now.AddDate(0, -1, 0), time.Time{}, false)
		}
		o.policy(1, "conduct", 14, start)
		o.publish(1, 1, "material", now.AddDate(0, 0, -3))
		o.policy(2, "done", 14, start)
		v := o.publish(2, 1, "material", now.AddDate(0, 0, -3))
		o.ack(2, v, now.AddDate(0, 0, -1))

		count := func(q string) int {
			t.Helper()
			var n int
			if err := d.Get(&n, q); err != nil {
				t.Fatal(err)
			}
			return n
		}
		mails := func() int { return count(`SELECT COUNT(*) FROM outbox WHERE kind = 'manager_reminder'`) }

		// Sam is Other's: the whole request is refused.
		_, err := Remind(ctx, d, o.s.Mail, 1, []Target{{2, ItemCourse, "data"}, {5, ItemCourse, "data"}}, now)
		if !errors.Is(err, ErrNotInLine) {
			t.Fatalf("another manager's person: %v, want ErrNotInLine", err)
		}
		if n := mails() + count(`SELECT COUNT(*) FROM manager_reminders`); n != 0 {
			t.Fatalf("a refused request left %d rows", n)
		}

		res, err := Remind(ctx, d, o.s.Mail, 1, []Target{
			{2, ItemCourse, "data"}, {2, ItemPolicy, "conduct"}, {3, ItemCourse, "data"},
			{2, ItemPolicy, "done"}, {2, ItemCourse, "data"},
		}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Count(Sent); got != 3 {
			t.Errorf("sent %d, want 3: %+v", got, res.Outcomes)
		}
		if got := res.Count(NotOpen); got != 1 || len(res.Outcomes) != 4 {
			t.Errorf("acknowledged policy: %+v", res.Outcomes)
		}
		if got := mails(); got != 2 {
			t.Fatalf("%d emails, want one each to Noah and Lea", got)
		}
		var text string
		if err := d.Get(&text, d.Rebind(`SELECT body_text FROM outbox WHERE recipient = ?`), "Noah@example.com"); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Course data is overdue", "Please read and acknowledge Policy conduct, version 1",
			"https://steward.example.com/my/policies/conduct", "Mia asked for this reminder"} {
			if !strings.Contains(text, want) {
				t.Errorf("Noah's email lacks %q:\n%s", want, text)
			}
		}

		// Later that day, by another manager in the line: skipped, counted.
		res, err = Remind(ctx, d, o.s.Mail, 7, []Target{{2, ItemCourse, "data"}, {3, ItemCourse, "data"}}, now.Add(10*time.Hour))
		if err == nil {
			t.Fatalf("Deputy is not above Noah, yet reminded: %+v", res)
		}
		res, err = Remind(ctx, d, o.s.Mail, 1, []Target{{2, ItemCourse, "data"}, {3, ItemCourse, "data"}, {2, ItemPolicy, "conduct"}}, now.Add(14*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if res.Count(AlreadyReminded) != 3 || res.Count(Sent) != 0 || mails() != 2 {
			t.Errorf("same day again: %+v, %d emails", res.Outcomes, mails())
		}

		last, err := LastReminded(ctx, d, []int64{2, 3, 5})
		if err != nil {
			t.Fatal(err)
		}
		if l := last[Target{2, ItemPolicy, "conduct"}]; !l.At.Equal(now) || l.ManagerID != 1 || len(last) != 3 {
			t.Errorf("last reminded: %+v", last)
		}

		// The next day, once more.
		res, err = Remind(ctx, d, o.s.Mail, 1, []Target{{2, ItemCourse, "data"}}, now.Add(24*time.Hour))
		if err != nil || res.Count(Sent) != 1 || mails() != 3 {
			t.Errorf("next day: %+v, %v, %d emails", res.Outcomes, err, mails())
		}
	})
}

// Bad requests refuse before anything is read or written.
func TestRemindRefusesBadRequests(t *testing.T) {
	for _, s := range []string{"", "course", "course:data", "course:data:x", "course:data:0", "course::2", "badge:data:2",
		"course:da ta:2", "course:data:-1", "course:data:99999999999999999999"} {
		if _, err := ParseTarget(s); !errors.Is(err, ErrBadTarget) {
			t.Errorf("ParseTarget(%q): %v", s, err)
		}
	}
	if tg, err := ParseTarget("policy:a:b:12"); err != nil || tg != (Target{12, ItemPolicy, "a:b"}) {
		t.Errorf("slug with a colon: %+v, %v", tg, err)
	}
	if _, err := Remind(context.Background(), nil, nil, 1, nil, time.Now()); !errors.Is(err, ErrNothingChosen) {
		t.Errorf("nobody: %v", err)
	}
}
