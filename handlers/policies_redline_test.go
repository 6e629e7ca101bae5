package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"steward/internal/audit"
	"steward/policies"
)

// publishVersion publishes body as the privacy policy's next version, in
// effect now.
func publishVersion(t *testing.T, ts *testServer, body, summary string, keyPoints ...string) {
	t.Helper()
	ctx := context.Background()
	in := policies.DraftInput{Body: body, Summary: summary, KeyPoints: keyPoints, ChangeKind: policies.Material}
	if _, err := ts.srv.policies.SaveDraft(ctx, "privacy", in, audit.System, ts.clock()); err != nil {
		t.Fatal(err)
	}
	approveInStore(t, ts, "privacy")
	if _, _, err := ts.srv.policies.Publish(ctx, "privacy", policies.PublishInput{Kind: policies.Material, ShortNoticeReason: "a test of the redline"}, audit.System, ts.clock()); err != nil {
		t.Fatal(err)
	}
}

func TestRedlineReadsAsRendered(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	res := c.get("/policies/privacy/diff/2/3")
	res.expect(t, http.StatusOK,
		// The list item as it reads, the changed words inside it.
		`<li class="changed">Support conversations: <del>three years</del><ins>18 months</ins> after the conversation closes.</li>`,
		// A section added whole, marked as such.
		`<h4 id="redline.ai-assisted-writing" class="added"><ins>AI-assisted writing</ins></h4>`,
		// The changed sections link into the text.
		`<a href="#redline.how-long-we-keep-it">How long we keep it</a>: changed`,
		`<h4 id="redline.how-long-we-keep-it">How long we keep it</h4>`,
		`<a href="#redline.ai-assisted-writing">AI-assisted writing</a>: added`,
		// Any two versions can be compared from here, without script.
		`<form method="get" action="/policies/privacy/diff"`, `<option value="2" selected>`,
		`<link rel="alternate" type="application/atom+xml" title="Privacy policy: changes (Atom feed)" href="/policies/privacy/feed.atom">`,
	)
	for _, source := range []string{"**Account data:**", "## How long", "- Support conversations"} {
		if strings.Contains(res.Body, source) {
			t.Errorf("the redline shows Markdown source %q", source)
		}
	}
}

func TestCompareAnyTwoVersions(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	for _, tc := range []struct {
		path     string
		status   int
		location string
		message  string
	}{
		{"/policies/privacy/diff/3/1", http.StatusPermanentRedirect, "/policies/privacy/diff/1/3", ""},
		{"/policies/privacy/diff?from=1&to=3", http.StatusSeeOther, "/policies/privacy/diff/1/3", ""},
		{"/policies/privacy/diff?from=3&to=1", http.StatusSeeOther, "/policies/privacy/diff/1/3", ""},
		{"/policies/privacy/diff/9/1", http.StatusNotFound, "", "has no version 9"},
		{"/policies/privacy/diff/1/9", http.StatusNotFound, "", "its versions are 1 to 3"},
		{"/policies/privacy/diff?from=1&to=9", http.StatusNotFound, "", "has no version 9"},
		{"/policies/privacy/diff?to=3", http.StatusBadRequest, "", "&#34;from&#34; is missing"},
		{"/policies/privacy/diff?from=2", http.StatusBadRequest, "", "&#34;to&#34; is missing"},
		{"/policies/privacy/diff?from=one&to=3", http.StatusBadRequest, "", "is not a version number"},
		{"/policies/privacy/diff?from=" + url.QueryEscape("<script>alert(1)</script>") + "&to=3", http.StatusBadRequest, "", "is not a version number"},
		{"/policies/privacy/diff?from=2&to=2", http.StatusBadRequest, "", "choose two different versions"},
		{"/policies/privacy/diff/0/2", http.StatusBadRequest, "", "is not a version number"},
		{"/policies/nope/diff?from=1&to=2", http.StatusNotFound, "", ""},
		{"/policies/acceptable-use-of-customer-data/diff?from=1&to=2", http.StatusNotFound, "", ""},
	} {
		res := c.get(tc.path)
		if res.StatusCode != tc.status || res.Header.Get("Location") != tc.location {
			t.Errorf("%s: %d to %q, want %d to %q", tc.path, res.StatusCode, res.Header.Get("Location"), tc.status, tc.location)
		}
		if !strings.Contains(res.Body, tc.message) {
			t.Errorf("%s: the answer lacks %q:\n%s", tc.path, tc.message, snippet(res.Body))
		}
		if strings.Contains(res.Body, "<script>alert") {
			t.Errorf("%s: the input came back unescaped", tc.path)
		}
	}
	c.get("/policies/privacy/diff/1/3").expect(t, http.StatusOK, "what changed from version 1 to version 3")
}

