package handlers

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/csvout"
)

var (
	rowRE  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<t[dh][^>]*>(.*?)</t[dh]>`)
	tagRE  = regexp.MustCompile(`<[^>]+>`)
)

// tableRows reads the body rows of the table with id as text, cell by cell.
func tableRows(t *testing.T, body, id string) [][]string {
	t.Helper()
	i := strings.Index(body, `<table id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no table %s on the page\n%s", id, snippet(body))
	}
	body = body[i:]
	body = body[strings.Index(body, "<tbody>"):strings.Index(body, "</tbody>")]
	var out [][]string
	for _, r := range rowRE.FindAllStringSubmatch(body, -1) {
		var cells []string
		for _, c := range cellRE.FindAllStringSubmatch(r[1], -1) {
			cells = append(cells, strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(c[1], ""))))
		}
		out = append(out, cells)
	}
	return out
}

// readCSV reads an export as a strict CSV reader does: no comment lines,
// the first line the header. Every export starts with a UTF-8 BOM.
func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	if !strings.HasPrefix(body, csvout.BOM) {
		t.Fatalf("the CSV does not start with a UTF-8 BOM: %q", body[:min(len(body), 40)])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, csvout.BOM))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	return rows
}

// A manager sees only their own line: every URL that names a person
// outside it answers 404 and leaves an audit entry.
func TestReportScopeOutsideLineIs404(t *testing.T) {
	ts := newTestServer(t)
	mgr := ts.as(managerEmail)
	var outsider int64
	var outsiderEmail string
	if err := ts.db.QueryRow(`SELECT u.id, u.email FROM users u JOIN users m ON m.id = u.manager_id
		WHERE m.email = 'sales.lead@example.com' ORDER BY u.id LIMIT 1`).Scan(&outsider, &outsiderEmail); err != nil {
		t.Fatal(err)
	}
	var slug string
	if err := ts.db.Get(&slug, `SELECT slug FROM courses ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	denied := func() int { return ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied'`) }
	before := denied()
	id := itoa(outsider)
	mgr.get("/team/people/"+id).expect(t, http.StatusNotFound, "could not find that person in your reporting line")
	mgr.post("/team/people/"+id+"/remind", url.Values{"course": {slug}}).expect(t, http.StatusNotFound)
	if got := denied() - before; got != 2 {
		t.Fatalf("%d access.denied entries for two out-of-line requests, want 2", got)
	}
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE user_id = ?`, outsider); n != 0 {
		t.Fatalf("a reminder went to someone outside the line: %d messages", n)
	}
	for _, p := range []string{"/team/people/0", "/team/people/abc", "/team/people/99999999"} {
		mgr.get(p).expect(t, http.StatusNotFound)
	}
	// Not in any list or export of the manager either.
	for _, p := range []string{"/team/report?status=all", "/team/report.csv?status=all", "/team/report?status=all&team=" + itoa(teamOf(t, ts, outsider))} {
		res := mgr.get(p)
		res.expect(t, http.StatusOK)
		if strings.Contains(res.Body, outsiderEmail) {
			t.Fatalf("%s shows %s, who is outside the line", p, outsiderEmail)
		}
	}
	// The outsider's own manager sees them.
	ts.as("sales.lead@example.com").get("/team/people/"+id).expect(t, http.StatusOK, outsiderEmail)
}

func teamOf(t *testing.T, ts *testServer, id int64) int64 {
	var team int64
	if err := ts.db.Get(&team, `SELECT team_id FROM users WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return team
}

func TestReportRolesAndBadFilters(t *testing.T) {
	ts := newTestServer(t)
	ts.as(employeeEmail).get("/team/report").expect(t, http.StatusForbidden)
	ts.as(employeeEmail).get("/reports").expect(t, http.StatusForbidden)
	ts.as(managerEmail).get("/reports").expect(t, http.StatusForbidden)
	ts.as(managerEmail).get("/reports/evidence?as_of=2026-06-30&format=csv").expect(t, http.StatusForbidden)
	ts.as(auditorEmail).get("/team/report").expect(t, http.StatusForbidden)
	mgr := ts.as(managerEmail)
	for path, msg := range map[string]string{
		"/team/report?team=abc":               "Unknown team",
		"/team/report?team=999999":            "Unknown team",
		"/team/report?course=no-such-course":  "Unknown course",
		"/team/report?status=sleeping":        "Unknown status",
		"/team/report.csv?status=sleeping":    "Unknown status",
		"/team/report?page=0":                 "There is no page",
		"/team/report?page=999":               "There is no page",
		"/team/report?page=99999999999999999": "There is no page",
	} {
		mgr.get(path).expect(t, http.StatusBadRequest, msg)
	}
	aud := ts.as(auditorEmail)
	for path, msg := range map[string]string{
		"/reports/evidence?as_of=2026-13-01&format=csv": "Enter a date like 2026-06-30",
		"/reports/evidence?as_of=2099-01-01&format=csv": "Enter a date like 2026-06-30",
		"/reports/evidence?as_of=&format=csv":           "Enter a date like 2026-06-30",
		"/reports/evidence?as_of=2026-06-30&format=xml": "Choose CSV or JSON",
	} {
		aud.get(path).expect(t, http.StatusBadRequest, msg)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.export'`); n != 0 {
		t.Fatalf("%d exports recorded for refused requests", n)
	}
}

