package handlers

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"steward/courses"
)

var attemptLinkRE = regexp.MustCompile(`^/courses/basics/attempts/[0-9]+$`)

// submitAnswers posts answers to module pos of basics and returns the
// result page's path.
func (c *client) submitAnswers(pos int, answers func(token string) courses.Answers) string {
	c.t.Helper()
	token := c.openQuiz("basics", pos)
	res := c.post(fmt.Sprintf("/courses/basics/modules/%d", pos), answerForm(token, answers(token)))
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !attemptLinkRE.MatchString(loc) {
		c.t.Fatalf("submit: status %d, location %q\n%s", res.StatusCode, loc, snippet(res.Body))
	}
	return loc
}

// The basics module 1 quiz: the correct option of its single-answer question
// and the explanations of two questions.
const (
	basicsRightOption  = "Remove the field."
	basicsSingleExpl   = "Data we do not need is a risk"
	basicsRetention    = "Keeping raw logs forever"
	basicsRetentionExp = "Retention limits apply to encrypted data too."
)

func TestResultShowsCorrectAnswersOnlyOncePassedOrAttemptsUsedUp(t *testing.T) {
	ts := withCourses(t)
	m := ts.module("basics", 1)
	wrong := func(string) courses.Answers { return courses.AnswerAll(m, false) }

	// Right except the retention question: 3 of 4 reaches the 75% pass mark.
	passWithOneWrong := func(string) courses.Answers {
		a := courses.AnswerAll(m, true)
		for _, q := range m.Questions {
			if strings.HasPrefix(q.Text, basicsRetention) {
				for _, o := range q.Options {
					if !o.Correct {
						a[q.ID] = []int64{o.ID}
					}
				}
			}
		}
		return a
	}

	hidden := func(t *testing.T, body, when string) {
		t.Helper()
		for _, s := range []string{basicsRightOption, "The right answer", basicsSingleExpl} {
			if strings.Contains(body, s) {
				t.Errorf("%s: the result page shows %q", when, s)
			}
		}
		if !strings.Contains(body, "once you pass this module") {
			t.Errorf("%s: the result page does not say when the answers will be shown", when)
		}
	}

	t.Run("failed with attempts left, then passed", func(t *testing.T) {
		emp := ts.as(employeeEmail)
		failed := emp.submitAnswers(1, wrong)
		res := emp.get(failed)
		res.expect(t, http.StatusOK, "not passed", "Wrong", "2 attempts left")
		hidden(t, res.Body, "failed attempt 1 of 3")

		passed := emp.submitAnswers(1, passWithOneWrong)
		res = emp.get(passed)
		res.expect(t, http.StatusOK, "You scored <strong>75%</strong>",
			"The right answer: “False”", basicsRetentionExp, basicsSingleExpl)
		if strings.Contains(res.Body, "once you pass this module") {
			t.Error("a passed attempt still says the answers are hidden")
		}

		// Once the module is passed, the earlier failed attempt shows them too.
		emp.get(failed).expect(t, http.StatusOK, "The right answer: “"+basicsRightOption+"”", basicsSingleExpl)
	})

	t.Run("attempts used up", func(t *testing.T) {
		mgr := ts.as(managerEmail)
		first := mgr.submitAnswers(1, wrong)
		hidden(t, mgr.get(first).Body, "failed attempt 1 of 3")
		second := mgr.submitAnswers(1, wrong)
		hidden(t, mgr.get(second).Body, "failed attempt 2 of 3")
		last := mgr.submitAnswers(1, wrong)
		mgr.get(last).expect(t, http.StatusOK, "no attempts left", "The right answer: “"+basicsRightOption+"”", basicsSingleExpl)
		mgr.get(first).expect(t, http.StatusOK, "The right answer: “"+basicsRightOption+"”")
	})
}
