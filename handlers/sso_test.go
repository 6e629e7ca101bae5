package handlers

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"steward/internal/browsertest"
	"steward/internal/db"
	"steward/internal/demo"
)

// ssoSetup is a Steward on a real port, set up for single sign-on at a
// testOP on another.
type ssoSetup struct {
	ts   *testServer
	base string
	op   *testOP
}

// newSSOServer starts the provider and a Steward that signs in with it,
// with env on top of the usual single sign-on settings.
func newSSOServer(t *testing.T, env map[string]string) *ssoSetup {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	o := startOP(t, base)
	settings := map[string]string{
		"STEWARD_BASE_URL":           base,
		"STEWARD_OIDC_ISSUER":        o.issuer,
		"STEWARD_OIDC_CLIENT_ID":     opClientID,
		"STEWARD_OIDC_CLIENT_SECRET": opClientSecret,
		"STEWARD_OIDC_NAME":          "Example ID",
		"STEWARD_OIDC_DOMAINS":       "example.com",
		"STEWARD_OIDC_ROLE_MAP":      "steward-admins:admin,managers:manager",
	}
	for k, v := range env {
		settings[k] = v
	}
	path := filepath.Join(t.TempDir(), "steward.db")
	if err := os.WriteFile(path, demoTemplate(t), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ts := newTestServerEnv(t, d, settings)
	go ts.srv.App().Listener(ln)
	t.Cleanup(func() { ts.srv.App().Shutdown() })
	return &ssoSetup{ts: ts, base: base, op: o}
}

// ssoBrowser is a browser without JavaScript: it follows redirects, keeps
// cookies, and remembers the callbacks the provider sent it to.
type ssoBrowser struct {
	t         *testing.T
	c         *http.Client
	callbacks []string
}

func (s *ssoSetup) browser(t *testing.T) *ssoBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &ssoBrowser{t: t}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/oidc/callback" {
			b.callbacks = append(b.callbacks, req.URL.String())
		}
		return nil
	}}
	return b
}

// ssoPage is where a request ended up, and what it showed.
type ssoPage struct {
	status int
	url    *url.URL
	body   string
}

func (b *ssoBrowser) do(req *http.Request) ssoPage {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return ssoPage{res.StatusCode, res.Request.URL, string(body)}
}

func (b *ssoBrowser) get(u string) ssoPage {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *ssoBrowser) postForm(u string, form url.Values) ssoPage {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn starts a single sign-on at Steward and signs in at the
// provider's login form as username; it returns the page it ends on.
func (b *ssoBrowser) signIn(s *ssoSetup, username string) ssoPage {
	b.t.Helper()
	login := b.get(s.base + "/auth/oidc/start")
	if login.status != http.StatusOK || !strings.HasPrefix(login.url.String(), s.op.issuer+"/login/username") {
		b.t.Fatalf("start: %d at %s:\n%s", login.status, login.url, login.body)
	}
	id := login.url.Query().Get("authRequestID")
	return b.postForm(s.op.issuer+"/login/username", url.Values{"id": {id}, "username": {username}, "password": {opPassword}})
}

func (p ssoPage) expect(t *testing.T, status int, path string, contains ...string) {
	t.Helper()
	if p.status != status || (path != "" && p.url.Path != path) {
		t.Fatalf("got %d at %s, want %d at %s:\n%s", p.status, p.url, status, path, p.body)
	}
	for _, c := range contains {
		if !strings.Contains(p.body, c) {
			t.Fatalf("page at %s does not say %q:\n%s", p.url, c, p.body)
		}
	}
}

func (s *ssoSetup) audit(action string) int {
	return s.ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, action)
}

func TestSSOLinksByVerifiedEmailThenBySubject(t *testing.T) {
	s := newSSOServer(t, nil)
	eli := s.ts.userID(employeeEmail)
	b := s.browser(t)
	b.signIn(s, "eli").expect(t, http.StatusOK, "/home", "Eli Turner")
	if n := s.ts.count(`SELECT COUNT(*) FROM identities WHERE user_id = ? AND subject = 'sub-eli'`, eli); n != 1 {
		t.Fatalf("identities of Eli: %d", n)
	}
	if s.audit("user.identity.link") != 1 || s.audit("login.sso") != 1 {
		t.Fatalf("audit: %d links, %d sign-ins", s.audit("user.identity.link"), s.audit("login.sso"))
	}
	b.get(s.base+"/account/data").expect(t, http.StatusOK, "/account/data", "You sign in with your account at "+s.op.issuer, "sub-eli")

	// The provider now says Eli's email is the admin's: the identity is
	// still Eli's, matched by issuer and subject, never by email again.
	s.op.SetEmail("eli", adminEmail)
	b2 := s.browser(t)
	home := b2.signIn(s, "eli")
	home.expect(t, http.StatusOK, "/home", "Eli Turner")
	if strings.Contains(home.body, "Priya Raman") {
		t.Fatal("signed in as the admin by their email")
	}
	if s.audit("user.identity.link") != 1 || s.audit("login.sso") != 2 {
		t.Fatalf("audit after second sign-in: %d links, %d sign-ins", s.audit("user.identity.link"), s.audit("login.sso"))
	}
}

