package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

var linkRE = regexp.MustCompile(`/(invite|password/reset)/([A-Za-z0-9_-]{20,})`)

// lastLink reads the newest one-time link mailed to email from the outbox.
func (ts *testServer) lastLink(t *testing.T, email string) string {
	t.Helper()
	var body string
	if err := ts.db.Get(&body, ts.db.Rebind(`SELECT body_text FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT 1`), email); err != nil {
		t.Fatalf("no email to %s: %v", email, err)
	}
	m := linkRE.FindString(body)
	if m == "" {
		t.Fatalf("no link in the email to %s:\n%s", email, body)
	}
	return m
}

func TestInvitationSetsAPasswordOnceAndSignsIn(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	admin.post("/admin/people", url.Values{"email": {"newbie@example.com"}, "name": {"Nia Newbie"}, "role": {"employee"}}).expect(t, http.StatusSeeOther)
	id := ts.userID("newbie@example.com")
	admin.get(fmt.Sprintf("/admin/people/%d", id)).expect(t, http.StatusOK, "Send invitation")
	admin.post(fmt.Sprintf("/admin/people/%d/invite", id), nil).expect(t, http.StatusSeeOther)
	link := ts.lastLink(t, "newbie@example.com")
	if ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.invite'`) != 1 {
		t.Fatal("invitation not audited")
	}

	nia := ts.client()
	nia.get(link).expect(t, http.StatusOK, "Choose your password")
	nia.post(link, url.Values{"new": {"a fine long password"}, "confirm": {"a different one!!"}}).
		expect(t, http.StatusUnprocessableEntity, "do not match")
	nia.post(link, url.Values{"new": {"short"}, "confirm": {"short"}}).expect(t, http.StatusUnprocessableEntity, "12 to 72 characters")
	nia.post(link, url.Values{"new": {"Password1234"}, "confirm": {"Password1234"}}).expect(t, http.StatusUnprocessableEntity, "leaked in breaches")
	// Refused once the link shows whose it is; the link still works after.
	nia.post(link, url.Values{"new": {"Nia.Newbie2026"}, "confirm": {"Nia.Newbie2026"}}).expect(t, http.StatusUnprocessableEntity, "Your email or name")
	nia.post(link, url.Values{"new": {"newbie@example.com"}, "confirm": {"newbie@example.com"}}).expect(t, http.StatusUnprocessableEntity, "Your email or name")
	nia.post(link, url.Values{"new": {"a fine long password"}, "confirm": {"a fine long password"}}).expect(t, http.StatusSeeOther)
	nia.get("/home").expect(t, http.StatusOK, "Hello, Nia Newbie")

	// The link works once.
	ts.client().get(link).expect(t, http.StatusGone, "invalid, already used or expired")
	ts.client().post(link, url.Values{"new": {"another long password"}, "confirm": {"another long password"}}).expect(t, http.StatusGone)
	res := ts.client().post("/login", url.Values{"email": {"newbie@example.com"}, "password": {"a fine long password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with the chosen password: %d", res.StatusCode)
	}
}

func TestResetLinksExpireAndDoNotRevealAccounts(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client()
	before := ts.count(`SELECT COUNT(*) FROM outbox`)
	unknown := c.post("/password/forgot", url.Values{"email": {"nobody@example.com"}})
	unknown.expect(t, http.StatusOK, "If nobody@example.com belongs to an active account here")
	if ts.count(`SELECT COUNT(*) FROM outbox`) != before {
		t.Fatal("a reset email was queued for an unknown address")
	}
	known := c.post("/password/forgot", url.Values{"email": {employeeEmail}})
	known.expect(t, http.StatusOK, "If "+employeeEmail+" belongs to an active account here")
	link := ts.lastLink(t, employeeEmail)
	c.post("/password/forgot", url.Values{"email": {"not an email"}}).expect(t, http.StatusUnprocessableEntity, "Enter your work email")

	ts.setNow(testStart.Add(61 * time.Minute))
	c.get(link).expect(t, http.StatusGone)
	c.post(link, url.Values{"new": {"a brand new password"}, "confirm": {"a brand new password"}}).expect(t, http.StatusGone)
	ts.client().get("/password/reset/not-a-real-token-at-all-xx").expect(t, http.StatusGone)

	// A fresh link works, and the old password stops working.
	c.post("/password/forgot", url.Values{"email": {employeeEmail}}).expect(t, http.StatusOK)
	link = ts.lastLink(t, employeeEmail)
	c.post(link, url.Values{"new": {"a brand new password"}, "confirm": {"a brand new password"}}).expect(t, http.StatusSeeOther)
	ts.client().post("/login", url.Values{"email": {employeeEmail}, "password": {"steward-demo"}}).expect(t, http.StatusUnauthorized)
}

func TestChangePasswordRefusesWeakPasswordsAndKeepsTheOld(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(employeeEmail)
	for _, tc := range []struct{ next, want string }{
		{"elevenchars", "12 to 72 characters"},
		{"QWERTYUIOP12", "leaked in breaches"},
		{"employee@example.com", "Your email or name"},
	} {
		c.post("/account/password", url.Values{"current": {"steward-demo"}, "new": {tc.next}, "confirm": {tc.next}}).
			expect(t, http.StatusUnprocessableEntity, tc.want)
	}
	res := ts.client().post("/login", url.Values{"email": {employeeEmail}, "password": {"steward-demo"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the old password no longer signs in: %d", res.StatusCode)
	}
}
