package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"steward/courses"
)

// starterLearner returns the email of a demo employee who has the starter
// course assigned and has not opened any of it.
func starterLearner(t *testing.T, ts *testServer) string {
	t.Helper()
	var email string
	err := ts.db.GetContext(context.Background(), &email, ts.db.Rebind(`
		SELECT u.email FROM users u
		JOIN course_cycles cy ON cy.user_id = u.id AND cy.closed_at IS NULL
		JOIN courses c ON c.id = cy.course_id AND c.slug = ?
		WHERE u.role = 'employee' AND u.deactivated_at IS NULL AND u.password_hash <> ''
		  AND cy.completed_at IS NULL AND cy.exempt = FALSE
		  AND NOT EXISTS (SELECT 1 FROM course_attempts a WHERE a.cycle_id = cy.id)
		ORDER BY u.id LIMIT 1`), courses.StarterSlug)
	if err != nil {
		t.Fatalf("no demo learner who has not started the starter course: %v", err)
	}
	return email
}

// starterMinutes is each starter module's time as docs/course-format.md
// states the estimate: the lesson at 1,000 characters a minute and half a
// minute per question shown (one per objective), rounded up; worked out
// here from the course files.
func starterMinutes(t *testing.T) ([]int, []string) {
	t.Helper()
	c, err := courses.ParseFolder(courses.Starter())
	if err != nil {
		t.Fatal(err)
	}
	var mins []int
	var titles []string
	for _, m := range c.Modules {
		objectives := map[string]bool{}
		shown := 0
		for _, q := range m.Questions {
			if q.Objective == "" || !objectives[q.Objective] {
				shown++
			}
			objectives[q.Objective] = true
		}
		if m.Draw > 0 && m.Draw < shown {
			shown = m.Draw
		}
		tenths := (utf8.RuneCountInString(m.Body)*10 + 5000*shown + 999) / 1000 // minutes x10, rounded up
		mins = append(mins, max(1, (tenths+9)/10))
		titles = append(titles, m.Title)
	}
	return mins, titles
}

func sayMinutes(n int) string {
	if n < 60 {
		return fmt.Sprintf("about %d min", n)
	}
	if n%60 == 0 {
		return fmt.Sprintf("about %d h", n/60)
	}
	return fmt.Sprintf("about %d h %d min", n/60, n%60)
}

var progressValueRE = regexp.MustCompile(`<progress class="progress" max="(\d+)" value="(\d+)"`)

// TestLearnerPlaceAndNextLinks walks the starter course as a learner who
// has not started it: home and the course page offer Start, then Continue
// at the module where they stopped, with the time left; a result leads to
// the next module; the progress bar counts the passes in the database.
func TestLearnerPlaceAndNextLinks(t *testing.T) {
	ts := newTestServer(t)
	email := starterLearner(t, ts)
	emp := ts.as(email)
	slug := courses.StarterSlug
	mins, titles := starterMinutes(t)
	total := 0
	for _, m := range mins {
		total += m
	}
	link := func(pos int, verb string) string {
		return fmt.Sprintf(`href="/courses/%s/modules/%d">%s%d. %s</a>`, slug, pos, verb, pos, titles[pos-1])
	}
	passedInDB := func() int {
		return ts.count(`SELECT COUNT(DISTINCT a.module_id) FROM course_attempts a
			JOIN course_cycles cy ON cy.id = a.cycle_id AND cy.closed_at IS NULL
			JOIN users u ON u.id = a.user_id AND u.email = ?
			WHERE a.passed = TRUE`, email)
	}
	bar := func(body string) (int, int) {
		t.Helper()
		m := progressValueRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no progress bar\n%s", snippet(body))
		}
		max, _ := strconv.Atoi(m[1])
		v, _ := strconv.Atoi(m[2])
		return v, max
	}

	// Not started: Start at module 1, the whole course's time.
	course := emp.get("/courses/" + slug)
	course.expect(t, http.StatusOK, "Where to start", link(1, "Start: "),
		fmt.Sprintf("12 modules, %s in all.", sayMinutes(total)), sayMinutes(mins[0]))
	if v, m := bar(course.Body); v != 0 || m != 12 {
		t.Errorf("progress bar %d of %d before starting, want 0 of 12", v, m)
	}
	home := emp.get("/home")
	home.expect(t, http.StatusOK, link(1, "Start: "), "0/12 modules, "+sayMinutes(total)+" left")

	// Module 1 passed: the result leads to module 2.
	res := emp.get(emp.takeShown(ts, slug, 1, true).Header.Get("Location"))
	res.expect(t, http.StatusOK, `class="button primary" `+link(2, "Next module: "))
	if strings.Contains(res.Body, "Try again") {
		t.Error("a passed module's result offers to try again")
	}
	left := total - mins[0]
	course = emp.get("/courses/" + slug)
	course.expect(t, http.StatusOK, "You stopped at module 1, "+titles[0]+", which you passed.", link(2, "Continue: "),
		fmt.Sprintf("%s left of %s", sayMinutes(left), sayMinutes(total)))
	if v, _ := bar(course.Body); v != passedInDB() || v != 1 {
		t.Errorf("progress bar at %d, the database counts %d passed modules, want 1", v, passedInDB())
	}
	emp.get("/home").expect(t, http.StatusOK, "Stopped at module 1.", link(2, "Continue: "), "1/12 modules, "+sayMinutes(left)+" left")

	// Module 3 opened and left: Continue returns to it.
	emp.openQuiz(slug, 3)
	emp.get("/home").expect(t, http.StatusOK, "Stopped at module 3.", link(3, "Continue: "))
	emp.get("/courses/"+slug).expect(t, http.StatusOK, "You stopped at module 3, "+titles[2]+".", link(3, "Continue: "))

	// Module 3 failed: try again first, or move on to module 4 (module 2
	// is still open, but comes round after the end).
	res = emp.get(emp.takeShown(ts, slug, 3, false).Header.Get("Location"))
	res.expect(t, http.StatusOK, "Try again", `class="button" `+link(4, "Next module: "))
	if v, _ := bar(emp.get("/courses/" + slug).Body); v != passedInDB() || v != 1 {
		t.Errorf("after a failed module the bar is at %d, the database counts %d", v, passedInDB())
	}
}

