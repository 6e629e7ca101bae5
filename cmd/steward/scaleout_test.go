package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/bcrypt"
	"log/slog"
	"net/http/httptest"
	"steward/handlers"
	"steward/internal/config"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/demo"
	"steward/internal/mail"
	"steward/internal/reports"
	"steward/policies"
)

// Two `steward serve` processes on one PostgreSQL database, as behind a
// load balancer: a sign-in on one holds on the other, the daily sweep that
// both start at the same moment runs once, and their outbox workers share
// the queue without sending any message twice or losing one.
func TestTwoServersOnOnePostgresDatabase(t *testing.T) {
	dbURL := dbtest.PostgresSchema(t) // skips without STEWARD_TEST_POSTGRES_URL
	if testing.Short() {
		t.Skip("starts two servers and sends thousands of emails")
	}
	sink := newCountingSink(t)
	keys := strings.Repeat("5a", 32)
	base := map[string]string{
		"STEWARD_DATABASE_URL": dbURL,
		"STEWARD_SESSION_KEYS": keys,
		"STEWARD_SMTP_URL":     sink.url(),
	}
	if code, _, stderr := steward(t, base, "", "demo"); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	d, err := db.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	// A few thousand emails to staff wait in the outbox before either
	// process starts.
	const queued = 3000
	var staff []struct {
		ID    int64  `db:"id"`
		Email string `db:"email"`
	}
	if err := d.Select(&staff, `SELECT id, email FROM users WHERE active = TRUE ORDER BY id`); err != nil || len(staff) == 0 {
		t.Fatalf("demo staff: %d, %v", len(staff), err)
	}
	now := time.Now().UTC()
	err = d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		msgs := make([]mail.Message, queued)
		for i := range msgs {
			u := staff[i%len(staff)]
			msgs[i] = mail.Message{To: u.Email, UserID: &u.ID, Kind: "load_test",
				Subject: fmt.Sprintf("Message %d", i), Text: "Hello.", HTML: "<p>Hello.</p>",
				DedupeKey: fmt.Sprintf("load:%d", i)}
		}
		_, err := mail.EnqueueManyIDs(context.Background(), tx, msgs, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Both start at the same moment: both schedulers find today's sweep due.
	ctx, stop := context.WithCancel(context.Background())
	var servers sync.WaitGroup
	addrs := []string{freeAddr(t), freeAddr(t)}
	start := make(chan struct{})
	for i, addr := range addrs {
		env := map[string]string{"STEWARD_ADDR": addr, "STEWARD_MAIL_FROM": fmt.Sprintf("steward-%c@example.com", 'a'+i)}
		for k, v := range base {
			env[k] = v
		}
		servers.Add(1)
		go func() {
			defer servers.Done()
			<-start
			var out, errOut bytes.Buffer
			if code := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut); code != 0 {
				t.Errorf("serve on %s: exit %d\n%s", addr, code, errOut.String())
			}
		}()
	}
	close(start)
	defer func() {
		stop()
		servers.Wait()
	}()
	for _, addr := range addrs {
		waitReady(t, addr)
	}

	t.Run("signed in on one is signed in on the other", func(t *testing.T) {
		jar, _ := cookiejar.New(nil) // cookies ignore the port: one browser, two backends
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		a, b := "http://"+addrs[0], "http://"+addrs[1]
		if res := get(t, c, b+"/home"); res.StatusCode == http.StatusOK {
			t.Fatal("/home answered before signing in")
		}
		token := csrfToken(t, get(t, c, a+"/login").body)
		res, err := c.PostForm(a+"/login", url.Values{"_csrf": {token}, "email": {"manager@example.com"}, "password": {demo.Password}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in on the first server: status %d", res.StatusCode)
		}
		home := get(t, c, b+"/home")
		if home.StatusCode != http.StatusOK || !strings.Contains(home.body, "Sign out") {
			t.Fatalf("the second server does not know the sign-in: status %d", home.StatusCode)
		}
		// A form rendered by one server posts to the other.
		token = csrfToken(t, home.body)
		res, err = c.PostForm(a+"/logout", url.Values{"_csrf": {token}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 400 {
			t.Fatalf("sign-out on the first server with the second's form: status %d", res.StatusCode)
		}
	})

	// Everything queued (the load and what the sweep queued) is sent.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var open int
		if err := d.Get(&open, `SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending', 'failed')`); err != nil {
			t.Fatal(err)
		}
		var runs int
		if err := d.Get(&runs, `SELECT COUNT(*) FROM reminder_runs`); err != nil {
			t.Fatal(err)
		}
		if open == 0 && runs > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after two minutes %d emails are still waiting and %d sweeps ran", open, runs)
		}
		time.Sleep(200 * time.Millisecond)
	}

	t.Run("the daily sweep and retention ran once", func(t *testing.T) {
		var runs int
		d.Get(&runs, `SELECT COUNT(*) FROM reminder_runs`)
		var digests, people int
		d.Get(&digests, `SELECT COUNT(*) FROM outbox WHERE kind = 'reminders'`)
		d.Get(&people, `SELECT COUNT(DISTINCT recipient) FROM outbox WHERE kind = 'reminders'`)
		if runs != 1 || digests != people || digests == 0 {
			t.Fatalf("%d sweeps, %d reminder emails for %d people; want one sweep and one email each", runs, digests, people)
		}
		t.Logf("one sweep queued %d reminder emails", digests)
		var retentionRuns int
		d.Get(&retentionRuns, `SELECT COUNT(*) FROM retention_runs`)
		if retentionRuns != 1 {
			t.Fatalf("retention ran %d times at start, want once", retentionRuns)
		}
	})

	t.Run("every message sent once", func(t *testing.T) {
		var sent int
		d.Get(&sent, `SELECT COUNT(*) FROM outbox WHERE status = 'sent'`)
		var load int
		d.Get(&load, `SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND kind = 'load_test'`)
		got, byFrom := sink.counts()
		var twice []string
		total := 0
		for id, n := range got {
			total += n
			if n > 1 {
				twice = append(twice, id)
			}
		}
		if len(twice) > 0 {
			t.Fatalf("%d messages were delivered more than once, e.g. %s", len(twice), twice[0])
		}
		var st []struct {
			Status string `db:"status"`
			Kind   string `db:"kind"`
			N      int    `db:"n"`
			E      string `db:"e"`
		}
		d.Select(&st, `SELECT status, kind, COUNT(*) AS n, MAX(last_error) AS e FROM outbox GROUP BY status, kind`)
		t.Logf("%+v", st)
		if load != queued || total != sent || len(got) != sent {
			t.Fatalf("the sink received %d messages (%d distinct); the outbox says %d sent, %d of the %d queued", total, len(got), sent, load, queued)
		}
		if len(byFrom) != 2 {
			t.Fatalf("only one process sent mail: %v", byFrom)
		}
		t.Logf("%d messages delivered once each; by process: %v", total, byFrom)
	})
}

type page struct {
	StatusCode int
	body       string
}

func get(t *testing.T, c *http.Client, u string) page {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, string(b)}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfToken(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the page has no CSRF token")
	}
	return m[1]
}

