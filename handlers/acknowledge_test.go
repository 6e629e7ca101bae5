package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const aup = "acceptable-use-of-customer-data"

func TestAcknowledgeOnceAndWhatChanged(t *testing.T) {
	ts := withPolicies(t)
	// Someone the demo left with the policy still to acknowledge.
	var who string
	if err := ts.db.Get(&who, `SELECT email FROM users WHERE role = 'employee' AND active = TRUE
		AND id NOT IN (SELECT user_id FROM policy_acknowledgements) ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	emp := ts.as(who)
	me := ts.userID(who)
	// A new hire who starts today has 14 days: the rule counts from the
	// hire date, not from when the account was made.
	if _, err := ts.db.Exec(ts.db.Rebind(`UPDATE users SET hired_on = ? WHERE id = ?`), testStart.Truncate(24*time.Hour), me); err != nil {
		t.Fatal(err)
	}

	emp.get("/my/policies").expect(t, http.StatusOK, "Acceptable use of customer data", "To acknowledge", "by 12 Dec 2026")
	page := emp.get("/my/policies/" + aup)
	page.expect(t, http.StatusOK, "<h1>Acceptable use of customer data</h1>", `name="version" value="1"`)
	if strings.Contains(page.Body, "What changed since you last acknowledged") {
		t.Error("a first-time reader sees a redline")
	}

	emp.post("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"1"}}).expect(t, http.StatusSeeOther)
	emp.get("/my/policies/"+aup).expect(t, http.StatusOK, "Your acknowledgement of version 1 is recorded", "Acknowledged")
	emp.post("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"1"}}).expect(t, http.StatusSeeOther)
	emp.get("/my/policies/"+aup).expect(t, http.StatusOK, "already acknowledged version 1")
	if n := ts.count(`SELECT COUNT(*) FROM policy_acknowledgements WHERE user_id = ?`, me); n != 1 {
		t.Fatalf("%d acknowledgements stored, want 1", n)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'policy.acknowledge' AND actor_id = ?`, me); n != 1 {
		t.Errorf("%d acknowledgements audited", n)
	}

	// A material version: pending again, with the redline since version 1.
	admin := ts.as(adminEmail)
	admin.post("/admin/policies/"+aup+"/draft", url.Values{
		"body":    {"# Acceptable use of customer data\n\nSupport access is granted per ticket and expires after 24 hours.\n"},
		"summary": {"Support access now expires after 24 hours."}, "change": {"material"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	approveDraft(t, ts, aup)
	admin.post("/admin/policies/"+aup+"/publish", url.Values{"when": {"now"}, "change": {"material"}}).expect(t, http.StatusSeeOther)

	emp.get("/my/policies").expect(t, http.StatusOK, "To acknowledge")
	page = emp.get("/my/policies/" + aup)
	page.expect(t, http.StatusOK, "What changed since you last acknowledged (version 1)", "<del>", "<ins>24</ins>", `name="version" value="2"`)

	// Only the version in effect can be acknowledged.
	emp.post("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"1"}}).expect(t, http.StatusConflict)
	emp.post("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"abc"}}).expect(t, http.StatusBadRequest)
	emp.post("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"9"}}).expect(t, http.StatusNotFound)
	// A public policy is not in a person's acknowledgement scope.
	emp.post("/my/policies/privacy/acknowledge", url.Values{"version": {"3"}}).expect(t, http.StatusNotFound)
	emp.get("/my/policies/privacy").expect(t, http.StatusNotFound)
	if n := ts.count(`SELECT COUNT(*) FROM policy_acknowledgements WHERE user_id = ?`, me); n != 1 {
		t.Fatalf("refused acknowledgements were stored: %d", n)
	}
	if res := emp.postRaw("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"2"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("acknowledge without CSRF token: %d", res.StatusCode)
	}

	// Overdue once the window has passed.
	ts.setNow(ts.clock().Add(15 * 24 * time.Hour))
	emp = ts.as(who)
	emp.get("/my/policies").expect(t, http.StatusOK, "Overdue")
	emp.post("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"2"}}).expect(t, http.StatusSeeOther)
	emp.get("/my/policies").expect(t, http.StatusOK, "Acknowledged")

	if res := ts.client().get("/my/policies"); res.StatusCode != http.StatusFound {
		t.Errorf("anonymous /my/policies: %d", res.StatusCode)
	}
}

// TestReadOnlyPolicyIsForReading: a staff policy that does not require
// acknowledgement is listed under "Policies to read", shows no
// acknowledge button, and an acknowledgement posted anyway is refused.
func TestReadOnlyPolicyIsForReading(t *testing.T) {
	const notice = "staff-privacy-notice"
	ts := withPolicies(t)
	var who string
	if err := ts.db.Get(&who, `SELECT email FROM users WHERE role = 'employee' AND active = TRUE ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	emp := ts.as(who)
	for _, path := range []string{"/home", "/my/policies"} {
		body := emp.get(path).Body
		toAck, toRead, ok := strings.Cut(body, "Policies to read")
		if !ok {
			t.Errorf("%s has no \"Policies to read\" heading", path)
			continue
		}
		if _, toAck, _ = strings.Cut(toAck, "Policies to acknowledge"); strings.Contains(toAck, "/my/policies/"+notice) {
			t.Errorf("%s lists the read-only policy under \"Policies to acknowledge\"", path)
		}
		if !strings.Contains(toRead, "/my/policies/"+notice) || strings.Contains(toRead, "/my/policies/"+aup) {
			t.Errorf("%s: \"Policies to read\" should hold the read-only policy and only it:%s", path, snippet(toRead))
		}
	}
	page := emp.get("/my/policies/" + notice)
	page.expect(t, http.StatusOK, "This policy is for reading")
	if strings.Contains(page.Body, "I have read and will follow") || strings.Contains(page.Body, "/acknowledge") {
		t.Error("the read-only policy offers an acknowledge button")
	}
	emp.post("/my/policies/"+notice+"/acknowledge", url.Values{"version": {"2"}}).expect(t, http.StatusConflict, "for reading only")
	if n := ts.count(`SELECT COUNT(*) FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id
		JOIN policies p ON p.id = v.policy_id WHERE p.slug = ? AND a.user_id = ?`, notice, ts.userID(who)); n != 0 {
		t.Errorf("%d acknowledgements of the read-only policy stored", n)
	}
}
