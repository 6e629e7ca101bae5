package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"steward/internal/browsertest"
)

// TestBrowserChangeCheck looks at the change check's pages in Chromium at
// 375 px and 1280 px (axe-core, nothing wider than a phone): the author's
// questions and results, and a person's page before and after a failed
// attempt.
func TestBrowserChangeCheck(t *testing.T) {
	ts := withPolicies(t)
	who, _ := twoWhoAcknowledged(t, ts)
	publishWithCheck(t, ts)
	admin := ts.as(adminEmail)
	admin.post("/admin/policies/"+aup+"/draft", url.Values{"body": {checkBody + "\n## Travel {#travel}\n\nTake the loaner laptop.\n"},
		"summary": {"Travel laptops."}, "change": {"material"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	lookAt(t, ts, adminEmail, "/admin/policies/"+aup+"/check")
	lookAt(t, ts, who, "/my/policies/"+aup)
	emp := ts.as(who)
	var qid string
	if err := ts.db.Get(&qid, `SELECT CAST(id AS TEXT) FROM policy_check_questions`); err != nil {
		t.Fatal(err)
	}
	res := emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"0"}})
	res.expect(t, http.StatusSeeOther)
	lookAt(t, ts, who, res.Header.Get("Location"))
}

// TestChangeCheckMarkupIsValid runs the Nu HTML checker over the change
// check's pages, forms re-rendered with errors included.
func TestChangeCheckMarkupIsValid(t *testing.T) {
	ts := withPolicies(t)
	who, _ := twoWhoAcknowledged(t, ts)
	publishWithCheck(t, ts)
	admin := ts.as(adminEmail)
	emp := ts.as(who)
	pages := map[string]string{}
	pages["check-results-no-draft"] = admin.get("/admin/policies/" + aup + "/check").Body
	admin.post("/admin/policies/"+aup+"/draft", url.Values{"body": {checkBody},
		"summary": {"Again."}, "change": {"material"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	pages["check-edit"] = admin.get("/admin/policies/" + aup + "/check").Body
	bad := checkQuestionForm("travel")
	bad.Del("q1_correct")
	pages["check-edit-invalid"] = admin.post("/admin/policies/"+aup+"/check", bad).Body
	pages["my-policy-check"] = emp.get("/my/policies/" + aup).Body
	pages["my-policy-check-invalid"] = emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}}).Body
	var qid string
	if err := ts.db.Get(&qid, `SELECT CAST(id AS TEXT) FROM policy_check_questions ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	res := emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"0"}})
	pages["my-policy-check-failed"] = emp.get(res.Header.Get("Location")).Body
	res = emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"1"}})
	pages["my-policy-check-passed"] = emp.get(res.Header.Get("Location")).Body
	for name, body := range pages {
		if len(body) < 200 {
			t.Fatalf("%s: no page (%q)", name, body)
		}
	}
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}
