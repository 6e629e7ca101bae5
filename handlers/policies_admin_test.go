package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestPolicyAdminOnlyForAdmins(t *testing.T) {
	ts := withPolicies(t)
	routes := []struct{ method, path string }{
		{http.MethodGet, "/admin/policies"}, {http.MethodGet, "/admin/policies/new"}, {http.MethodPost, "/admin/policies"},
		{http.MethodGet, "/admin/policies/privacy"}, {http.MethodPost, "/admin/policies/privacy/draft"},
		{http.MethodPost, "/admin/policies/privacy/draft/delete"}, {http.MethodPost, "/admin/policies/privacy/publish"},
	}
	for _, who := range []string{employeeEmail, managerEmail, auditorEmail} {
		c := ts.as(who)
		for _, r := range routes {
			var res *response
			if r.method == http.MethodGet {
				res = c.get(r.path)
			} else {
				res = c.post(r.path, url.Values{"body": {"# Hijack"}, "summary": {"x"}, "change": {"minor"}, "action": {"save"},
					"when": {"now"}, "slug": {"hijack"}, "title": {"Hijack"}, "audience": {"public"}})
			}
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", who, r.method, r.path, res.StatusCode)
			}
		}
	}
	anon := ts.client()
	if res := anon.get("/admin/policies"); res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if n := ts.count(`SELECT COUNT(*) FROM policies WHERE slug = 'hijack'`) + ts.count(`SELECT COUNT(*) FROM policy_versions WHERE status = 'draft'`); n != 0 {
		t.Errorf("non-admins wrote %d rows", n)
	}
}

