package handlers

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/policies"
)

// withPolicies is a test server with the demo policies published.
func withPolicies(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t)
	if err := policies.SeedDemo(context.Background(), ts.srv.policies, testStart); err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestPolicyPublicURLs(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	cases := []struct {
		path, contentType string
		contains          []string
	}{
		{"/", "text/html", []string{`href="/policies/privacy"`, "Privacy policy", `action="/subscribe"`}},
		{"/policies/privacy", "text/html", []string{"<h1>Privacy policy</h1>", "AI-assisted writing", "18 months", `href="/policies/privacy/diff/2/3"`}},
		{"/policies/privacy/v/1", "text/html", []string{"three years", "no longer in effect", `href="/policies/privacy/diff/1/3"`}},
		{"/policies/privacy/v/2.md", "text/markdown", []string{"# Privacy policy\n", "14 Harbour Street"}},
		{"/policies/privacy/history", "text/html", []string{"Superseded", "In effect", "Clearer wording", `href="/policies/privacy/diff/2/3"`, `href="/policies/privacy/diff/1/2"`}},
		{"/policies/privacy/diff/2/3", "text/html", []string{"<del>three years</del><ins>18 months</ins>", "AI-assisted writing</a>: added", "How long we keep it</a>: changed"}},
		{"/policies/feed.atom", "application/atom+xml", []string{"<feed xmlns=\"http://www.w3.org/2005/Atom\">"}},
		{"/api/v1/policies", "application/json", []string{`"slug":"privacy"`}},
		{"/api/v1/policies/privacy", "application/json", []string{`"number":3`, `"history":[`}},
		{"/api/v1/policies/privacy/versions/2", "application/json", []string{`"number":2`, `"change_kind":"minor"`}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			res := c.get(tc.path)
			res.expect(t, http.StatusOK, tc.contains...)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("content type %q, want %s", ct, tc.contentType)
			}
		})
	}

	res := c.get("/privacy")
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/policies/privacy" {
		t.Errorf("/privacy: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if strings.Contains(c.get("/").Body, "Acceptable use of customer data") {
		t.Error("a staff policy is listed publicly")
	}
}

