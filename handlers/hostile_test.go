package handlers

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"steward/internal/config"
	"steward/internal/demo"
)

// hostileValues is the corpus every field, parameter and query value gets.
var hostileValues = []string{
	"' OR '1'='1' --",
	"1; DROP TABLE users; --",
	`"><script>alert(1)</script>`,
	"{{.}}${7*7}",
	"../../../../etc/passwd",
	"..%2F..%2Fetc%2Fpasswd",
	"\xff\xfe\xfd invalid UTF-8",
	"nul\x00byte",
	"\u202egnp.exe",
	"-1",
	"-9223372036854775809",
	"99999999999999999999999999",
	"1e309",
	"NaN",
	"overlord",
	strings.Repeat("A", 201_000), // longer than the longest field Steward takes, a policy body
}

// hostileFields are form field names posted with every hostile value, on
// top of the names scraped from Steward's own forms.
var hostileFields = []string{"email", "name", "role", "team", "team_id", "manager_email", "hired_on", "password",
	"slug", "title", "audience", "summary", "body", "change", "change_kind", "effective", "reason", "user_id",
	"position", "attempt", "q1", "token", "next", "id", "status", "kind"}

// hostileQuery are query parameters sent with every hostile value to GET routes.
var hostileQuery = []string{"q", "page", "status", "role", "team", "who", "action", "target", "from", "to",
	"as_of", "format", "kind", "next", "n", "id", "code"}

var fieldNameRE = regexp.MustCompile(`name="([a-zA-Z0-9_]+)"`)

// dbState is every table of the database, hashed, with the audit log
// kept apart: it may grow, but only with entries the test allows.
type dbState struct {
	tables   map[string]string
	auditMax int64
}

func (ts *testServer) state() dbState {
	ts.t.Helper()
	var names []string
	if err := ts.db.Select(&names, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
		ts.t.Fatal(err)
	}
	st := dbState{tables: map[string]string{}}
	for _, name := range names {
		if name == "sessions" || name == "installation_keys" {
			// Signing in and out, which the test does between requests,
			// writes sessions; a key is generated the first time it is needed.
			continue
		}
		if name == "audit_log" {
			if err := ts.db.Get(&st.auditMax, `SELECT COALESCE(MAX(id), 0) FROM audit_log`); err != nil {
				ts.t.Fatal(err)
			}
			continue
		}
		// Rows are sorted here, not by rowid: some tables have none.
		rows, err := ts.db.Queryx(`SELECT * FROM "` + name + `"`)
		if err != nil {
			ts.t.Fatal(err)
		}
		var lines []string
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				ts.t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		rows.Close()
		sort.Strings(lines)
		h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		st.tables[name] = fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(h[:])[:16])
	}
	return st
}

// allowedAudit are the entries a refused or read-only request may leave:
// refusals themselves, failed sign-ins, the record of an export, and the
// test's own sign-ins after each sign-out.
var allowedAudit = regexp.MustCompile(`^(access\.denied|login\.failure|login\.success|logout|user\.sessions\.end|[a-z]+\.export)$`)

// diff names what changed between two states, apart from allowed audit entries.
func (ts *testServer) diff(before, after dbState) []string {
	var out []string
	for name, h := range after.tables {
		if before.tables[name] != h {
			out = append(out, fmt.Sprintf("table %s: %s -> %s", name, before.tables[name], h))
		}
	}
	var actions []string
	if err := ts.db.Select(&actions, ts.db.Rebind(`SELECT action FROM audit_log WHERE id > ? ORDER BY id`), before.auditMax); err != nil {
		ts.t.Fatal(err)
	}
	for _, a := range actions {
		if !allowedAudit.MatchString(a) {
			out = append(out, "audit entry "+a)
		}
	}
	sort.Strings(out)
	return out
}

// hostileParams puts v into every parameter of a route.
func hostileParams(path, v string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			suffix := ""
			if j := strings.IndexByte(p, '.'); j > 0 {
				suffix = p[j:] // keep ".md" in /v/:n.md
			}
			parts[i] = url.PathEscape(v) + suffix
		}
	}
	return strings.Join(parts, "/")
}

// hostileForm sets every field to v, keeping the whole form under the
// 10 MB body limit (a larger body is TestOversizedRequests' case).
func hostileForm(fields map[string]bool, v string) url.Values {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	form := url.Values{}
	size := 0
	for _, f := range names {
		if size += len(f) + 3*len(v); size > 9<<20 {
			break
		}
		form.Set(f, v)
	}
	return form
}