func TestSSORoleFromGroups(t *testing.T) {
	s := newSSOServer(t, nil)
	// Eli, an employee, is signed in with a password in another browser.
	other := s.ts.as(employeeEmail)
	other.get("/home").expect(t, http.StatusOK)

	// At the provider Eli is now in "managers": Steward makes Eli a manager
	// and ends Eli's other sessions, as any role change does.
	b := s.browser(t)
	b.signIn(s, "eli-manager").expect(t, http.StatusOK, "/home", "Your role is now manager")
	var role string
	if err := s.ts.db.Get(&role, `SELECT role FROM users WHERE email = ?`, employeeEmail); err != nil || role != "manager" {
		t.Fatalf("role = %q, %v", role, err)
	}
	b.get(s.base+"/team").expect(t, http.StatusOK, "/team")
	if res := other.get("/home"); res.StatusCode == http.StatusOK {
		t.Fatalf("the other session survived the role change: %d", res.StatusCode)
	}
	if s.audit("user.role") != 1 {
		t.Fatalf("role change audited %d times", s.audit("user.role"))
	}
}

func TestSSORefusals(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		username string
		says     string
	}{
		{"unverified email", nil, "mallory", "has not verified your email address"},
		{"email in another domain", nil, "outsider", "not in a domain that may sign in"},
		{"unknown person, creation not allowed", nil, "newcomer", "There is no account here for your email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSSOServer(t, tt.env)
			users := s.ts.count(`SELECT COUNT(*) FROM users`)
			b := s.browser(t)
			b.signIn(s, tt.username).expect(t, http.StatusForbidden, "/auth/oidc/callback", "You cannot sign in", tt.says)
			if n := s.ts.count(`SELECT COUNT(*) FROM identities`); n != 0 {
				t.Fatalf("%d identities linked", n)
			}
			if n := s.ts.count(`SELECT COUNT(*) FROM users`); n != users {
				t.Fatalf("people: %d, was %d", n, users)
			}
			if s.audit("login.sso.refused") != 1 || s.audit("login.sso") != 0 {
				t.Fatalf("audit: %d refusals, %d sign-ins", s.audit("login.sso.refused"), s.audit("login.sso"))
			}
			b.get(s.base+"/home").expect(t, http.StatusOK, "/login")
		})
	}
}

func TestSSOCreatesPeopleWhenAllowed(t *testing.T) {
	s := newSSOServer(t, map[string]string{"STEWARD_OIDC_CREATE_USERS": "true"})
	b := s.browser(t)
	b.signIn(s, "newcomer").expect(t, http.StatusOK, "/home", "your account was made from your details at Example ID")
	var u struct {
		Role   string `db:"role"`
		Source string `db:"source"`
		Name   string `db:"name"`
	}
	if err := s.ts.db.Get(&u, `SELECT role, source, name FROM users WHERE email = 'new.person@example.com'`); err != nil {
		t.Fatal(err)
	}
	if u.Role != "manager" || u.Source != "sso" || u.Name != "newcomer Test" {
		t.Fatalf("created %+v", u)
	}
	if s.audit("user.create") == 0 || s.audit("user.identity.link") != 1 {
		t.Fatal("creation or link not audited")
	}
	var id int64
	if err := s.ts.db.Get(&id, `SELECT id FROM users WHERE email = 'new.person@example.com'`); err != nil {
		t.Fatal(err)
	}
	s.ts.as(adminEmail).get("/admin/people/"+itoa(id)).expect(t, http.StatusOK,
		"added 28 Nov 2026 at their first single sign-on", "Signs in with single sign-on at "+s.op.issuer)
}

