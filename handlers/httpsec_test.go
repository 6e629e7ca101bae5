package handlers

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/config"
	"steward/internal/logfmt"
)

// withConfig rebuilds ts's server over the same database with the
// configuration changed by edit.
func withConfig(t *testing.T, ts *testServer, edit func(*config.Config)) {
	t.Helper()
	cfg := ts.srv.cfg
	edit(&cfg)
	srv, err := New(Deps{
		Config: cfg, DB: ts.db, Now: ts.clock, Wall: ts.wall, BcryptCost: bcrypt.MinCost,
		Logger: slog.New(logfmt.New(io.Discard, slog.LevelInfo)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
}

func TestMetricsNeedTheToken(t *testing.T) {
	ts := newTestServer(t)
	// Without a token, /metrics is not there, for anyone.
	ts.client().get("/metrics").expect(t, http.StatusNotFound, "There is no page at this address.")
	ts.as(adminEmail).get("/metrics").expect(t, http.StatusNotFound)

	token := strings.Repeat("t0ken", 8)
	withConfig(t, ts, func(c *config.Config) { c.MetricsToken = token })
	get := func(auth string) *response {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return ts.client().do(req)
	}
	for _, auth := range []string{"", "Bearer", "Bearer " + token[:len(token)-1], "Bearer " + token + "x", "Basic " + token, token} {
		res := get(auth)
		res.expect(t, http.StatusUnauthorized, "STEWARD_METRICS_TOKEN")
		if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%q: WWW-Authenticate %q", auth, res.Header.Get("WWW-Authenticate"))
		}
		if strings.Contains(res.Body, "steward_http_requests_total") {
			t.Fatalf("%q: metrics leaked", auth)
		}
	}
	// Signed in is not enough: only the token opens it.
	ts.as(adminEmail).get("/metrics").expect(t, http.StatusUnauthorized)
	res := get("Bearer " + token)
	res.expect(t, http.StatusOK, "steward_http_requests_total")
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	get("bearer "+token).expect(t, http.StatusOK)
}

func TestMetricsOnTheirOwnAddress(t *testing.T) {
	ts := newTestServer(t)
	ts.client().get("/healthz").expect(t, http.StatusOK)
	srv := httptest.NewServer(ts.srv.MetricsHandler())
	defer srv.Close()
	get := func(path, auth string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/metrics", ""); code != http.StatusOK || !strings.Contains(body, `route="/healthz"`) {
		t.Fatalf("own address without a token: %d\n%s", code, body)
	}
	// Only /metrics is served there.
	for _, p := range []string{"/", "/login", "/healthz", "/admin/people"} {
		if code, _ := get(p, ""); code != http.StatusNotFound {
			t.Errorf("%s on the metrics address: %d", p, code)
		}
	}
	token := strings.Repeat("k", 40)
	withConfig(t, ts, func(c *config.Config) { c.MetricsToken = token })
	tokened := httptest.NewServer(ts.srv.MetricsHandler())
	defer tokened.Close()
	srv = tokened
	if code, _ := get("/metrics", ""); code != http.StatusUnauthorized {
		t.Fatalf("own address with a token set, none sent: %d", code)
	}
	if code, _ := get("/metrics", "Bearer "+token); code != http.StatusOK {
		t.Fatalf("own address with the token: %d", code)
	}
}

// TestSignedInAnswersAreNotStored walks every GET route as every role:
// whatever a signed-in person is sent (pages, exports, errors, redirects)
// says Cache-Control: no-store, while anonymous readers of the public
// policy pages still get their cacheable answers.
func TestSignedInAnswersAreNotStored(t *testing.T) {
	ts := newTestServer(t)
	var paths []string
	for _, r := range ts.srv.App().GetRoutes(true) {
		if r.Method == http.MethodGet {
			paths = append(paths, fillParams(r.Path))
		}
	}
	// Exports with their data, and a page that is not there.
	paths = append(paths, "/team/report.csv", "/admin/audit.csv", "/account/data.json",
		"/reports/evidence?as_of=2026-06-30&format=json", "/reports/evidence?as_of=2026-06-30&format=csv",
		"/admin/courses/responsible-use-of-customer-data/export.zip", "/no/such/page")
	for _, email := range []string{employeeEmail, managerEmail, auditorEmail, adminEmail} {
		c := ts.as(email)
		for _, p := range paths {
			res := c.get(p)
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("GET %s as %s: %d with Cache-Control %q, want no-store", p, email, res.StatusCode, got)
			}
		}
	}
	anon := ts.client()
	for _, p := range []string{"/policies/privacy", "/policies/privacy/history", "/api/v1/policies", "/policies/privacy/v/1.md"} {
		res := anon.get(p)
		if got := res.Header.Get("Cache-Control"); res.StatusCode != http.StatusOK || !strings.HasPrefix(got, "public") {
			t.Errorf("anonymous GET %s: %d with Cache-Control %q, want public", p, res.StatusCode, got)
		}
	}
}

// TestDeeplyNestedMarkdownIsRefusedFast: a 199 KB body of nested block
// quotes kept the policy preview busy for over a minute; now the editors
// refuse it with 422, at once, and save nothing.
func TestDeeplyNestedMarkdownIsRefusedFast(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.as(adminEmail)
	deep := strings.Repeat(">", 199_000)
	drafts := ts.count(`SELECT COUNT(*) FROM policy_versions`)
	for _, action := range []string{"preview", "save"} {
		start := time.Now()
		adm.post("/admin/policies/privacy/draft", url.Values{"body": {deep}, "summary": {"deep"}, "change": {"minor"}, "action": {action}}).
			expect(t, http.StatusUnprocessableEntity, "too deeply nested: line 1 nests block quotes and lists more than 32 deep")
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %v", action, d)
		}
	}
	if after := ts.count(`SELECT COUNT(*) FROM policy_versions`); after != drafts {
		t.Fatalf("policy versions %d -> %d", drafts, after)
	}

	const course = "/admin/courses/responsible-use-of-customer-data/modules/1"
	revision := ts.count(`SELECT MAX(revision) FROM courses`)
	form := url.Values{"position": {"1"}, "title": {"Deep"}, "body": {strings.Repeat("[a](", 40_000)}, "questions": {"1"},
		"q0.kind": {"truefalse"}, "q0.text": {"Deep?"}, "q0.answer": {"true"}, "op": {"save"}}
	start := time.Now()
	adm.post(course, form).expect(t, http.StatusUnprocessableEntity, "body is too deeply nested: line 1 nests unclosed ( parentheses")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("module save took %v", d)
	}
	if after := ts.count(`SELECT MAX(revision) FROM courses`); after != revision {
		t.Fatalf("course revision %d -> %d", revision, after)
	}
}

