package handlers

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"net/url"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/audit"
	"steward/internal/browsertest"
	"steward/internal/config"
	"steward/internal/logfmt"
	"steward/internal/org"
	"steward/policies"
)

// orgValues is the settings form as the demo organisation has it, with
// changes; a value of "" clears the setting.
func orgValues(changes map[string]string) url.Values {
	f := url.Values{}
	for k, v := range policies.DemoOrganisation() {
		f.Set(k, v)
	}
	for k, v := range changes {
		f.Set(k, v)
	}
	return f
}

func TestOrganisationSettingsForm(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.as(adminEmail)
	adm.get("/admin/organisation").expect(t, http.StatusOK, `value="Brightloop Ltd"`, "{{org.privacy_contact}}", "Upload a logo")
	audited := func() int { return ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'organisation.update'`) }
	before := audited()

	res := adm.post("/admin/organisation", orgValues(map[string]string{
		"name": "<b>Evil</b> Corp", "accent": "#ffee00", "contact": "write to us",
		"footer_links": "Home | javascript:alert(1)", "dpo": "Jane\u202eDoe",
	}))
	res.expect(t, http.StatusUnprocessableEntity,
		"Organisation name must not contain &lt; or &gt;",
		"Accent colour is too light: white text on it has a contrast of 1.",
		"Public contact address must be an email address",
		"Footer links line 1: the address must be an https address",
		"Data protection officer must be one line of text without control characters",
		`value="&lt;b&gt;Evil&lt;/b&gt; Corp"`, // the input is kept
	)
	if audited() != before {
		t.Fatal("a refused form was audited")
	}
	ts.client().get("/").expect(t, http.StatusOK, "Brightloop Ltd</a>")
	// The policy page is rendered once and cached: the change must reach it.
	ts.client().get("/policies/privacy").expect(t, http.StatusOK, "<title>Privacy policy · Brightloop Ltd</title>")

	adm.post("/admin/organisation", orgValues(map[string]string{
		"name": "Northwind Outfitters Ltd", "accent": "#5b2a86", "contact": "hello@northwind.example",
		"footer_links": "Shop | https://northwind.example\nCareers | https://jobs.northwind.example",
	})).expect(t, http.StatusSeeOther)
	if audited() != before+1 {
		t.Fatal("the change is not in the audit log")
	}
	home := ts.client().get("/")
	home.expect(t, http.StatusOK, "<title>Privacy policies · Northwind Outfitters Ltd</title>",
		`class="brand" href="/">Northwind Outfitters Ltd</a>`,
		`<a href="mailto:hello@northwind.example">hello@northwind.example</a>`,
		`<a href="https://jobs.northwind.example">Careers</a>`)
	css := regexp.MustCompile(`href="(/org/accent\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home.Body)
	if css == nil {
		t.Fatal("no accent stylesheet on the page")
	}
	sheet := ts.client().get(css[1])
	sheet.expect(t, http.StatusOK, "--brand: #5b2a86;")
	if cc := sheet.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("accent stylesheet Cache-Control = %q", cc)
	}
	ts.client().get("/policies/privacy").expect(t, http.StatusOK, "<title>Privacy policy · Northwind Outfitters Ltd</title>")
	if strings.Contains(home.Body, "Steward") {
		t.Error("the public page names Steward with the powered-by line off")
	}
	adm.post("/admin/organisation", orgValues(map[string]string{"powered_by": "on"})).expect(t, http.StatusSeeOther)
	ts.client().get("/").expect(t, http.StatusOK, "Powered by Steward")
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOrganisationLogo(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.as(adminEmail)
	adm.upload("/admin/organisation/logo", "logo", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), nil).
		expect(t, http.StatusUnprocessableEntity, "must be a PNG, JPEG or WebP image")
	adm.upload("/admin/organisation/logo", "logo", "big.png", append(testPNG(t, 10, 10), make([]byte, 300<<10)...), nil).
		expect(t, http.StatusUnprocessableEntity, "larger than 256 KB")
	adm.upload("/admin/organisation/logo", "logo", "huge.png", append(testPNG(t, 10, 10), make([]byte, 2<<20)...), nil).
		expect(t, http.StatusRequestEntityTooLarge, "a logo may be at most 256 KB")
	if ts.count(`SELECT COUNT(*) FROM organisation_logo`) != 0 {
		t.Fatal("a refused logo was stored")
	}
	logo := testPNG(t, 90, 30)
	adm.upload("/admin/organisation/logo", "logo", "logo.png", logo, nil).expect(t, http.StatusSeeOther)
	page := ts.client().get("/")
	src := regexp.MustCompile(`<img src="(/org/logo\?v=[0-9a-f]+)" alt="" width="90" height="30">Brightloop Ltd`).FindStringSubmatch(page.Body)
	if src == nil {
		t.Fatalf("no logo in the header\n%s", page.Body[:min(len(page.Body), 1500)])
	}
	res := ts.client().get(src[1])
	if res.StatusCode != http.StatusOK || res.Body != string(logo) || res.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("logo: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	req, _ := http.NewRequest(http.MethodGet, src[1], nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if again := ts.client().do(req); again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation answered %d", again.StatusCode)
	}
	adm.post("/admin/organisation/logo/delete", nil).expect(t, http.StatusSeeOther)
	ts.client().get(src[1]).expect(t, http.StatusNotFound)
	adm.post("/admin/organisation/logo/delete", nil).expect(t, http.StatusNotFound)
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('organisation.logo', 'organisation.logo_delete')`); n != 2 {
		t.Errorf("%d logo changes audited, want 2", n)
	}
}

func TestOrganisationFromEnvironment(t *testing.T) {
	d := newTestServer(t).db
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"STEWARD_ORG_NAME": "Brightloop Group plc", "STEWARD_ORG_POWERED_BY": "true"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, db: d, now: testStart}
	if ts.srv, err = New(Deps{Config: cfg, DB: d, Now: ts.clock, Wall: ts.wall, BcryptCost: bcrypt.MinCost,
		Logger: slog.New(logfmt.New(io.Discard, slog.LevelInfo))}); err != nil {
		t.Fatal(err)
	}
	ts.client().get("/").expect(t, http.StatusOK, "Brightloop Group plc</a>", "Powered by Steward")
	adm := ts.as(adminEmail)
	adm.get("/admin/organisation").expect(t, http.StatusOK,
		"Set by the environment (STEWARD_ORG_NAME)", `value="Brightloop Group plc" type="text" autocomplete="organization" readonly`)
	adm.post("/admin/organisation", orgValues(map[string]string{"name": "Someone Else", "dpo": "Dana Reyes"})).expect(t, http.StatusSeeOther)
	ts.client().get("/").expect(t, http.StatusOK, "Brightloop Group plc</a>")
	st, err := ts.srv.org.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Fact(org.DPO) != "Dana Reyes" {
		t.Error("a setting the environment does not fix was not saved beside one it does")
	}
}

// TestCustomerPagesNameTheOrganisation visits every page an anonymous
// customer can reach, the feed, a certificate and its verification page:
// each names the organisation and none says "Steward" while the
// powered-by line is off.
func TestCustomerPagesNameTheOrganisation(t *testing.T) {
	ts := withCourses(t)
	_, anonymous, _ := coursePages(t, ts)
	emp := ts.as(employeeEmail)
	check := func(path, body string) {
		t.Helper()
		if !strings.Contains(body, "Brightloop Ltd") {
			t.Errorf("%s does not name the organisation", path)
		}
		if i := strings.Index(body, "Steward"); i >= 0 {
			t.Errorf("%s says Steward: …%s…", path, body[max(0, i-80):min(len(body), i+40)])
		}
	}
	cert := emp.get("/courses/basics/certificate")
	cert.expect(t, http.StatusOK)
	check("/courses/basics/certificate", cert.Body)

	anon := ts.client()
	seen := map[string]bool{}
	queue := append([]string{"/", "/login", "/password/forgot", "/policies/feed.atom", "/no-such-page"}, anonymous...)
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		res := anon.get(u)
		ct := res.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "text/html") && !strings.HasPrefix(ct, "application/atom+xml") {
			continue
		}
		check(u, res.Body)
		for _, target := range pageTargets(res.Body) {
			if v, ok := sameSite(target, u); ok && !strings.HasPrefix(v, "/static/") {
				queue = append(queue, v)
			}
		}
	}
	if len(seen) < 15 {
		t.Errorf("reached only %d pages", len(seen))
	}
	feed := anon.get("/policies/feed.atom")
	feed.expect(t, http.StatusOK, "<title>Brightloop Ltd policy changes</title>", "<name>Brightloop Ltd</name>")
}

func TestCoursePlaceholders(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	folder := courseFolder(t, func(f map[string]string) {
		f["01-collect-less.md"] += "\nAsk {{org.privacy_contact}} first; breaches go to {{ org.breach_contact }}.\n"
		f["01-collect-less.md"] = strings.Replace(f["01-collect-less.md"],
			"A sign-up form asks for a birth date nobody uses.", "A sign-up form at {{org.name}} asks for a birth date nobody uses.", 1)
	})
	if _, err := ts.srv.courses.Import(ctx, folder, audit.Actor{Label: "test"}, testStart); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.srv.courses.Sync(ctx, testStart); err != nil {
		t.Fatal(err)
	}
	emp := ts.as(employeeEmail)
	emp.get("/courses/basics/modules/1").expect(t, http.StatusOK,
		"Ask privacy@brightloop.example, or by post to Brightloop Ltd., 14 Harbour Street", "breaches go to security@brightloop.example",
		"A sign-up form at Brightloop Ltd asks")

	adm := ts.as(adminEmail)
	adm.post("/admin/organisation", orgValues(map[string]string{"privacy_contact": `Tom & "Jerry"`, "breach_contact": ""})).
		expect(t, http.StatusSeeOther)
	emp.get("/courses/basics/modules/1").expect(t, http.StatusOK,
		"Ask Tom &amp; &#34;Jerry&#34; first",
		`breaches go to <mark class="placeholder">[where to report a breach — set in Organisation settings]</mark>.`)

	bad := courseFolder(t, func(f map[string]string) {
		f["01-collect-less.md"] += "\nAsk {{org.ceo}}.\n"
	})
	adm.upload("/admin/courses/upload", "folder", "basics.zip", zipOf(t, "basics/", bad), nil).
		expect(t, http.StatusUnprocessableEntity, "{{org.ceo}}", "not an organisation setting")
	badQuiz := courseFolder(t, func(f map[string]string) {
		f["01-collect-less.md"] = strings.Replace(f["01-collect-less.md"], "Remove the field.", "Ask {{org.cfo}}.", 1)
	})
	adm.upload("/admin/courses/upload", "folder", "basics.zip", zipOf(t, "basics/", badQuiz), nil).
		expect(t, http.StatusUnprocessableEntity, "{{org.cfo}}")
	emp.get("/courses/basics/modules/1").expect(t, http.StatusOK, "Ask Tom &amp;")
}

func TestPolicyPlaceholders(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.as(adminEmail)
	adm.post("/admin/policies", url.Values{"slug": {"cookies"}, "title": {"Cookie policy"}, "audience": {"public"}}).expect(t, http.StatusSeeOther)
	draft := func(body, action string) *response {
		return adm.post("/admin/policies/cookies/draft", url.Values{"body": {body}, "summary": {"First"}, "change": {"material"}, "action": {action}})
	}
	draft("# Cookies\n\nAsk {{org.ceo}} or {{org.dpo}}.", "save").expect(t, http.StatusUnprocessableEntity, "{{org.ceo}}", "not an organisation setting")
	body := "# Cookies\n\nOur data protection officer is {{org.dpo}}; {{org.name}} uses one cookie."
	draft(body, "save").expect(t, http.StatusSeeOther)

	adm.post("/admin/organisation", orgValues(map[string]string{"dpo": ""})).expect(t, http.StatusSeeOther)
	draft(body, "preview").expect(t, http.StatusOK,
		`officer is <mark class="placeholder">[data protection officer — set in Organisation settings]</mark>; Brightloop Ltd uses`)
	approveDraft(t, ts, "cookies")
	adm.post("/admin/policies/cookies/publish", url.Values{"when": {"now"}, "change": {"material"}}).expect(t, http.StatusUnprocessableEntity,
		"The draft names organisation settings that are not set yet: data protection officer.")
	if n := ts.count(`SELECT COUNT(*) FROM policy_versions WHERE status = 'published' AND body_md LIKE '%org.dpo%'`); n != 0 {
		t.Fatal("a policy with an unset fact was published")
	}

	adm.post("/admin/organisation", orgValues(map[string]string{"dpo": "Hannah Okafor (dpo@brightloop.example)"})).expect(t, http.StatusSeeOther)
	adm.post("/admin/policies/cookies/publish", url.Values{"when": {"now"}, "change": {"material"}}).expect(t, http.StatusSeeOther)
	anon := ts.client()
	anon.get("/policies/cookies").expect(t, http.StatusOK, "officer is Hannah Okafor (", "); Brightloop Ltd uses one cookie.")
	md := anon.get("/policies/cookies/v/1.md")
	md.expect(t, http.StatusOK, "officer is Hannah Okafor (dpo@brightloop.example); Brightloop Ltd uses")
	if strings.Contains(md.Body, "{{") {
		t.Error("the published Markdown holds a placeholder")
	}
	// The published text is frozen: a later change of the setting leaves it.
	adm.post("/admin/organisation", orgValues(map[string]string{"dpo": "Someone Else"})).expect(t, http.StatusSeeOther)
	anon.get("/policies/cookies").expect(t, http.StatusOK, "officer is Hannah Okafor")
	// The next draft starts from the text as written, placeholders and all.
	adm.get("/admin/policies/cookies").expect(t, http.StatusOK, "officer is {{org.dpo}}; {{org.name}} uses")
}

// TestBrowserOrganisation looks at a branded public page (with a logo,
// footer links and the accent colour) and the settings page, valid and
// refused, in Chromium: axe-core, the Nu checker and a 375 px phone.
func TestBrowserOrganisation(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.as(adminEmail)
	adm.upload("/admin/organisation/logo", "logo", "logo.png", testPNG(t, 240, 80), nil).expect(t, http.StatusSeeOther)
	adm.post("/admin/organisation", orgValues(map[string]string{"powered_by": "on"})).expect(t, http.StatusSeeOther)
	pages := map[string]string{
		"public":           ts.client().get("/policies/privacy").Body,
		"settings":         adm.get("/admin/organisation").Body,
		"settings-refused": adm.post("/admin/organisation", orgValues(map[string]string{"accent": "#dddddd", "contact": "x"})).Body,
		"logo-refused":     adm.upload("/admin/organisation/logo", "logo", "l.gif", []byte("GIF89a"), nil).Body,
	}
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
	lookAt(t, ts, "", "/policies/privacy", "/verify")
	lookAt(t, ts, adminEmail, "/admin/organisation")
}

// TestOrganisationChangedElsewhereShowsWithinAMinute: a change saved by
// another instance (another store over the same database) shows once this
// instance's snapshot is a minute old.
func TestOrganisationChangedElsewhereShowsWithinAMinute(t *testing.T) {
	ts := newTestServer(t)
	other := org.NewStore(ts.db, nil)
	if _, err := other.Save(context.Background(), map[string]string{"name": "Northwind Outfitters Ltd"}, audit.System, testStart); err != nil {
		t.Fatal(err)
	}
	ts.client().get("/").expect(t, http.StatusOK, "Brightloop Ltd</a>")
	ts.advanceWall(brandMaxAge + time.Second)
	ts.client().get("/").expect(t, http.StatusOK, "Northwind Outfitters Ltd</a>")
}
