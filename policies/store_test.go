package policies

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/mail"
)

var t0 = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

func storeOver(t testing.TB, d *db.DB) (*Store, *db.DB) {
	t.Helper()
	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(d, r), d
}

// eachDB runs a store test on SQLite, and on PostgreSQL when
// STEWARD_TEST_POSTGRES_URL names a server.
func eachDB(t *testing.T, fn func(t *testing.T, s *Store, d *db.DB)) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		s, _ := storeOver(t, d)
		fn(t, s, d)
	})
}

func addUser(t testing.TB, d *db.DB, email string, active bool, created time.Time) int64 {
	t.Helper()
	var id int64
	err := d.Get(&id, d.Rebind(`INSERT INTO users (email, name, role, active, created_at, updated_at)
		VALUES (?, ?, 'employee', ?, ?, ?) RETURNING id`), email, email, active, created, created)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// publishVersion publishes body through a draft, as an admin would.
func publishVersion(t testing.TB, s *Store, slug, body string, kind ChangeKind, effective, now time.Time) Version {
	t.Helper()
	ctx := context.Background()
	if _, err := s.SaveDraft(ctx, slug, DraftInput{Body: body, Summary: "change to " + slug, ChangeKind: kind}, audit.Actor{Label: "test"}, now); err != nil {
		t.Fatal(err)
	}
	approveDraft(t, s, slug, now)
	// Not a test of the notice period: a reason lets any change take
	// effect when the test says.
	v, _, err := s.Publish(ctx, slug, PublishInput{Kind: kind, Effective: effective, ShortNoticeReason: "a test"}, audit.Actor{Label: "test"}, now)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testAdmin returns the id of an active admin with the given email,
// adding them the first time.
func testAdmin(t testing.TB, d *db.DB, email string) int64 {
	t.Helper()
	var id int64
	if err := d.Get(&id, d.Rebind(`SELECT id FROM users WHERE email = ?`), email); err == nil {
		return id
	}
	if err := d.Get(&id, d.Rebind(`INSERT INTO users (email, name, role, active, created_at, updated_at)
		VALUES (?, ?, 'admin', TRUE, ?, ?) RETURNING id`), email, email, t0, t0); err != nil {
		t.Fatal(err)
	}
	return id
}

// approveDraft submits the policy's draft and has an admin who did not
// write it approve it: what four-eyes approval asks before publishing.
func approveDraft(t testing.TB, s *Store, slug string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := s.Submit(ctx, slug, audit.Actor{Label: "test"}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, slug, "", audit.UserActor(testAdmin(t, s.db, "approver@example.com")), now); err != nil {
		t.Fatal(err)
	}
}

// approveFile writes the file as its policy's draft and approves it, so
// that PublishFile publishes it.
func approveFile(t testing.TB, s *Store, f File, now time.Time) {
	t.Helper()
	if _, _, err := s.DraftFile(context.Background(), f, audit.Actor{Label: "test"}, now); err != nil {
		t.Fatal(err)
	}
	approveDraft(t, s, f.Settings.Slug, now)
}

func mustCreate(t testing.TB, s *Store, st Settings) Policy {
	t.Helper()
	p, err := s.CreatePolicy(context.Background(), st, t0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishedVersionsCannotChange(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		v1 := publishVersion(t, s, "privacy", "# Privacy\n\nWe keep little.", Material, time.Time{}, t0)
		if v1.Number != 1 || v1.Draft || v1.SHA256 != Hash(v1.BodyMD) || !v1.EffectiveAt.Equal(t0) {
			t.Fatalf("published %+v", v1)
		}

		if err := s.DeleteDraft(ctx, v1.ID); !errors.Is(err, ErrPublished) {
			t.Errorf("store DeleteDraft on a published version: %v, want ErrPublished", err)
		}
		for _, q := range []string{
			`UPDATE policy_versions SET body_md = 'tampered' WHERE id = ?`,
			`UPDATE policy_versions SET status = 'draft' WHERE id = ?`,
			`UPDATE policy_versions SET effective_at = effective_at WHERE id = ?`,
			`DELETE FROM policy_versions WHERE id = ?`,
		} {
			if _, err := d.Exec(d.Rebind(q), v1.ID); err == nil || !strings.Contains(err.Error(), "immutable") {
				t.Errorf("%s: %v, want the trigger to refuse", q, err)
			}
		}
		var body string
		if err := d.Get(&body, d.Rebind(`SELECT body_md FROM policy_versions WHERE id = ?`), v1.ID); err != nil || body != v1.BodyMD {
			t.Errorf("body after refused writes = %q, %v", body, err)
		}

		// Editing writes a new draft beside the published version; there is only one.
		d1, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "# Privacy\n\nWe keep little more.", Summary: "more", ChangeKind: Minor}, audit.Actor{Label: "test"}, t0)
		if err != nil || !d1.Draft || d1.ID == v1.ID {
			t.Fatalf("SaveDraft = %+v, %v", d1, err)
		}
		if _, err := d.Exec(d.Rebind(`INSERT INTO policy_versions (policy_id, status, created_at, updated_at) VALUES (?, 'draft', ?, ?)`),
			v1.PolicyID, t0, t0); err == nil {
			t.Error("the database accepted a second draft for one policy")
		}
		d2, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "# Privacy\n\nWe keep less.", Summary: "less", ChangeKind: Minor}, audit.Actor{Label: "test"}, t0)
		if err != nil || d2.ID != d1.ID || d2.Summary != "less" {
			t.Errorf("second SaveDraft = %+v, %v; want the same draft %d", d2, err, d1.ID)
		}
		approveDraft(t, s, "privacy", t0)
		v2, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Minor}, audit.Actor{Label: "test"}, t0.Add(time.Hour))
		if err != nil || v2.Number != 2 || v2.ChangeKind != Minor {
			t.Fatalf("publish v2 = %+v, %v", v2, err)
		}
		if _, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Minor}, audit.Actor{Label: "test"}, t0); !errors.Is(err, ErrNoDraft) {
			t.Errorf("publish without a draft: %v, want ErrNoDraft", err)
		}

		var actions []string
		if err := d.Select(&actions, `SELECT target FROM audit_log WHERE action = 'policy.publish' ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if strings.Join(actions, ",") != "policy:privacy/v1,policy:privacy/v2" {
			t.Errorf("audit publications = %v", actions)
		}
		// Two publications, each submitted and approved first.
		if n, err := audit.Verify(ctx, d); err != nil || n != 6 {
			t.Errorf("audit chain: %d entries, %v", n, err)
		}
	})
}

func TestDraftValidation(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		cases := []struct {
			name  string
			in    DraftInput
			field string
		}{
			{"empty body", DraftInput{Body: "  \n", Summary: "s", ChangeKind: Minor}, "body"},
			{"no summary", DraftInput{Body: "text", ChangeKind: Minor}, "summary"},
			{"bad kind", DraftInput{Body: "text", Summary: "s", ChangeKind: "huge"}, "change"},
			{"too long", DraftInput{Body: strings.Repeat("a", MaxBody+1), Summary: "s", ChangeKind: Minor}, "body"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.SaveDraft(ctx, "privacy", c.in, audit.Actor{Label: "test"}, t0)
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.Fields[c.field] == "" {
					t.Fatalf("SaveDraft = %v, want a message for %s", err, c.field)
				}
			})
		}
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM policy_versions`); err != nil || n != 0 {
			t.Errorf("%d versions written by invalid drafts", n)
		}
		for _, st := range []Settings{
			{Slug: "Privacy Policy", Title: "x", Audience: Public},
			{Slug: "ok", Title: "", Audience: Public},
			{Slug: "ok", Title: "x", Audience: "everyone"},
			{Slug: "ok", Title: "x", Audience: Public, RequiresAck: true, AckWithinDays: 14},
			{Slug: "ok", Title: "x", Audience: Staff, RequiresAck: true},
		} {
			if _, err := s.CreatePolicy(ctx, st, t0); err == nil {
				t.Errorf("CreatePolicy(%+v) accepted", st)
			}
		}
		if _, err := s.CreatePolicy(ctx, Settings{Slug: "privacy", Title: "Again", Audience: Public}, t0); !errors.Is(err, ErrSlugTaken) {
			t.Errorf("duplicate slug: %v", err)
		}
	})
}

