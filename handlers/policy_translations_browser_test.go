package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/browsertest"
	"steward/policies"
)

// TestBrowserTranslations looks at the German policy pages, a lagging
// translation and the translation admin in Chromium at a phone's width
// (axe-core, nothing wider than 375 px), and has the Nu checker read
// them and the forms re-rendered with errors.
func TestBrowserTranslations(t *testing.T) {
	ts, n := withGermanPrivacy(t)
	lookAt(t, ts, "", "/?lang=de", "/policies/privacy?lang=de", "/policies/privacy/history?lang=de",
		"/policies/privacy/diff/1/"+strconv.Itoa(n)+"?lang=de")
	lookAt(t, ts, adminEmail, "/admin/policies/translations", "/admin/policies/privacy/translate?lang=de", "/admin/policies/privacy")

	pages := map[string]string{}
	c := ts.client()
	for _, p := range []string{"/", "/policies/privacy", "/policies/privacy/history", "/policies/privacy/v/1"} {
		pages["de"+p] = c.getIn(p, "de").Body
	}
	// The English text changes: the German lags.
	ctx := context.Background()
	_, vs, err := ts.srv.policies.Versions(ctx, "privacy")
	if err != nil {
		t.Fatal(err)
	}
	latest := vs[len(vs)-1]
	by := audit.Actor{Label: "test"}
	if _, err := ts.srv.policies.SaveDraft(ctx, "privacy", policies.DraftInput{Body: latest.SourceMD + "\nOne more paragraph.\n",
		Summary: "One more paragraph.", ChangeKind: policies.Material}, by, ts.clock()); err != nil {
		t.Fatal(err)
	}
	approveInStore(t, ts, "privacy")
	if _, _, err := ts.srv.policies.Publish(ctx, "privacy", policies.PublishInput{Kind: policies.Material,
		Effective: latestOrNow(latest.EffectiveAt.Add(time.Second), ts.clock()), ShortNoticeReason: "A test of translations."}, by, ts.clock()); err != nil {
		t.Fatal(err)
	}
	pages["de-lagging"] = c.getIn("/policies/privacy", "de").Body
	lookAt(t, ts, "", "/policies/privacy?lang=de")
	admin := ts.as(adminEmail)
	pages["admin-translations"] = admin.get("/admin/policies/translations").Body
	pages["admin-translate"] = admin.get("/admin/policies/privacy/translate?lang=de").Body
	res := admin.post("/admin/policies/privacy/translate", url.Values{"version": {"x"}, "language": {"en"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a bad translation: %d", res.StatusCode)
	}
	pages["admin-translate-invalid"] = res.Body
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}
