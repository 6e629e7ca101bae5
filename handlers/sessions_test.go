package handlers

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// stolen is another browser holding a copy of c's cookies.
func stolen(c *client) *client {
	thief := c.ts.client()
	thief.cookies = maps.Clone(c.cookies)
	thief.ip = "198.51.100.7"
	return thief
}

func signedOut(t *testing.T, c *client, when string) {
	t.Helper()
	res := c.get("/home")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("%s: a copied cookie still reaches /home (%d)", when, res.StatusCode)
	}
}

// TestCopiedCookiesStopWorking copies a signed-in cookie, does what must end
// the session, and wants the copy refused.
func TestCopiedCookiesStopWorking(t *testing.T) {
	ts := newTestServer(t)
	eli := itoa(ts.userID(employeeEmail))
	cases := []struct {
		name string
		end  func(t *testing.T, victim *client)
	}{
		{"sign out", func(t *testing.T, victim *client) {
			victim.post("/logout", nil).expect(t, http.StatusSeeOther)
		}},
		{"password change", func(t *testing.T, victim *client) {
			victim.post("/account/password", url.Values{"current": {"steward-demo"}, "new": {"another good password"}, "confirm": {"another good password"}}).expect(t, http.StatusSeeOther)
			victim.get("/home").expect(t, http.StatusOK) // the person carries on in a new session
			victim.post("/account/password", url.Values{"current": {"another good password"}, "new": {"steward-demo"}, "confirm": {"steward-demo"}}).expect(t, http.StatusSeeOther)
		}},
		{"password reset", func(t *testing.T, victim *client) {
			anon := ts.client()
			anon.post("/password/forgot", url.Values{"email": {employeeEmail}}).expect(t, http.StatusOK)
			link := ts.lastLink(t, employeeEmail)
			anon.post(link, url.Values{"new": {"steward-demo"}, "confirm": {"steward-demo"}}).expect(t, http.StatusSeeOther)
		}},
		{"deactivation and reactivation", func(t *testing.T, victim *client) {
			admin := ts.as(adminEmail)
			admin.post("/admin/people/"+eli+"/deactivate", nil).expect(t, http.StatusSeeOther)
			admin.post("/admin/people/"+eli+"/reactivate", nil).expect(t, http.StatusSeeOther)
		}},
		{"an admin ends them", func(t *testing.T, victim *client) {
			admin := ts.as(adminEmail)
			admin.get("/admin/people/"+eli).expect(t, http.StatusOK, "signed in in 2 browsers", "End Eli")
			admin.post("/admin/people/"+eli+"/sessions/end", nil).expect(t, http.StatusSeeOther)
			admin.get("/admin/people/"+eli).expect(t, http.StatusOK, "signed in nowhere")
		}},
		{"sign out everywhere", func(t *testing.T, victim *client) {
			victim.post("/account/sessions/end", nil).expect(t, http.StatusSeeOther)
			signedOut(t, victim, "sign out everywhere, the browser that asked")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			victim := ts.as(employeeEmail)
			thief := stolen(victim)
			thief.get("/home").expect(t, http.StatusOK) // the copy works until then
			other := ts.as(employeeEmail)               // a second browser of the same person
			tc.end(t, victim)
			signedOut(t, thief, tc.name)
			if tc.name != "sign out" {
				signedOut(t, other, tc.name+", another browser")
			}
		})
	}
}

func TestRoleChangeEndsSessions(t *testing.T) {
	ts := newTestServer(t)
	victim := ts.as(managerEmail)
	thief := stolen(victim)
	admin := ts.as(adminEmail)
	id := itoa(ts.userID(managerEmail))
	page := admin.get("/admin/people/" + id)
	form := url.Values{}
	for _, field := range []string{"email", "name", "manager_email", "hired_on"} {
		form.Set(field, inputValue(page.Body, field))
	}
	form.Set("role", "employee")
	form.Set("team_id", "")
	admin.post("/admin/people/"+id, form).expect(t, http.StatusSeeOther)
	signedOut(t, thief, "role change")
	signedOut(t, victim, "role change")
	if n := ts.count(`SELECT COUNT(*) FROM sessions WHERE user_id = ? AND ended_at IS NULL`, ts.userID(managerEmail)); n != 0 {
		t.Fatalf("%d sessions live after a role change", n)
	}
}

