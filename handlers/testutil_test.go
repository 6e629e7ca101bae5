package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/config"
	"steward/internal/db"
	"steward/internal/demo"
	"steward/internal/logfmt"
)

// testStart is the clock's start in tests: a fixed, ordinary day.
var testStart = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// testServer is a Server on a fresh SQLite file with the demo organisation.
type testServer struct {
	t   testing.TB
	srv *Server
	db  *db.DB

	mu    sync.Mutex
	now   time.Time
	ahead time.Duration // how far the wall clock runs ahead of the real one
}

// newTestServer starts a server whose clock starts at testStart; advance
// it with ts.setNow.
func newTestServer(t testing.TB) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "steward.db")
	if err := os.WriteFile(path, demoTemplate(t), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return newTestServerOn(t, d)
}

// newTestServerAt starts a server whose domain clock starts at start, on a
// demo organisation seeded at that moment (slower than newTestServer, which
// copies one seeded at testStart).
func newTestServerAt(t testing.TB, start time.Time) *testServer {
	t.Helper()
	d, err := db.Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx := context.Background()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, d, start, demo.Options{BcryptCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	ts := newTestServerOn(t, d)
	ts.setNow(start)
	return ts
}

// newTestServerOn starts a server over d, which already holds the demo.
func newTestServerOn(t testing.TB, d *db.DB) *testServer {
	t.Helper()
	return newTestServerEnv(t, d, nil)
}

// newTestServerEnv starts a server over d with these environment
// settings besides the tests' own.
func newTestServerEnv(t testing.TB, d *db.DB, env map[string]string) *testServer {
	t.Helper()
	// The test client's connection comes from 0.0.0.0; it sends each
	// client's address in X-Forwarded-For, as a proxy would.
	cfg, err := config.Load(func(k string) string {
		if k == "STEWARD_TRUSTED_PROXIES" {
			return "0.0.0.0"
		}
		return env[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, db: d, now: testStart}
	srv, err := New(Deps{
		Config: cfg, DB: d, Now: ts.clock, Wall: ts.wall, BcryptCost: bcrypt.MinCost,
		Logger: slog.New(logfmt.New(io.Discard, slog.LevelInfo)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
	return ts
}

var (
	templateOnce sync.Once
	templateDB   []byte
	templateErr  error
)

// demoTemplate seeds the demo organisation once per test binary and
// returns the database file's bytes; each test server starts from a copy.
func demoTemplate(t testing.TB) []byte {
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "steward-template-")
		if err != nil {
			templateErr = err
			return
		}
		defer os.RemoveAll(dir)
		d, err := db.Open(filepath.Join(dir, "seed.db"))
		if err != nil {
			templateErr = err
			return
		}
		defer d.Close()
		ctx := context.Background()
		if _, err := d.Migrate(ctx); err != nil {
			templateErr = err
			return
		}
		if _, err := demo.Seed(ctx, d, testStart, demo.Options{BcryptCost: bcrypt.MinCost}); err != nil {
			templateErr = err
			return
		}
		// VACUUM INTO writes one self-contained file, WAL included.
		out := filepath.Join(dir, "template.db")
		if err := d.Backup(ctx, out); err != nil {
			templateErr = err
			return
		}
		templateDB, templateErr = os.ReadFile(out)
	})
	if templateErr != nil {
		t.Fatalf("demo template: %v", templateErr)
	}
	return templateDB
}

func (ts *testServer) clock() time.Time {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.now
}

// wall is the server's real clock: the real time, moved forward by
// advanceWall to reach a session's or a sign-in limit's end.
func (ts *testServer) wall() time.Time {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return time.Now().UTC().Add(ts.ahead)
}

// advanceWall moves the server's real clock d further ahead.
func (ts *testServer) advanceWall(d time.Duration) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.ahead += d
}

func (ts *testServer) setNow(t time.Time) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.now = t.UTC()
}

// count runs a COUNT(*) query, for asserting that nothing was written.
func (ts *testServer) count(query string, args ...any) int {
	ts.t.Helper()
	var n int
	if err := ts.db.Get(&n, ts.db.Rebind(query), args...); err != nil {
		ts.t.Fatal(err)
	}
	return n
}

// client is a browser: it keeps cookies and the last CSRF token it saw.
type client struct {
	ts      *testServer
	t       testing.TB
	cookies map[string]string
	csrf    string
	ip      string
}

func (ts *testServer) client() *client {
	return &client{ts: ts, t: ts.t, cookies: map[string]string{}, ip: "192.0.2.10"}
}

// response is an answered request with its body read.
type response struct {
	*http.Response
	Body string
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	var parts []string
	for k, v := range c.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	req.Header.Set("X-Forwarded-For", c.ip)
	req.RemoteAddr = c.ip + ":1234"
	res, err := c.ts.srv.App().Test(req, -1)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfRE.FindSubmatch(body); m != nil {
		c.csrf = string(m[1])
	}
	return &response{Response: res, Body: string(body)}
}

func (c *client) get(path string) *response {
	c.t.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// token returns a CSRF token for the current session, fetching a page if
// the client has not seen one yet.
func (c *client) token() string {
	if c.csrf == "" {
		c.get("/login")
	}
	if c.csrf == "" { // signed in: /login redirects, /home has the sign-out form
		c.get("/home")
	}
	return c.csrf
}

// post sends a form with the session's CSRF token added.
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.token())
	}
	return c.postRaw(path, form)
}

// postRaw sends a form exactly as given (no CSRF token added).
func (c *client) postRaw(path string, form url.Values) *response {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// upload posts a multipart form with one file and the CSRF token.
func (c *client) upload(path, field, filename string, content []byte, fields url.Values) *response {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", c.token())
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	fw, _ := w.CreateFormFile(field, filename)
	fw.Write(content)
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

// login signs the client in with the demo password and fails the test otherwise.
func (c *client) login(email string) *client {
	c.t.Helper()
	res := c.post("/login", url.Values{"email": {email}, "password": {demo.Password}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d\n%s", email, res.StatusCode, res.Body)
	}
	c.csrf = ""
	c.get("/home")
	return c
}

// as returns a new client signed in as email.
func (ts *testServer) as(email string) *client { return ts.client().login(email) }

// The demo accounts, one per role.
const (
	adminEmail    = "admin@example.com"
	auditorEmail  = "auditor@example.com"
	managerEmail  = "manager@example.com"
	employeeEmail = "employee@example.com"
)

func (r *response) expect(t testing.TB, status int, contains ...string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d\n%s", r.StatusCode, status, snippet(r.Body))
	}
	for _, s := range contains {
		if !strings.Contains(r.Body, s) {
			t.Fatalf("body does not contain %q\n%s", s, snippet(r.Body))
		}
	}
}

func snippet(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "..."
	}
	return s
}

func (ts *testServer) userID(email string) int64 {
	ts.t.Helper()
	var id int64
	if err := ts.db.Get(&id, ts.db.Rebind(`SELECT id FROM users WHERE email = ?`), email); err != nil {
		ts.t.Fatalf("user %s: %v", email, err)
	}
	return id
}

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }
