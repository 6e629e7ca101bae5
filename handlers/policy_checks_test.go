package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const checkBody = "# Acceptable use of customer data\n\n## Support access {#access}\n\nSupport access is granted per ticket and expires after 24 hours.\n\n## Exports {#exports}\n\nNo exports to personal devices.\n"

func checkQuestionForm(section string) url.Values {
	return url.Values{
		"q1_section": {section}, "q1_prompt": {"When does support access expire?"},
		"q1_choice1": {"Never"}, "q1_choice2": {"After 24 hours"}, "q1_choice3": {"After a week"}, "q1_correct": {"2"},
		"q1_explanation": {"Support access now expires after 24 hours."},
	}
}

// twoWhoAcknowledged names two employees who acknowledged a policy.
func twoWhoAcknowledged(t *testing.T, ts *testServer) (string, string) {
	t.Helper()
	var emails []string
	if err := ts.db.Select(&emails, `SELECT DISTINCT u.email FROM users u JOIN policy_acknowledgements a ON a.user_id = u.id
		WHERE u.role = 'employee' AND u.active = TRUE ORDER BY u.email LIMIT 2`); err != nil {
		t.Fatal(err)
	}
	if len(emails) != 2 {
		t.Fatal("the demo has no two employees who acknowledged a policy")
	}
	return emails[0], emails[1]
}

