package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/policies"
)

// getIn requests path as a browser set to accept languages.
func (c *client) getIn(path, acceptLanguage string) *response {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept-Language", acceptLanguage)
	return c.do(req)
}

// withGermanPrivacy publishes the demo policies and a German translation
// of the privacy policy's version in effect, through the admin's form.
func withGermanPrivacy(t *testing.T) (*testServer, int) {
	t.Helper()
	ts := withPolicies(t)
	tl, err := ts.srv.policies.Timeline(context.Background(), "privacy")
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := tl.InEffect(ts.clock())
	admin := ts.as(adminEmail)
	admin.get("/admin/policies/privacy/translate?lang=de").expect(t, http.StatusOK, "Translate Privacy policy")
	res := admin.post("/admin/policies/privacy/translate", url.Values{"version": {strconv.Itoa(cur.Number)}, "language": {"de"},
		"title": {"Datenschutzerklärung"}, "summary": {"Gespräche mit dem Support bewahren wir 18 Monate auf."},
		"key_points": {"Wir verkaufen keine Daten."},
		"body":       {"# Datenschutzerklärung\n\n## Wer wir sind\n\nBrightloop hilft Unternehmen bei ihrem Marketing.\n"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the translation: %d\n%s", res.StatusCode, snippet(res.Body))
	}
	return ts, cur.Number
}

func TestGermanBrowserReadsGerman(t *testing.T) {
	ts, n := withGermanPrivacy(t)
	c := ts.client()

	res := c.getIn("/policies/privacy", "de-DE,de;q=0.9,en;q=0.8")
	res.expect(t, http.StatusOK, `<html lang="de">`, "<h1>Datenschutzerklärung</h1>", "Brightloop hilft Unternehmen",
		"Wir verkaufen keine Daten.", "Kurz gesagt", "Versionsgeschichte dieser Richtlinie", "Dies ist eine Übersetzung",
		`hreflang="en"`, `href="/policies/privacy?lang=de"`, `aria-current="true">Deutsch</a>`, "Zum Inhalt springen")
	if strings.Contains(res.Body, "Diese Übersetzung gibt Version") {
		t.Error("an up-to-date translation is marked as lagging")
	}
	if v := res.Header.Get("Vary"); !strings.Contains(v, "Accept-Language") {
		t.Errorf("Vary = %q, want Accept-Language", v)
	}
	if cl := res.Header.Get("Content-Language"); cl != "de" {
		t.Errorf("Content-Language = %q", cl)
	}

	// Another language, or none: the authoritative English, from the
	// same address; the cache keeps them apart.
	for _, accept := range []string{"", "fr-FR,fr;q=0.9", "en-GB"} {
		res := c.getIn("/policies/privacy", accept)
		res.expect(t, http.StatusOK, `<html lang="en">`, "<h1>Privacy policy</h1>", `hreflang="de"`, `lang="de">Deutsch</a>`)
		if strings.Contains(res.Body, "Datenschutzerklärung") {
			t.Errorf("Accept-Language %q got German", accept)
		}
	}

	// ?lang= overrides the browser, and the page's links keep it.
	res = c.getIn("/policies/privacy?lang=de", "en")
	res.expect(t, http.StatusOK, `<html lang="de">`, "Datenschutzerklärung", `href="/policies/privacy/history?lang=de"`)
	if v := res.Header.Get("Vary"); strings.Contains(v, "Accept-Language") {
		t.Errorf("an explicit language still varies: %q", v)
	}
	res = c.getIn("/policies/privacy?lang=en", "de")
	res.expect(t, http.StatusOK, `<html lang="en">`, "<h1>Privacy policy</h1>")

	c.get("/policies/privacy?lang=fr").expect(t, http.StatusNotFound, "not available in")
	c.get("/policies/privacy?lang=%3Cscript%3E").expect(t, http.StatusBadRequest)

	// History, source, feed and API per language.
	c.getIn("/policies/privacy/history", "de").expect(t, http.StatusOK, `<html lang="de">`, "alle Versionen",
		"Gespräche mit dem Support bewahren wir 18 Monate auf.", "Zwei Versionen vergleichen")
	md := c.get("/policies/privacy/v/" + strconv.Itoa(n) + ".md?lang=de")
	md.expect(t, http.StatusOK, "# Datenschutzerklärung\n")
	feed := c.get("/policies/privacy/feed.atom?lang=de")
	feed.expect(t, http.StatusOK, "<title>Datenschutzerklärung: Änderungen</title>", "Datenschutzerklärung: Version "+strconv.Itoa(n),
		"Noch nicht übersetzt")

	var api struct {
		Title         string   `json:"title"`
		Language      string   `json:"language"`
		Authoritative string   `json:"authoritative_language"`
		TranslationOf int      `json:"translation_of"`
		Number        int      `json:"number"`
		BodyMarkdown  string   `json:"body_markdown"`
		SHA256        string   `json:"sha256"`
		Languages     []string `json:"languages"`
	}
	res = c.get("/api/v1/policies/privacy?lang=de")
	if err := json.Unmarshal([]byte(res.Body), &api); err != nil {
		t.Fatal(err)
	}
	if api.Title != "Datenschutzerklärung" || api.Language != "de" || api.Authoritative != "en" || api.TranslationOf != n ||
		api.Number != n || policies.Hash(api.BodyMarkdown) != api.SHA256 || strings.Join(api.Languages, " ") != "en de" {
		t.Errorf("API in German: %+v", api)
	}
}

func TestEnglishChangeMarksGermanLagging(t *testing.T) {
	ts, n := withGermanPrivacy(t)
	ctx := context.Background()
	_, vs, err := ts.srv.policies.Versions(ctx, "privacy")
	if err != nil {
		t.Fatal(err)
	}
	latest := vs[len(vs)-1]
	// The English text changes, in effect at once.
	by := audit.Actor{Label: "test"}
	if _, err := ts.srv.policies.SaveDraft(ctx, "privacy", policies.DraftInput{Body: latest.SourceMD + "\n## Cookies\n\nWe set none.\n",
		Summary: "A section on cookies.", ChangeKind: policies.Material}, by, ts.clock()); err != nil {
		t.Fatal(err)
	}
	approveInStore(t, ts, "privacy")
	if _, _, err := ts.srv.policies.Publish(ctx, "privacy", policies.PublishInput{Kind: policies.Material,
		Effective: latestOrNow(latest.EffectiveAt.Add(time.Second), ts.clock()), ShortNoticeReason: "A test of translations."}, by, ts.clock()); err != nil {
		t.Fatal(err)
	}
	next := latest.Number + 1
	c := ts.client()
	res := c.getIn("/policies/privacy", "de")
	res.expect(t, http.StatusOK, `<html lang="de">`, "Datenschutzerklärung",
		"Diese Übersetzung gibt Version "+strconv.Itoa(n)+" wieder.",
		`href="/policies/privacy/v/`+strconv.Itoa(next)+`?lang=en" hreflang="en">maßgeblichen Text lesen (Englisch, Version `+strconv.Itoa(next)+`)`)
	c.getIn("/policies/privacy", "en").expect(t, http.StatusOK, "We set none.")

	var api struct {
		Number        int    `json:"number"`
		TranslationOf int    `json:"translation_of"`
		Language      string `json:"language"`
	}
	if err := json.Unmarshal([]byte(c.get("/api/v1/policies/privacy?lang=de").Body), &api); err != nil {
		t.Fatal(err)
	}
	if api.Number != next || api.TranslationOf != n || api.Language != "de" {
		t.Errorf("API in German after the change: %+v, want version %d translated from %d", api, next, n)
	}
	// The German source of the new version does not exist: the .md is
	// the authoritative text, saying so.
	md := c.get("/policies/privacy/v/" + strconv.Itoa(next) + ".md?lang=de")
	if md.Header.Get("Content-Language") != "en" || !strings.Contains(md.Body, "We set none.") {
		t.Errorf(".md in German of an untranslated version: %s %q", md.Header.Get("Content-Language"), snippet(md.Body))
	}

	admin := ts.as(adminEmail)
	admin.get("/admin/policies/privacy").expect(t, http.StatusOK, "German (de): version "+strconv.Itoa(n), "Lagging",
		"/admin/policies/privacy/translate?lang=de&amp;v="+strconv.Itoa(next))
	admin.get("/admin/policies/translations").expect(t, http.StatusOK, "Privacy policy", "German (de)", "Lagging")

	// A bad translation is refused with its reasons, and nothing changes.
	res = admin.post("/admin/policies/privacy/translate", url.Values{"version": {strconv.Itoa(next)}, "language": {"en"},
		"title": {""}, "body": {"Text"}})
	res.expect(t, http.StatusUnprocessableEntity, "Is the policy&#39;s own language", "Is required")
	admin.get("/admin/policies/translations").expect(t, http.StatusOK, "Lagging")
}

func TestStaffAcknowledgeInGermanRecordsGerman(t *testing.T) {
	ts := withPolicies(t)
	ctx := context.Background()
	slug := "acceptable-use-of-customer-data"
	tl, err := ts.srv.policies.Timeline(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := tl.Latest()
	// A new material version, in effect now: everyone must acknowledge it.
	by := audit.Actor{Label: "test"}
	if _, err := ts.srv.policies.SaveDraft(ctx, slug, policies.DraftInput{Body: last.SourceMD + "\nOne more rule.\n",
		Summary: "One more rule.", ChangeKind: policies.Material}, by, ts.clock()); err != nil {
		t.Fatal(err)
	}
	approveInStore(t, ts, slug)
	cur, _, err := ts.srv.policies.Publish(ctx, slug, policies.PublishInput{Kind: policies.Material}, by, ts.clock())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.srv.policies.Translate(ctx, slug, cur.Number, policies.TranslationInput{Language: "de",
		Title: "Umgang mit Kundendaten", Body: "Kundendaten nur für den Zweck nutzen, für den sie erhoben wurden."},
		audit.Actor{Label: "test"}, ts.clock()); err != nil {
		t.Fatal(err)
	}
	emp := ts.as(employeeEmail)
	emp.get("/my/policies/"+slug).expect(t, http.StatusOK, `hreflang="de"`, "I have read and will follow")
	res := emp.getIn("/my/policies/"+slug, "de-DE")
	res.expect(t, http.StatusOK, `<h1 lang="de">Umgang mit Kundendaten</h1>`, "Kundendaten nur für den Zweck", `name="lang" value="de"`)
	res = emp.post("/my/policies/"+slug+"/acknowledge", url.Values{"version": {strconv.Itoa(cur.Number)}, "lang": {"de"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d %s", res.StatusCode, snippet(res.Body))
	}
	if n := ts.count(`SELECT COUNT(*) FROM policy_acknowledgements WHERE user_id = ? AND language = 'de'`, ts.userID(employeeEmail)); n != 1 {
		t.Errorf("%d acknowledgements in German recorded, want 1", n)
	}
	// The person's copy of their data says so.
	emp.get("/account/data.json").expect(t, http.StatusOK, `"language": "de"`)
}
