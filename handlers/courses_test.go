package handlers

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"steward/courses"
	"steward/internal/audit"
)

var attemptRE = regexp.MustCompile(`name="attempt" value="([0-9a-f]+)"`)

// courseFolder is the test course from the courses package, with edits.
func courseFolder(t *testing.T, edit func(files map[string]string)) fstest.MapFS {
	t.Helper()
	src := os.DirFS("../courses/testdata/basics")
	files := map[string]string{}
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(src, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	if edit != nil {
		edit(files)
	}
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

// withCourses imports the basics course for everyone and a Sales-only
// copy, and assigns them.
func withCourses(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t)
	ctx := context.Background()
	store := ts.srv.courses
	if _, err := store.Import(ctx, courseFolder(t, nil), audit.Actor{Label: "test"}, testStart); err != nil {
		t.Fatal(err)
	}
	sales := courseFolder(t, func(f map[string]string) {
		f["course.yaml"] = strings.NewReplacer("slug: basics", "slug: sales-only", "title: Data basics", "title: Sales only",
			"everyone: true", "teams: [Sales]").Replace(f["course.yaml"])
	})
	if _, err := store.Import(ctx, sales, audit.Actor{Label: "test"}, testStart); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Sync(ctx, testStart); err != nil {
		t.Fatal(err)
	}
	return ts
}

func (ts *testServer) module(slug string, pos int) *courses.Module {
	ts.t.Helper()
	c, err := ts.srv.courses.Course(context.Background(), slug)
	if err != nil {
		ts.t.Fatal(err)
	}
	m, err := c.Module(pos)
	if err != nil {
		ts.t.Fatal(err)
	}
	return m
}

// answerForm turns answers into the quiz form's fields.
func answerForm(token string, a courses.Answers) url.Values {
	v := url.Values{"attempt": {token}}
	for q, opts := range a {
		for _, o := range opts {
			v.Add(fmt.Sprintf("q%d", q), strconv.FormatInt(o, 10))
		}
	}
	return v
}

// openQuiz loads a module page and returns its attempt token.
func (c *client) openQuiz(slug string, pos int) string {
	c.t.Helper()
	res := c.get(fmt.Sprintf("/courses/%s/modules/%d", slug, pos))
	res.expect(c.t, http.StatusOK)
	m := attemptRE.FindStringSubmatch(res.Body)
	if m == nil {
		c.t.Fatalf("no quiz on the module page\n%s", snippet(res.Body))
	}
	return m[1]
}

// submitQuiz answers module pos rightly or wrongly and follows to the result.
func (c *client) submitQuiz(ts *testServer, slug string, pos int, right bool) *response {
	c.t.Helper()
	token := c.openQuiz(slug, pos)
	res := c.post(fmt.Sprintf("/courses/%s/modules/%d", slug, pos), answerForm(token, courses.AnswerAll(ts.module(slug, pos), right)))
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("submit: status %d\n%s", res.StatusCode, snippet(res.Body))
	}
	return c.get(res.Header.Get("Location"))
}

func (ts *testServer) submitted() int {
	return ts.count(`SELECT COUNT(*) FROM course_attempts WHERE submitted_at IS NOT NULL`)
}