// TestCorruptCourseZipIsABadRequest uploads damaged copies of a real
// exported course: each is a 400 that names the problem and changes nothing.
func TestCorruptCourseZipIsABadRequest(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.as(adminEmail)
	exp := adm.get("/admin/courses/responsible-use-of-customer-data/export.zip")
	exp.expect(t, http.StatusOK)
	good := []byte(exp.Body)
	revision := ts.count(`SELECT SUM(revision) FROM courses`)
	damaged := map[string][]byte{
		"garbage":          []byte("not a zip at all"),
		"empty":            {},
		"first half":       good[:len(good)/2],
		"last byte gone":   good[:len(good)-1],
		"central dir gone": good[:len(good)-22],
	}
	// A byte flipped inside the first file's compressed data: the
	// directory is intact, the content is not.
	flipped := bytes.Clone(good)
	flipped[200] ^= 0xff
	damaged["byte flipped"] = flipped
	for name, data := range damaged {
		t.Run(name, func(t *testing.T) {
			res := adm.upload("/admin/courses/upload", "folder", "course.zip", data, nil)
			res.expect(t, http.StatusBadRequest, "damaged or is not a zip")
		})
	}
	if after := ts.count(`SELECT SUM(revision) FROM courses`); after != revision {
		t.Fatalf("damaged zips changed the course: revisions %d -> %d", revision, after)
	}
	// The undamaged export still imports (as a no-op).
	res := adm.upload("/admin/courses/upload", "folder", "course.zip", good, nil)
	res.expect(t, http.StatusSeeOther)
	adm.get(res.Header.Get("Location")).expect(t, http.StatusOK, "is unchanged")
	// Wherever a byte is damaged, the answer is never a 5xx, and a refusal
	// changes nothing. (A byte no checksum covers, such as a file's date or
	// a letter of its name, can leave a sound zip of another course
	// folder: that one imports, as any sound upload would.)
	for i := 0; i < len(good); i += len(good) / 50 {
		b := bytes.Clone(good)
		b[i] ^= 0xff
		before := ts.count(`SELECT SUM(revision) FROM courses`)
		res := adm.upload("/admin/courses/upload", "folder", "course.zip", b, nil)
		if res.StatusCode >= 500 {
			t.Errorf("byte %d of %d flipped: %d\n%s", i, len(good), res.StatusCode, snippet(res.Body))
		}
		if after := ts.count(`SELECT SUM(revision) FROM courses`); res.StatusCode >= 400 && after != before {
			t.Errorf("byte %d of %d flipped: refused with %d but the course changed", i, len(good), res.StatusCode)
		}
	}
}