// The CSV holds exactly the rows and columns of the table on screen.
func TestReportCSVEqualsScreen(t *testing.T) {
	ts := newTestServer(t)
	mgr := ts.as(managerEmail)
	var slug string
	if err := ts.db.Get(&slug, `SELECT slug FROM courses ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "?status=all", "?status=overdue&course=" + slug, "?status=acknowledged", "?status=completed"} {
		page := mgr.get("/team/report" + q)
		page.expect(t, http.StatusOK)
		screen := peopleRows(t, page.Body)
		res := mgr.get("/team/report.csv" + q)
		res.expect(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("%s: content type %q", q, ct)
		}
		file := readCSV(t, res.Body)
		if len(file) != len(screen)+1 {
			t.Fatalf("%s: CSV has %d rows, the screen %d", q, len(file)-1, len(screen))
		}
		head := tableHead(t, page.Body, "people-table")[1:] // the first column is the reminder checkboxes
		if strings.Join(file[0], "|") != strings.Join(head, "|") {
			t.Fatalf("%s: CSV columns %v, screen columns %v", q, file[0], head)
		}
		for i := range screen {
			if strings.Join(file[i+1], "|") != strings.Join(screen[i], "|") {
				t.Fatalf("%s row %d: CSV %v, screen %v", q, i+1, file[i+1], screen[i])
			}
		}
		if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'team_report.export' AND actor_id = ?`, ts.userID(managerEmail)); n == 0 {
			t.Fatalf("%s: the CSV export was not audited", q)
		}
		if q == "?status=all" && len(screen) < 10 {
			t.Fatalf("the whole line lists only %d rows", len(screen))
		}
	}
}

// peopleRows are the rows of the team report's people table without its
// first column, the reminder checkboxes: the columns the CSV has.
func peopleRows(t *testing.T, body string) [][]string {
	t.Helper()
	var out [][]string
	for _, r := range tableRows(t, body, "people-table") {
		out = append(out, r[1:])
	}
	return out
}

func tableHead(t *testing.T, body, id string) []string {
	t.Helper()
	i := strings.Index(body, `<table id="`+id+`"`)
	body = body[i:]
	body = body[strings.Index(body, "<thead>"):strings.Index(body, "</thead>")]
	var out []string
	for _, c := range cellRE.FindAllStringSubmatch(body, -1) {
		out = append(out, strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(c[1], ""))))
	}
	return out
}

// The overdue list is sorted by days overdue, most first, and agrees with
// the overdue counts of the course table.
func TestReportOverdueListSorted(t *testing.T) {
	ts := newTestServer(t)
	mgr := ts.as(managerEmail)
	page := mgr.get("/team/report?status=overdue")
	page.expect(t, http.StatusOK)
	rows := peopleRows(t, page.Body)
	if len(rows) == 0 {
		t.Fatal("the demo line has nobody overdue")
	}
	prev := 1 << 30
	for _, r := range rows {
		if r[4] != "Overdue" {
			t.Fatalf("row %v in the overdue list", r)
		}
		var days int
		if _, err := fmtSscan(r[6], &days); err != nil || days > prev {
			t.Fatalf("days overdue %q after %d: not sorted", r[6], prev)
		}
		prev = days
	}
}