func TestCourseFailPassCompleteCertificateVerify(t *testing.T) {
	ts := withCourses(t)
	emp := ts.as(employeeEmail)

	emp.get("/courses").expect(t, http.StatusOK, "Data basics", "Not started", "0/2 modules")
	emp.get("/courses/sales-only").expect(t, http.StatusNotFound)
	page := emp.get("/courses/basics/modules/1")
	page.expect(t, http.StatusOK, "<h1>Collect less</h1>", "<strong>delete</strong>", "Submit answers", "attempt 1 of 3")

	res := emp.submitQuiz(ts, "basics", 1, false)
	res.expect(t, http.StatusOK, "not passed", "You scored <strong>0%</strong>", "Wrong", "once you pass this module", "2 attempts left", "Try again")
	if strings.Contains(res.Body, "Data we do not need is a risk") {
		t.Error("a failed attempt with attempts left shows the explanation of a question answered wrongly")
	}

	res = emp.submitQuiz(ts, "basics", 1, true)
	res.expect(t, http.StatusOK, "passed", "You scored <strong>100%</strong>", "Right")
	emp.get("/courses").expect(t, http.StatusOK, "In progress", "1/2 modules")

	res = emp.submitQuiz(ts, "basics", 2, true)
	// The quiz that completes the course leads to the certificate, which
	// links back to that quiz's answers.
	res.expect(t, http.StatusOK, "You passed Share carefully with 100%. You have completed Data basics", "Certificate of completion", "See your answers")
	emp.get("/courses").expect(t, http.StatusOK, "Completed until 28 Nov 2027")

	cert := emp.get("/courses/basics/certificate")
	cert.expect(t, http.StatusOK, "Certificate of completion", "Eli Turner", "Data basics", "revision 1", "28 Nov 2026", "28 Nov 2027", "100%")
	code := regexp.MustCompile(`<code>([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})</code>`).FindStringSubmatch(cert.Body)
	if code == nil {
		t.Fatalf("no code on the certificate\n%s", snippet(cert.Body))
	}

	anon := ts.client()
	v := anon.get("/verify/" + strings.ToLower(code[1]))
	v.expect(t, http.StatusOK, "genuine", "Eli Turner", "Data basics (revision 1)", "28 Nov 2027")
	if strings.Contains(v.Body, "employee@example.com") || strings.Contains(v.Body, "100%") {
		t.Error("verification reveals more than name, course, revision and dates")
	}
	anon.get("/verify?code="+url.QueryEscape(code[1])).expect(t, http.StatusSeeOther)
	anon.get("/verify/AAAA-BBBB-CCCC-DDDD").expect(t, http.StatusNotFound, "No certificate has this code")
	anon.get("/verify?code=nonsense").expect(t, http.StatusUnprocessableEntity, "16 letters and digits")
	anon.get("/courses/basics/certificate").expect(t, http.StatusFound)
}

