package handlers

import (
	"net/http"
	"strings"
	"testing"

	"steward/internal/evidencepack"
)

// TestEvidencePackDownload: an auditor downloads the pack for a day; it
// verifies with the installation's published key; the download is in the
// audit log; a bad day is a 400 with the form; an employee cannot.
func TestEvidencePackDownload(t *testing.T) {
	ts := newTestServer(t)
	auditor := ts.as(auditorEmail)
	auditor.get("/reports/evidence").expect(t, http.StatusOK, "Evidence pack for auditors")
	res := auditor.get("/reports/evidence/pack?as_of=2026-11-27")
	res.expect(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/zip" {
		t.Errorf("Content-Type %q", ct)
	}
	key := strings.TrimSpace(ts.client().get("/log/key").Body)
	r, err := evidencepack.Verify([]byte(res.Body), key)
	if err != nil || r.AsOf != "2026-11-27" {
		t.Fatalf("the downloaded pack: %+v %v", r, err)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.pack' AND target = 'evidence:2026-11-27'`); n != 1 {
		t.Errorf("%d audit entries for the pack", n)
	}
	auditor.get("/reports/evidence/pack?as_of=2026-13-45").expect(t, http.StatusBadRequest, "is not a day")
	if got := ts.as(employeeEmail).get("/reports/evidence/pack?as_of=2026-11-27"); got.StatusCode != http.StatusForbidden {
		t.Errorf("an employee gets %d", got.StatusCode)
	}
}
