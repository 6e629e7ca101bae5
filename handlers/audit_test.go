package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestAuditLogIsBrowsableByAdminsAndAuditorsOnly(t *testing.T) {
	ts := newTestServer(t)
	ts.as(employeeEmail) // a sign-in to find
	for _, who := range []string{adminEmail, auditorEmail} {
		c := ts.as(who)
		c.get("/admin/audit").expect(t, http.StatusOK, "Audit log", "login.success", "people.import", "Download CSV")
	}
	for _, who := range []string{employeeEmail, managerEmail} {
		ts.as(who).get("/admin/audit").expect(t, http.StatusForbidden)
		ts.as(who).get("/admin/audit.csv").expect(t, http.StatusForbidden)
	}
	if res := ts.client().get("/admin/audit"); res.StatusCode != http.StatusFound {
		t.Fatalf("anonymous: %d", res.StatusCode)
	}
}

func TestAuditLogFilters(t *testing.T) {
	ts := newTestServer(t)
	eli := itoa(ts.userID(employeeEmail))
	ts.as(employeeEmail)
	ts.client().post("/login", url.Values{"email": {"ghost@example.com"}, "password": {"wrong password"}})
	c := ts.as(auditorEmail)

	rows := regexp.MustCompile(`<tr>\s*<td data-label="#">(\d+)</td>`)
	count := func(res *response) int { return len(rows.FindAllString(res.Body, -1)) }

	res := c.get("/admin/audit?who=" + url.QueryEscape(employeeEmail))
	res.expect(t, http.StatusOK, "login.success")
	if b := tbody(res); strings.Contains(b, "people.import") || strings.Contains(b, "anonymous") || !strings.Contains(b, "Eli Turner") {
		t.Fatal("filtering by person shows entries by others")
	}
	res = c.get("/admin/audit?action=login.")
	res.expect(t, http.StatusOK, "login.success", "login.failure", ">anonymous<")
	if strings.Contains(tbody(res), "people.import") {
		t.Fatal("the login. family shows other actions")
	}
	res = c.get("/admin/audit?who=anonymous&action=login.failure")
	if n := count(res); n != 1 {
		t.Fatalf("%d anonymous failed sign-ins, want 1", n)
	}
	res = c.get("/admin/audit?target=user:" + eli + "&action=login.success")
	if n := count(res); n != 1 {
		t.Fatalf("%d sign-ins of Eli, want 1", n)
	}
	// Dates are whole days, both included.
	day := testStart.Format("2006-01-02")
	if n := count(c.get("/admin/audit?action=login.success&from=" + day + "&to=" + day)); n < 2 {
		t.Fatalf("%d sign-ins today", n)
	}
	if n := count(c.get("/admin/audit?from=2026-11-29")); n != 0 {
		t.Fatalf("%d entries from tomorrow", n)
	}

	for q, msg := range map[string]string{
		"who=ghost@example.com":              "Nobody in Steward has this email.",
		"who=%27%3B+DROP+TABLE+audit_log":    "Enter a person&#39;s email, or system, cli or anonymous.",
		"from=yesterday":                     "Enter a date like 2026-11-01.",
		"from=2026-11-28&to=2026-11-01":      "The end date must not be before the start date.",
		"target=" + strings.Repeat("x", 201): "Use at most 200 characters.",
	} {
		res := c.get("/admin/audit?" + q)
		res.expect(t, http.StatusUnprocessableEntity, msg, "The filter has a problem")
	}
}

// tbody is the body of the page's table, without the filter form.
func tbody(res *response) string {
	_, after, _ := strings.Cut(res.Body, "<tbody>")
	body, _, _ := strings.Cut(after, "</tbody>")
	return body
}

func TestAuditLogPages(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(adminEmail)
	total := ts.count(`SELECT COUNT(*) FROM audit_log`)
	if total <= auditPageSize {
		t.Fatalf("the demo has only %d entries; the test needs more than a page", total)
	}
	first := c.get("/admin/audit")
	first.expect(t, http.StatusOK, "Next page")
	if strings.Contains(first.Body, "Previous page") {
		t.Fatal("page 1 offers a previous page")
	}
	last := c.get("/admin/audit?page=" + itoa(int64((total+auditPageSize-1)/auditPageSize)))
	last.expect(t, http.StatusOK, "Previous page", `<td data-label="#">1</td>`)
	c.get("/admin/audit?page=-3").expect(t, http.StatusOK, "Next page")
	c.get("/admin/audit?page=99999999999999999999").expect(t, http.StatusOK)
}