// Small groups are hidden on the organisation page.
func TestReportSmallGroupsSuppressed(t *testing.T) {
	ts := newTestServer(t)
	if _, err := ts.db.Exec(`INSERT INTO teams (name, created_at) VALUES ('Tiny Team', ?)`, testStart); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.db.Exec(`UPDATE users SET team_id = (SELECT id FROM teams WHERE name = 'Tiny Team')
		WHERE id IN (SELECT id FROM users WHERE role = 'employee' AND active = TRUE ORDER BY id LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	page := ts.as(auditorEmail).get("/reports")
	page.expect(t, http.StatusOK, "Organisation report", "Marketing")
	row := rowOf(t, page.Body, "Tiny Team")
	if !strings.Contains(row, "Hidden: fewer than 5 people") || strings.Contains(row, "%") {
		t.Fatalf("the two-person team is shown: %s", row)
	}
	if big := rowOf(t, page.Body, "Marketing"); strings.Contains(big, "Hidden") || !strings.Contains(big, "%") {
		t.Fatalf("a large team is hidden: %s", big)
	}
	// A higher minimum hides more.
	ts.srv.cfg.MinGroupSize = 1000
	page = ts.as(adminEmail).get("/reports")
	if row := rowOf(t, page.Body, "Marketing"); !strings.Contains(row, "Hidden: fewer than 1000 people") {
		t.Fatalf("with a minimum of 1000 Marketing is shown: %s", row)
	}
}

func rowOf(t *testing.T, body, name string) string {
	t.Helper()
	for _, r := range rowRE.FindAllString(body, -1) {
		if strings.Contains(r, `<th scope="row">`+name+`</th>`) {
			return r
		}
	}
	t.Fatalf("no row for %s\n%s", name, snippet(body))
	return ""
}

// Evidence as of a past day shows each person as they stood then: someone
// who completed afterwards is not complete on that day.
func TestEvidencePointInTime(t *testing.T) {
	ts := newTestServer(t)
	var who struct {
		Email       string    `db:"email"`
		Title       string    `db:"title"`
		AssignedAt  time.Time `db:"assigned_at"`
		CompletedAt time.Time `db:"completed_at"`
	}
	if err := ts.db.Get(&who, `SELECT u.email, k.title, c.assigned_at, c.completed_at FROM course_cycles c
		JOIN users u ON u.id = c.user_id JOIN courses k ON k.id = c.course_id
		WHERE c.completed_at IS NOT NULL AND c.closed_at IS NULL AND c.assigned_at < c.completed_at
		ORDER BY c.completed_at DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	before := who.CompletedAt.AddDate(0, 0, -1).Format(time.DateOnly)
	if who.AssignedAt.Format(time.DateOnly) > before {
		t.Fatalf("demo person %s was assigned and completed the same day", who.Email)
	}
	aud := ts.as(auditorEmail)
	res := aud.get("/reports/evidence?as_of=" + before + "&format=csv")
	res.expect(t, http.StatusOK)
	for h, want := range map[string]string{"X-Steward-As-Of": before, "X-Steward-Generated-By": "Omar Haddad <auditor@example.com>",
		"X-Steward-Generated-At": testStart.Format(time.RFC3339)} {
		if got := res.Header.Get(h); got != want {
			t.Fatalf("%s: %q, want %q", h, got, want)
		}
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "steward-evidence-"+before+".csv") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	then := evidenceRow(t, readCSV(t, res.Body), who.Email, who.Title)
	if then["status"] == "completed" || then["completed_or_acknowledged"] != "" || then["score"] != "" {
		t.Fatalf("on %s, before completing on %s, %s shows %v", before, who.CompletedAt, who.Email, then)
	}
	today := testStart.Format(time.DateOnly)
	now := evidenceRow(t, readCSV(t, aud.get("/reports/evidence?as_of="+today+"&format=csv").Body), who.Email, who.Title)
	if now["status"] != "completed" || now["completed_or_acknowledged"] == "" {
		t.Fatalf("today %s shows %v", who.Email, now)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.export' AND target = ?`, "evidence:"+before); n != 1 {
		t.Fatalf("%d audit entries for the export of %s", n, before)
	}

	// JSON carries the same facts, and names when, by whom and for which day.
	res = aud.get("/reports/evidence?as_of=" + before + "&format=json")
	res.expect(t, http.StatusOK)
	var doc struct {
		AsOf        string              `json:"as_of"`
		GeneratedAt string              `json:"generated_at"`
		GeneratedBy string              `json:"generated_by"`
		Rows        []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal([]byte(res.Body), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, res.Body[:min(len(res.Body), 500)])
	}
	if doc.AsOf != before || doc.GeneratedBy != "Omar Haddad <auditor@example.com>" || doc.GeneratedAt == "" {
		t.Fatalf("JSON header: %+v", doc)
	}
	var found bool
	for _, r := range doc.Rows {
		if r["email"] == who.Email && r["requirement"] == who.Title {
			found = true
			if r["status"] == "completed" {
				t.Fatalf("JSON shows %s completed on %s", who.Email, before)
			}
		}
	}
	if !found {
		t.Fatalf("JSON has no row for %s", who.Email)
	}
}

// People who left stay in the evidence of days they were there.
func TestEvidenceIncludesLeavers(t *testing.T) {
	ts := newTestServer(t)
	var left time.Time
	var noah int64
	if err := ts.db.QueryRow(`SELECT id, deactivated_at FROM users WHERE email = 'noah.fischer@example.com'`).Scan(&noah, &left); err != nil {
		t.Fatal(err)
	}
	// Noah was assigned a course a month before leaving, and never did it;
	// leaving closed the cycle.
	if _, err := ts.db.Exec(`INSERT INTO course_cycles (user_id, course_id, seq, assigned_at, due_at, closed_at, closed_reason)
		SELECT ?, id, 99, ?, ?, ?, 'person deactivated' FROM courses ORDER BY id LIMIT 1`,
		noah, left.AddDate(0, -1, 0), left.AddDate(0, 0, -3), left); err != nil {
		t.Fatal(err)
	}
	aud := ts.as(auditorEmail)
	rows := readCSV(t, aud.get("/reports/evidence?as_of="+left.AddDate(0, 0, -1).Format(time.DateOnly)+"&format=csv").Body)
	r := evidenceRow(t, rows, "noah.fischer@example.com", "")
	if r["left_on"] != left.Format(time.DateOnly) || r["status"] != "overdue" {
		t.Fatalf("leaver row %v", r)
	}
	after := readCSV(t, aud.get("/reports/evidence?as_of="+left.AddDate(0, 0, 1).Format(time.DateOnly)+"&format=csv").Body)
	for _, row := range after[1:] {
		if row[1] == "noah.fischer@example.com" {
			t.Fatalf("a day after leaving Noah still has a requirement: %v", row)
		}
	}
}

func evidenceRow(t *testing.T, rows [][]string, email, requirement string) map[string]string {
	t.Helper()
	head := rows[0]
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range head {
			m[h] = r[i]
		}
		if m["email"] == email && (requirement == "" || m["requirement"] == requirement) {
			return m
		}
	}
	t.Fatalf("no evidence row for %s / %s", email, requirement)
	return nil
}

