package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/people"
	"steward/policies"
)

// approverEmail is the demo's second admin, who approves what the first
// writes.
const approverEmail = "privacy.lead@example.com"

// approveDraft submits the policy's draft as the admin who wrote it and
// has the second admin approve it, through the pages: what four-eyes
// approval asks before publishing.
func approveDraft(t *testing.T, ts *testServer, slug string) {
	t.Helper()
	ts.as(adminEmail).post("/admin/policies/"+slug+"/submit", nil).expect(t, http.StatusSeeOther)
	ts.as(approverEmail).post("/admin/policies/"+slug+"/approve", nil).expect(t, http.StatusSeeOther)
}

// approveInStore submits and approves the policy's draft through the
// store, for tests that write drafts there.
func approveInStore(t *testing.T, ts *testServer, slug string) {
	t.Helper()
	ctx := context.Background()
	if err := ts.srv.policies.Submit(ctx, slug, audit.System, ts.clock()); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.policies.Approve(ctx, slug, "", audit.UserActor(ts.userID(approverEmail)), ts.clock()); err != nil {
		t.Fatal(err)
	}
}

// approveFile writes the file as its policy's draft and approves it.
func approveFile(t *testing.T, ts *testServer, f policies.File) {
	t.Helper()
	if _, _, err := ts.srv.policies.DraftFile(context.Background(), f, audit.System, ts.clock()); err != nil {
		t.Fatal(err)
	}
	approveInStore(t, ts, f.Settings.Slug)
}

// governancePageCases are the typed pages of policy governance.
func governancePageCases() []pageCase {
	conduct := policies.Policy{ID: 4, Slug: "conduct", Title: "Code of conduct", Audience: policies.Staff}
	zuri := policies.Person{ID: 2, Name: "Zuri Adebayo", Email: "zuri@example.com"}
	vid := int64(9)
	approved := &policies.Approval{Action: policies.ActionApprove, ActorName: "Zuri Adebayo", ActorEmail: "zuri@example.com", At: exampleDay, Comment: "Reads well.", ContentSHA256: "abcdef0123456789", VersionID: &vid}
	returned := &policies.Approval{Action: policies.ActionReject, ActorName: "Zuri Adebayo", At: exampleDay, Comment: "Name the cookie."}
	off := policies.FourEyesChange{Enabled: false, Reason: "One admin until March.", ActorName: "Priya Raman", At: exampleDay}
	form := governanceForm{Owner: "2", Approvers: []string{"2"}, ReviewMonths: "0"}
	form.AddFieldError("review_months", "Must be between 1 and 36 months.")
	fe := fourEyesForm{}
	fe.AddFieldError("reason", "Is required.")
	standing := policies.ReviewStanding{Policy: conduct, Owner: &zuri, ReviewMonths: 12, LastReviewed: exampleDay.AddDate(-1, 0, -3),
		NextDue: exampleDay.AddDate(0, 0, -3), Stage: policies.ReviewOverdue}
	admins := []people.User{{ID: 2, Name: "Zuri Adebayo", Email: "zuri@example.com"}}
	edit := func(label string, box *approvalBox, want ...string) pageCase {
		return pageCase{"policies/admin_edit", label, &policyEditPage{layout: adminLayout("Code of conduct"), Policy: conduct,
			Draft: &policies.Version{Draft: true, UpdatedAt: exampleDay}, Approval: box}, want}
	}
	return []pageCase{
		{"policies/governance", "zero", &policyGovernancePage{layout: staffLayout("Governance")}, []string{"No owner", "Any admin", "No reviews yet."}},
		{"policies/governance", "admin, four eyes off", &policyGovernancePage{layout: adminLayout("Governance: Code of conduct"), Policy: conduct,
			G:        policies.Governance{Owner: &zuri, Approvers: []policies.Person{zuri}, ReviewMonths: 12, Changes: []policies.FourEyesChange{off}},
			Standing: standing, Admins: admins, Approvals: []policies.Approval{*approved, *returned},
			Reviews: []policies.Review{{ReviewerName: "Zuri Adebayo", At: exampleDay, Note: "Still right."}, {Version: 3, At: exampleDay}},
			Form:    form, FourEyes: fe},
			[]string{"Zuri Adebayo (zuri@example.com)", "Off</span> since", "Reason: One admin until March.", "Overdue", "Must be between 1 and 36 months.",
				"Turn four-eyes approval on", "Reviewed, no change", "Published version 3", "Sent back", "Name the cookie."}},
		{"policies/governance", "admin, four eyes on", &policyGovernancePage{layout: adminLayout("Governance: Code of conduct"), Policy: conduct,
			G: policies.Governance{ReviewMonths: 12, FourEyes: true}, Admins: admins, FourEyes: fe},
			[]string{"On</span>", "Is required.", "Turn four-eyes approval off", "No draft has been submitted"}},
		{"policies/reviews", "zero", &policyReviewsPage{layout: staffLayout("Policy reviews")}, []string{"No policies yet."}},
		{"policies/reviews", "rows", &policyReviewsPage{layout: adminLayout("Policy reviews"), Rows: []policies.ReviewStanding{standing, {Policy: conduct}}},
			[]string{"Overdue", "Zuri Adebayo", "Nothing published", "No owner"}},
		edit("not submitted", &approvalBox{State: policies.ApprovalDraft, FourEyes: true, Author: "Priya Raman", Mine: true},
			"Not submitted", "Submit for approval", "Last changed by Priya Raman."),
		edit("submitted", &approvalBox{State: policies.ApprovalSubmitted, FourEyes: true, Last: &policies.Approval{Action: policies.ActionSubmit, ActorName: "Priya Raman", At: exampleDay}},
			"Waiting for approval", "Approve this draft", "Send back to the author"),
		edit("approved", &approvalBox{State: policies.ApprovalApproved, FourEyes: true, Last: approved}, "Approved", "Reads well."),
		edit("returned, four eyes off", &approvalBox{State: policies.ApprovalReturned, Last: returned, Mine: true}, "Sent back", "Name the cookie.", "Four-eyes approval is off"),
	}
}

// latestOrNow is when a version published at now may take effect at the
// earliest after one taking effect at after: after, unless that is past.
func latestOrNow(after, now time.Time) time.Time {
	if after.Before(now) {
		return now
	}
	return after
}
