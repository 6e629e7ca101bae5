package handlers

import (
	"net/http"
	"strings"
	"testing"

	"steward/internal/browsertest"
)

// TestTransparencyLogPages: the log's page explains and shows the signed
// checkpoint with every published public version; its JSON addresses
// refuse bad numbers with 400 and ranges outside the log with 404.
func TestTransparencyLogPages(t *testing.T) {
	ts := newTestServer(t)
	anon := ts.client()
	page := anon.get("/log")
	page.expect(t, http.StatusOK, "Transparency log", "steward log verify", "Policy privacy/v1", "Policy privacy/v3")
	cp := anon.get("/log/checkpoint")
	cp.expect(t, http.StatusOK)
	if lines := strings.Split(cp.Body, "\n"); len(lines) < 5 || !strings.HasSuffix(lines[0], "/steward-log") || !strings.HasPrefix(lines[4], "— ") {
		t.Errorf("not a signed checkpoint note: %q", cp.Body)
	}
	anon.get("/log/key").expect(t, http.StatusOK, "/steward-log+")
	anon.get("/log/leaves?start=0&end=2").expect(t, http.StatusOK, `"kind":"policy-version"`, `"data":"steward-policy-version/v1\n`)
	for path, status := range map[string]int{
		"/log/leaves?start=abc&end=2":            http.StatusBadRequest,
		"/log/leaves?start=0&end=5000":           http.StatusBadRequest,
		"/log/leaves?start=5&end=2":              http.StatusBadRequest,
		"/log/proof/inclusion?index=0":           http.StatusBadRequest,
		"/log/proof/inclusion?index=9&size=1":    http.StatusNotFound,
		"/log/proof/inclusion?index=0&size=9999": http.StatusNotFound,
		"/log/proof/consistency?from=3&to=1":     http.StatusNotFound,
		"/log/proof/consistency?from=-1&to=1":    http.StatusBadRequest,
		"/log/proof/consistency?from=1&to=%00":   http.StatusBadRequest,
	} {
		anon.get(path).expect(t, status)
	}
	anon.get("/log/proof/inclusion?index=0&size=2").expect(t, http.StatusOK, `"proof":[`)
	for _, problem := range browsertest.ValidateHTML(t, map[string]string{"log": page.Body}) {
		t.Error(problem)
	}
	lookAt(t, ts, "", "/log")
}