func TestSSORefusesTokensItCannotTrust(t *testing.T) {
	tests := []struct {
		name string
		set  func(o *testOP)
		says string
	}{
		{"wrong audience", func(o *testOP) { o.SetWrongAudience(true) }, "was meant for another application"},
		{"expired token", func(o *testOP) { o.SetExpired(true) }, "had already expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSSOServer(t, nil)
			tt.set(s.op)
			b := s.browser(t)
			b.signIn(s, "eli").expect(t, http.StatusUnauthorized, "/auth/oidc/callback", "Sign-in was refused", tt.says)
			b.get(s.base+"/home").expect(t, http.StatusOK, "/login")
			if s.audit("login.sso.refused") != 1 || s.ts.count(`SELECT COUNT(*) FROM identities`) != 0 {
				t.Fatal("refusal not audited, or an identity linked")
			}
		})
	}
}

func TestSSORefusesReplayedState(t *testing.T) {
	s := newSSOServer(t, nil)
	b := s.browser(t)
	b.signIn(s, "eli").expect(t, http.StatusOK, "/home")
	if len(b.callbacks) != 1 {
		t.Fatalf("callbacks: %v", b.callbacks)
	}
	callback := b.callbacks[0]
	// The same answer again, in the same browser and in another one.
	b.get(callback).expect(t, http.StatusBadRequest, "/auth/oidc/callback", "already used")
	thief := s.browser(t)
	thief.get(callback).expect(t, http.StatusBadRequest, "/auth/oidc/callback", "already used")
	thief.get(s.base+"/home").expect(t, http.StatusOK, "/login")
	if s.audit("login.sso") != 1 || s.audit("login.sso.refused") != 2 {
		t.Fatalf("audit: %d sign-ins, %d refusals", s.audit("login.sso"), s.audit("login.sso.refused"))
	}
	// A state this browser never started is refused too.
	u, _ := url.Parse(callback)
	q := u.Query()
	q.Set("state", "forged")
	u.RawQuery = q.Encode()
	s.browser(t).get(u.String()).expect(t, http.StatusBadRequest, "/auth/oidc/callback", "already used")
}

func TestSSOProviderDownBreakGlass(t *testing.T) {
	s := newSSOServer(t, map[string]string{"STEWARD_PASSWORD_SIGNIN": "off", "STEWARD_BREAK_GLASS": adminEmail + "," + managerEmail})
	anon := s.ts.client()
	anon.get("/login").expect(t, http.StatusOK, "Sign in with Example ID", "Break-glass sign-in")
	s.op.stop()

	b := s.browser(t)
	b.get(s.base+"/auth/oidc/start").expect(t, http.StatusServiceUnavailable, "/auth/oidc/start",
		"Example ID is not answering", "Break-glass admins can")

	// Password sign-in: the break-glass admin gets in; anyone else, even
	// with the right password, and a listed non-admin, do not.
	s.ts.client().login(adminEmail)
	for _, email := range []string{employeeEmail, managerEmail} {
		res := s.ts.client().post("/login", url.Values{"email": {email}, "password": {demo.Password}})
		res.expect(t, http.StatusForbidden, "Password sign-in is turned off")
	}
}

// TestSSOSignInMustFinishInTenMinutes: a state older than ten minutes on
// the server's real clock is refused.
func TestSSOSignInMustFinishInTenMinutes(t *testing.T) {
	s := newSSOServer(t, nil)
	b := s.browser(t)
	b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/oidc/callback" {
			s.ts.advanceWall(11 * time.Minute)
		}
		return nil
	}
	b.signIn(s, "eli").expect(t, http.StatusBadRequest, "/auth/oidc/callback", "This sign-in took too long")
	b.get(s.base+"/home").expect(t, http.StatusOK, "/login")
	if s.audit("login.sso.refused") != 1 {
		t.Fatal("the refusal is not audited")
	}
}

// TestSSOProviderGoesDownMidSignIn: the provider answers the login form,
// then is gone when Steward exchanges the code.
func TestSSOProviderGoesDownMidSignIn(t *testing.T) {
	s := newSSOServer(t, nil)
	b := s.browser(t)
	b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/oidc/callback" {
			s.op.stop()
		}
		return nil
	}
	b.signIn(s, "eli").expect(t, http.StatusServiceUnavailable, "/auth/oidc/callback", "Example ID is not answering", "sign in with your password")
	b.get(s.base+"/home").expect(t, http.StatusOK, "/login")
}

