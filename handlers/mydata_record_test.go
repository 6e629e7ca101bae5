package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/mail"
	"steward/internal/retention"
)

var (
	mdRowRE  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	mdCellRE = regexp.MustCompile(`(?s)<td data-label="([^"]+)">(.*?)</td>`)
	mdFactRE = regexp.MustCompile(`(?s)<dt>(.*?)</dt><dd>(.*?)</dd>`)
	mdAckRE  = regexp.MustCompile(`(?s)<li><a href="([^"]+)">(.*?)</a>: acknowledged (.*?)</li>`)
	mdHrefRE = regexp.MustCompile(`href="(/[^"]*)"`)
	mdTagRE  = regexp.MustCompile(`<[^>]*>`)
)

// text is what a reader sees of a piece of HTML.
func mdText(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(mdTagRE.ReplaceAllString(s, " "))), " ")
}

// between is the part of page after from and before to.
func mdBetween(t *testing.T, page, from, to string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, from)
	if !ok {
		t.Fatalf("the page has no %q", from)
	}
	part, _, ok := strings.Cut(rest, to)
	if !ok {
		t.Fatalf("the page has no %q after %q", to, from)
	}
	return part
}

// mdRows reads the body rows of the tables in part, each a map from
// column label to the cell's text.
func mdRows(part string) []map[string]string {
	var out []map[string]string
	for _, r := range mdRowRE.FindAllStringSubmatch(part, -1) {
		cells := mdCellRE.FindAllStringSubmatch(r[1], -1)
		if len(cells) == 0 {
			continue // the header
		}
		row := map[string]string{}
		for _, c := range cells {
			row[c[1]] = mdText(c[2])
		}
		out = append(out, row)
	}
	return out
}

func mdDay(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2 Jan 2006")
}

func mdWhen(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

func mdPercent(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p) + "%"
}

