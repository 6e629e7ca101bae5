package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"steward/courses"
	"steward/internal/browsertest"
)

// coursePages takes the employee through a failed and a passed quiz and a
// completed course, and returns the paths worth looking at, by who sees them.
func coursePages(t *testing.T, ts *testServer) (employee, anonymous, admin []string) {
	t.Helper()
	emp := ts.as(employeeEmail)
	result := func(pos int, right bool) string {
		token := emp.openQuiz("basics", pos)
		res := emp.post(fmt.Sprintf("/courses/basics/modules/%d", pos), answerForm(token, courses.AnswerAll(ts.module("basics", pos), right)))
		res.expect(t, http.StatusSeeOther)
		return res.Header.Get("Location")
	}
	failed := result(1, false)
	passed := result(1, true)
	completed := result(2, true) // the certificate, linking back to this attempt
	cert := emp.get("/courses/basics/certificate")
	code := regexp.MustCompile(`/verify/([A-Z0-9-]+)`).FindStringSubmatch(cert.Body)
	if code == nil {
		t.Fatal("no verification link on the certificate")
	}
	employee = []string{"/courses", "/courses/basics", "/courses/basics/modules/1", failed, passed, "/courses/basics/certificate",
		completed, "/courses/" + courses.StarterSlug, "/courses/" + courses.StarterSlug + "/modules/1", "/home"}
	anonymous = []string{"/verify", "/verify/" + code[1], "/verify/AAAA-BBBB-CCCC-DDDD"}
	admin = []string{"/admin/courses", "/admin/courses/basics", "/admin/courses/basics/modules/1", "/admin/courses/basics/modules/new",
		"/admin/courses/basics/people", "/admin/courses/upload"}
	return employee, anonymous, admin
}

// TestCourseMarkupIsValid runs the Nu HTML checker over every courses page,
// including forms re-rendered with errors.
func TestCourseMarkupIsValid(t *testing.T) {
	ts := withCourses(t)
	employee, anonymous, admin := coursePages(t, ts)
	pages := map[string]string{}
	emp, anon, adm := ts.as(employeeEmail), ts.client(), ts.as(adminEmail)
	for _, p := range employee {
		res := emp.get(p)
		res.expect(t, http.StatusOK)
		pages["employee"+p] = res.Body
	}
	for _, p := range anonymous {
		pages["anon"+p] = anon.get(p).Body
	}
	for _, p := range admin {
		res := adm.get(p)
		res.expect(t, http.StatusOK)
		pages["admin"+p] = res.Body
	}
	m := ts.module(courses.StarterSlug, 2)
	token := emp.openQuiz(courses.StarterSlug, 2)
	a := courses.AnswerAll(m, true)
	delete(a, m.Questions[0].ID)
	pages["employee-quiz-invalid"] = emp.post(fmt.Sprintf("/courses/%s/modules/2", courses.StarterSlug), answerForm(token, a)).Body
	pages["admin-settings-invalid"] = adm.post("/admin/courses/basics", url.Values{"audience": {"roles"}}).Body
	pages["admin-module-invalid"] = adm.post("/admin/courses/basics/modules/new", url.Values{"questions": {"1"}, "q0.kind": {"single"},
		"q0.options": {"2"}, "op": {"save"}}).Body
	pages["admin-module-truefalse"] = adm.post("/admin/courses/basics/modules/new", url.Values{"questions": {"1"}, "q0.kind": {"truefalse"},
		"body": {"# Title\n\n- a list\n- [a link](https://example.com)"}, "op": {"preview"}}).Body
	pages["admin-upload-invalid"] = adm.upload("/admin/courses/upload", "folder", "c.zip",
		zipOf(t, "", courseFolder(t, func(f map[string]string) { f["course.yaml"] += "colour: blue\n" })), nil).Body
	pages["admin-exempt-invalid"] = adm.post("/admin/courses/basics/exemptions", url.Values{"user_id": {"1"}}).Body
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}

// TestBrowserCoursePages looks at the courses pages in chromium: no serious
// accessibility problem, nothing wider than a phone.
func TestBrowserCoursePages(t *testing.T) {
	ts := withCourses(t)
	employee, anonymous, admin := coursePages(t, ts)
	lookAt(t, ts, employeeEmail, employee...)
	lookAt(t, ts, "", anonymous...)
	lookAt(t, ts, adminEmail, admin...)
}
