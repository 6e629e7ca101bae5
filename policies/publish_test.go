package policies

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
)

// subscribe confirms a subscription for each address.
func subscribe(t *testing.T, s *Store, d *db.DB, now time.Time, emails ...string) {
	t.Helper()
	ctx := context.Background()
	for _, e := range emails {
		if err := s.Subscribe(ctx, e, now); err != nil {
			t.Fatal(err)
		}
		var token string
		if err := d.Get(&token, d.Rebind(`SELECT token FROM policy_subscriptions WHERE email = ?`), e); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Confirm(ctx, token, now); err != nil {
			t.Fatal(err)
		}
	}
}

func fieldErr(err error, field string) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Fields[field]
	}
	return ""
}

// TestPublishPlanPublicPolicy: the plan of a public policy counts the
// subscribers emailed and the feed entries, holds a material change to
// the notice period unless a reason is given, and Publish does what the
// plan said: as many notices in the outbox, the reason on the version and
// in the audit log.
func TestPublishPlanPublicPolicy(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 4, 14, 15, 30, 0, 0, time.UTC)
		p := mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		publishVersion(t, s, "privacy", "# Privacy\n\nWe keep little.", Material, now.AddDate(0, -2, 0), now.AddDate(0, -2, 0))
		subscribe(t, s, d, now.AddDate(0, -1, 0), "ann@example.com", "bo@example.com", "cy@example.com")
		if err := s.Subscribe(ctx, "unconfirmed@example.com", now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "# Privacy\n\nWe keep less.", Summary: "Less kept.", ChangeKind: Minor}, audit.Actor{Label: "test"}, now); err != nil {
			t.Fatal(err)
		}
		approveDraft(t, s, "privacy", now)

		// Nothing is assumed about the kind.
		if _, err := s.PlanPublish(ctx, "privacy", PublishInput{}, now); fieldErr(err, "change") == "" {
			t.Errorf("plan without a kind = %v, want a change error", err)
		}
		// Material, now, no reason: refused, naming the first allowed day
		// (the start of the day 30 days on).
		_, err := s.PlanPublish(ctx, "privacy", PublishInput{Kind: Material}, now)
		if msg := fieldErr(err, "effective"); !strings.Contains(msg, "30 days' notice") || !strings.Contains(msg, "2026-05-14") {
			t.Fatalf("material change at once without a reason = %v", err)
		}
		if _, err := s.PlanPublish(ctx, "privacy", PublishInput{Kind: Material, Effective: time.Date(2026, 5, 14, 0, 0, 0, 0, time.UTC)}, now); err != nil {
			t.Errorf("material change on the first day the notice allows: %v", err)
		}
		if _, err := s.PlanPublish(ctx, "privacy", PublishInput{Kind: Minor, Effective: now.Add(-time.Minute)}, now); !strings.Contains(fieldErr(err, "effective"), "in the past") {
			t.Errorf("a past date = %v", err)
		}
		long := strings.Repeat("é", MaxShortNoticeReason+1)
		if _, err := s.PlanPublish(ctx, "privacy", PublishInput{Kind: Material, ShortNoticeReason: long}, now); fieldErr(err, "reason") == "" {
			t.Errorf("an over-long reason = %v", err)
		}
		if _, err := s.PlanPublish(ctx, "privacy", PublishInput{Kind: Material, ShortNoticeReason: "bell\a"}, now); fieldErr(err, "reason") == "" {
			t.Errorf("a reason with a control character = %v", err)
		}

		// A minor change: no email, no notice owed, a reason is not kept.
		minor, err := s.PlanPublish(ctx, "privacy", PublishInput{Kind: Minor, ShortNoticeReason: "not needed"}, now)
		if err != nil || minor.Subscribers != 0 || minor.NoticeOwed || minor.ShortNoticeReason != "" || minor.Number != 2 || len(minor.FeedEntries) != 1 {
			t.Errorf("minor plan = %+v, %v", minor, err)
		}

		reason := "A court ruling <b>requires</b> it from today."
		in := PublishInput{Kind: Material, ShortNoticeReason: "  " + reason + "\n"}
		plan, err := s.PlanPublish(ctx, "privacy", in, now)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Subscribers != 3 || plan.Number != 2 || !plan.NoticeOwed || plan.ShortNoticeReason != reason || plan.Scheduled() ||
			!plan.Effective.Equal(now) || plan.StaffToAck != 0 {
			t.Errorf("plan = %+v", plan)
		}
		if len(plan.FeedEntries) != 1 || plan.FeedEntries[0].Title != "Privacy policy: version 2" ||
			plan.FeedEntries[0].ID != "tag:steward,"+p.CreatedAt.Format("2006-01-02")+":policy/privacy/v/2" ||
			len(plan.FeedEntries[0].Feeds) != 2 || plan.FeedEntries[0].Feeds[1] != "/policies/privacy/feed.atom" {
			t.Errorf("feed entries = %+v", plan.FeedEntries)
		}

		v, done, err := s.Publish(ctx, "privacy", in, audit.Actor{Label: "test"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if v.ShortNoticeReason != reason || v.ChangeKind != Material || done.Subscribers != plan.Subscribers {
			t.Errorf("published %+v with plan %+v", v, done)
		}
		var to []string
		if err := d.Select(&to, `SELECT recipient FROM outbox WHERE kind = 'policy_notice' ORDER BY recipient`); err != nil {
			t.Fatal(err)
		}
		if strings.Join(to, " ") != "ann@example.com bo@example.com cy@example.com" {
			t.Errorf("notices to %v, want the 3 confirmed subscribers the plan counted", to)
		}
		var detail string
		if err := d.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'policy.publish' ORDER BY id DESC LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(detail, "material change") || !strings.Contains(detail, "effective 2026-04-14T15:30:00Z") ||
			!strings.Contains(detail, "shorter notice than 30 days: "+reason) {
			t.Errorf("audit detail = %q", detail)
		}
		tl, err := s.Timeline(ctx, "privacy")
		if err != nil || tl.Versions[1].ShortNoticeReason != reason {
			t.Errorf("timeline keeps the reason? %+v %v", tl.Versions, err)
		}
	})
}

