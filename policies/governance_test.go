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

func countRows(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Get(&n, d.Rebind(query), args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func auditActions(t *testing.T, d *db.DB) []string {
	t.Helper()
	var out []string
	if err := d.Select(&out, `SELECT action FROM audit_log ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFourEyesApproval(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy", Audience: Public})
		alice := audit.UserActor(testAdmin(t, d, "alice@example.com"))
		bob := audit.UserActor(testAdmin(t, d, "bob@example.com"))
		emp := audit.UserActor(addUser(t, d, "eve@example.com", true, t0))
		draft := DraftInput{Body: "# Privacy\n\nWe keep little.", Summary: "First", ChangeKind: Material}
		if _, err := s.SaveDraft(ctx, "privacy", draft, alice, t0); err != nil {
			t.Fatal(err)
		}

		// Unapproved: refused, and nothing is published, queued or logged.
		before := countRows(t, d, `SELECT COUNT(*) FROM audit_log`)
		if _, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Material, ShortNoticeReason: "a test of approvals"}, alice, t0); !errors.Is(err, ErrNotApproved) {
			t.Fatalf("publish unapproved = %v, want ErrNotApproved", err)
		}
		if n := countRows(t, d, `SELECT COUNT(*) FROM policy_versions WHERE status = 'published'`); n != 0 {
			t.Errorf("%d published versions after a refused publication", n)
		}
		if n := countRows(t, d, `SELECT COUNT(*) FROM audit_log`); n != before {
			t.Errorf("audit log grew from %d to %d on a refused publication", before, n)
		}
		if n := countRows(t, d, `SELECT COUNT(*) FROM webhook_deliveries`); n != 0 {
			t.Errorf("%d webhook deliveries queued for a refused publication", n)
		}

		// Approving needs a submission first, and not by the author.
		if err := s.Approve(ctx, "privacy", "", bob, t0); !errors.Is(err, ErrNotSubmitted) {
			t.Errorf("approve before submission = %v", err)
		}
		if err := s.Submit(ctx, "privacy", alice, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, "privacy", alice, t0); !errors.Is(err, ErrAlreadySubmitted) {
			t.Errorf("second submission = %v", err)
		}
		if err := s.Approve(ctx, "privacy", "", alice, t0); !errors.Is(err, ErrOwnDraft) {
			t.Errorf("author approving own draft = %v, want ErrOwnDraft", err)
		}
		if err := s.Approve(ctx, "privacy", "", emp, t0); !errors.Is(err, ErrNotApprover) {
			t.Errorf("an employee approving = %v, want ErrNotApprover", err)
		}
		if err := s.Approve(ctx, "privacy", "Reads well.", bob, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, _, st, err := s.DraftApprovalOf(ctx, "privacy")
		if err != nil || st.State != ApprovalApproved || st.Last.ActorEmail != "bob@example.com" {
			t.Fatalf("after approval: %+v, %v", st, err)
		}

		// Saving the same content keeps the approval; a change voids it.
		if _, err := s.SaveDraft(ctx, "privacy", draft, bob, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, st, _ := s.DraftApprovalOf(ctx, "privacy"); st.State != ApprovalApproved || *st.AuthorID != *alice.ID {
			t.Errorf("saving identical content: state %s, author %v", st.State, st.AuthorID)
		}
		changed := draft
		changed.Body += "\n\nAnd one more thing."
		if _, err := s.SaveDraft(ctx, "privacy", changed, alice, t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, st, _ := s.DraftApprovalOf(ctx, "privacy"); st.State != ApprovalDraft {
			t.Errorf("edited after approval: state %s, want draft", st.State)
		}
		if _, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Material, ShortNoticeReason: "a test of approvals"}, bob, t0.Add(4*time.Minute)); !errors.Is(err, ErrNotApproved) {
			t.Fatalf("publish after an edit = %v, want ErrNotApproved", err)
		}

		// Sent back with a comment (required), then approved and published.
		if err := s.Submit(ctx, "privacy", alice, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		var ve *ValidationError
		if err := s.Reject(ctx, "privacy", "  ", bob, t0); !errors.As(err, &ve) || ve.Fields["comment"] == "" {
			t.Errorf("reject without a comment = %v", err)
		}
		if err := s.Reject(ctx, "privacy", "Say how long we keep logs.", bob, t0.Add(6*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, st, _ := s.DraftApprovalOf(ctx, "privacy"); st.State != ApprovalReturned || st.Last.Comment != "Say how long we keep logs." {
			t.Errorf("after rejection: %+v", st)
		}
		if err := s.Submit(ctx, "privacy", alice, t0.Add(7*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.Approve(ctx, "privacy", "", bob, t0.Add(8*time.Minute)); err != nil {
			t.Fatal(err)
		}
		v, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Material, ShortNoticeReason: "a test of approvals"}, bob, t0.Add(9*time.Minute))
		if err != nil || v.Number != 1 {
			t.Fatalf("publish approved = %+v, %v", v, err)
		}
		steps, err := s.Approvals(ctx, "privacy")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range steps {
			got = append(got, a.Action)
			if a.Version != 1 {
				t.Errorf("step %s names version %d, want 1", a.Action, a.Version)
			}
		}
		if strings.Join(got, ",") != "approve,submit,reject,submit,approve,submit" {
			t.Errorf("steps = %v", got)
		}
		want := "policy.submit,policy.approve,policy.approval_void,policy.submit,policy.reject,policy.submit,policy.approve,policy.publish"
		if acts := strings.Join(auditActions(t, d), ","); acts != want {
			t.Errorf("audit actions = %s\nwant %s", acts, want)
		}
	})
}

func TestNamedApprovers(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy", Audience: Public})
		alice := testAdmin(t, d, "alice@example.com")
		bob := testAdmin(t, d, "bob@example.com")
		carol := testAdmin(t, d, "carol@example.com")
		emp := addUser(t, d, "eve@example.com", true, t0)
		var ve *ValidationError
		err := s.SetGovernance(ctx, "privacy", GovernanceInput{OwnerID: &emp, Approvers: []int64{bob}, ReviewMonths: 12}, audit.UserActor(alice), t0)
		if !errors.As(err, &ve) || ve.Fields["owner"] == "" {
			t.Errorf("an employee as owner = %v", err)
		}
		if err := s.SetGovernance(ctx, "privacy", GovernanceInput{Approvers: []int64{bob}, ReviewMonths: 0}, audit.UserActor(alice), t0); !errors.As(err, &ve) || ve.Fields["review_months"] == "" {
			t.Errorf("a cadence of 0 months = %v", err)
		}
		if err := s.SetGovernance(ctx, "privacy", GovernanceInput{OwnerID: &alice, Approvers: []int64{bob, bob}, ReviewMonths: 6}, audit.UserActor(alice), t0); err != nil {
			t.Fatal(err)
		}
		_, g, err := s.GovernanceOf(ctx, "privacy")
		if err != nil || g.Owner == nil || g.Owner.ID != alice || len(g.Approvers) != 1 || g.Approvers[0].ID != bob || g.ReviewMonths != 6 || !g.FourEyes {
			t.Fatalf("governance = %+v, %v", g, err)
		}
		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "# P\n\nText.", Summary: "First", ChangeKind: Minor}, audit.UserActor(alice), t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, "privacy", audit.UserActor(alice), t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Approve(ctx, "privacy", "", audit.UserActor(carol), t0); !errors.Is(err, ErrNotApprover) {
			t.Errorf("an admin not named approving = %v, want ErrNotApprover", err)
		}
		if err := s.Reject(ctx, "privacy", "no", audit.UserActor(carol), t0); !errors.Is(err, ErrNotApprover) {
			t.Errorf("an admin not named rejecting = %v, want ErrNotApprover", err)
		}
		if err := s.Approve(ctx, "privacy", "", audit.UserActor(bob), t0); err != nil {
			t.Errorf("the named approver: %v", err)
		}
	})
}

func TestFourEyesOff(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy", Audience: Public})
		alice := audit.UserActor(testAdmin(t, d, "alice@example.com"))
		var ve *ValidationError
		if err := s.SetFourEyes(ctx, "privacy", false, "", alice, t0); !errors.As(err, &ve) || ve.Fields["reason"] == "" {
			t.Fatalf("four-eyes off without a reason = %v", err)
		}
		if err := s.SetFourEyes(ctx, "privacy", false, "We have one admin.", alice, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, g, err := s.GovernanceOf(ctx, "privacy")
		off := g.FourEyesOff()
		if err != nil || off == nil || off.Reason != "We have one admin." || off.ActorEmail != "alice@example.com" || !off.At.Equal(t0.Add(time.Hour)) {
			t.Fatalf("four-eyes off = %+v, %v", off, err)
		}
		// The author approves their own draft: a self-approval.
		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "# P\n\nOne.", Summary: "First", ChangeKind: Minor}, alice, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Approve(ctx, "privacy", "", alice, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Material, ShortNoticeReason: "a test of approvals"}, alice, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		// Or publishes without approving: recorded as a self-approval too.
		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "# P\n\nTwo.", Summary: "Second", ChangeKind: Minor}, alice, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Material, ShortNoticeReason: "a test of approvals"}, alice, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		steps, _ := s.Approvals(ctx, "privacy")
		if len(steps) != 2 || steps[0].Action != ActionSelfApprove || steps[0].Version != 2 || steps[1].Action != ActionSelfApprove || steps[1].Version != 1 {
			t.Errorf("steps = %+v", steps)
		}
		acts := strings.Join(auditActions(t, d), ",")
		if acts != "policy.four_eyes,policy.self_approve,policy.publish,policy.self_approve,policy.publish" {
			t.Errorf("audit = %s", acts)
		}
		// On again: the author may no longer approve.
		if err := s.SetFourEyes(ctx, "privacy", true, "", alice, t0.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "# P\n\nThree.", Summary: "Third", ChangeKind: Minor}, alice, t0.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Approve(ctx, "privacy", "", alice, t0.Add(5*time.Hour)); !errors.Is(err, ErrOwnDraft) {
			t.Errorf("four-eyes on again: own approval = %v", err)
		}
		if _, g, _ := s.GovernanceOf(ctx, "privacy"); !g.FourEyes || g.FourEyesOff() != nil || len(g.Changes) != 2 {
			t.Errorf("four-eyes on again: %+v", g)
		}
	})
}

func TestPublishFileNeedsApprovedDraft(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		alice := audit.UserActor(testAdmin(t, d, "alice@example.com"))
		bob := audit.UserActor(testAdmin(t, d, "bob@example.com"))
		f, err := ParseFile("privacy.md", []byte("---\nslug: privacy\ntitle: Privacy\nsummary: First\nchange: material\n---\n# Privacy\n\nWe keep little.\n"))
		if err != nil {
			t.Fatal(err)
		}
		// A new policy's file is refused, and leaves no policy behind.
		if _, err := s.PublishFile(ctx, f, audit.CLI, t0); !errors.Is(err, ErrFileNotApproved) {
			t.Fatalf("unapproved file = %v", err)
		}
		if n := countRows(t, d, `SELECT COUNT(*) FROM policies`); n != 0 {
			t.Errorf("%d policies after a refused file", n)
		}
		if _, _, err := s.DraftFile(ctx, f, alice, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, "privacy", alice, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Approve(ctx, "privacy", "", bob, t0); err != nil {
			t.Fatal(err)
		}
		// A file that differs from the approved draft is refused.
		other := f
		other.Summary = "Something else"
		if _, err := s.PublishFile(ctx, other, audit.CLI, t0); !errors.Is(err, ErrFileNotApproved) {
			t.Errorf("file unlike the approved draft = %v", err)
		}
		res, err := s.PublishFile(ctx, f, audit.CLI, t0)
		if err != nil || !res.Published {
			t.Fatalf("approved file = %+v, %v", res, err)
		}
		if _, _, err := s.Draft(ctx, "privacy"); !errors.Is(err, ErrNoDraft) {
			t.Errorf("the approved draft should have become the version: %v", err)
		}
		steps, _ := s.Approvals(ctx, "privacy")
		if len(steps) != 2 || steps[0].Version != 1 {
			t.Errorf("steps = %+v", steps)
		}
		// Four-eyes off: a file publishes on its own, recorded as a
		// self-approval of the version it made.
		if err := s.SetFourEyes(ctx, "privacy", false, "One admin.", alice, t0); err != nil {
			t.Fatal(err)
		}
		f2 := f
		f2.Body = "# Privacy\n\nWe keep less.\n"
		f2.ShortNoticeReason = "A test of four-eyes off."
		res, err = s.PublishFile(ctx, f2, audit.CLI, t0.Add(time.Hour))
		if err != nil || res.Version.Number != 2 {
			t.Fatalf("four-eyes off file = %+v, %v", res, err)
		}
		steps, _ = s.Approvals(ctx, "privacy")
		if steps[0].Action != ActionSelfApprove || steps[0].Version != 2 || steps[0].ActorLabel != "cli" {
			t.Errorf("self-approval = %+v", steps[0])
		}
	})
}

func TestReviews(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		alice := testAdmin(t, d, "alice@example.com")
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy", Audience: Public})
		mustCreate(t, s, Settings{Slug: "cookies", Title: "Cookies", Audience: Public})
		mustCreate(t, s, Settings{Slug: "empty", Title: "Empty", Audience: Public})
		if err := s.RecordReview(ctx, "empty", "", audit.UserActor(alice), t0); !errors.Is(err, ErrNothingToReview) {
			t.Errorf("review of nothing published = %v", err)
		}
		jan := time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC)
		publishVersion(t, s, "privacy", "# P\n\nOne.", Material, jan, jan)
		publishVersion(t, s, "cookies", "# C\n\nOne.", Material, jan.AddDate(0, 3, 0), jan.AddDate(0, 3, 0))
		if err := s.SetGovernance(ctx, "cookies", GovernanceInput{OwnerID: &alice, ReviewMonths: 6}, audit.UserActor(alice), jan); err != nil {
			t.Fatal(err)
		}
		// 1 Dec 2025: privacy (Jan + 12 months) is due in 45 days; cookies
		// (Apr + 6 months) is overdue.
		dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
		sched, err := s.ReviewSchedule(ctx, dec)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, st := range sched {
			order = append(order, st.Policy.Slug+":"+string(st.Stage))
		}
		if strings.Join(order, ",") != "cookies:overdue,privacy:ok,empty:" {
			t.Errorf("schedule = %v", order)
		}
		if want := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC); !sched[1].NextDue.Equal(want) {
			t.Errorf("privacy due %s, want %s", sched[1].NextDue, want)
		}
		due, err := ReviewsDue(ctx, d, dec)
		if err != nil || len(due) != 1 || due[0].Standing.Policy.Slug != "cookies" || due[0].Email != "alice@example.com" {
			t.Errorf("reviews due = %+v, %v", due, err)
		}
		// Reviewed, no change: no new version, and the clock starts again.
		if err := s.RecordReview(ctx, "cookies", "Still right.", audit.UserActor(alice), dec); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, `SELECT COUNT(*) FROM policy_versions WHERE policy_id = (SELECT id FROM policies WHERE slug = 'cookies')`); n != 1 {
			t.Errorf("%d versions of cookies after a review", n)
		}
		last, err := s.LastReviewed(ctx, "cookies", dec.Add(time.Hour))
		if err != nil || !last.Equal(dec) {
			t.Errorf("last reviewed = %s, %v", last, err)
		}
		if due, _ := ReviewsDue(ctx, d, dec.Add(time.Hour)); len(due) != 0 {
			t.Errorf("due after the review: %+v", due)
		}
		reviews, err := s.Reviews(ctx, "cookies", dec.Add(time.Hour))
		if err != nil || len(reviews) != 2 || reviews[0].Version != 0 || reviews[0].Note != "Still right." || reviews[1].Version != 1 {
			t.Errorf("reviews = %+v, %v", reviews, err)
		}
		// Before the review happened, evidence as of then does not show it.
		if before, _ := s.Reviews(ctx, "cookies", dec.Add(-time.Hour)); len(before) != 1 {
			t.Errorf("reviews as of before = %+v", before)
		}
	})
}

func TestReviewStage(t *testing.T) {
	last := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	next := NextReview(last, 12)
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Fatalf("next = %s", next)
	}
	for _, c := range []struct {
		now  time.Time
		want ReviewStage
	}{
		{time.Date(2026, 12, 1, 23, 59, 0, 0, time.UTC), ReviewOK},
		{time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), ReviewDueSoon}, // 30 days before
		{time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), ReviewDueSoon},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ReviewOverdue},
	} {
		if got := StageAt(last, next, c.now); got != c.want {
			t.Errorf("at %s: %q, want %q", c.now, got, c.want)
		}
	}
	if got := StageAt(time.Time{}, time.Time{}, last); got != ReviewNone {
		t.Errorf("never published: %q", got)
	}
}
