package courses

import (
	"context"
	"testing"
	"time"

	"steward/internal/db"
)

func TestStatusPrecedence(t *testing.T) {
	now := date(2026, 6, 15)
	ptr := func(t time.Time) *time.Time { return &t }
	base := Cycle{AssignedAt: date(2026, 6, 1), Dates: Dates{DueAt: date(2026, 7, 1)}}
	with := func(f func(c *Cycle)) Cycle { c := base; f(&c); return c }
	tests := []struct {
		name  string
		cycle Cycle
		want  Status
	}{
		{"assigned, nothing done", base, StatusNotStarted},
		{"an attempt made", with(func(c *Cycle) { c.StartedAt = ptr(date(2026, 6, 10)) }), StatusInProgress},
		{"a day inside the due-soon window", with(func(c *Cycle) { c.DueAt = now.Add(DueSoonWindow - 24*time.Hour) }), StatusDueSoon},
		{"exactly the window before due", with(func(c *Cycle) { c.DueAt = now.Add(DueSoonWindow) }), StatusDueSoon},
		{"a day before the window", with(func(c *Cycle) { c.DueAt = now.Add(DueSoonWindow + 24*time.Hour) }), StatusNotStarted},
		{"started and due soon: due soon wins", with(func(c *Cycle) {
			c.StartedAt, c.DueAt = ptr(date(2026, 6, 10)), date(2026, 6, 18)
		}), StatusDueSoon},
		{"past due", with(func(c *Cycle) { c.DueAt = date(2026, 6, 14) }), StatusOverdue},
		{"recertification cycle, window open", with(func(c *Cycle) { c.LapsesAt, c.DueAt = ptr(date(2026, 7, 10)), date(2026, 7, 10) }), StatusDueSoon},
		{"recertification cycle past the old expiry: lapsed, not overdue", with(func(c *Cycle) {
			c.LapsesAt, c.DueAt = ptr(date(2026, 6, 1)), date(2026, 6, 1)
		}), StatusLapsed},
		{"completed, valid", with(func(c *Cycle) {
			c.CompletedAt, c.ExpiresAt = ptr(date(2026, 6, 5)), ptr(date(2027, 6, 5))
		}), StatusCompleted},
		{"completed late still counts as completed", with(func(c *Cycle) {
			c.DueAt, c.CompletedAt, c.ExpiresAt = date(2026, 6, 1), ptr(date(2026, 6, 5)), ptr(date(2027, 6, 5))
		}), StatusCompleted},
		{"completed, never expires", with(func(c *Cycle) { c.CompletedAt = ptr(date(2020, 1, 1)) }), StatusCompleted},
		{"completed, expired", with(func(c *Cycle) {
			c.CompletedAt, c.ExpiresAt = ptr(date(2025, 6, 1)), ptr(date(2026, 6, 1))
		}), StatusLapsed},
		{"exempt beats everything", with(func(c *Cycle) { c.Exempt, c.DueAt = true, date(2026, 1, 1) }), StatusExempt},
		{"exempt beats completed", with(func(c *Cycle) { c.Exempt, c.CompletedAt = true, ptr(date(2026, 6, 5)) }), StatusExempt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cycle.Status(now); got != tt.want {
				t.Errorf("Status = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestThreeYears walks one person through three years, a day at a time,
// with the daily sync, and checks every change of status: assigned, in
// progress, due soon, overdue, completed late, window opens, lapsed,
// recertified late, window opens, recertified on time, window opens again.
func TestThreeYears(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		alice := addPerson(t, d, person{email: "alice@example.com"})
		mustImport(t, s, basics, date(2026, 1, 5))

		actions := map[string]func(now time.Time){
			"2026-01-10": func(now time.Time) { take(t, s, alice, "basics", 1, false, now) },
			"2026-02-20": func(now time.Time) {
				take(t, s, alice, "basics", 1, true, now)
				take(t, s, alice, "basics", 2, true, now)
			},
			"2027-03-10": func(now time.Time) {
				take(t, s, alice, "basics", 1, true, now)
				take(t, s, alice, "basics", 2, true, now)
			},
			"2028-02-15": func(now time.Time) {
				take(t, s, alice, "basics", 2, true, now)
				take(t, s, alice, "basics", 1, true, now)
			},
		}
		want := []struct {
			day    string
			status Status
		}{
			{"2026-01-05", StatusNotStarted},
			{"2026-01-10", StatusInProgress},
			{date(2026, 2, 4).Add(-DueSoonWindow).Format(time.DateOnly), StatusDueSoon},
			{"2026-02-04", StatusOverdue},   // due 30 days after assignment
			{"2026-02-20", StatusCompleted}, // late, valid until 2027-02-20
			{"2027-01-21", StatusDueSoon},   // 30 days before expiry: next cycle opens
			{"2027-02-20", StatusLapsed},    // expired without recertifying
			{"2027-03-10", StatusCompleted}, // recertified, valid until 2028-03-10
			{"2028-02-09", StatusDueSoon},   // window opens (2028 is a leap year)
			{"2028-02-15", StatusCompleted}, // on time, valid until 2029-02-15
			{"2029-01-16", StatusDueSoon},
		}
		var got []struct {
			day    string
			status Status
		}
		last := Status("")
		courseID := func() int64 {
			c, err := s.Course(ctx, "basics")
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}()
		for now := date(2026, 1, 5); now.Before(date(2029, 2, 1)); now = now.AddDate(0, 0, 1) {
			mustSync(t, s, now)
			day := now.Format(time.DateOnly)
			if f := actions[day]; f != nil {
				f(now)
			}
			cy, err := s.CurrentCycle(ctx, alice, courseID)
			if err != nil {
				t.Fatalf("%s: %v", day, err)
			}
			if st := cy.Status(now); st != last {
				got = append(got, struct {
					day    string
					status Status
				}{day, st})
				last = st
			}
		}
		if len(got) != len(want) {
			t.Fatalf("status changes:\n got %v\nwant %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("change %d: got %s on %s, want %s on %s", i+1, got[i].status, got[i].day, want[i].status, want[i].day)
			}
		}

		// Every cycle is kept as evidence: three completed ones and the open one.
		cycles := cyclesOf(t, s, alice, courseID)
		if len(cycles) != 4 {
			t.Fatalf("cycles = %d, want 4", len(cycles))
		}
		wantCompleted := []string{"", "2028-02-15", "2027-03-10", "2026-02-20"} // newest first
		for i, c := range cycles {
			done := ""
			if c.CompletedAt != nil {
				done = c.CompletedAt.Format(time.DateOnly)
			}
			if done != wantCompleted[i] {
				t.Errorf("cycle %d completed %q, want %q", c.Seq, done, wantCompleted[i])
			}
			if i > 0 && c.ClosedAt == nil {
				t.Errorf("cycle %d is still open; only the newest should be", c.Seq)
			}
		}
		if got := cycles[0].DueAt.Format(time.DateOnly); got != "2029-02-15" {
			t.Errorf("recertification cycle due %s, want the expiry date 2029-02-15", got)
		}
	})
}

func TestCertificateExpiry(t *testing.T) {
	ptr := func(t time.Time) *time.Time { return &t }
	prev, own := date(2026, 11, 2), date(2027, 12, 6)
	tests := []struct {
		name   string
		cycle  Cycle
		recert bool
		want   *time.Time
	}{
		{"first cycle, not done", Cycle{Dates: Dates{DueAt: prev}}, false, nil},
		{"recertification, not done", Cycle{Dates: Dates{DueAt: prev, LapsesAt: &prev}}, true, &prev},
		{"recertification, done", Cycle{Dates: Dates{DueAt: prev, LapsesAt: &prev, CompletedAt: ptr(date(2026, 12, 6)), ExpiresAt: &own}}, true, &own},
		{"done, never expires", Cycle{Dates: Dates{CompletedAt: &prev}}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cycle.CertificateExpiry()
			if tt.cycle.Recertification() != tt.recert || (got == nil) != (tt.want == nil) || (got != nil && !got.Equal(*tt.want)) {
				t.Errorf("Recertification %t, CertificateExpiry %v; want %t, %v", tt.cycle.Recertification(), got, tt.recert, tt.want)
			}
		})
	}
}
