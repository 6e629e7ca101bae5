package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Adding a person with the box ticked emails them an invitation that works
// for 7 days; sending it again kills the first link.
func TestInviteOnAddLastsSevenDaysAndResendRetiresIt(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	admin.get("/admin/people/new").expect(t, http.StatusOK, `name="invite" type="checkbox" value="yes" checked`, "The link works once, for 7 days.")
	admin.post("/admin/people", url.Values{"email": {"nia@example.com"}, "name": {"Nia Newbie"}, "role": {"employee"}, "invite": {"yes"}}).
		expect(t, http.StatusSeeOther)
	id := ts.userID("nia@example.com")
	admin.get(fmt.Sprintf("/admin/people/%d", id)).expect(t, http.StatusOK, "an invitation to choose a password is on its way to nia@example.com (the link works for 7 days)")
	first := ts.lastLink(t, "nia@example.com")

	ts.setNow(testStart.Add(6 * 24 * time.Hour))
	ts.client().get(first).expect(t, http.StatusOK, "Choose your password")
	admin = ts.as(adminEmail)
	admin.post(fmt.Sprintf("/admin/people/%d/invite", id), nil).expect(t, http.StatusSeeOther)
	second := ts.lastLink(t, "nia@example.com")
	if second == first {
		t.Fatal("the resent invitation has the same link")
	}
	ts.client().get(first).expect(t, http.StatusGone)
	ts.setNow(testStart.Add(12 * 24 * time.Hour))
	ts.client().get(second).expect(t, http.StatusOK, "Choose your password")
	ts.setNow(testStart.Add(13*24*time.Hour + time.Minute))
	ts.client().get(second).expect(t, http.StatusGone)

	// Without the box, no invitation.
	admin = ts.as(adminEmail)
	before := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'invite'`)
	admin.post("/admin/people", url.Values{"email": {"quiet@example.com"}, "name": {"Quiet One"}, "role": {"employee"}}).expect(t, http.StatusSeeOther)
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'invite'`); n != before {
		t.Errorf("adding without the box queued %d invitations", n-before)
	}
	// A hostile value in the box: refused, nobody added.
	admin.post("/admin/people", url.Values{"email": {"evil@example.com"}, "name": {"Evil"}, "role": {"employee"}, "invite": {"<script>"}}).
		expect(t, http.StatusUnprocessableEntity, "Tick the box to send an invitation")
	if n := ts.count(`SELECT COUNT(*) FROM users WHERE email = 'evil@example.com'`); n != 0 {
		t.Error("a hostile invite value added the person")
	}
}

// After a roster import, one button invites everyone without a password,
// once; the import form's box does the same with the import.
func TestInviteEveryoneAfterImport(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	pending := func() int {
		return ts.count(`SELECT COUNT(*) FROM users WHERE active = TRUE AND password_hash = '' AND source <> 'sso'`)
	}
	invites := func() int { return ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'invite'`) }
	roster := "email,name,team,manager_email,role,hired_on\nli@example.com,Li Wen,Marketing,,employee,2025-02-03\n"
	admin.upload("/admin/people/import", "roster", "r.csv", []byte(roster), url.Values{"invite": {"yes"}}).expect(t, http.StatusSeeOther)
	want := pending()
	admin.get("/admin/people/import").expect(t, http.StatusOK, "Roster imported: 1 added",
		fmt.Sprintf("Invitations are on their way to %s without a password (each link works for 7 days).", personCount(want)),
		"Invite everyone without a password")
	if n := invites(); n != want {
		t.Fatalf("%d invitations after the import, want %d", n, want)
	}
	admin.post("/admin/people/invite-pending", nil).expect(t, http.StatusSeeOther)
	admin.get("/admin/people/import").expect(t, http.StatusOK, "Nobody needed an invitation")
	if n := invites(); n != want {
		t.Errorf("the button invited again people with a working link: %d", n)
	}
	// A second import without the box invites nobody, and says how to.
	roster2 := "email,name,team,manager_email,role,hired_on\nmo@example.com,Mo Diaz,Marketing,,employee,2025-02-03\n"
	admin.upload("/admin/people/import", "roster", "r.csv", []byte(roster2), nil).expect(t, http.StatusSeeOther)
	admin.get("/admin/people/import").expect(t, http.StatusOK, "Invite everyone without a password")
	if n := invites(); n != want {
		t.Errorf("an import without the box invited %d", n-want)
	}
	admin.post("/admin/people/invite-pending", nil).expect(t, http.StatusSeeOther)
	admin.get("/admin/people/import").expect(t, http.StatusOK, "Invitations are on their way to 1 person without a password")
	admin.upload("/admin/people/import", "roster", "r.csv", []byte(roster2), url.Values{"invite": {"<script>"}}).
		expect(t, http.StatusBadRequest, "nothing was imported")
	// Not for managers.
	ts.as(managerEmail).post("/admin/people/invite-pending", nil).expect(t, http.StatusForbidden)
}