func TestQuizBadInputWritesNothing(t *testing.T) {
	ts := withCourses(t)
	emp := ts.as(employeeEmail)
	m1, m2 := ts.module("basics", 1), ts.module("basics", 2)
	right := courses.AnswerAll(m1, true)
	post := func(form url.Values) *response { return emp.post("/courses/basics/modules/1", form) }

	tests := []struct {
		name   string
		form   func(token string) url.Values
		status int
		says   string
	}{
		{"answers to another module's questions", func(tok string) url.Values {
			return answerForm(tok, courses.AnswerAll(m2, true))
		}, http.StatusUnprocessableEntity, "is not part of this quiz"},
		{"an option id that does not exist", func(tok string) url.Values {
			a := courses.AnswerAll(m1, true)
			a[m1.Questions[0].ID] = []int64{999999}
			return answerForm(tok, a)
		}, http.StatusUnprocessableEntity, "not an option of question"},
		{"an option of another question", func(tok string) url.Values {
			a := courses.AnswerAll(m1, true)
			a[m1.Questions[0].ID] = []int64{m1.Questions[1].Options[0].ID}
			return answerForm(tok, a)
		}, http.StatusUnprocessableEntity, "not an option of question"},
		{"a missing answer", func(tok string) url.Values {
			a := courses.AnswerAll(m1, true)
			delete(a, m1.Questions[2].ID)
			return answerForm(tok, a)
		}, http.StatusUnprocessableEntity, "has no answer"},
		{"an answer that is not a number", func(tok string) url.Values {
			v := answerForm(tok, right)
			v.Set(fmt.Sprintf("q%d", m1.Questions[0].ID), "the first one")
			return v
		}, http.StatusUnprocessableEntity, "is not one of its options"},
		{"no quiz token", func(string) url.Values { return answerForm("", right) }, http.StatusUnprocessableEntity, "no quiz token"},
		{"a made-up token", func(string) url.Values { return answerForm("0123456789abcdef0123456789abcdef", right) }, http.StatusNotFound, "not yours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := emp.openQuiz("basics", 1)
			before := ts.submitted()
			res := post(tt.form(token))
			res.expect(t, tt.status, tt.says)
			if ts.submitted() != before {
				t.Error("a rejected submission was stored")
			}
		})
	}

	t.Run("another person's token", func(t *testing.T) {
		token := emp.openQuiz("basics", 1)
		other := ts.as(managerEmail)
		before := ts.submitted()
		other.post("/courses/basics/modules/1", answerForm(token, right)).expect(t, http.StatusNotFound)
		if ts.submitted() != before {
			t.Error("stored")
		}
	})

	t.Run("a course not assigned to me", func(t *testing.T) {
		before := ts.submitted()
		emp.get("/courses/sales-only/modules/1").expect(t, http.StatusNotFound, "not assigned to you")
		// A token of the Sales course belongs to someone in Sales, never to me.
		sales := ts.module("sales-only", 1)
		emp.post("/courses/sales-only/modules/1", answerForm("ffffffffffffffffffffffffffffffff", courses.AnswerAll(sales, true))).expect(t, http.StatusNotFound)
		if ts.submitted() != before || ts.count(`SELECT COUNT(*) FROM course_attempts a JOIN course_modules m ON m.id = a.module_id
			JOIN courses c ON c.id = m.course_id WHERE c.slug = 'sales-only'`) != 0 {
			t.Error("an attempt was written for a course not assigned")
		}
	})

	t.Run("double submission", func(t *testing.T) {
		token := emp.openQuiz("basics", 1)
		post(answerForm(token, courses.AnswerAll(m1, false))).expect(t, http.StatusSeeOther)
		before := ts.submitted()
		post(answerForm(token, right)).expect(t, http.StatusConflict, "already submitted")
		if ts.submitted() != before {
			t.Error("the second submission was stored")
		}
	})

	t.Run("after the attempt limit", func(t *testing.T) {
		for ts.count(`SELECT COUNT(*) FROM course_attempts a JOIN course_modules m ON m.id = a.module_id
			JOIN courses c ON c.id = m.course_id
			WHERE c.slug = 'basics' AND m.position = 1 AND a.user_id = ? AND a.submitted_at IS NOT NULL`, ts.userID(employeeEmail)) < 3 {
			emp.submitQuiz(ts, "basics", 1, false)
		}
		emp.get("/courses/basics/modules/1").expect(t, http.StatusOK, "You have used all 3 attempts")
		// A quiz opened in another tab before the last attempt was used.
		var cycleID, moduleID int64
		ts.db.Get(&cycleID, ts.db.Rebind(`SELECT id FROM course_cycles WHERE user_id = ? AND closed_at IS NULL AND course_id =
			(SELECT id FROM courses WHERE slug = 'basics')`), ts.userID(employeeEmail))
		ts.db.Get(&moduleID, ts.db.Rebind(`SELECT id FROM course_modules WHERE position = 1 AND course_id = (SELECT id FROM courses WHERE slug = 'basics')`))
		ts.db.MustExec(ts.db.Rebind(`INSERT INTO course_attempts (token, cycle_id, module_id, user_id, seed, revision, started_at)
			VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', ?, ?, ?, 1, 1, ?)`), cycleID, moduleID, ts.userID(employeeEmail), testStart)
		before := ts.submitted()
		post(answerForm("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", right)).expect(t, http.StatusConflict, "used every attempt")
		if ts.submitted() != before {
			t.Error("a submission past the limit was stored")
		}
	})
}

func zipOf(t *testing.T, dir string, files fstest.MapFS) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, f := range files {
		w, err := zw.Create(dir + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.Data)
	}
	zw.Close()
	return buf.Bytes()
}