// inURL shortens a value for a URL: the server refuses request headers over
// its 16 KB read buffer before any handler runs, which
// TestOversizedRequestsAreRefusedBeforeHandlers checks on its own.
func inURL(v string) string {
	if len(v) > 500 {
		return v[:500]
	}
	return v
}

// hostileZip is a course folder zip whose entries climb out of the folder.
func hostileZip(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"../../../../tmp/steward-hostile/course.yaml": "slug: ../../x\ntitle: <script>\n",
		"course.yaml":           "slug: \"'; DROP TABLE courses; --\"\ndue_days: -1\n",
		"01-a.md":               "---\nposition: 99999999999999999999\n---\n\xff",
		"/etc/passwd":           "root:x:0:0",
		"02-b.md/../../03-c.md": "x",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

// TestHostileInputChangesNothing sends the hostile corpus to every route as
// every role: in parameters, query strings, form fields, uploaded files and
// oversized bodies. Nothing may answer 5xx (a panic is one), and a refused
// request may leave no trace in the database beyond the audit entries that
// record refusals and exports. The few forms whose fields are free text
// accept some values: those are listed, and every other change fails.
func TestHostileInputChangesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("sends thousands of requests")
	}
	ts := newTestServer(t)
	who := []string{"", employeeEmail, managerEmail, auditorEmail, adminEmail}
	clients := map[string]*client{}
	for i, w := range who {
		c := ts.client()
		c.ip = fmt.Sprintf("198.51.100.%d", i+1)
		if w != "" {
			c.login(w)
		}
		clients[w] = c
	}
	routes := ts.srv.App().GetRoutes(true)
	// Sign-in and sign-out go last: they end sessions and trip the
	// sign-in rate limiter, which would spoil the rest.
	rank := func(p string) int {
		return map[string]int{"/account/sessions/end": 1, "/admin/people/:id/sessions/end": 1, "/logout": 1, "/login": 2}[p]
	}
	sort.SliceStable(routes, func(i, j int) bool { return rank(routes[i].Path) < rank(routes[j].Path) })

	editForms := map[string]bool{}
	for _, r := range routes {
		if r.Method == fiber.MethodGet {
			editForms[r.Path] = true
		}
	}

	// Field names of Steward's own forms, from its pages as an admin.
	fields := map[string]bool{}
	for _, f := range hostileFields {
		fields[f] = true
	}
	for _, r := range routes {
		if r.Method == fiber.MethodGet && !strings.Contains(r.Path, "*") {
			for _, m := range fieldNameRE.FindAllStringSubmatch(clients[adminEmail].get(fillParams(r.Path)).Body, -1) {
				fields[m[1]] = true
			}
		}
	}
	delete(fields, "_csrf")

	// A free-text field takes text that only looks hostile; these routes
	// may store what they are sent.
	freeText := map[string]bool{"POST /admin/teams": true, "POST /admin/provisioning/tokens": true}
	// These take no input at all: any post does their one thing (make a
	// calendar link, stop it), whatever else it carries.
	noInput := map[string]bool{"POST /account/calendar": true, "POST /account/calendar/stop": true}
	accepted := map[string][]int{}

	requests := 0
	check := func(what string, res *response) {
		t.Helper()
		requests++
		if res.StatusCode >= 500 {
			t.Errorf("%s: %d\n%s", what, res.StatusCode, snippet(res.Body))
		}
	}
	for _, r := range routes {
		if r.Method == fiber.MethodHead || strings.Contains(r.Path, "*") || r.Path == "/" && r.Method != fiber.MethodGet {
			continue
		}
		key := r.Method + " " + r.Path
		before := ts.state()
		for _, w := range who {
			c := clients[w]
			for i, v := range hostileValues {
				path := hostileParams(r.Path, inURL(v))
				switch r.Method {
				case fiber.MethodGet:
					q := url.Values{}
					for _, k := range hostileQuery {
						q.Set(k, inURL(v))
					}
					check(fmt.Sprintf("%s as %q with value %d", key, w, i), c.get(path+"?"+q.Encode()))
				case fiber.MethodPost:
					res := c.post(path, hostileForm(fields, v))
					check(fmt.Sprintf("%s as %q with value %d", key, w, i), res)
					if res.StatusCode < 400 {
						accepted[key] = append(accepted[key], i)
					}
					if (r.Path == "/logout" || strings.HasSuffix(r.Path, "/sessions/end")) && w != "" && res.StatusCode < 400 {
						c.csrf = ""
						c.login(w)
					}
				}
			}
			if r.Method != fiber.MethodPost {
				continue
			}
			// An edit form (a page at the same address) gets the same
			// fields at a record that exists: the handler finds it, then
			// must refuse the form.
			if fillParams(r.Path) != r.Path && editForms[r.Path] {
				for i, v := range hostileValues {
					res := c.post(fillParams(r.Path)+"?id="+url.QueryEscape(inURL(v)), hostileForm(fields, v))
					check(fmt.Sprintf("%s (real parameters) as %q with value %d", key, w, i), res)
					if res.StatusCode < 400 {
						accepted[key+" (real parameters)"] = append(accepted[key+" (real parameters)"], i)
					}
				}
			}
			// Files, to the routes that take them: a hostile CSV and a zip
			// whose entries climb out of the folder.
			if !expensive(r.Method, r.Path) {
				continue
			}
			for _, file := range []string{"roster", "folder"} {
				for name, content := range map[string][]byte{
					"../../roster.csv": []byte("email,name,team,manager_email,role,hired_on\n\"'; DROP TABLE users; --\",<script>,../..,x,overlord,-1\n\xff\xfe\n"),
					"course.zip":       hostileZip(t),
				} {
					res := c.upload(fillParams(r.Path), file, name, content, nil)
					check(fmt.Sprintf("%s as %q uploading %s as %s", key, w, name, file), res)
				}
			}
		}
		if r.Method == fiber.MethodPost {
			// A body over the limit, sent once: the server refuses it
			// before any handler reads it.
			if err := tooLarge(ts, fillParams(r.Path)); err != nil {
				t.Errorf("%s: %v", key, err)
			}
			requests++
		}
		if changes := ts.diff(before, ts.state()); len(changes) > 0 && !noInput[key] {
			if len(accepted[key]) == 0 || !freeText[key] {
				t.Errorf("%s: hostile input changed the database:\n  %s\n  accepted values: %v", key, strings.Join(changes, "\n  "), accepted)
			}
		}
	}
	if _, err := os.Stat("/tmp/steward-hostile"); err == nil {
		t.Error("an uploaded zip wrote outside its folder")
	}
	for key := range freeText {
		t.Logf("%s stored hostile-looking values %v as text", key, accepted[key])
	}
	t.Logf("%d hostile requests over %d routes", requests, len(routes))
	// What a free-text form stored comes back escaped.
	ts.advanceWall(20 * time.Minute) // past the lockout the hostile sign-ins caused
	fresh := ts.client()
	page := fresh.login(adminEmail).get("/admin/teams")
	if strings.Contains(page.Body, hostileValues[2]) || !strings.Contains(page.Body, "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the teams page does not escape a stored script payload")
	}
}