func TestAuditExportIsCSVAndIsItselfAudited(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(auditorEmail)
	before := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'login.success'`)
	res := c.get("/admin/audit.csv?action=login.success")
	res.expect(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Fatalf("content disposition %q", cd)
	}
	recs := readCSV(t, res.Body)
	if len(recs) != before+1 || recs[0][0] != "id" || recs[0][8] != "hash" {
		t.Fatalf("%d rows for %d sign-ins; header %v", len(recs)-1, before, recs[0])
	}
	hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, r := range recs[1:] {
		if r[4] != "login.success" || !hex.MatchString(r[8]) {
			t.Fatalf("row %v", r)
		}
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'audit.export' AND actor_id = ? AND detail = 'action=login.success'`, ts.userID(auditorEmail)); n != 1 {
		t.Fatalf("export audited %d times", n)
	}
	c.get("/admin/audit.csv?from=never").expect(t, http.StatusUnprocessableEntity)

	// Filtering on a person is recorded by their id, not their email.
	c.get("/admin/audit.csv?who="+url.QueryEscape(employeeEmail)).expect(t, http.StatusOK)
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'audit.export' AND detail = ?`, "who=user%3A"+itoa(ts.userID(employeeEmail))); n != 1 {
		t.Fatalf("the export by person is audited %d times by id", n)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%example.com%'`); n != 0 {
		t.Fatalf("%d audit entries carry an email address", n)
	}
}

// TestNobodyCanChangeTheAuditLogThroughTheApp checks that every route
// under the audit log only reads, and that writing to it is refused.
func TestNobodyCanChangeTheAuditLogThroughTheApp(t *testing.T) {
	ts := newTestServer(t)
	for _, r := range ts.srv.App().GetRoutes(true) {
		if strings.Contains(r.Path, "audit") && r.Method != fiber.MethodGet && r.Method != fiber.MethodHead {
			t.Errorf("%s %s changes the audit log", r.Method, r.Path)
		}
	}
	c := ts.as(adminEmail)
	before := ts.count(`SELECT COUNT(*) FROM audit_log`)
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		for _, p := range []string{"/admin/audit", "/admin/audit/1", "/admin/audit.csv"} {
			req, _ := http.NewRequest(m, p, strings.NewReader("_csrf="+c.token()+"&detail=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if res := c.do(req); res.StatusCode < 400 || res.StatusCode >= 500 {
				t.Errorf("%s %s: %d", m, p, res.StatusCode)
			}
		}
	}
	if after := ts.count(`SELECT COUNT(*) FROM audit_log`); after != before {
		t.Fatalf("audit entries %d -> %d", before, after)
	}
}

// TestEveryExportIsAudited downloads each export Steward offers and finds
// its audit entry, as the staff privacy notice promises.
func TestEveryExportIsAudited(t *testing.T) {
	ts := newTestServer(t)
	day := testStart.AddDate(0, 0, -1).Format("2006-01-02")
	for _, tc := range []struct{ who, path, action string }{
		{managerEmail, "/team/report.csv", "team_report.export"},
		{auditorEmail, "/reports/evidence?format=csv&as_of=" + day, "evidence.export"},
		{adminEmail, "/admin/courses/responsible-use-of-customer-data/export.zip", "course.export"},
		{auditorEmail, "/admin/audit.csv", "audit.export"},
		{employeeEmail, "/account/data.json", "mydata.export"},
	} {
		before := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, tc.action)
		ts.as(tc.who).get(tc.path).expect(t, http.StatusOK)
		if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND actor_id = ?`, tc.action, ts.userID(tc.who)); n != before+1 {
			t.Errorf("%s by %s: %d %s entries, want %d", tc.path, tc.who, n, tc.action, before+1)
		}
	}
}
