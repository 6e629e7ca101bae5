package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/demo"
)

// evidenceJSON exports the evidence as of day and returns its rows.
func evidenceJSON(t *testing.T, s *Store, day string) []EvidenceRow {
	t.Helper()
	at, err := ParseAsOf(day, testNow)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := s.Evidence(context.Background(), &b, FormatJSON, EvidenceMeta{AsOf: at, GeneratedAt: testNow, GeneratedBy: "test"}, testNow); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Rows []EvidenceRow `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out.Rows
}

// The evidence for a past day on the demo organisation, checked against
// the table rows themselves: everyone hired by the day and not yet gone is
// there (whenever their row was inserted: the demo loads people today
// with a backdated history); every acknowledgement and completion made by
// the day appears with the status it had then; one made later does not
// count. The demo's own history is checked to be consistent too.
func TestEvidenceInThePastFollowsTheRecords(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := demo.Seed(ctx, d, testNow, demo.Options{BcryptCost: bcrypt.MinCost}); err != nil {
			t.Fatal(err)
		}
		const retentionDays = 365
		s := New(d, 5, retentionDays)

		var users []struct {
			ID      int64      `db:"id"`
			Email   string     `db:"email"`
			HiredOn *time.Time `db:"hired_on"`
			Created time.Time  `db:"created_at"`
			Left    *time.Time `db:"deactivated_at"`
		}
		if err := d.Select(&users, `SELECT id, email, hired_on, created_at, deactivated_at FROM users`); err != nil {
			t.Fatal(err)
		}
		var acks []struct {
			UserID int64     `db:"user_id"`
			Title  string    `db:"title"`
			Number int       `db:"number"`
			At     time.Time `db:"acknowledged_at"`
		}
		if err := d.Select(&acks, `SELECT a.user_id, p.title, v.number, a.acknowledged_at
			FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id JOIN policies p ON p.id = v.policy_id
			ORDER BY a.acknowledged_at`); err != nil {
			t.Fatal(err)
		}
		var versions []struct {
			Title     string    `db:"title"`
			Number    int       `db:"number"`
			Kind      string    `db:"change_kind"`
			Effective time.Time `db:"effective_at"`
			Reack     int       `db:"reack_months"`
		}
		if err := d.Select(&versions, `SELECT p.title, v.number, v.change_kind, v.effective_at, p.reack_months
			FROM policy_versions v JOIN policies p ON p.id = v.policy_id
			WHERE v.status = 'published' AND p.audience = 'staff' AND p.requires_ack = TRUE`); err != nil {
			t.Fatal(err)
		}
		var cycles []struct {
			UserID    int64      `db:"user_id"`
			Title     string     `db:"title"`
			Assigned  time.Time  `db:"assigned_at"`
			Completed *time.Time `db:"completed_at"`
			Expires   *time.Time `db:"expires_at"`
			Exempt    bool       `db:"exempt"`
			ExemptAt  *time.Time `db:"exempt_at"`
			Closed    *time.Time `db:"closed_at"`
		}
		if err := d.Select(&cycles, `SELECT c.user_id, k.title, c.assigned_at, c.completed_at, c.expires_at,
				c.exempt, c.exempt_at, c.closed_at
			FROM course_cycles c JOIN courses k ON k.id = c.course_id`); err != nil {
			t.Fatal(err)
		}
		if len(acks) == 0 || len(cycles) == 0 {
			t.Fatalf("the demo has %d acknowledgements and %d cycles", len(acks), len(cycles))
		}

		email := map[int64]string{}
		hired := map[int64]time.Time{}
		left := map[int64]time.Time{}
		for _, u := range users {
			email[u.ID] = u.Email
			if u.HiredOn != nil {
				hired[u.ID] = *u.HiredOn
			}
			if u.Left != nil {
				left[u.ID] = *u.Left
			}
		}
		// The demo is consistent with itself: no record before a hire date
		// or after leaving.
		after := func(id int64, at time.Time) bool { l, ok := left[id]; return ok && at.After(l) }
		for _, a := range acks {
			if a.At.Before(hired[a.UserID]) || after(a.UserID, a.At) {
				t.Errorf("demo: %s acknowledged %s on %s, hired on %s, left %s", email[a.UserID], a.Title, a.At, hired[a.UserID], left[a.UserID])
			}
		}
		for _, c := range cycles {
			if c.Assigned.Before(hired[c.UserID]) || after(c.UserID, c.Assigned) || (c.Completed != nil && after(c.UserID, *c.Completed)) {
				t.Errorf("demo: %s was assigned %s on %s, hired on %s, left %s", email[c.UserID], c.Title, c.Assigned, hired[c.UserID], left[c.UserID])
			}
		}
		if len(left) == 0 {
			t.Error("nobody has left the demo: the test does not cover leavers")
		}

		retained := testNow.AddDate(0, 0, -retentionDays)
		laterNotDone := 0
		days := []string{
			"2026-03-15", // some of the staff policy's acknowledgements made, some not yet
			"2026-06-30", // the day of the issue
			testNow.AddDate(0, 0, -410).Format(time.DateOnly), // the oldest cycles assigned, none completed
			"2024-06-30", // before any record
		}
		for _, day := range days {
			at, _ := ParseAsOf(day, testNow)
			counted := map[int64]bool{}
			for _, u := range users {
				if (u.HiredOn == nil || !u.HiredOn.After(at)) && (u.Left == nil || (u.Left.After(at) && u.Left.After(retained))) {
					counted[u.ID] = true
				}
			}
			type key struct{ email, typ, req string }
			got := map[key]EvidenceRow{}
			for _, r := range evidenceJSON(t, s, day) {
				k := key{r.Email, r.Type, r.Requirement}
				if _, dup := got[k]; dup {
					t.Errorf("%s: two rows for %v", day, k)
				}
				got[k] = r
			}

			want := 0
			inEffect := map[string]bool{}
			for _, v := range versions {
				if !v.Effective.After(at) {
					inEffect[v.Title] = true
				}
			}
			want += len(inEffect) * len(counted)
			for _, c := range cycles {
				if !counted[c.UserID] || c.Assigned.After(at) || (c.Closed != nil && !c.Closed.After(at)) {
					continue
				}
				want++
				r, ok := got[key{email[c.UserID], "course", c.Title}]
				switch {
				case !ok:
					t.Errorf("%s: no row for %s's cycle of %s", day, email[c.UserID], c.Title)
				case c.Exempt && c.ExemptAt != nil && !c.ExemptAt.After(at):
					if r.Status != "exempt" {
						t.Errorf("%s: %s was exempt from %s, the row says %q", day, email[c.UserID], c.Title, r.Status)
					}
				case c.Completed != nil && !c.Completed.After(at):
					status := "completed"
					if c.Expires != nil && !c.Expires.After(at) {
						status = "lapsed"
					}
					if r.Status != status || r.Done != c.Completed.UTC().Format(time.RFC3339) {
						t.Errorf("%s: %s completed %s on %s (%s then), the row says %q done %q", day, email[c.UserID], c.Title, c.Completed, status, r.Status, r.Done)
					}
				default:
					if c.Completed != nil {
						laterNotDone++
					}
					if r.Status == "completed" || r.Status == "lapsed" || r.Done != "" || r.Score != "" {
						t.Errorf("%s: %s had not completed %s yet, the row says %q done %q", day, email[c.UserID], c.Title, r.Status, r.Done)
					}
				}
			}
			// The latest acknowledgement by the day, per person and policy.
			type pk struct {
				user  int64
				title string
			}
			last := map[pk]int{}
			for i, a := range acks {
				if !a.At.After(at) {
					last[pk{a.UserID, a.Title}] = i
				}
			}
			for _, a := range acks {
				k := pk{a.UserID, a.Title}
				r, ok := got[key{email[a.UserID], "policy", a.Title}]
				if !counted[a.UserID] || !inEffect[a.Title] {
					continue
				}
				if !ok {
					t.Errorf("%s: no row for %s and %s", day, email[a.UserID], a.Title)
					continue
				}
				i, made := last[k]
				if !made {
					if r.Status == "acknowledged" || r.Done != "" {
						t.Errorf("%s: %s acknowledged %s only on %s, the row says %q done %q", day, email[a.UserID], a.Title, a.At, r.Status, r.Done)
					}
					continue
				}
				l := acks[i]
				status := "acknowledged"
				for _, v := range versions {
					if v.Title == l.Title && (v.Reack != 0 || (v.Kind == "material" && v.Number > l.Number && !v.Effective.After(at))) {
						status = "" // a later material version or a renewal: not checked here
					}
				}
				if r.Done != l.At.UTC().Format(time.RFC3339) || (status != "" && r.Status != status) {
					t.Errorf("%s: %s acknowledged %s on %s, the row says %q done %q", day, email[l.UserID], l.Title, l.At, r.Status, r.Done)
				}
			}
			if len(got) != want {
				t.Errorf("%s: %d rows, the records make %d (%d people there, %d policies in effect)", day, len(got), want, len(counted), len(inEffect))
			}
			t.Logf("%s: %d rows, %d people", day, len(got), len(counted))
		}
		if laterNotDone == 0 {
			t.Error("no cycle was completed after one of the days: the test does not cover it")
		}
	})
}
