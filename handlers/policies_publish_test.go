package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/mail"
	"steward/internal/reminders"
)

// number reads the one number re captures from a page.
func number(t *testing.T, page string, re *regexp.Regexp) int {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page does not say %s:\n%s", re, snippet(page))
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var (
	subscribersRE = regexp.MustCompile(`<strong>(\d+)</strong> subscribers? gets? one email each`)
	staffRE       = regexp.MustCompile(`<strong>(\d+)</strong> (?:person|people) must acknowledge version`)
)

// TestPublishConfirmThenPublishPublic: as an admin, a material change to
// the public privacy policy, published at once, is refused without a
// reason for the short notice; with one, the confirmation page states how
// many subscribers get an email and which feed entry appears, and
// publishing queues exactly that many emails, and shows the reason on the
// version's page and in the API.
func TestPublishConfirmThenPublishPublic(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	for i, e := range []string{"ann@example.net", "bo@example.net", "cy@example.net"} {
		if _, err := ts.db.Exec(ts.db.Rebind(`INSERT INTO policy_subscriptions (email, token, created_at, confirmed_at) VALUES (?, ?, ?, ?)`),
			e, "token-"+strconv.Itoa(i), testStart.AddDate(0, -1, 0), testStart.AddDate(0, -1, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.db.Exec(ts.db.Rebind(`INSERT INTO policy_subscriptions (email, token, created_at) VALUES (?, ?, ?)`),
		"unconfirmed@example.net", "token-u", testStart); err != nil {
		t.Fatal(err)
	}
	admin.post("/admin/policies/privacy/draft", url.Values{"body": {"# Privacy policy\n\nWe keep support tickets for 6 months."},
		"summary": {"Tickets kept for 6 months."}, "action": {"save"}, "change": {"material"}}).expect(t, http.StatusSeeOther)
	approveDraft(t, ts, "privacy")
	edit := admin.get("/admin/policies/privacy")
	edit.expect(t, http.StatusOK, `action="/admin/policies/privacy/publish"`, "Check what publishing does")
	if i := strings.Index(edit.Body, `id="h-publish"`); i < 0 || strings.Contains(edit.Body[i:], " checked") {
		t.Error("the publish form pre-selects a choice")
	}

	published := func() int {
		return ts.count(`SELECT COUNT(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.slug = 'privacy' AND v.status = 'published'`)
	}
	before, outboxBefore := published(), ts.count(`SELECT COUNT(*) FROM outbox`)

	// No kind: 422, nothing checked, the rest kept.
	res := admin.get("/admin/policies/privacy/publish?check=1&when=date&date=2027-02-01&time=09:30")
	res.expect(t, http.StatusUnprocessableEntity, "Choose whether the change is material or minor", `value="2027-02-01"`, `value="09:30"`)
	if strings.Contains(res.Body, `name="change" value="material" checked`) || strings.Contains(res.Body, `name="change" value="minor" checked`) {
		t.Error("the kind was chosen for the publisher")
	}
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}}).expect(t, http.StatusUnprocessableEntity, "Choose whether the change is material or minor")

	// Material, now, no reason: the notice period.
	admin.get("/admin/policies/privacy/publish?check=1&change=material&when=now").
		expect(t, http.StatusUnprocessableEntity, "30 days&#39; notice of a material change: choose 2026-12-28 or later")
	admin.post("/admin/policies/privacy/publish", url.Values{"change": {"material"}, "when": {"now"}}).
		expect(t, http.StatusUnprocessableEntity, "choose 2026-12-28 or later")
	// A date in the past, a reason too long.
	admin.get("/admin/policies/privacy/publish?check=1&change=minor&when=date&date=2026-11-27").
		expect(t, http.StatusUnprocessableEntity, "Choose a moment in the future")
	long := url.Values{"change": {"material"}, "when": {"now"}, "reason": {strings.Repeat("x", 1001)}}
	admin.post("/admin/policies/privacy/publish", long).expect(t, http.StatusUnprocessableEntity, "Keep the reason to 1000 characters")
	if published() != before || ts.count(`SELECT COUNT(*) FROM outbox`) != outboxBefore {
		t.Fatal("a refused publication changed something")
	}

	reason := `A court order <script>alert(1)</script> applies from today.`
	q := url.Values{"check": {"1"}, "change": {"material"}, "when": {"now"}, "reason": {reason}}
	page := admin.get("/admin/policies/privacy/publish?" + q.Encode())
	page.expect(t, http.StatusOK, "Version 4 is a <strong>material</strong> change", "takes effect <strong>now</strong>",
		"before the 30-day notice period ends (28 Dec 2026)", "&lt;script&gt;alert(1)&lt;/script&gt;",
		"“Privacy policy: version 4”", "<code>/policies/feed.atom</code>", "<code>/policies/privacy/feed.atom</code>", "Publish version 4")
	if strings.Contains(page.Body, "<script>alert(1)") {
		t.Error("the reason is not escaped on the confirmation page")
	}
	emails := number(t, page.Body, subscribersRE)
	if emails != 3 {
		t.Errorf("the page promises %d emails; 3 subscribers confirmed", emails)
	}
	if published() != before {
		t.Fatal("the confirmation page published")
	}

	admin.post("/admin/policies/privacy/publish", url.Values{"change": {"material"}, "when": {"now"}, "reason": {reason}}).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/privacy").expect(t, http.StatusOK, "Version 4 is published and in effect now. 3 subscribers will get an email now.")
	var to []string
	if err := ts.db.Select(&to, `SELECT recipient FROM outbox WHERE kind = 'policy_notice' ORDER BY recipient`); err != nil {
		t.Fatal(err)
	}
	if len(to) != emails || strings.Join(to, " ") != "ann@example.net bo@example.net cy@example.net" {
		t.Errorf("the outbox has notices to %v; the page said %d", to, emails)
	}
	ts.client().get("/policies/privacy/v/4").expect(t, http.StatusOK, "Why it took effect at short notice",
		"A court order &lt;script&gt;alert(1)&lt;/script&gt; applies from today.")
	ts.client().get("/api/v1/policies/privacy/versions/4").expect(t, http.StatusOK, `"short_notice_reason":"A court order \u003cscript\u003ealert(1)\u003c/script\u003e applies from today."`)
	ts.client().get("/policies/feed.atom").expect(t, http.StatusOK, "<title>Privacy policy: version 4</title>")
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'policy.publish' AND target = 'policy:privacy/v4'
		AND detail LIKE '%material change, effective 2026-11-28T09:00:00Z%shorter notice than 30 days: A court order%'`); n != 1 {
		t.Errorf("%d audit entries carry the kind, date and reason", n)
	}
}

// TestPublishConfirmThenPublishStaff: a material change to a staff
// policy, scheduled: the confirmation page says how many people must
// acknowledge and by when; nobody is emailed at publishing, and when it
// takes effect the scheduler's check emails exactly that many.
func TestPublishConfirmThenPublishStaff(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	slug := "acceptable-use-of-customer-data"
	admin.post("/admin/policies/"+slug+"/draft", url.Values{"body": {"# Acceptable use\n\nNever copy customer data to a laptop."},
		"summary": {"No copies on laptops."}, "action": {"save"}, "change": {"minor"}}).expect(t, http.StatusSeeOther)
	approveDraft(t, ts, slug)
	q := url.Values{"check": {"1"}, "change": {"material"}, "when": {"date"}, "date": {"2026-12-01"}, "time": {"14:00"}}
	page := admin.get("/admin/policies/" + slug + "/publish?" + q.Encode())
	page.expect(t, http.StatusOK, "is scheduled: it takes effect on <strong>1 Dec 2026 14:00 UTC</strong>",
		"must acknowledge by <strong>15 Dec 2026 14:00 UTC</strong>", "No subscriber email: this is a staff policy.", "No feed entry")
	people := number(t, page.Body, staffRE)
	if active := ts.count(`SELECT COUNT(*) FROM users WHERE active = TRUE`); people != active || people == 0 {
		t.Errorf("the page says %d must acknowledge; %d people are active", people, active)
	}
	outboxBefore := ts.count(`SELECT COUNT(*) FROM outbox`)
	admin.post("/admin/policies/"+slug+"/publish", url.Values{"change": {"material"}, "when": {"date"}, "date": {"2026-12-01"}, "time": {"14:00"}}).
		expect(t, http.StatusSeeOther)
	if n := ts.count(`SELECT COUNT(*) FROM outbox`); n != outboxBefore {
		t.Errorf("publishing a staff policy queued %d emails before it takes effect", n-outboxBefore)
	}

	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		t.Fatal(err)
	}
	sw := reminders.New(ts.db, r)
	effective := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	if n, err := sw.NotifyEffective(context.Background(), effective.Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("before it takes effect: told %d, %v", n, err)
	}
	if _, err := sw.NotifyEffective(context.Background(), effective.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'policy_effective:%'`); n != people {
		t.Errorf("%d people were told when it took effect; the page said %d", n, people)
	}
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'policy_effective:%' AND subject LIKE '%1 item for you%'`); n != people {
		t.Errorf("%d of the notices are the one-item digest", n)
	}
}
