package handlers

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"steward/internal/browsertest"
	"steward/internal/demo"
)

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Stop()
	os.Exit(code)
}

// listen serves ts on a real port on 127.0.0.1 for the browser.
func (ts *testServer) listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.App().Listener(ln)
	t.Cleanup(func() { ts.srv.App().Shutdown() })
	return "http://" + ln.Addr().String()
}

// browserLogin signs in through the login form, as a person would.
func browserLogin(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), demo.Password),
		chromedp.Click(chromedp.CSS(`main button[type=submit]`)),
		// The sign-out button is only there once signed in; waiting for
		// any heading would race the login page's own.
		chromedp.WaitVisible(chromedp.CSS(`.nav-wide form[action="/logout"]`)),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.HasSuffix(loc, "/home") {
		t.Fatalf("after sign-in the browser is at %q (%v)", loc, err)
	}
}

// lookAt visits each path as email ("" for anonymous) and checks what a
// person would notice: no serious or critical axe-core violation, no
// sideways scrolling on a 375 px phone. With STEWARD_SCREENSHOTS set it
// also saves screenshots at desktop and phone width.
func lookAt(t *testing.T, ts *testServer, email string, paths ...string) {
	t.Helper()
	b := browsertest.Start(t)
	base := ts.listen(t)
	ctx := b.Tab(t)
	if email != "" {
		browserLogin(t, ctx, base, email)
	}
	who := email
	if who == "" {
		who = "anonymous"
	}
	for _, p := range paths {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
			t.Fatalf("%s as %s: %v", p, who, err)
		}
		for _, v := range browsertest.Axe(t, ctx) {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, n.HTML)
			}
			t.Errorf("%s as %s: axe %s (%s): %s\n  %s", p, who, v.ID, v.Impact, v.Description, strings.Join(where, "\n  "))
		}
		if ok, width := browsertest.FitsPhone(t, ctx); !ok {
			t.Errorf("%s as %s: %d px wide on a 375 px phone", p, who, width)
		}
		name := strings.SplitN(who, "@", 2)[0] + p
		browsertest.Screenshot(t, ctx, name, 1280)
		browsertest.Screenshot(t, ctx, name+"-phone", 375)
	}
}

func TestBrowserFoundationPages(t *testing.T) {
	ts := newTestServer(t)
	eli := ts.userID(employeeEmail)
	lookAt(t, ts, "", "/login", "/no-such-page")
	lookAt(t, ts, employeeEmail, "/home", "/account/password", "/account/sessions", "/admin/people")
	lookAt(t, ts, managerEmail, "/home", "/team", "/team/people/"+itoa(eli), "/account/settings")
	lookAt(t, ts, adminEmail, "/home", "/admin/people", "/admin/people/new", "/admin/people/"+itoa(eli),
		"/admin/teams", "/admin/people/import")
	lookAt(t, ts, auditorEmail, "/home")
}

// TestMarkupIsValid runs the Nu HTML checker over the foundation's pages,
// including forms re-rendered with errors.
func TestMarkupIsValid(t *testing.T) {
	ts := newTestServer(t)
	pages := map[string]string{}
	anon := ts.client()
	pages["login"] = anon.get("/login").Body
	pages["404"] = anon.get("/nope").Body
	admin := ts.as(adminEmail)
	eli := itoa(ts.userID(employeeEmail))
	for _, p := range []string{"/home", "/admin/people", "/admin/people/new", "/admin/people/" + eli, "/admin/teams", "/admin/people/import"} {
		pages["admin"+p] = admin.get(p).Body
	}
	pages["admin-person-invalid"] = admin.post("/admin/people", nil).Body
	pages["admin-import-invalid"] = admin.upload("/admin/people/import", "roster", "r.csv", []byte("email,name\n"), nil).Body
	mgr := ts.as(managerEmail)
	pages["manager-team"] = mgr.get("/team").Body
	pages["manager-person"] = mgr.get("/team/people/" + eli).Body
	pages["employee-forbidden"] = ts.as(employeeEmail).get("/admin/people").Body
	pages["employee-sessions"] = ts.as(employeeEmail).get("/account/sessions").Body
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}

func itoa(n int64) string { return strconvFormat(n) }

// TestBrowserAtAnyDate signs in and works in Chromium, on the real clock,
// with the domain's clock a year behind and a year ahead of the real date:
// whatever the browser judges by its own clock (the session cookie's
// expiry) follows the real clock, never the domain's.
func TestBrowserAtAnyDate(t *testing.T) {
	for _, skew := range []struct {
		name  string
		years int
	}{{"a year behind", -1}, {"a year ahead", 1}} {
		t.Run(skew.name, func(t *testing.T) {
			ts := newTestServerAt(t, time.Now().UTC().AddDate(skew.years, 0, 0).Truncate(time.Hour))
			b := browsertest.Start(t)
			base := ts.listen(t)
			for _, who := range []string{employeeEmail, managerEmail, adminEmail} {
				ctx := b.Tab(t)
				browserLogin(t, ctx, base, who)
				for _, p := range []string{"/courses", "/my/policies", "/account/data", "/home"} {
					if err := chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
						t.Fatalf("%s as %s: %v", p, who, err)
					}
					signedIn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('form[action="/logout"]') !== null`))
					if err != nil {
						t.Fatalf("%s as %s: %v", p, who, err)
					}
					if !signedIn {
						t.Fatalf("%s as %s: the browser lost its session", p, who)
					}
				}
			}
		})
	}
}

// TestCookiesFollowTheRealClock checks the session cookie's expiry against
// the real clock, with the domain's clock far from it either way.
func TestCookiesFollowTheRealClock(t *testing.T) {
	for _, years := range []int{-1, 1} {
		ts := newTestServer(t)
		ts.setNow(time.Now().UTC().AddDate(years, 0, 0))
		res := ts.client().get("/login")
		var ck *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "steward_session" {
				ck = c
			}
		}
		if ck == nil {
			t.Fatal("the login form set no session cookie")
		}
		left := time.Until(ck.Expires)
		if left < ts.srv.cfg.MaxSession-time.Minute || left > ts.srv.cfg.MaxSession+time.Minute {
			t.Errorf("domain clock %+d years: the cookie expires in %s by the real clock, want %s", years, left, ts.srv.cfg.MaxSession)
		}
		if d, err := http.ParseTime(res.Header.Get("Date")); err != nil || time.Since(d).Abs() > time.Minute {
			t.Errorf("domain clock %+d years: Date %q is not now", years, res.Header.Get("Date"))
		}
	}
}