func TestDeepLinksSurviveRewording(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	// Before a version 4 exists, the redline's form offers three versions.
	if strings.Contains(c.get("/policies/privacy/diff/2/3").Body, `<option value="4"`) {
		t.Fatal("version 4 offered before it exists")
	}
	tl, err := ts.srv.policies.Timeline(context.Background(), "privacy")
	if err != nil {
		t.Fatal(err)
	}
	v3, _ := tl.Version(3)
	v4 := strings.Replace(v3.BodyMD, "## How long we keep it\n", "## How long we keep it {#retention}\n", 1)
	if v4 == v3.BodyMD {
		t.Fatal("the demo text has no such heading")
	}
	publishVersion(t, ts, v4, "Gives the retention section a lasting link.")
	v5 := strings.Replace(strings.Replace(v4, "## How long we keep it {#retention}", "## Retention periods {#retention}", 1),
		"Usage logs: 13 months.", "Usage logs: 6 months.", 1)
	publishVersion(t, ts, v5, "Usage logs are kept for 6 months.")

	// The same fragment finds the section in every version that has the
	// id, and links made before it had one (#how-long-we-keep-it) still land on it.
	c.get("/policies/privacy").expect(t, http.StatusOK,
		`<div class="section-heading"><h2 id="retention"><span id="how-long-we-keep-it"></span>Retention periods</h2><a class="section-link" href="#retention"><span aria-hidden="true">#</span><span class="visually-hidden">Link to the section Retention periods</span></a></div>`)
	c.get("/policies/privacy/v/4").expect(t, http.StatusOK, `<h2 id="retention"><span id="how-long-we-keep-it"></span>How long we keep it</h2>`)
	// Headings without an id of their own get one from their text.
	c.get("/policies/privacy/v/3").expect(t, http.StatusOK, `<h2 id="how-long-we-keep-it">How long we keep it</h2>`, `href="#how-long-we-keep-it"`)

	// The section's history follows it through the rewording.
	c.get("/policies/privacy/history").expect(t, http.StatusOK,
		`<a href="/policies/privacy/v/5#retention">Retention periods</a>: <span lang="en">since version 1; changed in <a href="/policies/privacy/diff/2/3">version 3</a>, <a href="/policies/privacy/diff/4/5">version 5</a></span>`,
		`<a href="/policies/privacy/v/5#ai-assisted-writing">AI-assisted writing</a>: <span lang="en">added in version 3; not changed since</span>`,
		`<form method="get" action="/policies/privacy/diff"`)
	c.get("/policies/privacy/diff/4/5").expect(t, http.StatusOK,
		`<a href="#redline.retention">Retention periods</a> (was “How long we keep it”): changed`,
		`<h4 id="redline.retention" class="changed"><del>How long we keep it</del><ins>Retention periods</ins></h4>`,
		`<li class="changed">Usage logs: <del>13</del><ins>6</ins> months.</li>`)
	// A cached redline offers the versions published since.
	c.get("/policies/privacy/diff/2/3").expect(t, http.StatusOK, `<option value="5"`)
}