func inputValue(body, name string) string {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	j := strings.Index(rest, `value="`)
	k := strings.Index(rest, ">")
	if j < 0 || j > k {
		return ""
	}
	rest = rest[j+len(`value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestSessionsPageListsMyBrowsers(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client()
	req := httptest.NewRequest(http.MethodGet, "/login", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	c.do(req)
	form := url.Values{"email": {employeeEmail}, "password": {"steward-demo"}, "_csrf": {c.csrf}}
	req = httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	c.do(req).expect(t, http.StatusSeeOther)
	ts.as(employeeEmail)
	page := c.get("/account/sessions")
	page.expect(t, http.StatusOK, "Firefox on Linux <strong>(this browser)</strong>", ".x</td>", "Sign out everywhere")
	if strings.Count(page.Body, "<tr>") != 3 {
		t.Errorf("want a header row and two sessions:\n%s", snippet(page.Body))
	}
	if page.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", page.Header.Get("Cache-Control"))
	}
	// My data lists every session kept, with the browser and network.
	var inv struct {
		Sessions []struct {
			Browser string `json:"browser"`
			Network string `json:"network"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(c.get("/account/data.json").Body), &inv); err != nil {
		t.Fatal(err)
	}
	if kept := ts.count(`SELECT COUNT(*) FROM sessions WHERE user_id = ?`, ts.userID(employeeEmail)); len(inv.Sessions) != kept || kept < 2 {
		t.Errorf("My data lists %d sessions, the database keeps %d", len(inv.Sessions), kept)
	}
	c.get("/account/data").expect(t, http.StatusOK, `href="/account/sessions"`)
	// Nothing in the table lets a reader of the database take a session over.
	var stored []string
	if err := ts.db.Select(&stored, `SELECT id_hash FROM sessions`); err != nil {
		t.Fatal(err)
	}
	for _, h := range stored {
		if strings.Contains(c.cookies["steward_session"], h) || len(h) != 64 {
			t.Fatalf("stored session id %q is not a hash", h)
		}
	}
}

func TestAdminEndingSessionsIsAudited(t *testing.T) {
	ts := newTestServer(t)
	ts.as(employeeEmail)
	admin := ts.as(adminEmail)
	eli := ts.userID(employeeEmail)
	admin.post("/admin/people/"+itoa(eli)+"/sessions/end", nil).expect(t, http.StatusSeeOther)
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.sessions.end' AND target = ? AND actor_id = ?`,
		"user:"+itoa(eli), ts.userID(adminEmail)); n != 1 {
		t.Fatalf("%d audit entries for ending the sessions", n)
	}
	// Another role cannot.
	ts.as(managerEmail).post("/admin/people/"+itoa(eli)+"/sessions/end", nil).expect(t, http.StatusForbidden)
	admin.post("/admin/people/999999/sessions/end", nil).expect(t, http.StatusNotFound)
}

// TestSignInStaysOnThisSite sends sign-ins with hostile next= values and
// wants every redirect to stay on this site's paths.
func TestSignInStaysOnThisSite(t *testing.T) {
	ts := newTestServer(t)
	for _, next := range []string{
		"/\t/evil.example", "/%09/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
		"https://evil.example", "/\n/evil.example", "/\r\n/evil.example", " //evil.example", "/ /evil.example",
		"javascript:alert(1)", "/\u00a0/evil.example", "/\u2028/evil.example", "http:/evil.example", "/@evil.example",
	} {
		c := ts.client()
		res := c.post("/login", url.Values{"email": {employeeEmail}, "password": {"steward-demo"}, "next": {next}})
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("next=%q: status %d", next, res.StatusCode)
		}
		u, err := url.Parse(loc)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") ||
			strings.ContainsAny(loc, "\\\t\r\n ") {
			t.Errorf("next=%q: redirected to %q", next, loc)
		}
		// A browser would also follow the decoded path.
		if dec, err := url.PathUnescape(loc); err == nil && (strings.HasPrefix(strings.TrimLeft(dec, "/\t\r\n \\"), "evil.example") && strings.Count(dec, "/") > 1) {
			t.Errorf("next=%q: %q decodes to another host", next, loc)
		}
	}
	// An ordinary path with a query survives sign-in.
	res := ts.client().post("/login", url.Values{"email": {employeeEmail}, "password": {"steward-demo"}, "next": {"/courses?x=1"}})
	if res.Header.Get("Location") != "/courses?x=1" {
		t.Errorf("next=/courses?x=1: redirected to %q", res.Header.Get("Location"))
	}
}
