package handlers

import (
	"net/url"
	"testing"

	"steward/internal/browsertest"
)

// TestBrowserTrustPages looks at the audit log and My data pages as people
// would: no serious accessibility problem, nothing wider than a phone.
func TestBrowserTrustPages(t *testing.T) {
	ts := newTestServer(t)
	lookAt(t, ts, auditorEmail, "/admin/audit", "/admin/audit?who=ghost@example.com&from=soon", "/account/data")
	lookAt(t, ts, employeeEmail, "/account/data")
}

// TestTrustMarkupIsValid runs the Nu HTML checker over the same pages,
// including the audit filter re-rendered with its errors.
func TestTrustMarkupIsValid(t *testing.T) {
	ts := newTestServer(t)
	auditor := ts.as(auditorEmail)
	pages := map[string]string{
		"audit":         auditor.get("/admin/audit").Body,
		"audit-page-2":  auditor.get("/admin/audit?page=2").Body,
		"audit-invalid": auditor.get("/admin/audit?" + url.Values{"who": {"ghost@example.com"}, "from": {"soon"}, "to": {"x"}}.Encode()).Body,
		"audit-empty":   auditor.get("/admin/audit?from=2030-01-01").Body,
		"mydata-admin":  ts.as(adminEmail).get("/account/data").Body,
		"mydata-eli":    ts.as(employeeEmail).get("/account/data").Body,
	}
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}