// tooLarge posts an 11 MB form to path and reports unless the server
// refused it for its size: with 413, or, in app.Test, by closing the
// connection with fasthttp's body limit error.
func tooLarge(ts *testServer, path string) error {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(bytes.Repeat([]byte("a"), 11<<20)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := ts.srv.App().Test(req, -1)
	switch {
	case err != nil && strings.Contains(err.Error(), "body size exceeds the given limit"):
		return nil
	case err != nil:
		return fmt.Errorf("an 11 MB body: %v", err)
	case res.StatusCode != http.StatusRequestEntityTooLarge:
		return fmt.Errorf("an 11 MB body: %d, want 413", res.StatusCode)
	}
	return nil
}

func TestOversizedRequestsAreRefusedBeforeHandlers(t *testing.T) {
	ts := newTestServer(t)
	before := ts.state()
	long := strings.Repeat("A", 20_000)
	for _, path := range []string{"/policies/" + long, "/admin/audit?who=" + long, "/api/v1/policies?x=" + long} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		res, err := ts.srv.App().Test(req, -1)
		if err == nil && res.StatusCode < 400 {
			t.Errorf("a %d-byte URL was answered %d", len(path), res.StatusCode)
		}
		if err == nil && res.StatusCode >= 500 {
			t.Errorf("a %d-byte URL: %d", len(path), res.StatusCode)
		}
	}
	if err := tooLarge(ts, "/login"); err != nil {
		t.Fatal(err)
	}
	if changes := ts.diff(before, ts.state()); len(changes) > 0 {
		t.Fatalf("oversized requests changed the database: %v", changes)
	}
}