// publishWithCheck publishes a material version of the acceptable use
// policy asking one question, as an admin does.
func publishWithCheck(t *testing.T, ts *testServer) {
	t.Helper()
	admin := ts.as(adminEmail)
	admin.post("/admin/policies/"+aup+"/draft", url.Values{"body": {checkBody},
		"summary": {"Support access now expires after 24 hours."}, "change": {"material"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	admin.post("/admin/policies/"+aup+"/check", checkQuestionForm("access")).expect(t, http.StatusSeeOther)
	approveDraft(t, ts, aup)
	admin.post("/admin/policies/"+aup+"/publish", url.Values{"when": {"now"}, "change": {"material"}}).expect(t, http.StatusSeeOther)
}

// An author writes a question on a material change; a person who
// acknowledged the earlier version fails it once, reads the explanation,
// passes, and is recorded with the score and attempts; the author sees
// how people answered.
func TestChangeCheckFailThenPass(t *testing.T) {
	ts := withPolicies(t)
	who, other := twoWhoAcknowledged(t, ts)
	me := ts.userID(who)
	ackBefore := ts.count(`SELECT COUNT(*) FROM policy_acknowledgements WHERE user_id = ?`, me)

	admin := ts.as(adminEmail)
	admin.get("/admin/policies/"+aup+"/check").expect(t, http.StatusOK, "There is no draft.")
	admin.post("/admin/policies/"+aup+"/check", checkQuestionForm("access")).expect(t, http.StatusConflict, "save a draft first")
	admin.post("/admin/policies/"+aup+"/draft", url.Values{"body": {checkBody},
		"summary": {"Support access now expires after 24 hours."}, "change": {"material"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/"+aup).expect(t, http.StatusOK, "/admin/policies/"+aup+"/check")
	admin.get("/admin/policies/"+aup+"/check").expect(t, http.StatusOK, "Question 5", `<option value="access">Support access (#access)</option>`)

	// Refused, each with its message beside the field, and nothing saved.
	bad := []struct {
		change func(url.Values)
		says   string
	}{
		{func(v url.Values) { v.Set("q1_section", "travel") }, "&#34;travel&#34; is not a section of the draft"},
		{func(v url.Values) { v.Del("q1_choice2"); v.Del("q1_choice3") }, "A question has 2 to 6 choices, not 1"},
		{func(v url.Values) { v.Del("q1_correct") }, "Mark exactly one choice as the right answer"},
		{func(v url.Values) { v.Set("q1_correct", "9") }, "Mark one of the choices as the right answer"},
		{func(v url.Values) { v.Set("q1_prompt", "") }, "Is required"},
		{func(v url.Values) { v.Set("q3_prompt", "A second question without choices") }, "A question has 2 to 6 choices, not 0"},
	}
	for _, b := range bad {
		f := checkQuestionForm("access")
		b.change(f)
		admin.post("/admin/policies/"+aup+"/check", f).expect(t, http.StatusUnprocessableEntity, b.says, `value="Never"`)
	}
	if n := ts.count(`SELECT COUNT(*) FROM policy_check_questions`); n != 0 {
		t.Fatalf("refused questions were saved: %d", n)
	}
	admin.post("/admin/policies/"+aup+"/check", checkQuestionForm("access")).expect(t, http.StatusSeeOther)
	admin.get("/admin/policies/"+aup+"/check").expect(t, http.StatusOK, "Questions saved with the draft", `value="access" selected`, `value="2" checked`)
	approveDraft(t, ts, aup)
	// Submitted and approved with the text, the questions stay as they are.
	admin.post("/admin/policies/"+aup+"/check", checkQuestionForm("access")).expect(t, http.StatusConflict, "submitted for approval with this draft")
	admin.post("/admin/policies/"+aup+"/publish", url.Values{"when": {"now"}, "change": {"material"}}).expect(t, http.StatusSeeOther)

	emp := ts.as(who)
	page := emp.get("/my/policies/" + aup)
	page.expect(t, http.StatusOK, "Before you acknowledge: 1 question on this change", "The sections that changed since version 1",
		"When does support access expire?", "Send my answers", `href="#redline.access"`)
	if strings.Contains(page.Body, "I have read and will follow version 2") {
		t.Fatal("the plain acknowledgement button is offered beside the questions")
	}
	emp.post("/my/policies/"+aup+"/acknowledge", url.Values{"version": {"2"}}).expect(t, http.StatusConflict, "answer them on the policy")

	var qid string
	if err := ts.db.Get(&qid, `SELECT CAST(id AS TEXT) FROM policy_check_questions`); err != nil {
		t.Fatal(err)
	}
	// A sheet without an answer, or naming another question, is refused.
	emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}}).expect(t, http.StatusUnprocessableEntity, "Choose an answer.")
	emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"1"}, "q999999": {"0"}}).
		expect(t, http.StatusUnprocessableEntity, "names a question this check does not ask")
	emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"7"}}).expect(t, http.StatusUnprocessableEntity, "not one of this question")
	emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"x"}}).expect(t, http.StatusBadRequest)

	res := emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"0"}})
	res.expect(t, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.Contains(loc, "?attempt=") {
		t.Fatalf("redirect to %q", loc)
	}
	emp.get(loc).expect(t, http.StatusOK, "0 of 1 right", "Attempt 1: 0 of 1 right.", "Not right. Support access now expires after 24 hours.", "Try again")
	if n := ts.count(`SELECT COUNT(*) FROM policy_acknowledgements WHERE user_id = ?`, me); n != ackBefore {
		t.Fatal("a failed attempt recorded an acknowledgement")
	}
	// Another person cannot open this attempt.
	ts.as(other).get(loc).expect(t, http.StatusNotFound)
	emp.get("/my/policies/"+aup+"?attempt=abc").expect(t, http.StatusNotFound)

	res = emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"1"}})
	res.expect(t, http.StatusSeeOther)
	emp.get(res.Header.Get("Location")).expect(t, http.StatusOK, "Your acknowledgement of version 2 is recorded", "Questions on this change: passed", "Right.")
	if n := ts.count(`SELECT COUNT(*) FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id
		WHERE a.user_id = ? AND v.number = 2 AND a.check_questions = 1 AND a.check_first_score = 0 AND a.check_attempts = 2`, me); n != 1 {
		t.Fatal("the acknowledgement does not record the check's score and attempts")
	}
	emp.get("/my/policies/"+aup).expect(t, http.StatusOK, "after its questions: 0/1 at first try, passed at attempt 2")
	emp.post("/my/policies/"+aup+"/check", url.Values{"version": {"2"}, "q" + qid: {"1"}}).expect(t, http.StatusConflict, "answered these questions already")
	emp.get("/my/policies").expect(t, http.StatusOK, "Acknowledged")
	// The person's copy of their data says it too.
	emp.get("/account/data.json").expect(t, http.StatusOK, `"check_questions": 1`, `"check_first_try_score": 0`, `"check_attempts": 2`)

	admin.get("/admin/policies/"+aup+"/check").expect(t, http.StatusOK, "1 person answered; 1 passed, 0 at the first try.",
		"0% (0 of 1)", "Never (1×)", "Support access")

	// The person's page (as an admin, who sees everyone) and the evidence
	// export say the same of this acknowledgement.
	admin.get("/team/people/"+strconvFormat(me)).expect(t, http.StatusOK, "Passed: 0/1 at first try, passed at attempt 2")
	ev := ts.as(auditorEmail).get("/reports/evidence?format=csv&as_of=" + ts.clock().Format("2006-01-02"))
	ev.expect(t, http.StatusOK)
	file := readCSV(t, ev.Body)
	col := map[string]int{}
	for i, h := range file[0] {
		col[h] = i
	}
	found := 0
	for _, r := range file[1:] {
		if r[col["email"]] != who || r[col["requirement_type"]] != "policy" {
			continue
		}
		if r[col["revision_or_version"]] == "2" && strings.HasPrefix(r[col["requirement"]], "Acceptable use of customer data") {
			found++
			if r[col["check"]] != "passed" || r[col["check_first_try_score"]] != "0/1" || r[col["check_attempts"]] != "2" || r[col["status"]] != "acknowledged" {
				t.Fatalf("evidence row %v", r)
			}
		} else if r[col["check"]] != "" {
			t.Fatalf("a check on a policy that asked none: %v", r)
		}
	}
	if found != 1 {
		t.Fatalf("%d evidence rows for the policy", found)
	}
}
