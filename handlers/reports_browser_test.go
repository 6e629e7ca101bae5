package handlers

import (
	"testing"

	"steward/internal/browsertest"
)

// reportPages are the report pages, with who looks at each.
func reportPages(t *testing.T, ts *testServer) map[string][]string {
	t.Helper()
	var person int64
	if err := ts.db.Get(&person, ts.db.Rebind(`SELECT c.user_id FROM course_cycles c JOIN users u ON u.id = c.user_id
		WHERE u.manager_id = ? AND u.active = TRUE ORDER BY c.id LIMIT 1`), ts.userID(managerEmail)); err != nil {
		t.Fatal(err)
	}
	return map[string][]string{
		managerEmail: {"/team/report", "/team/report?status=all", "/team/report?status=overdue", "/team/people/" + itoa(person)},
		auditorEmail: {"/reports", "/reports/evidence", "/reports/evidence?as_of=2026-13-01&format=csv"},
		adminEmail:   {"/reports", "/team/report"},
	}
}

func TestBrowserReportPages(t *testing.T) {
	ts := newTestServer(t)
	for who, paths := range reportPages(t, ts) {
		lookAt(t, ts, who, paths...)
	}
}

// TestReportMarkupIsValid runs the Nu HTML checker over the report pages.
func TestReportMarkupIsValid(t *testing.T) {
	ts := newTestServer(t)
	pages := map[string]string{}
	for who, paths := range reportPages(t, ts) {
		c := ts.as(who)
		for _, p := range paths {
			pages[who+p] = c.get(p).Body
		}
	}
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}
