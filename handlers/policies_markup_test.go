package handlers

import (
	"net/url"
	"strings"
	"testing"

	"steward/internal/browsertest"
)

// TestPolicyMarkupIsValid runs the Nu HTML checker over every policies
// page, including forms re-rendered with errors.
func TestPolicyMarkupIsValid(t *testing.T) {
	ts := withPolicies(t)
	pages := map[string]string{}
	anon := ts.client()
	for _, p := range []string{"/", "/policies/privacy", "/policies/privacy/v/1", "/policies/privacy/history",
		"/policies/privacy/diff/1/3", "/policies/nope", "/policies/privacy/diff/2/2",
		"/policies/privacy/diff?from=1&to=9"} {
		pages["anon"+p] = anon.get(p).Body
	}
	pages["subscribe-invalid"] = anon.post("/subscribe", url.Values{"email": {"nope"}}).Body
	pages["subscribe-ok"] = anon.post("/subscribe", url.Values{"email": {"erin@example.org"}}).Body
	var token string
	var secretID int64
	if err := ts.db.Get(&token, `SELECT token FROM policy_subscriptions WHERE email = 'erin@example.org'`); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.Get(&secretID, `SELECT id FROM outbox WHERE kind = 'subscribe_confirm'`); err != nil {
		t.Fatal(err)
	}
	pages["subscribe-confirm-page"] = anon.get("/subscribe/confirm/" + token).Body
	pages["subscribe-confirmed"] = anon.post("/subscribe/confirm/"+token, nil).Body
	admin := ts.as(adminEmail)
	pages["admin-outbox-secret"] = admin.get("/admin/outbox/" + strconvFormat(secretID)).Body
	for _, p := range []string{"/admin/policies", "/admin/policies/new", "/admin/policies/privacy"} {
		pages["admin"+p] = admin.get(p).Body
	}
	pages["admin-new-invalid"] = admin.post("/admin/policies", url.Values{"slug": {"Bad Slug"}}).Body
	pages["admin-draft-invalid"] = admin.post("/admin/policies/privacy/draft", url.Values{"action": {"save"}}).Body
	pages["admin-draft-invalid-key-points"] = admin.post("/admin/policies/privacy/draft", url.Values{"body": {"# P\n\n## A {#a}\n\n## B {#a}\n"},
		"summary": {"s"}, "change": {"minor"}, "key_points": {strings.Repeat("point\n", 9)}, "action": {"save"}}).Body
	pages["admin-draft-preview"] = admin.post("/admin/policies/privacy/draft", url.Values{"body": {"# P\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"},
		"summary": {"s"}, "change": {"minor"}, "key_points": {"One.\nTwo."}, "action": {"preview"}}).Body
	admin.post("/admin/policies/privacy/draft", url.Values{"body": {"# P\n\nNew text."}, "summary": {"s"}, "change": {"minor"}, "action": {"save"}})
	pages["admin-publish-invalid"] = admin.post("/admin/policies/privacy/publish", url.Values{"when": {"date"}, "date": {"yesterday"}}).Body
	pages["admin-publish-edit"] = admin.get("/admin/policies/privacy").Body
	pages["admin-publish-choose"] = admin.get("/admin/policies/privacy/publish").Body
	pages["admin-publish-no-kind"] = admin.get("/admin/policies/privacy/publish?check=1&when=now").Body
	pages["admin-publish-notice"] = admin.get("/admin/policies/privacy/publish?check=1&change=material&when=now").Body
	pages["admin-publish-plan"] = admin.get("/admin/policies/privacy/publish?check=1&change=material&when=now&reason=A+court+%3Cb%3Eorder%3C%2Fb%3E").Body
	pages["admin-publish-staff-plan"] = func() string {
		admin.post("/admin/policies/"+aup+"/draft", url.Values{"body": {"# AUP\n\nNew."}, "summary": {"s"}, "change": {"minor"}, "action": {"save"}})
		return admin.get("/admin/policies/" + aup + "/publish?check=1&change=material&when=date&date=2027-01-05").Body
	}()
	emp := ts.as(employeeEmail)
	pages["employee-list"] = emp.get("/my/policies").Body
	pages["employee-aup"] = emp.get("/my/policies/" + aup).Body
	emp.post("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"1"}})
	pages["employee-aup-acknowledged"] = emp.get("/my/policies/" + aup).Body
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}