// TestPublishPlanNoticeDays: the notice period follows the setting.
func TestPublishPlanNoticeDays(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 4, 14, 15, 30, 0, 0, time.UTC)
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		publishVersion(t, s, "privacy", "# One", Material, now.AddDate(0, -2, 0), now.AddDate(0, -2, 0))
		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "# Two", Summary: "Two.", ChangeKind: Material}, audit.Actor{Label: "test"}, now); err != nil {
			t.Fatal(err)
		}
		approveDraft(t, s, "privacy", now)
		s.SetNoticeDays(7)
		in := PublishInput{Kind: Material, Effective: time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC)}
		if _, err := s.PlanPublish(ctx, "privacy", in, now); !strings.Contains(fieldErr(err, "effective"), "choose 2026-04-21 or later") {
			t.Errorf("6 days' notice with 7 owed = %v", err)
		}
		in.Effective = in.Effective.AddDate(0, 0, 1)
		if plan, err := s.PlanPublish(ctx, "privacy", in, now); err != nil || !plan.Scheduled() || plan.ShortNotice() {
			t.Errorf("7 days' notice = %+v, %v", plan, err)
		}
		s.SetNoticeDays(0)
		if _, err := s.PlanPublish(ctx, "privacy", PublishInput{Kind: Material}, now); err != nil {
			t.Errorf("no notice period, material at once: %v", err)
		}
	})
}

// TestPublishPlanStaffPolicy: the plan counts, by the acknowledgement
// rule at the moment the version takes effect, who must acknowledge it
// and by when; a minor change asks nobody.
func TestPublishPlanStaffPolicy(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 4, 14, 15, 30, 0, 0, time.UTC)
		mustCreate(t, s, Settings{Slug: "conduct", Title: "Code of conduct", Audience: Staff, RequiresAck: true, AckWithinDays: 14})
		publishVersion(t, s, "conduct", "# One", Material, now.AddDate(0, -2, 0), now.AddDate(0, -2, 0))
		addUser(t, d, "ann@example.com", true, now.AddDate(-1, 0, 0))
		addUser(t, d, "bo@example.com", true, now.AddDate(-1, 0, 0))
		addUser(t, d, "gone@example.com", false, now.AddDate(-1, 0, 0))
		if _, err := s.SaveDraft(ctx, "conduct", DraftInput{Body: "# Two", Summary: "Two.", ChangeKind: Material}, audit.Actor{Label: "test"}, now); err != nil {
			t.Fatal(err)
		}
		approveDraft(t, s, "conduct", now)
		effective := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		plan, err := s.PlanPublish(ctx, "conduct", PublishInput{Kind: Material, Effective: effective}, now)
		if err != nil {
			t.Fatal(err)
		}
		due := time.Date(2026, 5, 15, 9, 0, 0, 0, time.UTC)
		// ann, bo and the admin who approved the draft; not the one who left.
		if plan.StaffToAck != 3 || !plan.AckDue.Equal(due) || plan.AckDueVaries() || plan.Subscribers != 0 || len(plan.FeedEntries) != 0 || plan.NoticeOwed {
			t.Errorf("material staff plan = %+v", plan)
		}
		minor, err := s.PlanPublish(ctx, "conduct", PublishInput{Kind: Minor, Effective: effective}, now)
		if err != nil || minor.StaffToAck != 0 {
			t.Errorf("minor staff plan = %+v, %v", minor, err)
		}
		// Nothing was written by planning.
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM policy_versions WHERE status = 'published'`); err != nil || n != 1 {
			t.Errorf("%d published versions after planning, want 1", n)
		}
	})
}
