package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestEveryGetRouteAnswersHead sends HEAD and GET to every GET route, as a
// role the route admits, and wants the same status and headers from both
// and no body from HEAD: link checkers, uptime monitors and caches use HEAD.
func TestEveryGetRouteAnswersHead(t *testing.T) {
	ts := newTestServer(t)
	as := map[string]*client{"": ts.client(), adminEmail: ts.as(adminEmail), auditorEmail: ts.as(auditorEmail)}
	compared := 0
	for _, r := range ts.srv.App().GetRoutes(true) {
		if r.Method != fiber.MethodGet {
			continue
		}
		rule, ok := ts.srv.rules[fiber.MethodHead+" "+r.Path]
		if !ok {
			t.Errorf("GET %s has no HEAD twin", r.Path)
			continue
		}
		who := ""
		switch {
		case rule.allows(""):
		case rule.allows("admin"):
			who = adminEmail
		default:
			who = auditorEmail
		}
		c := as[who]
		path := fillParams(r.Path)
		switch {
		case r.Path == "/scim/v2/*":
			path = "/scim/v2/Users"
		case strings.HasSuffix(r.Path, "/*"):
			path = "/static/css/app.css"
		}
		get := c.get(path)
		head := c.do(httptest.NewRequest(http.MethodHead, path, nil))
		if head.StatusCode != get.StatusCode {
			t.Errorf("HEAD %s as %q: %d, GET answers %d", path, who, head.StatusCode, get.StatusCode)
		}
		if head.Body != "" {
			t.Errorf("HEAD %s: a body of %d bytes", path, len(head.Body))
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "ETag", "Location", "Content-Disposition", "Content-Security-Policy"} {
			if g, hd := get.Header.Get(h), head.Header.Get(h); g != hd {
				t.Errorf("HEAD %s: %s %q, GET sends %q", path, h, hd, g)
			}
		}
		compared++
	}
	if compared < 40 {
		t.Fatalf("compared only %d GET routes with HEAD", compared)
	}
	// A public page's length is the same either way.
	get := ts.client().get("/policies/privacy")
	head := ts.client().do(httptest.NewRequest(http.MethodHead, "/policies/privacy", nil))
	if cl := head.Header.Get("Content-Length"); cl == "" || cl == "0" || cl != get.Header.Get("Content-Length") {
		t.Errorf("HEAD /policies/privacy: Content-Length %q, GET sends %q", cl, get.Header.Get("Content-Length"))
	}
}

// TestWrongMethodIs405 sends a method a path does not take and wants 405
// with an Allow header naming the ones it does, and changes nothing.
func TestWrongMethodIs405(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	cases := []struct {
		method, path, allow string
		c                   *client
	}{
		{http.MethodPost, "/policies/privacy", "GET, HEAD", ts.client()},
		{http.MethodPost, "/healthz", "GET, HEAD", ts.client()},
		{http.MethodDelete, "/admin/people/1", "GET, HEAD, POST", admin},
		{http.MethodPut, "/login", "GET, HEAD, POST", ts.client()},
		{http.MethodGet, "/logout", "POST", admin},
		{http.MethodPost, "/team/report.csv", "GET, HEAD", admin},
	}
	before := ts.count(`SELECT COUNT(*) FROM audit_log`)
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader("_csrf="+tc.c.token()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res := tc.c.do(req)
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", tc.method, tc.path, res.StatusCode)
			continue
		}
		if got := strings.Join(res.Header.Values("Allow"), ", "); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		if tc.method != http.MethodHead && !strings.Contains(res.Body, "This address does not take that kind of request.") {
			t.Errorf("%s %s: the page does not say what is wrong\n%s", tc.method, tc.path, snippet(res.Body))
		}
	}
	if after := ts.count(`SELECT COUNT(*) FROM audit_log`); after != before {
		t.Errorf("wrong methods wrote %d audit entries", after-before)
	}
	// A path no route has is still a 404, whatever the method.
	ts.client().get("/no-such-page").expect(t, http.StatusNotFound, "There is no page at this address.")
	ts.client().postRaw("/no-such-page", nil).expect(t, http.StatusNotFound)
}
