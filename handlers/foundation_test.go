package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"steward/internal/db/dbtest"
	"steward/internal/demo"
	"steward/internal/people"
)

func TestDemoAccountsLandOnTheirRolePage(t *testing.T) {
	ts := newTestServer(t)
	for email, want := range map[string]string{
		adminEmail:    "You look after this site for the whole organisation",
		auditorEmail:  "organisation-wide records",
		managerEmail:  "your team is one click away",
		employeeEmail: "Here is what you need to do",
	} {
		t.Run(email, func(t *testing.T) {
			ts.as(email).get("/home").expect(t, http.StatusOK, want)
		})
	}
}

func TestLoginGivesNothingAwayAndIsRateLimited(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client()
	wrong := c.post("/login", url.Values{"email": {employeeEmail}, "password": {"not-the-password"}})
	unknown := c.post("/login", url.Values{"email": {"nobody@example.com"}, "password": {"not-the-password"}})
	wrong.expect(t, http.StatusUnauthorized, "Wrong email or password.")
	unknown.expect(t, http.StatusUnauthorized, "Wrong email or password.")

	var limited *response
	for i := 0; i < 10; i++ {
		limited = c.post("/login", url.Values{"email": {employeeEmail}, "password": {"guess-" + strconv.Itoa(i)}})
	}
	limited.expect(t, http.StatusTooManyRequests, "Too many failed sign-ins")
	if ra, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > 15*60 {
		t.Fatalf("Retry-After = %q", limited.Header.Get("Retry-After"))
	}
	// Even the right password is refused while the account is locked...
	c.post("/login", url.Values{"email": {employeeEmail}, "password": {"steward-demo"}}).expect(t, http.StatusTooManyRequests)
	// ...and accepted once the window has passed.
	ts.advanceWall(16 * time.Minute)
	res := c.post("/login", url.Values{"email": {employeeEmail}, "password": {"steward-demo"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/home" {
		t.Fatalf("login after the window: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'login.failure'`); n < 6 {
		t.Fatalf("only %d failed sign-ins audited", n)
	}
}

func TestSessionCookieIsRotatedOnLoginAndHardened(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client()
	res := c.get("/login")
	before := c.cookies["steward_session"]
	if before == "" {
		t.Fatal("the login form set no session cookie (its CSRF token needs one)")
	}
	ck := res.Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Fatalf("cookie flags: %+v", ck)
	}
	oldToken := c.csrf
	c.login(employeeEmail)
	if c.cookies["steward_session"] == before || c.csrf == oldToken {
		t.Fatal("signing in kept the anonymous session's cookie or CSRF token")
	}
	// A cookie copied from before sign-in does not carry the sign-in.
	stale := ts.client()
	stale.cookies["steward_session"] = before
	if res := stale.get("/home"); res.StatusCode != http.StatusFound {
		t.Fatalf("old cookie reached /home: %d", res.StatusCode)
	}
}

func TestSessionsExpire(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(employeeEmail)
	ts.advanceWall(29 * time.Minute)
	c.get("/home").expect(t, http.StatusOK)
	ts.advanceWall(31 * time.Minute)
	res := c.get("/home")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("after 31 idle minutes: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// Absolute limit: active every 20 minutes, still signed out after 12 hours.
	c = ts.as(employeeEmail)
	for m := 20; m < 12*60; m += 20 {
		ts.advanceWall(20 * time.Minute)
		c.get("/home").expect(t, http.StatusOK)
	}
	ts.advanceWall(20*time.Minute + time.Minute)
	if res := c.get("/home"); res.StatusCode != http.StatusFound {
		t.Fatalf("after 12 hours: %d", res.StatusCode)
	}
}

func TestPostWithoutCSRFIsRefusedAndChangesNothing(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(adminEmail)
	before := ts.count(`SELECT COUNT(*) FROM teams`)
	res := c.postRaw("/admin/teams", url.Values{"name": {"Legal"}})
	res.expect(t, http.StatusForbidden, "did not come from this site")
	c.postRaw("/admin/teams", url.Values{"name": {"Legal"}, "_csrf": {"forged"}}).expect(t, http.StatusForbidden)
	if after := ts.count(`SELECT COUNT(*) FROM teams`); after != before {
		t.Fatalf("teams %d -> %d", before, after)
	}
	c.post("/admin/teams", url.Values{"name": {"Legal"}}).expect(t, http.StatusSeeOther)
	// Signing out also needs the token, so a cross-site form cannot sign people out.
	c.postRaw("/logout", nil).expect(t, http.StatusForbidden)
}

func TestEmployeeGetsForbiddenOnAdminPages(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(employeeEmail)
	for _, p := range []string{"/admin/people", "/admin/teams", "/admin/people/import", "/team"} {
		c.get(p).expect(t, http.StatusForbidden, "Your role does not give you access")
	}
	anon := ts.client()
	res := anon.get("/admin/people")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/login?next=%2Fadmin%2Fpeople" {
		t.Fatalf("anonymous: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestManagerSeesOnlyTheirLine(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(managerEmail)
	employee := ts.userID(employeeEmail)
	indirect := ts.userID("growth.lead@example.com")
	outside := ts.userID("sales.lead@example.com")
	c.get("/team").expect(t, http.StatusOK, "Eli Turner", "Tomás Silva")
	c.get(fmt.Sprintf("/team/people/%d", employee)).expect(t, http.StatusOK, "Eli Turner")
	c.get(fmt.Sprintf("/team/people/%d", indirect)).expect(t, http.StatusOK, "Tomás Silva")
	for _, id := range []string{strconv.FormatInt(outside, 10), strconv.FormatInt(ts.userID(managerEmail), 10), "999999", "abc", "-1"} {
		res := c.get("/team/people/" + id)
		res.expect(t, http.StatusNotFound)
		if strings.Contains(res.Body, "Grace Okafor") {
			t.Fatal("the 404 page names the person outside the line")
		}
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied'`); n < 2 {
		t.Fatalf("denied attempts audited: %d", n)
	}
	if res := c.get("/team"); strings.Contains(res.Body, "Grace Okafor") {
		t.Fatal("the team page lists someone outside the line")
	}
}

func TestAdminPeopleFormsRejectBadInputAndWriteNothing(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(adminEmail)
	count := func() int { return ts.count(`SELECT COUNT(*) FROM users`) }
	before := count()
	long := strings.Repeat("x", 201)
	cases := []struct {
		name string
		form url.Values
		msg  string
	}{
		{"empty", url.Values{}, "Enter an email address."},
		{"malformed email", url.Values{"email": {"not-an-email"}, "name": {"X"}, "role": {"employee"}}, "Enter an email address like"},
		{"too long", url.Values{"email": {"x@example.com"}, "name": {long}, "role": {"employee"}}, "at most 200 characters"},
		{"duplicate", url.Values{"email": {"EMPLOYEE@example.com"}, "name": {"Copy"}, "role": {"employee"}}, "already has this email"},
		{"unknown role", url.Values{"email": {"x@example.com"}, "name": {"X"}, "role": {"overlord"}}, "Choose one of the roles."},
		{"unknown team", url.Values{"email": {"x@example.com"}, "name": {"X"}, "role": {"employee"}, "team_id": {"99999"}}, "That team does not exist."},
		{"team not a number", url.Values{"email": {"x@example.com"}, "name": {"X"}, "role": {"employee"}, "team_id": {"1 OR 1=1"}}, "Choose a team"},
		{"unknown manager", url.Values{"email": {"x@example.com"}, "name": {"X"}, "role": {"employee"}, "manager_email": {"ghost@example.com"}}, "Nobody in Steward has this email."},
		{"bad date", url.Values{"email": {"x@example.com"}, "name": {"X"}, "role": {"employee"}, "hired_on": {"yesterday"}}, "Enter a date like"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.post("/admin/people", tc.form)
			res.expect(t, http.StatusUnprocessableEntity, tc.msg)
			if v := tc.form.Get("name"); v != "" && v != long && !strings.Contains(res.Body, `value="`+v+`"`) {
				t.Fatal("the form did not keep the input")
			}
		})
	}
	if after := count(); after != before {
		t.Fatalf("people %d -> %d after rejected forms", before, after)
	}

	res := c.post("/admin/people", url.Values{"email": {"New.Hire@Example.com"}, "name": {"New Hire"}, "role": {"employee"},
		"manager_email": {employeeEmail}, "hired_on": {"2026-11-20"}})
	res.expect(t, http.StatusSeeOther)
	id := ts.userID("new.hire@example.com")
	c.get(res.Header.Get("Location")).expect(t, http.StatusOK, "New Hire has been added.", "2026-11-20")

	// Eli cannot report to someone who reports to Eli.
	eli := ts.userID(employeeEmail)
	res = c.post(fmt.Sprintf("/admin/people/%d", eli), url.Values{"email": {employeeEmail}, "name": {"Eli Turner"},
		"role": {"employee"}, "manager_email": {"new.hire@example.com"}})
	res.expect(t, http.StatusUnprocessableEntity, "above them in the reporting line")
	c.post(fmt.Sprintf("/admin/people/%d", id+1000), url.Values{"email": {"a@example.com"}, "name": {"A"}, "role": {"employee"}}).
		expect(t, http.StatusNotFound)

	c.post(fmt.Sprintf("/admin/people/%d/deactivate", ts.userID(adminEmail)), nil).expect(t, http.StatusConflict, "cannot deactivate yourself")
	c.post(fmt.Sprintf("/admin/people/%d/deactivate", id), nil).expect(t, http.StatusSeeOther)
	if n := ts.count(`SELECT COUNT(*) FROM users WHERE id = ? AND active = ?`, id, false); n != 1 {
		t.Fatal("not deactivated")
	}
	// A deactivated person cannot sign in, and their session ends.
	c.post(fmt.Sprintf("/admin/people/%d/reactivate", id), nil).expect(t, http.StatusSeeOther)
}

func TestRoleChangeIsAudited(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(adminEmail)
	eli := ts.userID(employeeEmail)
	c.post(fmt.Sprintf("/admin/people/%d", eli), url.Values{"email": {employeeEmail}, "name": {"Eli Turner"},
		"role": {"manager"}, "manager_email": {managerEmail}}).expect(t, http.StatusSeeOther)
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.role' AND detail = 'employee -> manager'`); n != 1 {
		t.Fatalf("role change audited %d times", n)
	}
}

func TestDeactivatedPersonIsSignedOut(t *testing.T) {
	ts := newTestServer(t)
	eli := ts.as(employeeEmail)
	ts.as(adminEmail).post(fmt.Sprintf("/admin/people/%d/deactivate", ts.userID(employeeEmail)), nil).expect(t, http.StatusSeeOther)
	if res := eli.get("/home"); res.StatusCode != http.StatusFound {
		t.Fatalf("deactivated person's session still works: %d", res.StatusCode)
	}
	res := ts.client().post("/login", url.Values{"email": {employeeEmail}, "password": {"steward-demo"}})
	res.expect(t, http.StatusUnauthorized, "Wrong email or password.")
}

func TestRosterUploadRejectsWholeFileWithEveryLine(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(adminEmail)
	before := ts.count(`SELECT COUNT(*) FROM users`)
	bad := "email,name,team,manager_email,role,hired_on\n" +
		"ok@example.com,Okay,Legal,,employee,2026-01-01\n" +
		",Missing,Legal,,employee,\n" +
		"ok@example.com,Twice,Legal,,employee,\n" +
		"x@example.com,X,Legal,nobody@example.com,employee,\n" +
		"y@example.com,Y,Legal,,king,\n" +
		"z@example.com,Z,Legal,,employee,2026-13-01\n"
	res := c.upload("/admin/people/import", "roster", "roster.csv", []byte(bad), nil)
	res.expect(t, http.StatusUnprocessableEntity, "nothing was imported", "Line 3:", "Line 4:", "Line 6:", "Line 7:")
	if after := ts.count(`SELECT COUNT(*) FROM users`); after != before {
		t.Fatalf("people %d -> %d", before, after)
	}
	if ts.count(`SELECT COUNT(*) FROM teams WHERE name = 'Legal'`) != 0 {
		t.Fatal("a rejected roster created a team")
	}
	// The unknown manager is only found against the database, after the file
	// itself is clean.
	bad2 := "email,name,team,manager_email,role,hired_on\nx@example.com,X,Legal,nobody@example.com,employee,\n"
	c.upload("/admin/people/import", "roster", "r.csv", []byte(bad2), nil).expect(t, http.StatusUnprocessableEntity, "Line 2:", "nobody@example.com")

	good := "email,name,team,manager_email,role,hired_on\nlena@example.com,Lena Law,Legal,manager@example.com,employee,2026-02-02\n"
	c.upload("/admin/people/import", "roster", "r.csv", []byte(good), nil).expect(t, http.StatusSeeOther)
	c.get("/admin/people").expect(t, http.StatusOK, "Roster imported: 1 added")
	c.upload("/admin/people/import", "roster", "r.csv", []byte(good), nil).expect(t, http.StatusSeeOther)
	c.get("/admin/people").expect(t, http.StatusOK, "0 added, 0 updated, 1 unchanged")
}

func TestSecurityHeadersAndHealth(t *testing.T) {
	ts := newTestServer(t)
	res := ts.client().get("/healthz")
	res.expect(t, http.StatusOK, "ok")
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP = %q", csp)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
	ts.client().get("/readyz").expect(t, http.StatusOK, "ready")
	ts.client().get("/metrics").expect(t, http.StatusNotFound) // no STEWARD_METRICS_TOKEN: see TestMetricsNeedTheToken
	ts.client().get("/no/such/page").expect(t, http.StatusNotFound, "There is no page at this address.")
	ts.db.Close()
	ts.client().get("/readyz").expect(t, http.StatusServiceUnavailable)
}

// TestEveryRouteHasAnAccessRule walks every registered route as every role
// and as an anonymous visitor. A route without a declared rule fails, and
// so does one that answers a role its rule excludes. Routes added later are
// checked without touching this test.
func TestEveryRouteHasAnAccessRule(t *testing.T) { walkEveryRoute(t, newTestServer(t)) }

// TestEveryRouteOnPostgres walks every route as every role on PostgreSQL
// with the demo loaded: the same rules hold and no page answers 5xx there.
func TestEveryRouteOnPostgres(t *testing.T) {
	d := dbtest.OpenPostgres(t)
	if _, err := demo.Seed(context.Background(), d, testStart, demo.Options{BcryptCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	ts := newTestServerOn(t, d)
	walkEveryRoute(t, ts)
	// The pages that read the most SQL, each with data, as their users.
	ts.as(managerEmail).get("/team/report?status=all").expect(t, http.StatusOK, "Team report")
	ts.as(managerEmail).get("/team/report.csv").expect(t, http.StatusOK)
	ts.as(auditorEmail).get("/reports").expect(t, http.StatusOK)
	ts.as(auditorEmail).get("/reports/evidence?as_of=2026-06-30&format=json").expect(t, http.StatusOK)
	ts.as(employeeEmail).get("/home").expect(t, http.StatusOK, "Responsible use of customer data")
	ts.as(adminEmail).get("/admin/audit").expect(t, http.StatusOK)
	ts.client().get("/policies/privacy/diff/2/3").expect(t, http.StatusOK)
}

func walkEveryRoute(t *testing.T, ts *testServer) {
	t.Helper()
	who := []struct {
		email string
		role  people.Role
	}{{"", ""}, {employeeEmail, people.RoleEmployee}, {managerEmail, people.RoleManager}, {auditorEmail, people.RoleAuditor}, {adminEmail, people.RoleAdmin}}
	routes := ts.srv.App().GetRoutes(true)
	if len(routes) < 10 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, r := range routes {
		if r.Method == fiber.MethodHead {
			continue
		}
		rule, ok := ts.srv.rules[r.Method+" "+r.Path]
		if !ok {
			t.Errorf("%s %s has no access rule: register it with s.route", r.Method, r.Path)
			continue
		}
		path := fillParams(r.Path)
		for _, w := range who {
			c := ts.client()
			if w.email != "" {
				c.login(w.email)
			}
			var res *response
			if r.Method == fiber.MethodGet {
				res = c.get(path)
			} else {
				res = c.post(path, url.Values{})
			}
			denied := res.StatusCode == http.StatusForbidden && strings.Contains(res.Body, "Your role does not give you access") ||
				res.StatusCode == http.StatusUnauthorized ||
				(res.StatusCode == http.StatusFound && strings.HasPrefix(res.Header.Get("Location"), "/login?next="))
			if allowed := rule.allows(w.role); allowed && denied {
				t.Errorf("%s %s as %q: denied (%d) but the rule allows it", r.Method, r.Path, w.role, res.StatusCode)
			} else if !allowed && !denied {
				t.Errorf("%s %s as %q: answered %d but the rule excludes this role", r.Method, r.Path, w.role, res.StatusCode)
			}
			if res.StatusCode >= 500 {
				t.Errorf("%s %s as %q: %d\n%s", r.Method, r.Path, w.role, res.StatusCode, snippet(res.Body))
			}
		}
	}
}

// fillParams puts plausible values into a route's parameters.
func fillParams(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch {
		case p == "*":
			parts[i] = "css/app.css"
		case strings.HasPrefix(p, ":"):
			name := strings.TrimSuffix(strings.TrimPrefix(p, ":"), "?")
			switch {
			case strings.Contains(name, "slug"):
				parts[i] = "privacy"
			case strings.Contains(name, "token") || strings.Contains(name, "code"):
				parts[i] = "unknown-token"
			default:
				parts[i] = "1"
			}
		}
	}
	return strings.Join(parts, "/")
}

func TestHomeShowsMyTrainingAndPolicies(t *testing.T) {
	ts := newTestServer(t)
	res := ts.as(employeeEmail).get("/home")
	res.expect(t, http.StatusOK, "Training", "Responsible use of customer data", "Policies to acknowledge", "Acceptable use of customer data")
	ts.as(adminEmail).get("/home").expect(t, http.StatusOK, `href="/admin/policies"`, `href="/admin/courses"`, `href="/admin/outbox"`)
}

func TestControlCharactersAreRefusedAndWriteNothing(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(adminEmail)
	before := ts.count(`SELECT COUNT(*) FROM teams`)
	c.post("/admin/teams", url.Values{"name": {"Le\x00gal"}}).expect(t, http.StatusBadRequest, "control characters")
	c.post("/admin/teams", url.Values{"name": {"Bell\x07"}}).expect(t, http.StatusBadRequest)
	c.get("/admin/people?q=%00").expect(t, http.StatusBadRequest)
	if after := ts.count(`SELECT COUNT(*) FROM teams`); after != before {
		t.Fatalf("teams %d -> %d", before, after)
	}
	// Text with tabs and line breaks is still text.
	c.post("/admin/teams", url.Values{"name": {"Legal\tand Risk"}}).expect(t, http.StatusSeeOther)
}

func TestManagersChooseTheWeeklySummary(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(managerEmail)
	c.get("/account/settings").expect(t, http.StatusOK, `name="team_weekly" checked`)
	// As the browser sends it unticked: only the hidden field.
	c.post("/account/settings", url.Values{"team_weekly": {"off"}}).expect(t, http.StatusSeeOther)
	c.get("/account/settings").expect(t, http.StatusOK, "no longer get the weekly summary")
	if res := c.get("/account/settings"); strings.Contains(res.Body, `name="team_weekly" checked`) {
		t.Fatal("the opt-out did not stick")
	}
	c.post("/account/settings", url.Values{"team_weekly": {"maybe"}}).expect(t, http.StatusUnprocessableEntity)
	c.post("/account/settings", url.Values{}).expect(t, http.StatusUnprocessableEntity)
	// As the browser sends it ticked: the checkbox first, then the hidden field.
	c.post("/account/settings", url.Values{"team_weekly": {"on", "off"}}).expect(t, http.StatusSeeOther)
	c.get("/account/settings").expect(t, http.StatusOK, `name="team_weekly" checked`)
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'settings.team_weekly'`); n != 2 {
		t.Fatalf("settings changes audited %d times, want 2", n)
	}
	ts.as(employeeEmail).get("/account/settings").expect(t, http.StatusForbidden)
}