func TestPolicyAdminCreateEditPublish(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	admin.get("/admin/policies").expect(t, http.StatusOK, "Privacy policy", "Acceptable use of customer data", "Version 3")

	policiesBefore := ts.count(`SELECT COUNT(*) FROM policies`)
	bad := []struct {
		form  url.Values
		field string
	}{
		{url.Values{"slug": {"Cookie Policy"}, "title": {"Cookies"}, "audience": {"public"}}, "lowercase letters"},
		{url.Values{"slug": {"cookies"}, "title": {""}, "audience": {"public"}}, "is required"},
		{url.Values{"slug": {"cookies"}, "title": {"Cookies"}, "audience": {"everyone"}}, "must be public or staff"},
		{url.Values{"slug": {"privacy"}, "title": {"Again"}, "audience": {"public"}}, "Another policy already has this slug"},
		{url.Values{"slug": {"new"}, "title": {"New"}, "audience": {"public"}}, "reserved"},
		{url.Values{"slug": {"travel"}, "title": {"Travel"}, "audience": {"staff"}, "requires_ack": {"on"}, "ack_within_days": {"two weeks"}}, "whole number"},
		{url.Values{"slug": {"travel"}, "title": {"Travel"}, "audience": {"staff"}, "requires_ack": {"on"}, "ack_within_days": {"0"}}, "at least 1"},
		{url.Values{"slug": {"travel"}, "title": {"Travel"}, "audience": {"public"}, "requires_ack": {"on"}, "ack_within_days": {"14"}}, "only staff policies"},
	}
	for _, b := range bad {
		res := admin.post("/admin/policies", b.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(strings.ToLower(res.Body), strings.ToLower(b.field)) {
			t.Errorf("%v: %d, want 422 with %q\n%s", b.form, res.StatusCode, b.field, snippet(res.Body))
		}
		if !strings.Contains(res.Body, `value="`+b.form.Get("title")+`"`) {
			t.Errorf("%v: the input was not kept", b.form)
		}
	}
	if n := ts.count(`SELECT COUNT(*) FROM policies`); n != policiesBefore {
		t.Fatalf("invalid forms created %d policies", n-policiesBefore)
	}

	res := admin.post("/admin/policies", url.Values{"slug": {"cookies"}, "title": {"Cookie policy"}, "audience": {"public"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/policies/cookies" {
		t.Fatalf("create: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	admin.get("/admin/policies/cookies").expect(t, http.StatusOK, "Nothing published yet", "Save a draft first")

	for _, f := range []url.Values{
		{"body": {""}, "summary": {"First"}, "change": {"material"}, "action": {"save"}},
		{"body": {"# Cookies"}, "summary": {""}, "change": {"material"}, "action": {"save"}},
		{"body": {"# Cookies"}, "summary": {"First"}, "change": {"huge"}, "action": {"save"}},
	} {
		admin.post("/admin/policies/cookies/draft", f).expect(t, http.StatusUnprocessableEntity, "class=\"error\"")
	}
	if n := ts.count(`SELECT COUNT(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.slug = 'cookies'`); n != 0 {
		t.Fatalf("invalid drafts wrote %d versions", n)
	}
	admin.post("/admin/policies/cookies/draft", url.Values{"body": {"# Cookies\n\nWe use **one** cookie."}, "summary": {"First"}, "change": {"material"}, "action": {"preview"}}).
		expect(t, http.StatusOK, "Preview (not saved)", "<strong>one</strong>")
	if n := ts.count(`SELECT COUNT(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.slug = 'cookies'`); n != 0 {
		t.Fatal("preview saved the draft")
	}
	admin.post("/admin/policies/cookies/draft", url.Values{"body": {"# Cookies\n\nWe use **one** cookie."}, "summary": {"First"}, "change": {"material"}, "action": {"save"}}).
		expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/cookies").expect(t, http.StatusOK, "Draft saved", "We use **one** cookie.")
	ts.client().get("/policies/cookies").expect(t, http.StatusNotFound)

	for _, f := range []url.Values{
		{"when": {"date"}, "date": {"2026-11-01"}},
		{"when": {"date"}, "date": {"tomorrow"}},
		{"when": {"date"}, "date": {""}},
		{"when": {"date"}, "date": {"2026-12-24"}, "time": {"25:99"}},
		{"when": {"later"}},
	} {
		admin.post("/admin/policies/cookies/publish", f).expect(t, http.StatusUnprocessableEntity, "class=\"error\"")
	}
	if n := ts.count(`SELECT COUNT(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.slug = 'cookies' AND v.status = 'published'`); n != 0 {
		t.Fatal("an invalid publish form published")
	}
	approveDraft(t, ts, "cookies")
	admin.post("/admin/policies/cookies/publish", url.Values{"when": {"now"}}).expect(t, http.StatusUnprocessableEntity, "Choose whether the change is material or minor")
	admin.post("/admin/policies/cookies/publish", url.Values{"when": {"now"}, "change": {"material"}}).expect(t, http.StatusSeeOther)
	ts.client().get("/policies/cookies").expect(t, http.StatusOK, "We use <strong>one</strong> cookie.")
	if ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'policy.publish' AND target = 'policy:cookies/v1'`) != 1 {
		t.Error("the publication is not in the audit log")
	}
	admin.post("/admin/policies/cookies/publish", url.Values{"when": {"now"}, "change": {"material"}}).expect(t, http.StatusUnprocessableEntity, "no saved draft")
}

func TestPublishedVersionUnchangedByAnyRoute(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	var before []string
	if err := ts.db.Select(&before, `SELECT sha256 || body_md || effective_at FROM policy_versions WHERE status = 'published' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	admin.post("/admin/policies/privacy/draft", url.Values{"body": {"# Replaced"}, "summary": {"x"}, "change": {"minor"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	admin.post("/admin/policies/privacy/draft/delete", nil).expect(t, http.StatusSeeOther)
	admin.post("/admin/policies/privacy/draft/delete", nil).expect(t, http.StatusConflict)
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}}).expect(t, http.StatusUnprocessableEntity)
	var after []string
	if err := ts.db.Select(&after, `SELECT sha256 || body_md || effective_at FROM policy_versions WHERE status = 'published' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(before, "\x00") != strings.Join(after, "\x00") {
		t.Error("a published version changed")
	}
	if _, err := ts.db.Exec(`UPDATE policy_versions SET body_md = 'tampered' WHERE status = 'published'`); err == nil {
		t.Error("SQL changed a published version")
	}
}