func TestHeadingIDsAndKeyPointsAreChecked(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	drafts := func() int {
		return ts.count(`SELECT COUNT(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.slug = 'privacy' AND v.status = 'draft'`)
	}
	for _, tc := range []struct {
		body, keyPoints string
		status          int
		want            string
	}{
		{"# P\n\n## A {#retention}\n\n## B {#retention}\n", "", 422, "used by more than one heading"},
		{"# P\n\n## Retention\n\n## Keep {#retention}\n", "", 422, "used by more than one heading"},
		{"# P\n\n## A {#Retention}\n", "", 422, "must be lowercase letters"},
		{"# P\n", strings.Repeat("a point\n", 9), 422, "at most 8 points"},
		{"# P\n", strings.Repeat("long ", 70), 422, "at most 300 characters"},
		{"# P\n", "bell \a here", 400, "control characters"},
	} {
		res := admin.post("/admin/policies/privacy/draft", url.Values{"body": {tc.body}, "summary": {"s"}, "change": {"minor"},
			"key_points": {tc.keyPoints}, "action": {"save"}})
		res.expect(t, tc.status, tc.want)
	}
	if n := drafts(); n != 0 {
		t.Fatalf("refused drafts saved %d rows", n)
	}
}

func TestKeyPointsLeadThePageAndTheFeed(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	c := ts.client()
	tl, _ := ts.srv.policies.Timeline(context.Background(), "privacy")
	v3, _ := tl.Version(3)
	admin.post("/admin/policies/privacy/draft", url.Values{"body": {"# P\n\nText."}, "summary": {"s"}, "change": {"minor"},
		"key_points": {"First point.\n\nSecond <b>point</b>."}, "action": {"preview"}}).expect(t, http.StatusOK,
		"Preview (not saved)", "<li>First point.</li><li>Second &lt;b&gt;point&lt;/b&gt;.</li>")
	admin.post("/admin/policies/privacy/draft", url.Values{"body": {v3.BodyMD + "\nOne more line.\n"}, "summary": {"Adds a line."},
		"change": {"material"}, "key_points": {"We keep support tickets for 18 months.\r\n\r\nWe never sell your data <script>alert(1)</script>.\n"},
		"action": {"save"}}).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/privacy").expect(t, http.StatusOK,
		"We keep support tickets for 18 months.\nWe never sell your data &lt;script&gt;alert(1)&lt;/script&gt;.</textarea>")
	approveDraft(t, ts, "privacy")
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}, "change": {"material"}, "reason": {"A test of key points."}}).expect(t, http.StatusSeeOther)

	page := c.get("/policies/privacy")
	page.expect(t, http.StatusOK, `<h2 id="In-short">In short</h2>`,
		"<li>We keep support tickets for 18 months.</li>",
		"<li>We never sell your data &lt;script&gt;alert(1)&lt;/script&gt;.</li>")
	if strings.Index(page.Body, "In short") > strings.Index(page.Body, `id="who-we-are"`) {
		t.Error("the short layer is not above the full text")
	}
	// Versions without key points show no empty layer.
	if strings.Contains(c.get("/policies/privacy/v/2").Body, "In short") {
		t.Error("version 2 has no key points but shows the layer")
	}

	res := c.get("/policies/privacy/feed.atom")
	res.expect(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Errorf("content type %q", ct)
	}
	feed, err := gofeed.NewParser().ParseString(res.Body)
	if err != nil {
		t.Fatalf("a feed reader cannot read the policy's feed: %v", err)
	}
	if feed.FeedType != "atom" || len(feed.Items) != 4 || feed.Title != "Privacy policy: changes" {
		t.Fatalf("feed %q (%s) with %d items", feed.Title, feed.FeedType, len(feed.Items))
	}
	top := feed.Items[0]
	if !strings.HasPrefix(top.GUID, "tag:steward,") || !strings.HasSuffix(top.GUID, ":policy/privacy/v/4") ||
		!strings.HasSuffix(top.Link, "/policies/privacy/v/4") {
		t.Errorf("newest item: id %q link %q", top.GUID, top.Link)
	}
	if !strings.Contains(top.Content, "<li>We keep support tickets for 18 months.</li>") ||
		!strings.Contains(top.Content, "We never sell your data &lt;script&gt;") {
		t.Errorf("the entry lacks the short layer:\n%s", top.Content)
	}
	for _, p := range []string{"/policies/nope/feed.atom", "/policies/acceptable-use-of-customer-data/feed.atom"} {
		if res := c.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
	c.get("/").expect(t, http.StatusOK, `<link rel="alternate" type="application/atom+xml" title="Policy changes (Atom feed)" href="/policies/feed.atom">`)
	c.get("/policies/privacy/history").expect(t, http.StatusOK, `href="/policies/privacy/feed.atom">`)
}