// My data is the subject-access page: each line on it is checked against
// the database for a person with a varied record (a failed 0% attempt and
// passed ones, a completed course, an acknowledgement of a staff policy
// and of a public one), every link on it answers that person, and the
// JSON download says the same.
func TestMyDataEveryLineMatchesTheDatabase(t *testing.T) {
	ts := newTestServer(t)
	eli := ts.userID(employeeEmail)
	// The demo gives Eli a failed first attempt, passed ones, a completed
	// cycle and an acknowledgement of the staff policy; a public policy's
	// acknowledgement (one acknowledged while the policy was for staff) is
	// added here.
	if _, err := ts.db.Exec(ts.db.Rebind(`INSERT INTO policy_acknowledgements (user_id, version_id, acknowledged_at)
		SELECT ?, v.id, ? FROM policy_versions v JOIN policies p ON p.id = v.policy_id
		WHERE p.slug = 'privacy' AND v.number = 2`), eli, testStart.Add(-30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tx := ts.db.MustBegin()
	if _, err := mail.Enqueue(context.Background(), tx, mail.Message{To: employeeEmail, UserID: &eli, Kind: "training_due",
		Subject: "Your training is due", Text: "Hello Eli.", DedupeKey: "mydata-record-1"}, testStart); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var failed0, passed, staffAcks, publicAcks int
	for q, n := range map[string]*int{
		`SELECT COUNT(*) FROM course_attempts WHERE user_id = ? AND passed = FALSE AND score = 0`: &failed0,
		`SELECT COUNT(*) FROM course_attempts WHERE user_id = ? AND passed = TRUE`:                &passed,
		`SELECT COUNT(*) FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id
			JOIN policies p ON p.id = v.policy_id WHERE a.user_id = ? AND p.audience = 'staff'`: &staffAcks,
		`SELECT COUNT(*) FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id
			JOIN policies p ON p.id = v.policy_id WHERE a.user_id = ? AND p.audience = 'public'`: &publicAcks,
	} {
		*n = ts.count(q, eli)
	}
	if failed0 == 0 || passed == 0 || staffAcks == 0 || publicAcks == 0 {
		t.Fatalf("the record is not varied enough: %d failed at 0%%, %d passed, %d staff and %d public acknowledgements",
			failed0, passed, staffAcks, publicAcks)
	}

	c := ts.as(employeeEmail)
	res := c.get("/account/data")
	res.expect(t, http.StatusOK)
	page := res.Body

	// Profile.
	var prof struct {
		Name    string     `db:"name"`
		Email   string     `db:"email"`
		Role    string     `db:"role"`
		Team    *string    `db:"team"`
		Manager *string    `db:"manager"`
		HiredOn *time.Time `db:"hired_on"`
	}
	if err := ts.db.Get(&prof, ts.db.Rebind(`SELECT u.name, u.email, u.role, t.name AS team, m.name AS manager, u.hired_on
		FROM users u LEFT JOIN teams t ON t.id = u.team_id LEFT JOIN users m ON m.id = u.manager_id WHERE u.id = ?`), eli); err != nil {
		t.Fatal(err)
	}
	facts := map[string]string{}
	for _, f := range mdFactRE.FindAllStringSubmatch(mdBetween(t, page, `id="h-profile"`, `</dl>`), -1) {
		facts[mdText(f[1])] = mdText(f[2])
	}
	orNone := func(s *string) string {
		if s == nil {
			return "None"
		}
		return *s
	}
	hired := "Not recorded"
	if prof.HiredOn != nil {
		hired = prof.HiredOn.Format(time.DateOnly)
	}
	for label, want := range map[string]string{"Name": prof.Name, "Email": prof.Email, "Role": prof.Role,
		"Team": orNone(prof.Team), "Manager": orNone(prof.Manager), "Hire date": hired} {
		if facts[label] != want {
			t.Errorf("profile %s: the page says %q, the database %q", label, facts[label], want)
		}
	}

	// Training cycles, in the page's order.
	var cycles []struct {
		Course    string     `db:"title"`
		Seq       int        `db:"seq"`
		Assigned  time.Time  `db:"assigned_at"`
		Due       time.Time  `db:"due_at"`
		Completed *time.Time `db:"completed_at"`
		Expires   *time.Time `db:"expires_at"`
		Score     *int       `db:"score"`
		Exempt    bool       `db:"exempt"`
	}
	if err := ts.db.Select(&cycles, ts.db.Rebind(`SELECT c.title, y.seq, y.assigned_at, y.due_at, y.completed_at, y.expires_at,
		y.score, y.exempt FROM course_cycles y JOIN courses c ON c.id = y.course_id WHERE y.user_id = ? ORDER BY y.assigned_at, y.id`), eli); err != nil {
		t.Fatal(err)
	}
	got := mdRows(mdBetween(t, page, `id="h-training"`, `<h3>Quiz attempts</h3>`))
	if len(got) != len(cycles) || len(cycles) == 0 {
		t.Fatalf("training: %d rows on the page, %d cycles in the database", len(got), len(cycles))
	}
	for i, y := range cycles {
		want := map[string]string{"Course": y.Course, "Cycle": strconv.Itoa(y.Seq), "Assigned": mdDay(&y.Assigned),
			"Due": mdDay(&y.Due), "Completed": mdDay(y.Completed), "Expires": mdDay(y.Expires), "Score": mdPercent(y.Score)}
		for k, v := range want {
			if got[i][k] != v {
				t.Errorf("training row %d, %s: the page says %q, the database %q", i+1, k, got[i][k], v)
			}
		}
		if y.Exempt != strings.HasPrefix(got[i]["Exemption"], "Exempt") {
			t.Errorf("training row %d: exempt %v, the page says %q", i+1, y.Exempt, got[i]["Exemption"])
		}
	}

	// Quiz attempts.
	var attempts []struct {
		ID        int64      `db:"id"`
		Course    string     `db:"course"`
		Slug      string     `db:"slug"`
		Module    string     `db:"module"`
		Started   time.Time  `db:"started_at"`
		Submitted *time.Time `db:"submitted_at"`
		Score     *int       `db:"score"`
		Passed    *bool      `db:"passed"`
	}
	if err := ts.db.Select(&attempts, ts.db.Rebind(`SELECT a.id, c.title AS course, c.slug, m.title AS module, a.started_at,
		a.submitted_at, a.score, a.passed
		FROM course_attempts a JOIN course_cycles y ON y.id = a.cycle_id JOIN courses c ON c.id = y.course_id
		JOIN course_modules m ON m.id = a.module_id WHERE a.user_id = ? ORDER BY a.started_at, a.id`), eli); err != nil {
		t.Fatal(err)
	}
	attemptSection := mdBetween(t, page, `<h3>Quiz attempts</h3>`, `<h3>Certificates</h3>`)
	got = mdRows(attemptSection)
	if len(got) != len(attempts) {
		t.Fatalf("attempts: %d rows on the page, %d in the database", len(got), len(attempts))
	}
	for i, a := range attempts {
		score := mdPercent(a.Score)
		if a.Passed != nil {
			score += map[bool]string{true: " (passed)", false: " (failed)"}[*a.Passed]
		}
		submitted := "Not submitted"
		if a.Submitted != nil {
			submitted = mdWhen(*a.Submitted)
		}
		want := map[string]string{"Course": a.Course, "Module": a.Module, "Started": mdWhen(a.Started), "Submitted": submitted, "Score": score}
		for k, v := range want {
			if got[i][k] != v {
				t.Errorf("attempt %d, %s: the page says %q, the database %q", a.ID, k, got[i][k], v)
			}
		}
		link := fmt.Sprintf(`href="/courses/%s/attempts/%d"`, a.Slug, a.ID)
		if (a.Submitted != nil) != strings.Contains(attemptSection, link) {
			t.Errorf("attempt %d: submitted %v, link %s on the page %v", a.ID, a.Submitted != nil, link, strings.Contains(attemptSection, link))
		}
	}

	// Acknowledgements: a staff policy is read signed in, a public one on
	// the public site.
	var acks []struct {
		Title    string    `db:"title"`
		Slug     string    `db:"slug"`
		Audience string    `db:"audience"`
		Number   int       `db:"number"`
		At       time.Time `db:"acknowledged_at"`
	}
	if err := ts.db.Select(&acks, ts.db.Rebind(`SELECT p.title, p.slug, p.audience, v.number, a.acknowledged_at
		FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id JOIN policies p ON p.id = v.policy_id
		WHERE a.user_id = ? ORDER BY a.acknowledged_at, a.id`), eli); err != nil {
		t.Fatal(err)
	}
	items := mdAckRE.FindAllStringSubmatch(mdBetween(t, page, `id="h-acks"`, `</section>`), -1)
	if len(items) != len(acks) {
		t.Fatalf("acknowledgements: %d on the page, %d in the database", len(items), len(acks))
	}
	for i, a := range acks {
		href := "/my/policies/" + a.Slug
		if a.Audience == "public" {
			href = fmt.Sprintf("/policies/%s/v/%d", a.Slug, a.Number)
		}
		want := []string{href, fmt.Sprintf("%s, version %d", a.Title, a.Number), mdWhen(a.At)}
		for k, w := range want {
			if g := mdText(items[i][k+1]); g != w {
				t.Errorf("acknowledgement %d of %s: the page says %q, the database %q", i+1, a.Slug, g, w)
			}
		}
	}

	// Certificates.
	var certs []struct {
		Code   string    `db:"code"`
		Course string    `db:"title"`
		At     time.Time `db:"created_at"`
	}
	if err := ts.db.Select(&certs, ts.db.Rebind(`SELECT k.code, c.title, k.created_at FROM course_certificates k
		JOIN course_cycles y ON y.id = k.cycle_id JOIN courses c ON c.id = y.course_id WHERE y.user_id = ? ORDER BY k.created_at, k.id`), eli); err != nil {
		t.Fatal(err)
	}
	certPart := mdBetween(t, page, `<h3>Certificates</h3>`, `</section>`)
	if n := strings.Count(certPart, "<li>"); n != len(certs) {
		t.Errorf("certificates: %d on the page, %d in the database", n, len(certs))
	}
	for _, k := range certs {
		if want := fmt.Sprintf("%s: code %s, issued %s", k.Course, k.Code, mdDay(&k.At)); !strings.Contains(mdText(certPart), want) {
			t.Errorf("certificates: the page does not say %q", want)
		}
	}

	// Emails.
	var emails []struct {
		Subject string    `db:"subject"`
		Kind    string    `db:"kind"`
		Status  string    `db:"status"`
		At      time.Time `db:"created_at"`
	}
	if err := ts.db.Select(&emails, ts.db.Rebind(`SELECT subject, kind, status, created_at FROM outbox WHERE user_id = ? ORDER BY id`), eli); err != nil {
		t.Fatal(err)
	}
	got = mdRows(mdBetween(t, page, `id="h-mail"`, `</section>`))
	if len(got) != len(emails) || len(emails) == 0 {
		t.Fatalf("emails: %d rows on the page, %d in the database", len(got), len(emails))
	}
	for i, e := range emails {
		if got[i]["Queued"] != mdWhen(e.At) || got[i]["Subject"] != e.Subject || got[i]["Kind"] != e.Kind || !strings.HasPrefix(got[i]["Status"], e.Status) {
			t.Errorf("email %d: the page says %v, the database %+v", i+1, got[i], e)
		}
	}
	auditRows := mdRows(mdBetween(t, page, `id="h-audit"`, `</section>`))

	// Every link on the page answers this person.
	seen := map[string]bool{}
	for _, m := range mdHrefRE.FindAllStringSubmatch(page, -1) {
		path := html.UnescapeString(m[1])
		if seen[path] {
			continue
		}
		seen[path] = true
		if r := c.get(path); r.StatusCode < 200 || r.StatusCode >= 400 {
			t.Errorf("the link %s answers %d", path, r.StatusCode)
		}
	}

	// The download holds the same lines.
	dl := c.get("/account/data.json")
	dl.expect(t, http.StatusOK)
	var inv retention.Inventory
	if err := json.Unmarshal([]byte(dl.Body), &inv); err != nil {
		t.Fatal(err)
	}
	// The person's answers, and whether each was right, but never the
	// answer key: that would give a failed quiz's answers away.
	if !strings.Contains(dl.Body, `"chosen_text"`) || strings.Contains(dl.Body, `"correct_text"`) || strings.Contains(dl.Body, `"explanation"`) {
		t.Errorf("the download's attempts hold the answer key, or not the person's answers")
	}
	if inv.Profile.Name != prof.Name || inv.Profile.Email != prof.Email || len(inv.Cycles) != len(cycles) ||
		len(inv.Attempts) != len(attempts) || len(inv.Acknowledgements) != len(acks) {
		t.Fatalf("the download has %d cycles, %d attempts, %d acknowledgements; the page %d, %d, %d",
			len(inv.Cycles), len(inv.Attempts), len(inv.Acknowledgements), len(cycles), len(attempts), len(acks))
	}
	for i, a := range attempts {
		j := inv.Attempts[i]
		if j.ID != a.ID || mdPercent(j.Score) != mdPercent(a.Score) || (j.Passed == nil) != (a.Passed == nil) ||
			(a.Passed != nil && *j.Passed != *a.Passed) || j.Module != a.Module {
			t.Errorf("attempt %d: the download says %+v", a.ID, j)
		}
	}
	for i, a := range acks {
		j := inv.Acknowledgements[i]
		if j.PolicySlug != a.Slug || j.Audience != a.Audience || j.Version != a.Number || !j.AcknowledgedAt.Equal(a.At) {
			t.Errorf("acknowledgement %d: the download says %+v, the database %+v", i+1, j, a)
		}
	}
	if len(inv.Certificates) != len(certs) || len(inv.Emails) != len(emails) {
		t.Errorf("the download has %d certificates and %d emails, the page %d and %d", len(inv.Certificates), len(inv.Emails), len(certs), len(emails))
	}
	// Each download is audited, after the page was read (the link check
	// made one, this another).
	downloads := 0
	for _, a := range inv.Audit {
		if a.Action == "mydata.export" {
			downloads++
		}
	}
	if len(inv.Audit)-downloads != len(auditRows) || downloads != 2 {
		t.Errorf("the download has %d audit entries (%d downloads), the page %d", len(inv.Audit), downloads, len(auditRows))
	}
	for i, y := range cycles {
		j := inv.Cycles[i]
		if j.Course != y.Course || j.Seq != y.Seq || mdPercent(j.Score) != mdPercent(y.Score) || mdDay(j.CompletedAt) != mdDay(y.Completed) {
			t.Errorf("cycle %d: the download says %+v", i+1, j)
		}
	}
}
