package handlers

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var remindBox = regexp.MustCompile(`name="item" value="([^"]+)"`)

// remindable lists the reminder choices of a report page, in order.
func remindable(body string) []string {
	var out []string
	for _, m := range remindBox.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// A manager ticks five overdue people in the overdue list and reminds them
// in one go; the list then shows when; the same again that day sends
// nothing and says why.
func TestRemindFiveOverdueAtOnce(t *testing.T) {
	ts := newTestServer(t)
	day := testStart.AddDate(0, 2, 0) // more of the line is overdue by then
	ts.setNow(day)
	mgr := ts.as(managerEmail)
	page := mgr.get("/team/report?status=needs_action")
	page.expect(t, http.StatusOK, "Remind the people selected", "Remind everyone in this list")
	var five []string
	people := map[string]bool{}
	for _, k := range remindable(page.Body) {
		parts := strings.Split(k, ":")
		if parts[0] != "course" || people[parts[len(parts)-1]] {
			continue
		}
		people[parts[len(parts)-1]] = true
		five = append(five, k)
		if len(five) == 5 {
			break
		}
	}
	if len(five) != 5 {
		t.Fatalf("the overdue list offers %d people to remind, want at least 5", len(five))
	}
	sent := func() int { return ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'manager_reminder'`) }
	before := sent()
	res := mgr.post("/team/report/remind?status=needs_action", url.Values{"scope": {"selected"}, "item": five})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/team/report?status=needs_action#people" {
		t.Fatalf("remind: %d %q\n%s", res.StatusCode, res.Header.Get("Location"), snippet(res.Body))
	}
	if got := sent() - before; got != 5 {
		t.Fatalf("%d emails queued, want 5", got)
	}
	page = mgr.get("/team/report?status=needs_action")
	page.expect(t, http.StatusOK, "5 reminders on the way to 5 people.")
	if n := strings.Count(page.Body, "Reminded today at 09:00 UTC"); n != 5 {
		t.Errorf("the list shows %d rows reminded today at 09:00, want 5", n)
	}

	ts.setNow(day.Add(3 * time.Hour))
	mgr.post("/team/report/remind?status=needs_action", url.Values{"scope": {"selected"}, "item": five}).expect(t, http.StatusSeeOther)
	mgr.get("/team/report?status=needs_action").expect(t, http.StatusOK, "No reminder sent. 5 skipped: already reminded today")
	if got := sent() - before; got != 5 {
		t.Fatalf("after the same again that day, %d emails, want 5", got)
	}
	if n := ts.count(`SELECT COUNT(*) FROM manager_reminders`); n != 5 {
		t.Errorf("%d reminders recorded, want 5", n)
	}
}

// "Remind everyone in this list" works without JavaScript: the server
// takes every reminder the filtered list offers, on every page.
func TestRemindEveryoneInTheList(t *testing.T) {
	ts := newTestServer(t)
	mgr := ts.as(managerEmail)
	want := remindable(mgr.get("/team/report?status=overdue").Body)
	if len(want) == 0 {
		t.Fatal("nobody overdue in the manager's line")
	}
	mgr.post("/team/report/remind?status=overdue", url.Values{"scope": {"all"}}).expect(t, http.StatusSeeOther)
	if n := ts.count(`SELECT COUNT(*) FROM manager_reminders`); n != len(want) {
		t.Errorf("%d reminders recorded, want the %d the list offered", n, len(want))
	}
}

// A manager cannot remind another manager's people: the request is refused
// whole, nothing is sent, and the refusal is audited.
func TestRemindAnotherManagersPeopleIsRefused(t *testing.T) {
	ts := newTestServer(t)
	own := remindable(ts.as(managerEmail).get("/team/report?status=needs_action").Body)
	theirs := remindable(ts.as("sales.lead@example.com").get("/team/report?status=needs_action").Body)
	if len(own) == 0 || len(theirs) == 0 {
		t.Fatalf("need overdue people in both lines: %d and %d", len(own), len(theirs))
	}
	mgr := ts.as(managerEmail)
	mgr.post("/team/report/remind", url.Values{"scope": {"selected"}, "item": {own[0], theirs[0]}}).
		expect(t, http.StatusForbidden, "only people in your reporting line; nothing was sent")
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'manager_reminder'`) + ts.count(`SELECT COUNT(*) FROM manager_reminders`); n != 0 {
		t.Fatalf("a refused request queued %d rows", n)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND target = 'reminders'`); n != 1 {
		t.Errorf("%d access.denied entries, want 1", n)
	}
}

// Hostile and malformed choices get a 4xx that says what is wrong, and
// nothing is sent.
func TestRemindHostileInput(t *testing.T) {
	ts := newTestServer(t)
	mgr := ts.as(managerEmail)
	own := remindable(mgr.get("/team/report?status=needs_action").Body)
	if len(own) == 0 {
		t.Fatal("nobody to remind")
	}
	many := make([]string, 5001)
	for i := range many {
		many[i] = own[0]
	}
	for _, tc := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{url.Values{"item": own}, http.StatusBadRequest, "Choose whether to remind the people selected or everyone"},
		{url.Values{"scope": {"<script>"}, "item": own}, http.StatusBadRequest, "Choose whether to remind"},
		{url.Values{"scope": {"selected"}}, http.StatusUnprocessableEntity, "Select at least one person to remind"},
		{url.Values{"scope": {"selected"}, "item": {own[0], "course:x' OR 1=1 --:1"}}, http.StatusBadRequest, "could not read the people chosen; nothing was sent"},
		{url.Values{"scope": {"selected"}, "item": {"<script>alert(1)</script>"}}, http.StatusBadRequest, "could not read the people chosen"},
		{url.Values{"scope": {"selected"}, "item": {"badge:data:1"}}, http.StatusBadRequest, "could not read the people chosen"},
		{url.Values{"scope": {"selected"}, "item": {"course:data:99999999999"}}, http.StatusForbidden, "nothing was sent"},
		{url.Values{"scope": {"selected"}, "item": many}, http.StatusRequestEntityTooLarge, ""},
	} {
		res := mgr.post("/team/report/remind", tc.form)
		res.expect(t, tc.status, tc.says)
	}
	mgr.post("/team/report/remind?status=nonsense", url.Values{"scope": {"all"}}).expect(t, http.StatusBadRequest, "Unknown status")
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'manager_reminder'`) + ts.count(`SELECT COUNT(*) FROM manager_reminders`); n != 0 {
		t.Fatalf("bad requests queued %d rows", n)
	}
}