// TestModuleEditorDrawAndMinutes saves a module's draw and minutes in the
// editor, refuses a draw larger than the quiz, and shows the learner only
// the drawn questions.
func TestModuleEditorDrawAndMinutes(t *testing.T) {
	ts := withCourses(t)
	admin := ts.as(adminEmail)
	m := ts.module("basics", 1) // four questions, no objectives
	form := editorForm(m)
	form.Set("draw", "5")
	admin.post("/admin/courses/basics/modules/1", form).expect(t, http.StatusUnprocessableEntity,
		"draw is 5, but the quiz has only 4 questions to draw from")
	if got := ts.module("basics", 1); got.Draw != 0 {
		t.Fatalf("a refused draw was stored: %d", got.Draw)
	}
	form.Set("draw", "2")
	form.Set("minutes", "abc")
	admin.post("/admin/courses/basics/modules/1", form).expect(t, http.StatusUnprocessableEntity, "Enter the minutes the module takes")
	form.Set("minutes", "9")
	admin.post("/admin/courses/basics/modules/1", form).expect(t, http.StatusSeeOther)
	if got := ts.module("basics", 1); got.Draw != 2 || got.Minutes != 9 {
		t.Fatalf("stored draw %d and minutes %d, want 2 and 9", got.Draw, got.Minutes)
	}
	admin.get("/admin/courses/basics/modules/1").expect(t, http.StatusOK, `name="draw" type="number" value="2"`, `name="minutes" type="number" value="9"`)
	page := ts.as(employeeEmail).get("/courses/basics/modules/1")
	if n := strings.Count(page.Body, "<fieldset>"); n != 2 {
		t.Errorf("the quiz shows %d questions, want the 2 drawn", n)
	}
	ts.as(employeeEmail).get("/courses/basics").expect(t, http.StatusOK, "about 9 min")
}

// editorForm is the module editor's form filled in with m.
func editorForm(m *courses.Module) url.Values {
	f := url.Values{"position": {strconv.Itoa(m.Position)}, "title": {m.Title}, "body": {m.Body},
		"questions": {strconv.Itoa(len(m.Questions))}, "op": {"save"}}
	for i, q := range m.Questions {
		p := fmt.Sprintf("q%d.", i)
		f.Set(p+"kind", string(q.Kind))
		f.Set(p+"text", q.Text)
		f.Set(p+"explanation", q.Explanation)
		f.Set(p+"objective", q.Objective)
		if q.Kind == courses.TrueFalse {
			f.Set(p+"answer", strconv.FormatBool(q.Options[0].Correct))
			continue
		}
		f.Set(p+"options", strconv.Itoa(len(q.Options)))
		for j, o := range q.Options {
			f.Set(fmt.Sprintf("%so%d.text", p, j), o.Text)
			if o.Correct {
				f.Set(fmt.Sprintf("%so%d.correct", p, j), "1")
			}
		}
	}
	return f
}

var shownQuestionRE = regexp.MustCompile(`name="q(\d+)"`)

// takeShown opens module pos, answers the questions the page shows
// (rightly or wrongly) and posts them; it returns the redirect.
func (c *client) takeShown(ts *testServer, slug string, pos int, right bool) *response {
	c.t.Helper()
	page := c.get(fmt.Sprintf("/courses/%s/modules/%d", slug, pos))
	token := attemptRE.FindStringSubmatch(page.Body)
	if token == nil {
		c.t.Fatalf("no quiz on module %d\n%s", pos, snippet(page.Body))
	}
	mod := ts.module(slug, pos)
	all := courses.AnswerAll(mod, right)
	shown := courses.Answers{}
	for _, m := range shownQuestionRE.FindAllStringSubmatch(page.Body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		shown[id] = all[id]
		if len(shown[id]) == 0 { // every option is right: one alone is still wrong
			for _, q := range mod.Questions {
				if q.ID == id {
					shown[id] = []int64{q.Options[0].ID}
				}
			}
		}
	}
	res := c.post(fmt.Sprintf("/courses/%s/modules/%d", slug, pos), answerForm(token[1], shown))
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("submit module %d: status %d\n%s", pos, res.StatusCode, snippet(res.Body))
	}
	return res
}
