package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"steward/internal/browsertest"
)

var calLinkRE = regexp.MustCompile(`value="https?://[^"]*(/calendar/[A-Za-z0-9_-]+\.ics)"`)

// TestCalendarFeed follows a person who subscribes to their due dates: the
// link is shown once; the feed, read by an iCalendar parser, holds their
// courses and policies on the days the database says, nothing of anyone
// else; a new link stops the old one; stopping or leaving stops it.
func TestCalendarFeed(t *testing.T) {
	ts := newTestServer(t)
	// Someone with a course still to complete.
	var email string
	if err := ts.db.Get(&email, `SELECT u.email FROM users u JOIN course_cycles cy ON cy.user_id = u.id
		WHERE u.role = 'employee' AND u.active = TRUE AND u.password_hash <> '' AND cy.closed_at IS NULL
		  AND cy.completed_at IS NULL AND cy.exempt = FALSE ORDER BY u.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	eli := ts.as(email)
	eli.get("/account/calendar").expect(t, http.StatusOK, "You have no calendar link yet")
	made := eli.post("/account/calendar", url.Values{})
	made.expect(t, http.StatusCreated, "Copy this link now")
	m := calLinkRE.FindStringSubmatch(made.Body)
	if m == nil {
		t.Fatalf("no link on the page: %s", snippet(made.Body))
	}
	feedPath := m[1]
	if strings.Contains(eli.get("/account/calendar").Body, feedPath) {
		t.Error("the link is shown a second time")
	}
	for _, problem := range browsertest.ValidateHTML(t, map[string]string{"calendar-made": made.Body, "calendar": eli.get("/account/calendar").Body}) {
		t.Error(problem)
	}
	lookAt(t, ts, email, "/account/calendar")

	res := ts.client().get(feedPath)
	res.expect(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("Content-Type %q", ct)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(res.Body))
	if err != nil {
		t.Fatalf("an iCalendar parser refuses the feed: %v\n%s", err, res.Body)
	}
	days := map[string]string{} // summary -> DTSTART
	for _, ev := range cal.Events() {
		days[ev.GetProperty(ics.ComponentPropertySummary).Value] = ev.GetProperty(ics.ComponentPropertyDtStart).Value
	}
	// Against the database: Eli's open course cycles and their due days.
	var due []struct {
		Title string    `db:"title"`
		Due   time.Time `db:"due_at"`
	}
	if err := ts.db.Select(&due, ts.db.Rebind(`SELECT c.title, cy.due_at FROM course_cycles cy JOIN courses c ON c.id = cy.course_id
		WHERE cy.user_id = ? AND cy.closed_at IS NULL AND cy.completed_at IS NULL AND cy.exempt = FALSE`), ts.userID(email)); err != nil {
		t.Fatal(err)
	}

	for _, d := range due {
		if got := days["Training due: "+d.Title]; got != d.Due.UTC().Format("20060102") {
			t.Errorf("%s: the feed says %q, the database %s", d.Title, got, d.Due.UTC().Format("20060102"))
		}
	}
	acks := 0
	for s := range days {
		if strings.HasPrefix(s, "Acknowledge: ") {
			acks++
		}
	}
	if acks == 0 {
		t.Error("no policy to acknowledge in the feed, though the demo employee has some pending")
	}
	if strings.Contains(res.Body, "manager@example.com") || strings.Contains(res.Body, "Maya Brooks") {
		t.Error("the feed names someone else")
	}

	// A new link stops the old one.
	again := eli.post("/account/calendar", url.Values{})
	newPath := calLinkRE.FindStringSubmatch(again.Body)[1]
	ts.client().get(feedPath).expect(t, http.StatusNotFound, "does not work")
	ts.client().get(newPath).expect(t, http.StatusOK)
	eli.post("/account/calendar/stop", url.Values{}).expect(t, http.StatusSeeOther)
	ts.client().get(newPath).expect(t, http.StatusNotFound)
	eli.post("/account/calendar/stop", url.Values{}).expect(t, http.StatusConflict, "no calendar link")

	// A leaver's link stops with them.
	third := calLinkRE.FindStringSubmatch(eli.post("/account/calendar", url.Values{}).Body)[1]
	admin := ts.as(adminEmail)
	admin.post("/admin/people/"+itoa(ts.userID(email))+"/deactivate", url.Values{}).expect(t, http.StatusSeeOther)
	ts.client().get(third).expect(t, http.StatusNotFound)

	for _, bad := range []string{"/calendar/nope.ics", "/calendar/" + strings.Repeat("A", 32) + ".ics", "/calendar/%00"} {
		if r := ts.client().get(bad); r.StatusCode != http.StatusNotFound && r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, r.StatusCode)
		}
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'user.calendar.%'`); n != 4 {
		t.Errorf("%d calendar audit entries, want 4 (three links, one stop)", n)
	}
	if got := redactTokenPath(feedPath); strings.Contains(got, strings.TrimPrefix(feedPath, "/calendar/")) {
		t.Errorf("a calendar link is logged whole: %s", got)
	}
}