// newTLSTestServer is newTestServer as deployed behind TLS: an https base
// URL and a real session key, which turn on Secure cookies and HSTS.
func newTLSTestServer(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"STEWARD_BASE_URL":     "https://steward.example.com",
			"STEWARD_SESSION_KEYS": strings.Repeat("ab", 32),
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Deps{Config: cfg, DB: ts.db, Now: ts.clock, Wall: ts.wall, BcryptCost: bcrypt.MinCost,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
	return ts
}

var (
	scriptTag     = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	inlineHandler = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	inlineStyle   = regexp.MustCompile(`(?i)<style|\sstyle\s*=`)
	postForm      = regexp.MustCompile(`(?is)<form[^>]*method="post"[^>]*>.*?</form>`)
)

// TestRealResponsesKeepTheSecurityPromises reads real responses of every
// page, as every role, behind TLS: the session cookie is __Host-, Secure,
// HttpOnly and SameSite=Lax and reveals nothing; every response carries
// the CSP (no 'unsafe-inline', no 'unsafe-eval') and the other headers,
// HSTS included; no page has inline script, style or event handlers the
// CSP would block; and every form that posts carries the CSRF token.
// TestSessionCookieIsRotatedOnLoginAndHardened and
// TestSecurityHeadersAndHealth check the same over plain HTTP on one page.
func TestRealResponsesKeepTheSecurityPromises(t *testing.T) {
	ts := newTLSTestServer(t)
	const cookieName = "__Host-steward_session"

	c := ts.client()
	res := c.post("/login", url.Values{"email": {employeeEmail}, "password": {demo.Password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == cookieName {
			session = ck
		}
	}
	if session == nil {
		t.Fatalf("no %s cookie; cookies: %v", cookieName, res.Cookies())
	}
	if !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie flags: %+v", session)
	}
	for _, leak := range []string{employeeEmail, "Eli"} {
		if strings.Contains(session.Value, leak) {
			t.Fatalf("the session cookie shows %q", leak)
		}
	}
	if len(res.Cookies()) != 1 {
		t.Fatalf("sign-in set %d cookies, the privacy notice promises one", len(res.Cookies()))
	}

	seen := 0
	for _, who := range []string{"", employeeEmail, managerEmail, auditorEmail, adminEmail} {
		cl := ts.client()
		if who != "" {
			cl.login(who)
		}
		for _, r := range ts.srv.App().GetRoutes(true) {
			if r.Method != fiber.MethodGet {
				continue
			}
			path := fillParams(r.Path)
			res := cl.get(path)
			seen++
			what := fmt.Sprintf("GET %s as %q (%d)", path, who, res.StatusCode)
			csp := res.Header.Get("Content-Security-Policy")
			// The embed is the one page made to be framed, by this site and
			// the configured origins only (STEWARD_EMBED_ORIGINS: none here).
			embed := strings.HasSuffix(r.Path, "/embed")
			frame, xfo := "frame-ancestors 'none'", "DENY"
			if embed {
				frame, xfo = "frame-ancestors 'self';", ""
			}
			if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
				!strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, frame) {
				t.Errorf("%s: CSP %q", what, csp)
			}
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": xfo,
				"Referrer-Policy": "same-origin", "Strict-Transport-Security": "max-age=63072000; includeSubDomains"} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s: %s = %q, want %q", what, h, got, want)
				}
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				continue
			}
			for _, tag := range scriptTag.FindAllString(res.Body, -1) {
				if !strings.Contains(tag, ` src="/static/`) {
					t.Errorf("%s: a script that is not a file of Steward's own: %q", what, tag)
				}
			}
			if m := inlineHandler.FindString(res.Body); m != "" {
				t.Errorf("%s: inline event handler %q", what, m)
			}
			if m := inlineStyle.FindString(res.Body); m != "" {
				t.Errorf("%s: inline style %q", what, m)
			}
			for _, form := range postForm.FindAllString(res.Body, -1) {
				if !strings.Contains(form, `name="_csrf" value="`) {
					t.Errorf("%s: a form posts without the CSRF token:\n%s", what, form[:min(len(form), 300)])
				}
			}
		}
	}
	if seen < 100 {
		t.Fatalf("only %d responses read", seen)
	}
}