func TestSSOStartsWhileProviderDown(t *testing.T) {
	// The provider is down when Steward starts: Steward starts anyway,
	// and sign-in says so.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	ln.Close()
	path := filepath.Join(t.TempDir(), "steward.db")
	if err := os.WriteFile(path, demoTemplate(t), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ts := newTestServerEnv(t, d, map[string]string{
		"STEWARD_OIDC_ISSUER": issuer, "STEWARD_OIDC_CLIENT_ID": opClientID, "STEWARD_OIDC_CLIENT_SECRET": opClientSecret,
		"STEWARD_OIDC_DOMAINS": "example.com",
	})
	ts.client().get("/auth/oidc/start").expect(t, http.StatusServiceUnavailable, "is not answering")
}

// TestBrowserSSO signs in with single sign-on in Chromium as a person
// would (the button, the provider's own login form), lands signed in with
// the role the groups give, and signs out of Steward and the provider.
func TestBrowserSSO(t *testing.T) {
	s := newSSOServer(t, nil)
	b := browsertest.Start(t)
	ctx := b.Tab(t)
	checkPage := func(name string) {
		t.Helper()
		for _, v := range browsertest.Axe(t, ctx) {
			t.Errorf("%s: axe %s (%s): %s", name, v.ID, v.Impact, v.Description)
		}
		if ok, width := browsertest.FitsPhone(t, ctx); !ok {
			t.Errorf("%s: %d px wide on a 375 px phone", name, width)
		}
		browsertest.Screenshot(t, ctx, name, 1280)
		browsertest.Screenshot(t, ctx, name+"-phone", 375)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`main`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	checkPage("sso-login")
	// A desktop window: the menu (and its sign-out button) shows in a row.
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS(`a[href^="/auth/oidc/start"]`)),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "eli-manager"),
		chromedp.SendKeys(chromedp.ID("password"), opPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(`.nav-wide form[action="/logout"]`)),
	)
	if err != nil {
		t.Fatalf("sign in at the provider: %v", err)
	}
	loc, body := where(t, ctx)
	if loc != s.base+"/home" || !strings.Contains(body, "Your role is now manager") || !strings.Contains(body, "Eli Turner") {
		t.Fatalf("after sign-in at %s:\n%s", loc, body)
	}
	var role string
	if err := s.ts.db.Get(&role, `SELECT role FROM users WHERE email = ?`, employeeEmail); err != nil || role != "manager" {
		t.Fatalf("role = %q, %v", role, err)
	}

	// Signing out goes through the provider's end-session endpoint and
	// back to Steward's sign-in page.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.nav-wide form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/auth/oidc/start"]`)),
	)
	if err != nil {
		t.Fatalf("sign out: %v", err)
	}
	loc, body = where(t, ctx)
	if loc != s.base+"/login" || !strings.Contains(body, "You have signed out.") {
		t.Fatalf("after sign-out at %s:\n%s", loc, body)
	}
	if n := s.ts.count(`SELECT COUNT(*) FROM sessions WHERE ended_why = 'signed out'`); n != 1 {
		t.Fatalf("%d sessions signed out", n)
	}

	// A refusal is a clear page.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href^="/auth/oidc/start"]`)),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "mallory"),
		chromedp.SendKeys(chromedp.ID("password"), opPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(`main h1`)),
	)
	if err != nil {
		t.Fatalf("refused sign-in: %v", err)
	}
	_, body = where(t, ctx)
	if !strings.Contains(body, "You cannot sign in") || !strings.Contains(body, "has not verified your email address") {
		t.Fatalf("refusal page:\n%s", body)
	}
	checkPage("sso-refused")
}

// where is the tab's address and the text of its page.
func where(t *testing.T, ctx context.Context) (string, string) {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil {
		t.Fatal(err)
	}
	return loc, body
}

