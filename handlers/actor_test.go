package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// The audit log names the signed-in person who published a policy or
// imported a course: their id and the label "user:<id>".
func TestAuditNamesWhoPublishedAndImported(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.as(adminEmail)
	id := ts.userID(adminEmail)
	label := "user:" + strconv.FormatInt(id, 10)

	adm.post("/admin/policies", url.Values{"slug": {"cookies"}, "title": {"Cookie policy"}, "audience": {"public"}}).
		expect(t, http.StatusSeeOther)
	adm.post("/admin/policies/cookies/draft", url.Values{"body": {"# Cookies\n\nOne cookie."}, "summary": {"First"},
		"change": {"material"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	approveDraft(t, ts, "cookies")
	adm.post("/admin/policies/cookies/publish", url.Values{"when": {"now"}, "change": {"material"}}).expect(t, http.StatusSeeOther)
	adm.upload("/admin/courses/upload", "folder", "basics.zip", zipOf(t, "basics/", courseFolder(t, nil)), nil).
		expect(t, http.StatusSeeOther)

	for _, c := range []struct{ action, target string }{
		{"policy.publish", "policy:cookies/v1"},
		{"course.create", "course:basics/r1"},
	} {
		if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND target = ? AND actor_id = ? AND actor = ?`,
			c.action, c.target, id, label); n != 1 {
			t.Errorf("%s %s by %s: %d entries, want 1", c.action, c.target, label, n)
		}
	}
}
