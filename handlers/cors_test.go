package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/logfmt"
)

// withEmbedOrigins replaces ts's server by one configured with
// STEWARD_EMBED_ORIGINS, over the same database and clocks.
func withEmbedOrigins(t *testing.T, ts *testServer, origins ...string) {
	t.Helper()
	cfg := ts.srv.cfg
	cfg.EmbedOrigins = origins
	srv, err := New(Deps{Config: cfg, DB: ts.db, Now: ts.clock, Wall: ts.wall, BcryptCost: bcrypt.MinCost,
		Logger: slog.New(logfmt.New(io.Discard, slog.LevelInfo))})
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
}

func TestAPIAndFeedsAnswerOtherOrigins(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	for _, path := range []string{"/api/v1/policies", "/api/v1/policies/privacy", "/api/v1/policies/privacy/versions/1",
		"/api/v1/policies/nope", "/api/v1/policies/privacy?at=nonsense", "/policies/feed.atom"} {
		t.Run(path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Origin", "https://shop.example.net")
			res := c.do(req)
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want *", got)
			}
			if res.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials allowed")
			}
			if strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "ETag") == false {
				t.Errorf("ETag not exposed: %q", res.Header.Get("Access-Control-Expose-Headers"))
			}
			for _, v := range res.Header.Values("Vary") {
				if strings.Contains(v, "Origin") {
					t.Errorf("Vary %q: the answer does not depend on the origin", v)
				}
			}
		})
	}

	req := httptest.NewRequest(http.MethodOptions, "/api/v1/policies/privacy", nil)
	req.Header.Set("Origin", "https://shop.example.net")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "if-none-match")
	res := c.do(req)
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "GET") ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "If-None-Match") {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
}

func TestNothingElseAnswersOtherOrigins(t *testing.T) {
	ts := withPolicies(t)
	anon := ts.client()
	admin := ts.as(adminEmail)
	for _, tc := range []struct {
		c    *client
		path string
	}{
		{anon, "/policies/privacy"}, {anon, "/policies/privacy/embed"}, {anon, "/login"}, {anon, "/"},
		{admin, "/account/data.json"}, {admin, "/admin/audit.csv"}, {admin, "/home"}, {admin, "/admin/policies"},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Header.Set("Origin", "https://shop.example.net")
		res := tc.c.do(req)
		if res.StatusCode >= 400 {
			t.Errorf("%s: status %d", tc.path, res.StatusCode)
		}
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s: Access-Control-Allow-Origin %q", tc.path, got)
		}
	}
	req := httptest.NewRequest(http.MethodOptions, "/account/data.json", nil)
	req.Header.Set("Origin", "https://shop.example.net")
	req.Header.Set("Access-Control-Request-Method", "GET")
	if res := admin.do(req); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight for a signed-in page: %d %v", res.StatusCode, res.Header)
	}
}

func TestEmbedIsFramableOnlyByConfiguredOrigins(t *testing.T) {
	ts := withPolicies(t)
	withEmbedOrigins(t, ts, "https://www.example.com", "https://shop.example.com:8443")
	c := ts.client()
	res := c.get("/policies/privacy/embed")
	res.expect(t, http.StatusOK, "<h1>Privacy policy</h1>", "18 months", `target="_top"`)
	for _, chrome := range []string{`class="site"`, "Skip to content", `action="/subscribe"`} {
		if strings.Contains(res.Body, chrome) {
			t.Errorf("the embed carries the site's chrome: %q", chrome)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'self' https://www.example.com https://shop.example.com:8443;") {
		t.Errorf("embed CSP %q", csp)
	}
	if res.Header.Get("X-Frame-Options") != "" {
		t.Errorf("embed X-Frame-Options %q would forbid every frame", res.Header.Get("X-Frame-Options"))
	}
	for _, path := range []string{"/policies/privacy", "/policies/privacy/v/1", "/", "/login", "/api/v1/policies"} {
		res := c.get(path)
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s may be framed: CSP %q, X-Frame-Options %q", path, res.Header.Get("Content-Security-Policy"), res.Header.Get("X-Frame-Options"))
		}
	}
	// Without configured origins only Steward itself may frame the embed.
	withEmbedOrigins(t, ts)
	if csp := ts.client().get("/policies/privacy/embed").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self';") {
		t.Errorf("embed CSP without origins %q", csp)
	}
	ts.client().get("/policies/nope/embed").expect(t, http.StatusNotFound)
	ts.client().get("/policies/aup/embed").expect(t, http.StatusNotFound)
}
