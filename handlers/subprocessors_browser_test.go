package handlers

import (
	"net/url"
	"testing"

	"steward/internal/browsertest"
)

// TestBrowserSubprocessors looks at the register's pages, public and
// admin, with an upcoming change scheduled: axe, a 375 px phone, and the
// Nu HTML checker, including the admin page re-rendered with its errors.
func TestBrowserSubprocessors(t *testing.T) {
	ts := newTestServer(t)
	admin := publishFirstRegister(t, ts)
	admin.post("/admin/subprocessors", entryValues("Postmark (ActiveCampaign LLC), transactional email", "Sends our transactional email to customers")).
		expect(t, 303)
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Adding Postmark"}, "effective": {"2026-12-10"},
		"reason": {"Our old email provider closes on 9 December"}}).expect(t, 303)
	admin.post("/admin/subprocessors", entryValues("Acme Analytics", "Counts visits")).expect(t, 303)
	var id string
	if err := ts.db.Get(&id, `SELECT CAST(id AS TEXT) FROM subprocessor_entries WHERE name = 'Stripe'`); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{
		"register":      ts.client().get("/subprocessors").Body,
		"version":       ts.client().get("/subprocessors/v/2").Body,
		"diff":          ts.client().get("/subprocessors/diff/1/2").Body,
		"admin":         admin.get("/admin/subprocessors").Body,
		"admin-entry":   admin.get("/admin/subprocessors/" + id).Body,
		"admin-invalid": admin.post("/admin/subprocessors/publish", url.Values{"summary": {""}, "effective": {"soon"}}).Body,
		"admin-add-bad": admin.post("/admin/subprocessors", entryValues("", "")).Body,
	}
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
	lookAt(t, ts, "", "/subprocessors", "/subprocessors/v/2", "/subprocessors/diff/1/2")
	lookAt(t, ts, adminEmail, "/admin/subprocessors", "/admin/subprocessors/"+id)
}