// "Send a reminder now" queues one email per person and course a day.
func TestRemindAtMostOnceADay(t *testing.T) {
	ts := newTestServer(t)
	mgr := ts.as(managerEmail)
	var target struct {
		ID   int64  `db:"id"`
		Slug string `db:"slug"`
	}
	if err := ts.db.Get(&target, ts.db.Rebind(`WITH RECURSIVE line(id) AS (
			SELECT id FROM users WHERE manager_id = ? UNION SELECT u.id FROM users u JOIN line ON u.manager_id = line.id)
		SELECT u.id, k.slug FROM course_cycles c JOIN line ON line.id = c.user_id JOIN users u ON u.id = c.user_id
		JOIN courses k ON k.id = c.course_id
		WHERE c.closed_at IS NULL AND c.completed_at IS NULL AND c.exempt = FALSE AND c.due_at < ? AND u.active = TRUE
		ORDER BY u.id LIMIT 1`), ts.userID(managerEmail), testStart); err != nil {
		t.Fatal(err)
	}
	path := "/team/people/" + itoa(target.ID)
	page := mgr.get(path)
	page.expect(t, http.StatusOK, "Send a reminder now", "Quiz attempts", "Staff policies")
	sent := func() int {
		return ts.count(`SELECT COUNT(*) FROM outbox WHERE user_id = ? AND kind = 'manager_reminder'`, target.ID)
	}
	res := mgr.post(path+"/remind", url.Values{"course": {target.Slug}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remind: %d\n%s", res.StatusCode, snippet(res.Body))
	}
	mgr.get(path).expect(t, http.StatusOK, "is on its way", "Reminder sent today at 09:00 UTC")
	ts.setNow(testStart.Add(20 * time.Minute))
	// A later view the same day still says so, from the outbox.
	mgr.get(path).expect(t, http.StatusOK, "Reminder sent today at 09:00 UTC")
	mgr.post(path+"/remind", url.Values{"course": {target.Slug}})
	mgr.get(path).expect(t, http.StatusOK, "already got a reminder", "Reminder sent today at 09:00 UTC")
	if n := sent(); n != 1 {
		t.Fatalf("%d reminders on one day, want 1", n)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'reminder.send' AND target = ?`, "user:"+itoa(target.ID)); n != 1 {
		t.Fatalf("%d audit entries, want 1", n)
	}
	ts.setNow(testStart.Add(24 * time.Hour))
	mgr = ts.as(managerEmail) // a day idle ends the session
	if page := mgr.get(path); strings.Contains(page.Body, "Reminder sent today") || !strings.Contains(page.Body, "Send a reminder now") {
		t.Fatalf("the next day, the page still shows yesterday's reminder\n%s", snippet(page.Body))
	}
	mgr.post(path+"/remind", url.Values{"course": {target.Slug}}).expect(t, http.StatusSeeOther)
	mgr.get(path).expect(t, http.StatusOK, "Reminder sent today at 09:00 UTC")
	if n := sent(); n != 2 {
		t.Fatalf("%d reminders after a second day, want 2", n)
	}
	mgr.post(path+"/remind", url.Values{"course": {"no-such-course"}}).expect(t, http.StatusNotFound)
}

// Only overdue or lapsed training can be reminded of.
func TestRemindRefusesWhatIsNotOverdue(t *testing.T) {
	ts := newTestServer(t)
	mgr := ts.as(managerEmail)
	var target struct {
		ID   int64  `db:"id"`
		Slug string `db:"slug"`
	}
	if err := ts.db.Get(&target, ts.db.Rebind(`SELECT u.id, k.slug FROM course_cycles c JOIN users u ON u.id = c.user_id
		JOIN courses k ON k.id = c.course_id
		WHERE c.closed_at IS NULL AND c.completed_at IS NOT NULL AND u.manager_id = ? AND u.active = TRUE
		ORDER BY u.id LIMIT 1`), ts.userID(managerEmail)); err != nil {
		t.Fatal(err)
	}
	mgr.post("/team/people/"+itoa(target.ID)+"/remind", url.Values{"course": {target.Slug}}).expect(t, http.StatusConflict, "not overdue")
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'manager_reminder'`); n != 0 {
		t.Fatalf("%d reminders queued", n)
	}
}

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscan(s, n) }