func TestPolicyAPIAndFeedContent(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	var one struct {
		Slug, Title, Summary, BodyMarkdown, BodyHTML, SHA256, ChangeKind string
		Number                                                           int
		EffectiveAt, PublishedAt                                         time.Time
	}
	res := c.get("/api/v1/policies/privacy/versions/3")
	if err := json.Unmarshal([]byte(res.Body), &struct {
		Slug         *string    `json:"slug"`
		Title        *string    `json:"title"`
		Number       *int       `json:"number"`
		EffectiveAt  *time.Time `json:"effective_at"`
		PublishedAt  *time.Time `json:"published_at"`
		ChangeKind   *string    `json:"change_kind"`
		Summary      *string    `json:"summary"`
		BodyMarkdown *string    `json:"body_markdown"`
		BodyHTML     *string    `json:"body_html"`
		SHA256       *string    `json:"sha256"`
	}{&one.Slug, &one.Title, &one.Number, &one.EffectiveAt, &one.PublishedAt, &one.ChangeKind, &one.Summary, &one.BodyMarkdown, &one.BodyHTML, &one.SHA256}); err != nil {
		t.Fatal(err)
	}
	if one.Slug != "privacy" || one.Number != 3 || one.ChangeKind != "material" || policies.Hash(one.BodyMarkdown) != one.SHA256 ||
		!strings.Contains(one.BodyHTML, "<h2 id=\"ai-assisted-writing\">") || one.EffectiveAt.Year() != 2026 || one.Summary == "" {
		t.Errorf("API version: %+v", one)
	}
	md := c.get("/policies/privacy/v/3.md").Body
	if md != one.BodyMarkdown {
		t.Error("the .md source differs from the API's body_markdown")
	}

	var feed struct {
		XMLName xml.Name
		Entries []struct {
			ID    string `xml:"id"`
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(c.get("/policies/feed.atom").Body), &feed); err != nil {
		t.Fatalf("feed is not valid XML: %v", err)
	}
	if feed.XMLName.Space != "http://www.w3.org/2005/Atom" || len(feed.Entries) != 3 {
		t.Fatalf("feed: %+v", feed)
	}
	if !strings.HasPrefix(feed.Entries[0].ID, "tag:steward,") || !strings.HasSuffix(feed.Entries[0].ID, ":policy/privacy/v/3") {
		t.Errorf("newest entry first: %+v", feed.Entries)
	}
}

func TestPolicyNotFoundAndBadRanges(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	for _, p := range []string{
		"/policies/nope", "/policies/privacy/v/9", "/policies/privacy/v/9.md", "/policies/privacy/diff/1/9",
		"/policies/acceptable-use-of-customer-data", "/policies/acceptable-use-of-customer-data/v/1.md",
		"/policies/privacy/history/extra",
	} {
		if res := c.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
	for _, p := range []string{"/api/v1/policies/nope", "/api/v1/policies/privacy/versions/7", "/api/v1/policies/acceptable-use-of-customer-data"} {
		res := c.get(p)
		var body struct {
			Error string `json:"error"`
		}
		if res.StatusCode != http.StatusNotFound || json.Unmarshal([]byte(res.Body), &body) != nil || body.Error == "" {
			t.Errorf("%s: %d %q, want a JSON 404", p, res.StatusCode, res.Body)
		}
	}
	for _, p := range []string{"/policies/privacy/diff/2/2", "/policies/privacy/diff/one/two",
		"/policies/privacy/v/0", "/policies/privacy/v/01", "/policies/privacy/v/x"} {
		res := c.get(p)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", p, res.StatusCode)
		}
	}
	c.get("/policies/privacy/diff/2/2").expect(t, http.StatusBadRequest, "choose two different versions")
}

func TestPolicyConditionalRequests(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	for _, p := range []string{"/policies/privacy", "/policies/privacy/v/2", "/policies/privacy/v/2.md", "/policies/privacy/history",
		"/policies/privacy/diff/1/2", "/policies/feed.atom", "/policies/privacy/feed.atom", "/api/v1/policies/privacy"} {
		t.Run(p, func(t *testing.T) {
			first := c.get(p)
			etag := first.Header.Get("ETag")
			if first.StatusCode != http.StatusOK || etag == "" || !strings.Contains(first.Header.Get("Cache-Control"), "max-age=") {
				t.Fatalf("first: %d etag %q cache %q", first.StatusCode, etag, first.Header.Get("Cache-Control"))
			}
			req := httptest.NewRequest(http.MethodGet, p, nil)
			req.Header.Set("If-None-Match", etag)
			second := c.do(req)
			if second.StatusCode != http.StatusNotModified || second.Body != "" {
				t.Errorf("with If-None-Match: %d, %d bytes", second.StatusCode, len(second.Body))
			}
			req = httptest.NewRequest(http.MethodGet, p, nil)
			req.Header.Set("If-None-Match", `"something-else"`)
			if third := c.do(req); third.StatusCode != http.StatusOK || third.Body != first.Body {
				t.Errorf("with another ETag: %d", third.StatusCode)
			}
		})
	}
	// A signed-in visitor gets the same public bytes: nothing personal is cached.
	emp := ts.as(employeeEmail)
	if emp.get("/policies/privacy").Body != c.get("/policies/privacy").Body {
		t.Error("the cached public page differs for a signed-in person")
	}
}

func TestScheduledVersionSwitchesByItself(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	c := ts.client()
	before := c.get("/policies/privacy")
	admin.post("/admin/policies/privacy/draft", url.Values{
		"body": {c.get("/policies/privacy/v/3.md").Body + "\n## Children\n\nOur service is not for children under 16.\n"}, "summary": {"Adds a section on children."},
		"change": {"material"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	approveDraft(t, ts, "privacy")
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"date"}, "date": {"2026-12-15"}, "time": {"08:00"}, "change": {"material"},
		"reason": {"Our new processor starts then."}}).expect(t, http.StatusSeeOther)

	res := c.get("/policies/privacy")
	res.expect(t, http.StatusOK, "A new version is scheduled", "15 December 2026, 08:00 UTC", `href="/policies/privacy/diff/3/4"`)
	if res.Header.Get("ETag") == before.Header.Get("ETag") {
		t.Error("the banner did not change the ETag")
	}
	c.get("/policies/privacy/diff/3/4").expect(t, http.StatusOK, `<h4 id="redline.children" class="added"><ins>Children</ins></h4>`, "Children</a>: added")
	c.get("/policies/privacy/v/4").expect(t, http.StatusOK, "This version is scheduled")

	ts.setNow(time.Date(2026, 12, 15, 7, 59, 59, 0, time.UTC))
	c.get("/policies/privacy").expect(t, http.StatusOK, "A new version is scheduled")
	ts.setNow(time.Date(2026, 12, 15, 8, 0, 0, 0, time.UTC))
	after := c.get("/policies/privacy")
	after.expect(t, http.StatusOK, "Our service is not for children under 16.", "<dd>4 (material change)</dd>")
	if strings.Contains(after.Body, "A new version is scheduled") {
		t.Error("the banner is still shown once the version took effect")
	}
}

func TestPublishedXSSNeverReachesCustomers(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	payload := strings.Join([]string{
		"# Privacy policy", "", "<script>alert('x')</script>", "", `<img src=x onerror="alert(1)">`, "",
		"[click](javascript:alert(1))", "", `<iframe src="https://evil.example"></iframe>`, "",
		`<a href="#" onclick="alert(1)">x</a>`, "", `<svg onload=alert(1)>`, "", `## Heading {#safe onclick="alert(1)" style="color:red"}`, "", "Safe text stays.",
	}, "\n")
	admin.post("/admin/policies/privacy/draft", url.Values{"body": {payload}, "summary": {"Test"}, "change": {"minor"}, "action": {"preview"}}).
		expect(t, http.StatusOK, "Safe text stays.")
	admin.post("/admin/policies/privacy/draft", url.Values{"body": {payload}, "summary": {"Test"}, "change": {"minor"}, "action": {"save"}}).
		expect(t, http.StatusSeeOther)
	approveDraft(t, ts, "privacy")
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}, "change": {"minor"}}).expect(t, http.StatusSeeOther)

	bad := regexp.MustCompile(`(?i)<script|<iframe|<svg|\son[a-z]+\s*=|href\s*=\s*["']?\s*javascript:`)
	c := ts.client()
	for _, p := range []string{"/policies/privacy", "/policies/privacy/v/4", "/api/v1/policies/privacy", "/policies/feed.atom",
		"/policies/privacy/diff/3/4"} {
		res := c.get(p)
		res.expect(t, http.StatusOK, "Safe text stays.")
		body := res.Body
		if strings.HasPrefix(p, "/api/") || strings.HasSuffix(p, ".atom") {
			// JSON and XML escape markup; what matters is the HTML inside.
			body = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`).Replace(body)
			if strings.HasPrefix(p, "/api/") {
				var v struct {
					BodyHTML string `json:"body_html"`
				}
				json.Unmarshal([]byte(res.Body), &v)
				body = v.BodyHTML
			}
		}
		// The redline shows the text as rendered: raw HTML dropped, as on the page.
		if m := bad.FindString(body); m != "" {
			t.Errorf("%s contains %q", p, m)
		}
	}
	if !strings.Contains(c.get("/policies/privacy/v/4.md").Body, "<script>") {
		t.Error("the Markdown source should be served as written (as text/markdown)")
	}
	if ct := c.get("/policies/privacy/v/4.md").Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/markdown") {
		t.Errorf("source served as %s", ct)
	}
}

func TestSubscribeConfirmUnsubscribe(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	c.get("/")
	for _, bad := range []string{"", "nobody", "a@b", "<script>@x.com"} {
		c.post("/subscribe", url.Values{"email": {bad}}).expect(t, http.StatusUnprocessableEntity, "Enter")
	}
	if n := ts.count(`SELECT COUNT(*) FROM policy_subscriptions`) + ts.count(`SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("bad input wrote %d rows", n)
	}
	if res := c.postRaw("/subscribe", url.Values{"email": {"dana@example.org"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("subscribe without CSRF token: %d", res.StatusCode)
	}
	c.post("/subscribe", url.Values{"email": {"dana@example.org"}}).expect(t, http.StatusOK, "Check your email")
	if ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'subscribe_confirm' AND recipient = 'dana@example.org'`) != 1 {
		t.Fatal("no confirmation email queued")
	}
	var token string
	if err := ts.db.Get(&token, `SELECT token FROM policy_subscriptions`); err != nil {
		t.Fatal(err)
	}
	c.get("/subscribe/confirm/not-a-token").expect(t, http.StatusNotFound)
	c.post("/subscribe/confirm/not-a-token", nil).expect(t, http.StatusNotFound)
	// Opening the link (as a mail scanner does) confirms nothing.
	c.get("/subscribe/confirm/"+token).expect(t, http.StatusOK, "Confirm my subscription", `action="/subscribe/confirm/`+token+`"`)
	if ts.count(`SELECT COUNT(*) FROM policy_subscriptions WHERE confirmed_at IS NOT NULL`) != 0 {
		t.Fatal("opening the confirmation link confirmed the subscription")
	}
	if res := c.postRaw("/subscribe/confirm/"+token, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("confirm without CSRF token: %d", res.StatusCode)
	}
	c.post("/subscribe/confirm/"+token, nil).expect(t, http.StatusOK, "Subscription confirmed")
	if ts.count(`SELECT COUNT(*) FROM policy_subscriptions WHERE confirmed_at IS NOT NULL`) != 1 {
		t.Fatal("the button did not confirm the subscription")
	}
	c.get("/subscribe/confirm/"+token).expect(t, http.StatusOK, "already confirmed")
	c.get("/unsubscribe/"+token).expect(t, http.StatusOK, "Unsubscribe")
	if ts.count(`SELECT COUNT(*) FROM policy_subscriptions`) != 1 {
		t.Fatal("opening the unsubscribe link (as a link scanner would) unsubscribed")
	}
	// RFC 8058: the mail client POSTs with no session and no CSRF token.
	mailClient := ts.client()
	mailClient.postRaw("/unsubscribe/"+token, url.Values{"List-Unsubscribe": {"One-Click"}}).expect(t, http.StatusOK, "Unsubscribed")
	if ts.count(`SELECT COUNT(*) FROM policy_subscriptions`) != 0 {
		t.Error("the subscription is still stored")
	}
	mailClient.postRaw("/unsubscribe/"+token, url.Values{"List-Unsubscribe": {"One-Click"}}).expect(t, http.StatusOK)
}

func TestRetitledPolicyIsNotServedStale(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	c.get("/policies/privacy").expect(t, http.StatusOK, "<h1>Privacy policy</h1>")
	f := policies.File{Name: "privacy.md",
		Settings: policies.Settings{Slug: "privacy", Title: "Privacy notice"}, Given: map[string]bool{"title": true},
		Summary: "Retitled.", Change: policies.Minor, Body: "# Privacy notice\n\nWe keep little."}
	approveFile(t, ts, f)
	_, err := ts.srv.policies.PublishFile(context.Background(), f, audit.Actor{Label: "test"}, ts.clock())
	if err != nil {
		t.Fatal(err)
	}
	c.get("/policies/privacy").expect(t, http.StatusOK, "<h1>Privacy notice</h1>")
}