// TestSSOHostileCallbackChangesNothing sends the callback what an attacker
// could put in its address: the page escapes it, and nobody is signed in.
func TestSSOHostileCallbackChangesNothing(t *testing.T) {
	s := newSSOServer(t, nil)
	b := s.browser(t)
	start := func() string {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.base+"/auth/oidc/start", nil)
		if err != nil {
			t.Fatal(err)
		}
		b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		defer func() { b.c.CheckRedirect = nil }()
		res, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		to, err := url.Parse(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		q := to.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
			t.Fatalf("the provider is not asked for PKCE and a nonce: %s", to)
		}
		return q.Get("state")
	}
	for _, tt := range []struct {
		name  string
		query func(state string) url.Values
		code  int
		says  string
	}{
		{"markup in error", func(st string) url.Values {
			return url.Values{"state": {st}, "error": {`<script>alert(1)</script>`}}
		}, http.StatusForbidden, "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"overlong code", func(st string) url.Values {
			return url.Values{"state": {st}, "code": {strings.Repeat("c", 3000)}}
		}, http.StatusBadRequest, "had no sign-in code"},
		{"made-up code", func(st string) url.Values {
			return url.Values{"state": {st}, "code": {"=cmd|' /C calc'!A0"}}
		}, http.StatusBadRequest, "did not accept the sign-in code"},
		{"markup in state", func(string) url.Values {
			return url.Values{"state": {`"><img src=x onerror=alert(1)>`}, "code": {"x"}}
		}, http.StatusBadRequest, "already used"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := start()
			p := b.get(s.base + "/auth/oidc/callback?" + tt.query(st).Encode())
			p.expect(t, tt.code, "/auth/oidc/callback", tt.says)
			if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "<img src=x") {
				t.Fatal("markup from the address reached the page")
			}
			b.get(s.base+"/home").expect(t, http.StatusOK, "/login")
		})
	}
	if n := s.ts.count(`SELECT COUNT(*) FROM identities`) + s.ts.count(`SELECT COUNT(*) FROM sessions`); n != 0 {
		t.Fatalf("%d identities or sessions written", n)
	}
}

// TestSSOPagesAreValidHTML runs the Nu checker over the sign-in page with
// single sign-on (and with password sign-in off) and a refusal page.
func TestSSOPagesAreValidHTML(t *testing.T) {
	s := newSSOServer(t, nil)
	off := newSSOServer(t, map[string]string{"STEWARD_PASSWORD_SIGNIN": "off", "STEWARD_BREAK_GLASS": adminEmail})
	pages := map[string]string{
		"login-sso":          s.browser(t).get(s.base + "/login").body,
		"login-password-off": off.browser(t).get(off.base + "/login").body,
		"sso-refused":        s.browser(t).signIn(s, "outsider").body,
		"sso-replayed":       s.browser(t).get(s.base + "/auth/oidc/callback?state=x&code=y").body,
	}
	off.op.stop()
	pages["sso-unavailable"] = off.browser(t).get(off.base + "/auth/oidc/start").body
	pages["login-password-refused"] = off.ts.client().post("/login", url.Values{"email": {employeeEmail}, "password": {demo.Password}}).Body
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}

// TestPasswordOffLinksSignNobodyIn: with password sign-in off, a reset or
// invitation link would sign someone in past the provider; only the
// break-glass admins get one that works.
func TestPasswordOffLinksSignNobodyIn(t *testing.T) {
	s := newSSOServer(t, map[string]string{"STEWARD_PASSWORD_SIGNIN": "off", "STEWARD_BREAK_GLASS": adminEmail})
	ts := s.ts
	mailTo := func(email string) int {
		return ts.count(`SELECT COUNT(*) FROM outbox WHERE recipient = ?`, email)
	}
	before := mailTo(employeeEmail)
	ts.client().post("/password/forgot", url.Values{"email": {employeeEmail}}).expect(t, http.StatusOK, "Check your email")
	if mailTo(employeeEmail) != before {
		t.Fatal("a reset link went to someone who may not use a password")
	}
	ts.client().post("/password/forgot", url.Values{"email": {adminEmail}}).expect(t, http.StatusOK, "Check your email")
	ts.client().get(ts.lastLink(t, adminEmail)).expect(t, http.StatusOK)

	admin := ts.as(adminEmail)
	admin.post("/admin/people", url.Values{"email": {"newbie@example.com"}, "name": {"Nia Newbie"}, "role": {"employee"}}).expect(t, http.StatusSeeOther)
	id := ts.userID("newbie@example.com")
	admin.post("/admin/people/"+itoa(id)+"/invite", nil).expect(t, http.StatusSeeOther)
	link := ts.lastLink(t, "newbie@example.com")
	nia := ts.client()
	nia.post(link, url.Values{"new": {"a fine long password"}, "confirm": {"a fine long password"}}).
		expect(t, http.StatusForbidden, "Password sign-in is turned off")
	if n := ts.count(`SELECT COUNT(*) FROM users WHERE id = ? AND password_hash <> ''`, id) + ts.count(`SELECT COUNT(*) FROM sessions WHERE user_id = ?`, id); n != 0 {
		t.Fatal("the invitation set a password or signed Nia in")
	}
	if res := nia.get("/home"); res.StatusCode == http.StatusOK {
		t.Fatal("signed in with a password while password sign-in is off")
	}
}