func TestAdminCourseUploadAndEditing(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.as(adminEmail)
	ts.as(employeeEmail).get("/admin/courses").expect(t, http.StatusForbidden)

	// The demo loads the starter course.
	adm.get("/admin/courses").expect(t, http.StatusOK, "Responsible use of customer data")
	before := ts.count(`SELECT COUNT(*) FROM courses`)
	adm.upload("/admin/courses/upload", "folder", "notes.txt", []byte("not a zip"), nil).
		expect(t, http.StatusBadRequest, "not a zip archive")

	broken := courseFolder(t, func(f map[string]string) {
		f["01-collect-less.md"] = strings.Replace(f["01-collect-less.md"], "      - text: Keep it in case it is useful later.",
			"      - text: Keep it in case it is useful later.\n        correct: true", 1)
		f["course.yaml"] += "colour: blue\n"
	})
	res := adm.upload("/admin/courses/upload", "folder", "basics.zip", zipOf(t, "basics/", broken), nil)
	res.expect(t, http.StatusUnprocessableEntity, "nothing was imported", "<code>01-collect-less.md:8</code>", "exactly one correct option",
		"<code>course.yaml:13</code>", "unknown key &#34;colour&#34;")
	if ts.count(`SELECT COUNT(*) FROM courses`) != before {
		t.Fatal("a broken upload created a course")
	}
	// A draw of more questions than the module has.
	greedy := courseFolder(t, func(f map[string]string) {
		f["02-share-carefully.md"] = strings.Replace(f["02-share-carefully.md"], "title: Share carefully\n", "title: Share carefully\ndraw: 3\n", 1)
	})
	adm.upload("/admin/courses/upload", "folder", "basics.zip", zipOf(t, "basics/", greedy), nil).
		expect(t, http.StatusUnprocessableEntity, "<code>02-share-carefully.md:4</code>", "draw is 3, but the quiz has only 2 questions to draw from")
	if ts.count(`SELECT COUNT(*) FROM courses`) != before {
		t.Fatal("an upload with a bad draw created a course")
	}

	res = adm.upload("/admin/courses/upload", "folder", "basics.zip", zipOf(t, "basics/", courseFolder(t, nil)), nil)
	res.expect(t, http.StatusSeeOther)
	adm.get(res.Header.Get("Location")).expect(t, http.StatusOK, "Course basics created and assigned to", "Collect less")
	res = adm.upload("/admin/courses/upload", "folder", "basics.zip", zipOf(t, "", courseFolder(t, nil)), nil)
	adm.get(res.Header.Get("Location")).expect(t, http.StatusOK, "is unchanged (revision 1)")
	ts.as(employeeEmail).get("/courses").expect(t, http.StatusOK, "Data basics")

	// Settings: bad input is a 422 with the message beside the field.
	form := url.Values{"slug": {"basics"}, "title": {"Data basics"}, "audience": {"teams"}, "due_days": {"0"},
		"valid_months": {"12"}, "recert_window_days": {"30"}, "pass_mark": {"101"}, "max_attempts": {"3"}}
	adm.post("/admin/courses/basics", form).expect(t, http.StatusUnprocessableEntity, "Choose at least one team", "from 1 to 365", "from 1 to 100")
	form.Set("due_days", "14")
	form.Set("pass_mark", "80")
	form.Add("teams", "Marketing")
	res = adm.post("/admin/courses/basics", form)
	res.expect(t, http.StatusSeeOther)
	adm.get(res.Header.Get("Location")).expect(t, http.StatusOK, "revision 2")
	// The employee is in Marketing and keeps the course; Sales people lose it.
	ts.as(employeeEmail).get("/courses").expect(t, http.StatusOK, "Data basics")

	// Module editor: structural edits re-render without saving.
	page := adm.get("/admin/courses/basics/modules/2")
	page.expect(t, http.StatusOK, "Share carefully", "Preview")
	edit := url.Values{"position": {"2"}, "title": {"Share carefully"}, "body": {"Check the **contract**."}, "questions": {"1"},
		"q0.kind": {"truefalse"}, "q0.text": {"Vendors are our responsibility."}, "q0.answer": {"true"}, "q0.explanation": {"We stay accountable."}}
	withOp := func(op string) url.Values {
		v := url.Values{}
		for k, vs := range edit {
			v[k] = vs
		}
		v.Set("op", op)
		return v
	}
	adm.post("/admin/courses/basics/modules/2", withOp("add-question")).expect(t, http.StatusOK, "Question 2", "<strong>contract</strong>")
	adm.post("/admin/courses/basics/modules/2", withOp("delete-question:7")).expect(t, http.StatusUnprocessableEntity, "does not know")
	bad := withOp("save")
	bad.Set("questions", "2")
	bad.Set("q1.kind", "single")
	bad.Set("q1.text", "Which contract?")
	bad.Set("q1.options", "2")
	bad.Set("q1.o0.text", "A DPA")
	bad.Set("q1.o1.text", "None")
	adm.post("/admin/courses/basics/modules/2", bad).expect(t, http.StatusUnprocessableEntity, "no option is marked correct")
	bad.Set("q1.o0.correct", "1")
	res = adm.post("/admin/courses/basics/modules/2", bad)
	res.expect(t, http.StatusSeeOther)
	adm.get(res.Header.Get("Location")).expect(t, http.StatusOK, "revision 3", "Which contract?")
	adm.post("/admin/courses/basics/modules/9/delete", nil).expect(t, http.StatusNotFound)

	// A new module, then deleting it again.
	adm.get("/admin/courses/basics/modules/new").expect(t, http.StatusOK, "Add a module", `value="3"`)
	added := url.Values{"position": {"2"}, "title": {"Retention"}, "body": {"Delete what you no longer need."}, "questions": {"1"},
		"q0.kind": {"truefalse"}, "q0.text": {"Backups are exempt from retention."}, "q0.answer": {"false"}, "op": {"save"}}
	adm.post("/admin/courses/basics/modules/new", added).expect(t, http.StatusUnprocessableEntity, "position 2 is also used by")
	added.Set("position", "3")
	res = adm.post("/admin/courses/basics/modules/new", added)
	res.expect(t, http.StatusSeeOther)
	adm.get("/admin/courses/basics").expect(t, http.StatusOK, "Retention", "revision 4")
	ts.as(employeeEmail).get("/courses/basics").expect(t, http.StatusOK, "Retention", "0 of 3 modules passed")
	res = adm.post("/admin/courses/basics/modules/3/delete", nil)
	res.expect(t, http.StatusSeeOther)
	adm.get(res.Header.Get("Location")).expect(t, http.StatusOK, "Module 3 deleted", "revision 5")
	adm.post("/admin/courses/nope/modules/1", withOp("save")).expect(t, http.StatusNotFound)

	// Exemptions need a reason, and show in the roster.
	uid := strconv.FormatInt(ts.userID(employeeEmail), 10)
	adm.post("/admin/courses/basics/exemptions", url.Values{"user_id": {uid}, "reason": {" "}}).
		expect(t, http.StatusUnprocessableEntity, "Give a reason")
	adm.post("/admin/courses/basics/exemptions", url.Values{"user_id": {"abc"}, "reason": {"x"}}).
		expect(t, http.StatusUnprocessableEntity, "Choose a person")
	res = adm.post("/admin/courses/basics/exemptions", url.Values{"user_id": {uid}, "reason": {"On parental leave"}})
	res.expect(t, http.StatusSeeOther)
	adm.get("/admin/courses/basics/people").expect(t, http.StatusOK, "Exempt", "On parental leave")
	ts.as(employeeEmail).get("/courses").expect(t, http.StatusOK, "Exempt")

	// Export gives back a folder that imports as a no-op.
	exp := adm.get("/admin/courses/basics/export.zip")
	exp.expect(t, http.StatusOK)
	res = adm.upload("/admin/courses/upload", "folder", "basics.zip", []byte(exp.Body), nil)
	adm.get(res.Header.Get("Location")).expect(t, http.StatusOK, "is unchanged (revision 5)")
}

