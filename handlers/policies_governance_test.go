package handlers

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/internal/browsertest"
)

func draftValues(body, summary string) url.Values {
	return url.Values{"body": {body}, "summary": {summary}, "change": {"material"}, "action": {"save"}}
}

// TestFourEyesThroughThePages: one admin writes a material change and
// cannot publish it unapproved, nor approve it; the second admin approves
// it; an edit voids the approval; a return needs a comment.
func TestFourEyesThroughThePages(t *testing.T) {
	ts := newTestServer(t)
	admin, approver := ts.as(adminEmail), ts.as(approverEmail)
	published := func() int {
		return ts.count(`SELECT COUNT(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.slug = 'privacy' AND v.status = 'published'`)
	}
	before := published()
	body := "# Privacy policy\n\nWe keep support tickets for 12 months.\n"
	admin.post("/admin/policies/privacy/draft", draftValues(body, "Shorter ticket retention.")).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/privacy").expect(t, http.StatusOK, "Not submitted", "Submit for approval", "Last changed by Priya Raman.")

	// Unapproved: refused with the reason, nothing published.
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}, "change": {"material"}, "reason": {"A correction the regulator asked for."}}).expect(t, http.StatusConflict, "This draft is not approved")
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"date"}, "date": {"2027-06-01"}, "change": {"material"}}).expect(t, http.StatusConflict, "cannot be published or scheduled")
	// The confirmation page says so before anything is tried.
	admin.get("/admin/policies/privacy/publish?check=1&change=material&when=date&date=2027-06-01").expect(t, http.StatusConflict, "This draft is not approved")
	if n := published(); n != before {
		t.Fatalf("%d versions after refused publications, want %d", n, before)
	}
	admin.post("/admin/policies/privacy/submit", nil).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/privacy").expect(t, http.StatusOK, "Waiting for approval", "submitted by Priya Raman")
	// The author cannot approve; the second admin can.
	admin.post("/admin/policies/privacy/approve", nil).expect(t, http.StatusConflict, "someone else must approve it")
	approver.post("/admin/policies/privacy/approve", url.Values{"comment": {"Matches the retention schedule."}}).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/privacy").expect(t, http.StatusOK, "Approved", "by Zuri Adebayo", "Matches the retention schedule.")

	// Changed after approval: back to draft, and refused again.
	admin.post("/admin/policies/privacy/draft", draftValues(body+"\nAnd one more line.\n", "Shorter ticket retention.")).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/privacy").expect(t, http.StatusOK, "Not submitted")
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}, "change": {"material"}, "reason": {"A correction the regulator asked for."}}).expect(t, http.StatusConflict, "This draft is not approved")

	// Sent back: a comment is required.
	admin.post("/admin/policies/privacy/submit", nil).expect(t, http.StatusSeeOther)
	approver.post("/admin/policies/privacy/reject", url.Values{"comment": {"  "}}).expect(t, http.StatusUnprocessableEntity, "say why the draft goes back")
	approver.post("/admin/policies/privacy/reject", url.Values{"comment": {"Drop the last line."}}).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/privacy").expect(t, http.StatusOK, "Sent back", "Drop the last line.")

	admin.post("/admin/policies/privacy/draft", draftValues(body, "Shorter ticket retention.")).expect(t, http.StatusSeeOther)
	admin.post("/admin/policies/privacy/submit", nil).expect(t, http.StatusSeeOther)
	approver.post("/admin/policies/privacy/approve", nil).expect(t, http.StatusSeeOther)
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}, "change": {"material"}, "reason": {"A correction the regulator asked for."}}).expect(t, http.StatusSeeOther)
	if n := published(); n != before+1 {
		t.Fatalf("%d versions after the approved publication, want %d", n, before+1)
	}
	// What happened, as an auditor reads it.
	page := ts.as(auditorEmail).get("/admin/policies/privacy/governance")
	page.expect(t, http.StatusOK, "Sent back", "Drop the last line.", "Zuri Adebayo &lt;privacy.lead@example.com&gt;", fmt.Sprintf("became version %d", before+1))
	if strings.Contains(page.Body, `action="/admin/policies/privacy/four-eyes"`) {
		t.Error("the auditor's page offers the admin's forms")
	}
	for _, action := range []string{"policy.submit", "policy.approve", "policy.reject", "policy.approval_void"} {
		if ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, action) == 0 {
			t.Errorf("no %s in the audit log", action)
		}
	}
}