// freeAddr returns a 127.0.0.1 address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not become ready", addr)
}

// countingSink is an SMTP server on 127.0.0.1 that counts deliveries by
// Message-ID and by sender.
type countingSink struct {
	addr   string
	mu     sync.Mutex
	byID   map[string]int
	byFrom map[string]int
}

func newCountingSink(t *testing.T) *countingSink {
	t.Helper()
	s := &countingSink{byID: map[string]int{}, byFrom: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &countingSession{s: s}, nil }))
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("sink: %v", err)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *countingSink) url() string {
	return "smtp://steward:secret@" + s.addr + "?starttls=none&timeout=5s"
}

func (s *countingSink) counts() (map[string]int, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byID, byFrom := map[string]int{}, map[string]int{}
	for k, v := range s.byID {
		byID[k] = v
	}
	for k, v := range s.byFrom {
		byFrom[k] = v
	}
	return byID, byFrom
}

type countingSession struct {
	s    *countingSink
	from string
}

func (ss *countingSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (ss *countingSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "steward" || pass != "secret" {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}
func (ss *countingSession) Reset()        { ss.from = "" }
func (ss *countingSession) Logout() error { return nil }
func (ss *countingSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *countingSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *countingSession) Data(r io.Reader) error {
	msg, err := netmail.ReadMessage(r)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, msg.Body)
	ss.s.mu.Lock()
	ss.s.byID[msg.Header.Get("Message-ID")]++
	ss.s.byFrom[ss.from]++
	ss.s.mu.Unlock()
	return nil
}

// benchPeople is the size of the organisation the page benchmarks run on,
// as in the reports package's benchmarks.
const benchPeople = 10000

// BenchmarkPagesByDatabase serves the public policy page and a manager's
// team report through the whole app (sessions, SQL, templates) from the
// same generated organisation on SQLite and on PostgreSQL, in one run.
func BenchmarkPagesByDatabase(b *testing.B) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	opens := []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.Open}, {"postgres", dbtest.OpenPostgres}}
	for _, o := range opens {
		if o.name == "postgres" && dbtest.PostgresURL() == "" {
			continue
		}
		d := o.open(b)
		ctx := context.Background()
		if _, err := demo.Large(ctx, d, now, demo.LargeOptions{People: benchPeople, BcryptCost: bcrypt.MinCost}); err != nil {
			b.Fatal(err)
		}
		// The large organisation has staff policies only; add the public ones.
		r, err := mail.NewRenderer("http://127.0.0.1:8080")
		if err != nil {
			b.Fatal(err)
		}
		if err := policies.SeedDemo(ctx, policies.NewStore(d, r), now); err != nil {
			b.Fatal(err)
		}
		cfg, err := config.Load(func(string) string { return "" })
		if err != nil {
			b.Fatal(err)
		}
		// As serve leaves it: it refreshes the remembered standings at
		// start and then daily (runStandingsRefresh).
		if _, err := reports.New(d, cfg.MinGroupSize, cfg.RetentionDays).Refresh(ctx, now); err != nil {
			b.Fatal(err)
		}
		// A running PostgreSQL has vacuumed and analysed its tables
		// (autovacuum does after a bulk load); a fresh schema has not yet,
		// and without statistics and visibility maps its plans differ.
		if d.Dialect == db.Postgres {
			if _, err := d.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
				b.Fatal(err)
			}
		}
		srv, err := handlers.New(handlers.Deps{Config: cfg, DB: d, Now: func() time.Time { return now },
			BcryptCost: bcrypt.MinCost, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		cookie := signIn(b, srv.App(), "manager@example.com")
		pages := []struct{ name, path, cookie string }{
			{"policy-page", "/policies/privacy", ""},
			{"manager-report", "/team/report", cookie},
		}
		h := srv.App().Handler()
		for _, p := range pages {
			var ctx fasthttp.RequestCtx
			serve := func(b *testing.B) {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod(fiber.MethodGet)
				ctx.Request.SetRequestURI(p.path)
				if p.cookie != "" {
					ctx.Request.Header.Set(fiber.HeaderCookie, p.cookie)
				}
				h(&ctx)
				if ctx.Response.StatusCode() != fiber.StatusOK {
					b.Fatalf("%s on %s: status %d", p.path, o.name, ctx.Response.StatusCode())
				}
			}
			// The first view fills caches and computes the ended months of
			// the trend; measure the views after it.
			serve(b)
			b.Run(p.name+"/"+o.name, func(b *testing.B) {
				for b.Loop() {
					serve(b)
				}
			})
		}
	}
}

// signIn signs in through the login form and returns the Cookie header
// that carries the session.
func signIn(b *testing.B, app *fiber.App, email string) string {
	b.Helper()
	res, err := app.Test(httptest.NewRequest(http.MethodGet, "/login", nil), -1)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	m := csrfField.FindSubmatch(body)
	if m == nil {
		b.Fatal("the login page has no CSRF token")
	}
	cookies := res.Cookies()
	form := url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {demo.Password}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err = app.Test(req, -1)
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
		b.Fatalf("sign-in as %s: status %d", email, res.StatusCode)
	}
	var parts []string
	for _, c := range res.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}