// "Send a reminder now" answers a person outside the manager's line as
// if there were no such person, and audits the attempt; it asks for a
// course; nothing is queued for any of these.
func TestRemindRefusesOutsideTheLine(t *testing.T) {
	ts := newTestServer(t)
	mgr := ts.as(managerEmail)
	var outside struct {
		ID   int64  `db:"id"`
		Slug string `db:"slug"`
	}
	// Someone with an overdue course who is not in the manager's line.
	if err := ts.db.Get(&outside, ts.db.Rebind(`WITH RECURSIVE line(id) AS (
			SELECT id FROM users WHERE manager_id = ? UNION SELECT u.id FROM users u JOIN line ON u.manager_id = line.id)
		SELECT u.id, k.slug FROM course_cycles c JOIN users u ON u.id = c.user_id JOIN courses k ON k.id = c.course_id
		WHERE c.closed_at IS NULL AND c.completed_at IS NULL AND c.exempt = FALSE AND c.due_at < ? AND u.active = TRUE
		AND u.id NOT IN (SELECT id FROM line) AND u.id <> ?
		ORDER BY u.id LIMIT 1`), ts.userID(managerEmail), testStart, ts.userID(managerEmail)); err != nil {
		t.Fatal(err)
	}
	denied := func() int {
		return ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND target = ?`, "user:"+itoa(outside.ID))
	}
	mgr.post("/team/people/"+itoa(outside.ID)+"/remind", url.Values{"course": {outside.Slug}}).expect(t, http.StatusNotFound, "could not find that person")
	if n := denied(); n != 1 {
		t.Errorf("%d access.denied entries for a person outside the line, want 1", n)
	}
	mgr.post("/team/people/99999/remind", url.Values{"course": {outside.Slug}}).expect(t, http.StatusNotFound, "could not find that person")
	mgr.post("/team/people/"+itoa(ts.userID(employeeEmail))+"/remind", url.Values{"course": {""}}).expect(t, http.StatusUnprocessableEntity)
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'manager_reminder'`); n != 0 {
		t.Fatalf("%d reminders queued", n)
	}
	// An admin's line is the whole organisation.
	ts.as(adminEmail).post("/team/people/"+itoa(outside.ID)+"/remind", url.Values{"course": {outside.Slug}}).expect(t, http.StatusSeeOther)
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'manager_reminder' AND user_id = ?`, outside.ID); n != 1 {
		t.Fatalf("%d reminders queued by the admin, want 1", n)
	}
}