// TestRenamingKeepsTheTitlesAttemptsWereMadeUnder: after the course and a
// module are renamed, the result page, My data and the person's history
// still name an earlier attempt by the titles the person saw.
func TestRenamingKeepsTheTitlesAttemptsWereMadeUnder(t *testing.T) {
	ts := withCourses(t)
	emp := ts.as(employeeEmail)
	token := emp.openQuiz("basics", 1)
	res := emp.post("/courses/basics/modules/1", answerForm(token, courses.AnswerAll(ts.module("basics", 1), false)))
	res.expect(t, http.StatusSeeOther)
	result := res.Header.Get("Location")

	renamed := courseFolder(t, func(f map[string]string) {
		f["course.yaml"] = strings.Replace(f["course.yaml"], "title: Data basics", "title: Data essentials", 1)
		f["01-collect-less.md"] = strings.Replace(f["01-collect-less.md"], "title: Collect less", "title: Collect only what you need", 1)
	})
	if _, err := ts.srv.courses.Import(context.Background(), renamed, audit.Actor{Label: "test"}, testStart.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ts.module("basics", 1).Title != "Collect only what you need" {
		t.Fatal("the module was not renamed")
	}

	emp.get(result).expect(t, http.StatusOK, "<h1>Collect less: not passed</h1>", "the course then called “Data basics”")
	data := emp.get("/account/data")
	_, attempts, _ := strings.Cut(data.Body, "Quiz attempts")
	for _, want := range []string{">Data basics<", ">Collect less<"} {
		if !strings.Contains(attempts, want) {
			t.Errorf("My data's quiz attempts lack %q:%s", want, snippet(attempts))
		}
	}
	hist := ts.as(adminEmail).get(fmt.Sprintf("/team/people/%d", ts.userID(employeeEmail)))
	_, attempts, _ = strings.Cut(hist.Body, `id="h-attempts"`)
	for _, want := range []string{"<td>Data basics</td>", "<td>1. Collect less</td>"} {
		if !strings.Contains(attempts, want) {
			t.Errorf("the person's history lacks %q:%s", want, snippet(attempts))
		}
	}
}

// TestRecertificationCycleSaysTheCertificateExpired: a recertification
// cycle opened after the certificate expired (assigned after it was due)
// says that the certificate expired, on the course page, the home page and
// My training; one opened in its window says until when it is valid.
func TestRecertificationCycleSaysTheCertificateExpired(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		after time.Duration // after the expiry, when the next cycle opens
		want  []string
		card  string
	}{
		{"opened after expiry", 8 * 24 * time.Hour,
			[]string{"Your certificate expired on 28 Nov 2027", "Certificate expired</dt><dd>28 Nov 2027", "Lapsed"},
			"Certificate expired 28 Nov 2027; recertify now"},
		{"opened in the window", -10 * 24 * time.Hour,
			[]string{"Your certificate is valid until 28 Nov 2027. Recertify by 28 Nov 2027", "Recertify by</dt><dd>28 Nov 2027"},
			"Recertify by 28 Nov 2027"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := withCourses(t)
			emp := ts.as(employeeEmail)
			emp.submitQuiz(ts, "basics", 1, true)
			emp.submitQuiz(ts, "basics", 2, true).expect(t, http.StatusOK, "You have completed Data basics")
			expiry := testStart.AddDate(1, 0, 0)
			ts.setNow(expiry.Add(tc.after))
			if _, err := ts.srv.courses.Sync(ctx, ts.clock()); err != nil {
				t.Fatal(err)
			}
			emp = ts.as(employeeEmail)
			emp.get("/courses/basics").expect(t, http.StatusOK, tc.want...)
			for _, path := range []string{"/home", "/courses"} {
				emp.get(path).expect(t, http.StatusOK, tc.card)
			}
		})
	}
}
