package courses

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
)

func testModule() *Module {
	return &Module{ID: 1, Position: 1, Title: "T", Questions: []Question{
		{ID: 10, Kind: Single, Text: "single", Options: []Option{{ID: 100, Text: "a", Correct: true}, {ID: 101, Text: "b"}, {ID: 102, Text: "c"}}},
		{ID: 11, Kind: Multiple, Text: "multiple", Options: []Option{{ID: 110, Text: "a", Correct: true}, {ID: 111, Text: "b", Correct: true}, {ID: 112, Text: "c"}}},
		{ID: 12, Kind: TrueFalse, Text: "tf", Options: []Option{{ID: 120, Text: TrueLabel}, {ID: 121, Text: FalseLabel, Correct: true}}},
		{ID: 13, Kind: Single, Text: "single 2", Options: []Option{{ID: 130, Text: "a"}, {ID: 131, Text: "b", Correct: true}}},
	}}
}

func TestGrade(t *testing.T) {
	m := testModule()
	tests := []struct {
		name        string
		answers     Answers
		wantCorrect int
		wantPassed  bool
		wantErr     string
	}{
		{"all right", Answers{10: {100}, 11: {110, 111}, 12: {121}, 13: {131}}, 4, true, ""},
		{"multiple needs every correct option", Answers{10: {100}, 11: {110}, 12: {121}, 13: {131}}, 3, true, ""},
		{"multiple with a wrong option is wrong", Answers{10: {100}, 11: {110, 111, 112}, 12: {121}, 13: {131}}, 3, true, ""},
		{"two wrong fails a 75% mark", Answers{10: {101}, 11: {110, 111}, 12: {120}, 13: {131}}, 2, false, ""},
		{"missing answer", Answers{10: {100}, 11: {110}, 12: {121}}, 0, false, "has no answer"},
		{"another module's question", Answers{10: {100}, 11: {110}, 12: {121}, 13: {131}, 99: {990}}, 0, false, "not part of this quiz"},
		{"unknown option", Answers{10: {100}, 11: {110}, 12: {121}, 13: {999}}, 0, false, "not an option of question 4"},
		{"option of another question", Answers{10: {110}, 11: {110}, 12: {121}, 13: {131}}, 0, false, "not an option of question 1"},
		{"two answers to a single-choice question", Answers{10: {100, 101}, 11: {110}, 12: {121}, 13: {131}}, 0, false, "exactly one answer"},
		{"the same option twice", Answers{10: {100}, 11: {110, 110}, 12: {121}, 13: {131}}, 0, false, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Grade(m, tt.answers, 75)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidAnswers) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Correct != tt.wantCorrect || res.Passed != tt.wantPassed || res.Score != tt.wantCorrect*25 {
				t.Errorf("got %d correct, score %d, passed %t; want %d correct, passed %t", res.Correct, res.Score, res.Passed, tt.wantCorrect, tt.wantPassed)
			}
		})
	}
}

func TestShuffleIsStablePerSeed(t *testing.T) {
	m := testModule()
	order := func(mm Module) string {
		var b strings.Builder
		for _, q := range mm.Questions {
			b.WriteString(q.Text + ":")
			for _, o := range q.Options {
				b.WriteString(o.Text)
			}
			b.WriteString(" ")
		}
		return b.String()
	}
	first, again := order(Shuffled(m, 42)), order(Shuffled(m, 42))
	if first != again {
		t.Error("the same seed gave two orders")
	}
	seen := map[string]bool{}
	for seed := int64(1); seed <= 20; seed++ {
		sh := Shuffled(m, seed)
		seen[order(sh)] = true
		for _, q := range sh.Questions {
			if q.Kind == TrueFalse && (q.Options[0].Text != TrueLabel || q.Options[1].Text != FalseLabel) {
				t.Error("true/false options were shuffled")
			}
		}
	}
	if len(seen) < 5 {
		t.Errorf("20 seeds gave only %d orders", len(seen))
	}
	if order(*m) != order(*testModule()) {
		t.Error("Shuffled changed the module it was given")
	}
}

func attemptRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.Get(&n, `SELECT COUNT(*) FROM course_attempts WHERE submitted_at IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAttemptRules(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		alice := addPerson(t, d, person{email: "alice@example.com", team: "Sales"})
		bob := addPerson(t, d, person{email: "bob@example.com", team: "Support"})
		now := date(2026, 4, 1)
		mustImport(t, s, basics, now)
		// basics is for everyone; a second course only for Sales.
		sales := folder(t, func(f map[string]string) {
			f["course.yaml"] = strings.NewReplacer("slug: basics", "slug: sales-only", "everyone: true", "teams: [Sales]").Replace(f["course.yaml"])
		})
		if _, err := s.Import(ctx, sales, audit.Actor{Label: "test"}, now); err != nil {
			t.Fatal(err)
		}
		mustSync(t, s, now)

		t.Run("not assigned", func(t *testing.T) {
			if _, err := s.StartAttempt(ctx, bob, "sales-only", 1, now); !errors.Is(err, ErrNotAssigned) {
				t.Errorf("err = %v, want ErrNotAssigned", err)
			}
		})
		t.Run("another person's token", func(t *testing.T) {
			q, err := s.StartAttempt(ctx, alice, "basics", 1, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Submit(ctx, bob, q.Attempt.Token, AnswerAll(&q.Module, true), now); !errors.Is(err, ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
		t.Run("reopening the quiz keeps token and order", func(t *testing.T) {
			q1, _ := s.StartAttempt(ctx, alice, "basics", 1, now)
			q2, _ := s.StartAttempt(ctx, alice, "basics", 1, now.Add(time.Minute))
			if q1.Attempt.Token != q2.Attempt.Token || q1.Module.Questions[0].ID != q2.Module.Questions[0].ID {
				t.Error("a second showing issued a new attempt")
			}
		})
		t.Run("answers to another module", func(t *testing.T) {
			q1, _ := s.StartAttempt(ctx, alice, "basics", 1, now)
			q2, _ := s.StartAttempt(ctx, alice, "basics", 2, now)
			before := attemptRows(t, s)
			_, err := s.Submit(ctx, alice, q1.Attempt.Token, AnswerAll(&q2.Module, true), now)
			if !errors.Is(err, ErrInvalidAnswers) {
				t.Errorf("err = %v, want ErrInvalidAnswers", err)
			}
			if attemptRows(t, s) != before {
				t.Error("a rejected submission was stored")
			}
		})
		t.Run("double submission is a no-op", func(t *testing.T) {
			q, _ := s.StartAttempt(ctx, alice, "basics", 1, now)
			if _, err := s.Submit(ctx, alice, q.Attempt.Token, AnswerAll(&q.Module, false), now); err != nil {
				t.Fatal(err)
			}
			before := attemptRows(t, s)
			if _, err := s.Submit(ctx, alice, q.Attempt.Token, AnswerAll(&q.Module, true), now); !errors.Is(err, ErrAlreadySubmitted) {
				t.Errorf("err = %v, want ErrAlreadySubmitted", err)
			}
			if attemptRows(t, s) != before {
				t.Error("the second submission was stored")
			}
		})
		t.Run("attempt limit", func(t *testing.T) {
			// One failed attempt so far; the course allows three.
			take(t, s, alice, "basics", 1, false, now)
			sub := take(t, s, alice, "basics", 1, false, now)
			if sub.AttemptsLeft != 0 {
				t.Errorf("attempts left = %d, want 0", sub.AttemptsLeft)
			}
			if _, err := s.StartAttempt(ctx, alice, "basics", 1, now); !errors.Is(err, ErrAttemptLimit) {
				t.Errorf("err = %v, want ErrAttemptLimit", err)
			}
			// The other module has its own count.
			take(t, s, alice, "basics", 2, true, now)
		})
		t.Run("complete, certificate, verify", func(t *testing.T) {
			take(t, s, alice, "sales-only", 1, false, now)
			take(t, s, alice, "sales-only", 1, true, now)
			sub := take(t, s, alice, "sales-only", 2, true, now.Add(time.Hour))
			if !sub.Completed {
				t.Fatal("passing every module did not complete the course")
			}
			cert, err := s.LatestCertificate(ctx, alice, "sales-only")
			if err != nil {
				t.Fatal(err)
			}
			if want := now.Add(time.Hour).AddDate(1, 0, 0); cert.ValidUntil == nil || !cert.ValidUntil.Equal(want) {
				t.Errorf("valid until %v, want %v", cert.ValidUntil, want)
			}
			v, err := s.Verify(ctx, strings.ToLower(strings.ReplaceAll(cert.Code, "-", "")))
			if err != nil {
				t.Fatal(err)
			}
			if v.Name != "Name of alice@example.com" || v.CourseTitle != "Data basics" || v.Revision != 1 {
				t.Errorf("verification = %+v", v)
			}
			if _, err := s.Verify(ctx, "AAAA-BBBB-CCCC-DDDD"); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown code: err = %v", err)
			}
		})
	})
}

func TestSyncAudiences(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		now := date(2026, 5, 1)
		hire := date(2026, 5, 20)
		old := addPerson(t, d, person{email: "old@example.com", team: "Sales"})
		newHire := addPerson(t, d, person{email: "new@example.com", team: "Sales", hiredOn: &hire})
		mover := addPerson(t, d, person{email: "mover@example.com", team: "Sales"})
		leaver := addPerson(t, d, person{email: "leaver@example.com", team: "Sales"})
		support := addPerson(t, d, person{email: "support@example.com", team: "Support", role: "manager"})

		sales := folder(t, func(f map[string]string) {
			f["course.yaml"] = strings.Replace(f["course.yaml"], "everyone: true", "teams: [Sales]", 1)
		})
		if _, err := s.Import(ctx, sales, audit.Actor{Label: "test"}, now); err != nil {
			t.Fatal(err)
		}
		res := mustSync(t, s, now)
		if res.Opened != 4 {
			t.Errorf("opened %d cycles, want 4 (the Sales team)", res.Opened)
		}
		c, _ := s.Course(ctx, "basics")
		cy, err := s.CurrentCycle(ctx, newHire, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !cy.AssignedAt.Equal(hire) && cy.AssignedAt.Format(time.DateOnly) != "2026-05-20" {
			t.Errorf("new hire assigned %s, want their start date", cy.AssignedAt)
		}
		if got := cy.DueAt.Format(time.DateOnly); got != "2026-06-19" {
			t.Errorf("new hire due %s, want 30 days after the start date", got)
		}
		if _, err := s.CurrentCycle(ctx, support, c.ID); !errors.Is(err, ErrNotAssigned) {
			t.Errorf("Support got the Sales course: %v", err)
		}
		if again := mustSync(t, s, now); again != (SyncResult{}) {
			t.Errorf("a second sync changed %+v", again)
		}

		// The mover changes team, the leaver is deactivated.
		var supportTeam int64
		d.Get(&supportTeam, `SELECT id FROM teams WHERE name = 'Support'`)
		d.MustExec(d.Rebind(`UPDATE users SET team_id = ? WHERE id = ?`), supportTeam, mover)
		d.MustExec(d.Rebind(`UPDATE users SET active = FALSE WHERE id = ?`), leaver)
		res = mustSync(t, s, now.AddDate(0, 0, 1))
		if res.Closed != 2 || res.Opened != 0 {
			t.Errorf("sync after changes = %+v, want 2 closed", res)
		}
		for _, uid := range []int64{mover, leaver} {
			if _, err := s.CurrentCycle(ctx, uid, c.ID); !errors.Is(err, ErrNotAssigned) {
				t.Errorf("user %d still has a current cycle", uid)
			}
			cycles := cyclesOf(t, s, uid, c.ID)
			if len(cycles) != 1 || cycles[0].ClosedReason == "" {
				t.Errorf("user %d: closed cycle not kept with a reason: %+v", uid, cycles)
			}
		}
		if _, err := s.CurrentCycle(ctx, old, c.ID); err != nil {
			t.Errorf("old hand lost their cycle: %v", err)
		}

		// Exemptions need a reason and land in the audit log.
		if err := s.Exempt(ctx, old, "basics", "  ", audit.Actor{Label: "test"}, now); !errors.Is(err, ErrReasonRequired) {
			t.Errorf("exempt without reason: %v", err)
		}
		if err := s.Exempt(ctx, old, "basics", "service account", audit.Actor{ID: &support}, now); err != nil {
			t.Fatal(err)
		}
		cy, _ = s.CurrentCycle(ctx, old, c.ID)
		if cy.Status(now) != StatusExempt || cy.ExemptReason != "service account" || cy.ExemptBy == nil || *cy.ExemptBy != support {
			t.Errorf("exempt cycle = %+v", cy)
		}
		var audited int
		d.Get(&audited, `SELECT COUNT(*) FROM audit_log WHERE action = 'course.exempt' AND detail LIKE '%service account%'`)
		if audited != 1 {
			t.Errorf("exemption audit entries = %d, want 1", audited)
		}
	})
}

func TestSeedDemoSpreadsStatuses(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		var ids []int64
		for i := range 10 {
			ids = append(ids, addPerson(t, d, person{email: strings.Repeat("x", i+1) + "@example.com"}))
		}
		now := date(2026, 11, 28)
		if err := SeedDemo(ctx, s, now, ids); err != nil {
			t.Fatal(err)
		}
		counts := map[Status]int{}
		for _, id := range ids {
			as, err := s.MyCourses(ctx, id, now)
			if err != nil || len(as) != 1 {
				t.Fatalf("user %d courses %v %v", id, as, err)
			}
			counts[as[0].Status]++
		}
		for _, st := range []Status{StatusCompleted, StatusOverdue, StatusLapsed, StatusDueSoon, StatusNotStarted, StatusExempt} {
			if counts[st] == 0 {
				t.Errorf("no one is %s: %v", st, counts)
			}
		}
	})
}

// TestInvalidAnswersNameTheQuestionAsShown: with shuffling on, an error
// names the question by the number the quiz showed it with, not by its
// stored position.
func TestInvalidAnswersNameTheQuestionAsShown(t *testing.T) {
	ctx := context.Background()
	s, d := newTestStore(t)
	alice := addPerson(t, d, person{email: "alice@example.com"})
	now := date(2026, 4, 1)
	mustImport(t, s, basics, now)
	mustSync(t, s, now)
	q, err := s.StartAttempt(ctx, alice, "basics", 1, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Course(ctx, "basics")
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := c.Module(1)
	// Pick a seed that shows the stored first question elsewhere.
	seed := int64(1)
	for ; Shuffled(stored, seed).Questions[0].ID == stored.Questions[0].ID; seed++ {
	}
	if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE course_attempts SET seed = ? WHERE id = ?`), seed, q.Attempt.ID); err != nil {
		t.Fatal(err)
	}
	q, err = s.StartAttempt(ctx, alice, "basics", 1, now)
	if err != nil {
		t.Fatal(err)
	}
	first := q.Module.Questions[0]
	if first.ID == stored.Questions[0].ID {
		t.Fatal("the quiz did not show the seed's order")
	}
	answers := AnswerAll(&q.Module, true)
	delete(answers, first.ID)
	_, err = s.Submit(ctx, alice, q.Attempt.Token, answers, now)
	if want := "question 1 (" + fmt.Sprintf("%q", clip(first.Text)) + ") has no answer"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to contain %s", err, want)
	}
}