// TestFourEyesOffThroughThePages: with four eyes off, which needs a
// reason, the admin publishes their own draft, recorded as a
// self-approval and shown to the auditor with who, when and why.
func TestFourEyesOffThroughThePages(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	changes := ts.count(`SELECT COUNT(*) FROM policy_four_eyes`)
	admin.post("/admin/policies/privacy/four-eyes", url.Values{"four_eyes": {"off"}, "reason": {""}}).
		expect(t, http.StatusUnprocessableEntity, "Is required: auditors see why four-eyes approval was turned off.")
	admin.post("/admin/policies/privacy/four-eyes", url.Values{"four_eyes": {"sideways"}, "reason": {"x"}}).
		expect(t, http.StatusUnprocessableEntity, "Choose to turn four-eyes approval on or off.")
	if n := ts.count(`SELECT COUNT(*) FROM policy_four_eyes`); n != changes {
		t.Fatalf("refused forms changed four-eyes: %d rows, want %d", n, changes)
	}
	admin.post("/admin/policies/privacy/four-eyes", url.Values{"four_eyes": {"off"}, "reason": {"Zuri is on leave until March."}}).expect(t, http.StatusSeeOther)
	admin.post("/admin/policies/privacy/draft", draftValues("# Privacy policy\n\nShorter.\n", "Shorter.")).expect(t, http.StatusSeeOther)
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}, "change": {"material"}, "reason": {"A correction the regulator asked for."}}).expect(t, http.StatusSeeOther)
	ts.as(auditorEmail).get("/admin/policies/privacy/governance").expect(t, http.StatusOK,
		"Off</span> since", "by Priya Raman &lt;admin@example.com&gt;. Reason: Zuri is on leave until March.", "Self-approved", "published with four-eyes approval off")
	if ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'policy.four_eyes' AND detail LIKE '%on leave%'`) != 1 {
		t.Error("turning four eyes off is not in the audit log")
	}
}

// TestGovernanceFormAndReviews: owner and cadence are set on the
// governance page; "reviewed, no change" shows on the public page and on
// the reviews list, overdue first.
func TestGovernanceFormAndReviews(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	emp := ts.userID(employeeEmail)
	owner := ts.userID(approverEmail)
	before := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'policy.governance'`)
	for _, bad := range []url.Values{
		{"owner": {fmt.Sprint(emp)}, "review_months": {"12"}},
		{"owner": {"someone"}, "review_months": {"12"}},
		{"owner": {fmt.Sprint(owner)}, "review_months": {"0"}},
		{"owner": {fmt.Sprint(owner)}, "review_months": {"twelve"}},
		{"owner": {fmt.Sprint(owner)}, "approvers": {fmt.Sprint(emp)}, "review_months": {"12"}},
	} {
		admin.post("/admin/policies/privacy/governance", bad).expect(t, http.StatusUnprocessableEntity, `class="error"`)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'policy.governance'`); n != before {
		t.Fatal("a refused governance form changed something")
	}
	admin.post("/admin/policies/privacy/governance", url.Values{"owner": {fmt.Sprint(owner)}, "review_months": {"1"}}).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/privacy/governance").expect(t, http.StatusOK, "Zuri Adebayo (privacy.lead@example.com)", "every 1 months", "Any admin")

	// The staff notice, last published on 2 October and reviewed every
	// month, is overdue on 28 November: first on the list. The privacy
	// policy, reviewed 20 days ago, falls due within 30 days.
	admin.post("/admin/policies/staff-privacy-notice/governance", url.Values{"review_months": {"1"}}).expect(t, http.StatusSeeOther)
	list := ts.as(auditorEmail).get("/admin/policy-reviews")
	list.expect(t, http.StatusOK, "2 Nov 2026", "Due soon")
	overdue, notice, privacy := strings.Index(list.Body, "Overdue"), strings.Index(list.Body, "How Steward handles your data"), strings.Index(list.Body, "Privacy policy")
	if overdue < 0 || notice < 0 || privacy < 0 || notice > privacy || overdue > privacy {
		t.Errorf("the overdue policy is not listed first:\n%s", list.Body)
	}
	admin.post("/admin/policies/privacy/review", url.Values{"note": {"Checked against the register."}}).expect(t, http.StatusSeeOther)
	day := ts.clock().Format("2 January 2006")
	ts.client().get("/policies/privacy").expect(t, http.StatusOK, "<dt>Last reviewed</dt>", day)
	gov := admin.get("/admin/policies/privacy/governance")
	gov.expect(t, http.StatusOK, "Reviewed, no change", "Checked against the register.")
	if strings.Contains(gov.Body, "Overdue") {
		t.Error("still overdue after the review")
	}
	admin.post("/admin/policies/privacy/review", url.Values{"note": {strings.Repeat("x", 1001)}}).expect(t, http.StatusUnprocessableEntity, "at most 1000 characters")
	if ts.count(`SELECT COUNT(*) FROM policy_reviews WHERE note LIKE 'xxx%'`) != 0 {
		t.Error("an over-long note was stored")
	}
	if !strings.Contains(html.UnescapeString(ts.as(auditorEmail).get("/admin/audit").Body), "policy.review") {
		t.Error("the review is not in the audit log")
	}
}

// TestBrowserGovernancePages looks at the governance and reviews pages,
// with a draft waiting for approval: axe, a 375 px phone, and the Nu HTML
// checker, including the governance form re-rendered with its errors.
func TestBrowserGovernancePages(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	admin.post("/admin/policies/privacy/draft", draftValues("# Privacy policy\n\nShorter.\n", "Shorter.")).expect(t, http.StatusSeeOther)
	admin.post("/admin/policies/privacy/submit", nil).expect(t, http.StatusSeeOther)
	pages := map[string]string{
		"governance":         admin.get("/admin/policies/privacy/governance").Body,
		"governance-auditor": ts.as(auditorEmail).get("/admin/policies/privacy/governance").Body,
		"governance-invalid": admin.post("/admin/policies/privacy/governance", url.Values{"owner": {"x"}, "review_months": {"99"}}).Body,
		"four-eyes-invalid":  admin.post("/admin/policies/privacy/four-eyes", url.Values{"four_eyes": {"off"}}).Body,
		"reviews":            admin.get("/admin/policy-reviews").Body,
		"editor-submitted":   ts.as(approverEmail).get("/admin/policies/privacy").Body,
	}
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
	lookAt(t, ts, adminEmail, "/admin/policies/privacy/governance", "/admin/policy-reviews", "/admin/policies/privacy")
	lookAt(t, ts, auditorEmail, "/admin/policies/privacy/governance", "/admin/policy-reviews")
}

// TestGovernanceAccess: admins act; auditors read the governance and
// reviews pages and act on nothing; employees and managers see neither.
func TestGovernanceAccess(t *testing.T) {
	ts := newTestServer(t)
	reads := []string{"/admin/policies/privacy/governance", "/admin/policy-reviews"}
	acts := []string{"/admin/policies/privacy/submit", "/admin/policies/privacy/approve", "/admin/policies/privacy/reject",
		"/admin/policies/privacy/governance", "/admin/policies/privacy/four-eyes", "/admin/policies/privacy/review"}
	auditor := ts.as(auditorEmail)
	for _, p := range reads {
		auditor.get(p).expect(t, http.StatusOK, "Zuri Adebayo")
	}
	for _, p := range acts {
		auditor.post(p, url.Values{"comment": {"x"}, "four_eyes": {"off"}, "reason": {"x"}}).expect(t, http.StatusForbidden)
	}
	for _, who := range []string{employeeEmail, "manager@example.com"} {
		c := ts.as(who)
		for _, p := range reads {
			if res := c.get(p); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
				t.Errorf("%s GET %s: %d", who, p, res.StatusCode)
			}
		}
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'policy.%' AND actor = ?`, fmt.Sprintf("user:%d", ts.userID(auditorEmail))); n != 0 {
		t.Errorf("the auditor changed %d things", n)
	}
	// The anonymous reader is sent to sign in.
	if res := ts.client().get("/admin/policy-reviews"); res.StatusCode == http.StatusOK {
		t.Error("the reviews page answers anonymously")
	}
}