func TestVersionInEffectAcrossTime(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		jan, mar, jun := t0, t0.AddDate(0, 2, 0), t0.AddDate(0, 5, 0)
		publishVersion(t, s, "privacy", "one", Material, jan, jan)
		publishVersion(t, s, "privacy", "two", Minor, mar, jan.Add(time.Hour))
		// v3 is published in April to take effect in June: scheduled until then.
		publishVersion(t, s, "privacy", "three", Material, jun, jun.AddDate(0, 0, -30))

		tl, err := s.Timeline(ctx, "privacy")
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name     string
			now      time.Time
			inEffect int // 0: none
			next     int // 0: none scheduled
		}{
			{"before the first", jan.Add(-time.Second), 0, 1},
			{"the first moment", jan, 1, 2},
			{"between", mar.Add(-time.Nanosecond), 1, 2},
			{"v2 takes effect", mar, 2, 3},
			{"v3 still scheduled", jun.Add(-time.Minute), 2, 3},
			{"v3 takes effect without a job", jun, 3, 0},
			{"long after", jun.AddDate(3, 0, 0), 3, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				v, ok := tl.InEffect(c.now)
				if got := map[bool]int{true: v.Number, false: 0}[ok]; got != c.inEffect {
					t.Errorf("in effect = %d, want %d", got, c.inEffect)
				}
				n, ok := tl.Next(c.now)
				if got := map[bool]int{true: n.Number, false: 0}[ok]; got != c.next {
					t.Errorf("next = %d, want %d", got, c.next)
				}
				for _, v := range tl.Versions {
					want := StatusSuperseded
					switch {
					case v.Number == c.inEffect:
						want = StatusInEffect
					case v.Number > c.inEffect:
						want = StatusScheduled
					}
					if got := tl.StatusOf(v, c.now); got != want {
						t.Errorf("v%d is %s, want %s", v.Number, got, want)
					}
				}
			})
		}

		// A version may not take effect before the latest published one.
		_, err = s.SaveDraft(ctx, "privacy", DraftInput{Body: "four", Summary: "s", ChangeKind: Minor}, audit.Actor{Label: "test"}, jun)
		if err != nil {
			t.Fatal(err)
		}
		approveDraft(t, s, "privacy", mar)
		_, _, err = s.Publish(ctx, "privacy", PublishInput{Kind: Minor, Effective: mar}, audit.Actor{Label: "test"}, mar)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields["effective"] == "" {
			t.Errorf("publish effective before v3: %v", err)
		}
		if _, err := s.Timeline(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown slug: %v", err)
		}
	})
}

func TestTimelineSeesPublicationAtOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		publishVersion(t, s, "privacy", "one", Material, t0, t0)
		if tl, err := s.Timeline(ctx, "privacy"); err != nil || len(tl.Versions) != 1 {
			t.Fatalf("timeline %v %v", tl, err)
		}
		publishVersion(t, s, "privacy", "two", Material, t0.Add(time.Hour), t0.Add(time.Hour))
		tl, err := s.Timeline(ctx, "privacy")
		if err != nil || len(tl.Versions) != 2 {
			t.Fatalf("after a second publication the cached timeline has %d versions, %v", len(tl.Versions), err)
		}
	})
}

// Another instance's publication reaches this one when its cached timeline
// expires; until then this one serves what it had.
func TestTimelineFromAnotherInstance(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		other := NewStore(d, s.mail)
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		publishVersion(t, s, "privacy", "one", Material, t0, t0)
		if tl, err := s.Timeline(ctx, "privacy"); err != nil || len(tl.Versions) != 1 {
			t.Fatalf("timeline: %v", err)
		}
		publishVersion(t, other, "privacy", "two", Material, t0.Add(time.Hour), t0.Add(time.Hour))
		if tl, _ := s.Timeline(ctx, "privacy"); len(tl.Versions) != 1 {
			t.Errorf("within its lifetime the cached timeline should be served: %d versions", len(tl.Versions))
		}
		s.mu.Lock() // let the cached entry's lifetime run out
		e := s.timelines["privacy"]
		e.expires = time.Time{}
		s.timelines["privacy"] = e
		s.mu.Unlock()
		if tl, _ := s.Timeline(ctx, "privacy"); len(tl.Versions) != 2 {
			t.Errorf("after expiry: %d versions, want 2", len(tl.Versions))
		}
	})
}

// TestNeedsAckSQLAgreesWithNeedsAck: the SQL form of the rule selects
// exactly the policies the Go form says need acknowledging.
func TestNeedsAckSQLAgreesWithNeedsAck(t *testing.T) {
	ctx := context.Background()
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		for i, p := range []struct {
			audience Audience
			ack      bool
		}{{Staff, true}, {Staff, false}, {Public, true}, {Public, false}} {
			if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO policies (slug, title, audience, requires_ack, ack_within_days,
				reack_months, created_at, updated_at) VALUES (?, ?, ?, ?, 14, 0, ?, ?)`),
				"p"+strconv.Itoa(i), "P", p.audience, p.ack, t0, t0); err != nil {
				t.Fatal(err)
			}
		}
		var all []Policy
		if err := d.SelectContext(ctx, &all, `SELECT `+policyCols+` FROM policies`); err != nil {
			t.Fatal(err)
		}
		var picked []string
		if err := d.SelectContext(ctx, &picked, `SELECT p.slug FROM policies p WHERE `+NeedsAckSQL("p")+` ORDER BY p.slug`); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, p := range all {
			if p.NeedsAck() {
				want = append(want, p.Slug)
			}
		}
		if strings.Join(picked, ",") != strings.Join(want, ",") || len(want) != 1 {
			t.Errorf("SQL picks %v, Go %v", picked, want)
		}
	})
}
