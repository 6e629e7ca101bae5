package reminders

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/policies"
)

// TestReviewRemindersOncePerStage: the owner of a policy hears 30 days
// before its review falls due and once it is overdue, once each however
// often the sweep runs; a review recorded starts the next period.
func TestReviewRemindersOncePerStage(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := orgOn(t, d)
		ctx := context.Background()
		published := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		o.policy(1, "conduct", 14, published)
		o.publish(1, 1, "material", published)
		o.exec(`INSERT INTO users (id, email, name, role, active, created_at, updated_at)
			VALUES (900, 'owner@example.com', 'Olu Owner', 'admin', TRUE, ?, ?)`, published, published)
		ps := policies.NewStore(d, o.s.Mail)
		owner := int64(900)
		if err := ps.SetGovernance(ctx, "conduct", policies.GovernanceInput{OwnerID: &owner, ReviewMonths: 12}, audit.System, published); err != nil {
			t.Fatal(err)
		}
		reviewMails := func() []string {
			t.Helper()
			var subjects []string
			if err := d.Select(&subjects, d.Rebind(`SELECT subject FROM outbox WHERE kind = ? AND recipient = 'owner@example.com' ORDER BY id`), KindPolicyReview); err != nil {
				t.Fatal(err)
			}
			return subjects
		}
		// Due 10 March 2027: nothing 31 days before, one reminder from 30
		// days before, not repeated.
		o.sweep(time.Date(2027, 2, 7, 8, 0, 0, 0, time.UTC))
		if got := reviewMails(); len(got) != 0 {
			t.Fatalf("31 days before: %v", got)
		}
		if p := o.sweep(time.Date(2027, 2, 8, 10, 0, 0, 0, time.UTC)); p.Reviews != 1 {
			t.Errorf("30 days before: plan counted %d review reminders", p.Reviews)
		}
		o.sweep(time.Date(2027, 2, 20, 8, 0, 0, 0, time.UTC))
		if got := reviewMails(); len(got) != 1 || got[0] != "Review Policy conduct by 10 March 2027" {
			t.Fatalf("in the window: %q", got)
		}
		// Overdue: one more, then nothing however many sweeps follow.
		for _, day := range []int{11, 12, 20} {
			o.sweep(time.Date(2027, 3, day, 8, 0, 0, 0, time.UTC))
		}
		if got := reviewMails(); len(got) != 2 || got[1] != "Overdue: review Policy conduct" {
			t.Fatalf("overdue: %q", got)
		}
		var text string
		if err := d.Get(&text, d.Rebind(`SELECT body_text FROM outbox WHERE kind = ? ORDER BY id DESC LIMIT 1`), KindPolicyReview); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "Hello Olu Owner") || !strings.Contains(text, "due on 10 March 2027 and is overdue") ||
			!strings.Contains(text, "https://steward.example.com/admin/policies/conduct/governance") {
			t.Errorf("overdue text:\n%s", text)
		}
		// Reviewed, no change: the next period starts, and its window
		// brings one reminder again.
		if err := ps.RecordReview(ctx, "conduct", "", audit.UserActor(owner), time.Date(2027, 3, 21, 9, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		o.sweep(time.Date(2027, 3, 22, 8, 0, 0, 0, time.UTC))
		o.sweep(time.Date(2028, 2, 25, 8, 0, 0, 0, time.UTC))
		if got := reviewMails(); len(got) != 3 || got[2] != "Review Policy conduct by 21 March 2028" {
			t.Fatalf("next period: %q", got)
		}
		// An owner who has left hears nothing.
		o.exec(`UPDATE users SET active = FALSE WHERE id = 900`)
		o.sweep(time.Date(2028, 3, 25, 8, 0, 0, 0, time.UTC))
		if got := reviewMails(); len(got) != 3 {
			t.Errorf("an inactive owner was reminded: %q", got)
		}
	})
}
