package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/courses"
	"steward/internal/org"
)

// courseError turns a courses error into the status and message people see.
func courseError(err error) error {
	var ve *courses.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, courses.ErrNotFound):
		return fiber.NewError(fiber.StatusNotFound, "We could not find that course or module.")
	case errors.Is(err, courses.ErrNotAssigned):
		return fiber.NewError(fiber.StatusForbidden, "This course is not assigned to you, so there is nothing to submit.")
	case errors.Is(err, courses.ErrAttemptLimit):
		return fiber.NewError(fiber.StatusConflict, "You have used every attempt at this module for this cycle. Your manager or the privacy team can help.")
	case errors.Is(err, courses.ErrAlreadySubmitted):
		return fiber.NewError(fiber.StatusConflict, "This quiz was already submitted and graded once; submitting it again changes nothing.")
	case errors.Is(err, courses.ErrStaleAttempt):
		return fiber.NewError(fiber.StatusConflict, "The course was updated after you opened this quiz. Open the module again to get the new questions.")
	case errors.Is(err, courses.ErrInvalidAnswers):
		return fiber.NewError(fiber.StatusUnprocessableEntity, capitalise(err))
	case errors.As(err, &ve):
		return fiber.NewError(fiber.StatusUnprocessableEntity, ve.Error())
	case errors.Is(err, courses.ErrSlugTaken):
		return fiber.NewError(fiber.StatusConflict, "Another course already uses this slug.")
	case errors.Is(err, courses.ErrReasonRequired):
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Give a reason for the exemption.")
	case errors.Is(err, courses.ErrLastModule):
		return fiber.NewError(fiber.StatusConflict, "A course needs at least one module; add another before deleting this one.")
	}
	return err
}

// MyCourses returns the courses assigned to the signed-in person, for the
// home page: include the template "courses/my_courses_card" with them as .MyCourses.
func (s *Server) MyCourses(c *fiber.Ctx) ([]courses.Assignment, error) {
	return s.courses.MyCourses(c.UserContext(), currentUser(c).ID, s.now())
}

func (s *Server) myCourses(c *fiber.Ctx) error {
	as, err := s.MyCourses(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "courses/my", fiber.Map{"Title": "My training", "MyCourses": as})
}

func positionParam(c *fiber.Ctx) (int, error) {
	p, err := strconv.Atoi(c.Params("pos"))
	if err != nil || p < 1 || p > 999 {
		return 0, fiber.NewError(fiber.StatusNotFound, "We could not find that module.")
	}
	return p, nil
}

func (s *Server) coursePage(c *fiber.Ctx) error {
	u := currentUser(c)
	p, err := s.courses.CourseProgress(c.UserContext(), u.ID, c.Params("slug"), s.now())
	if errors.Is(err, courses.ErrNotAssigned) {
		return fiber.NewError(fiber.StatusNotFound, "This course is not assigned to you.")
	}
	if err != nil {
		return courseError(err)
	}
	return s.renderPage(c, fiber.StatusOK, "courses/course", &coursePage{layout: layout{Title: p.Course.Title}, P: p})
}

// coursePage is the data of courses/course.html, a learner's course.
type coursePage struct {
	layout
	P *courses.Progress
}

// modulePage is the data of courses/module.html: the lesson, then the
// quiz or why there is none.
type modulePage struct {
	layout
	P          *courses.Progress
	M          *courses.ModuleProgress
	Body       template.HTML   // the lesson
	Next       *courses.Module // nil after the last module
	NoAttempts bool            // the attempts of this cycle are used up
	Quiz       *courses.Quiz   // nil when NoAttempts
	ChooseAll  map[int64]bool  // by question: say "choose all that apply"
	// A refused submission: why, and the options that were ticked.
	Error  string
	Chosen map[int64]bool
}

// moduleData is what the module page shows.
func (s *Server) moduleData(c *fiber.Ctx, slug string, pos int) (*modulePage, error) {
	u := currentUser(c)
	p, err := s.courses.CourseProgress(c.UserContext(), u.ID, slug, s.now())
	if errors.Is(err, courses.ErrNotAssigned) {
		return nil, fiber.NewError(fiber.StatusNotFound, "This course is not assigned to you.")
	}
	if err != nil {
		return nil, courseError(err)
	}
	var mp *courses.ModuleProgress
	for i := range p.Modules {
		if p.Modules[i].Module.Position == pos {
			mp = &p.Modules[i]
		}
	}
	if mp == nil {
		return nil, fiber.NewError(fiber.StatusNotFound, "This course has no module at that position.")
	}
	body, err := courses.RenderMarkdown(mp.Module.Body)
	if err != nil {
		return nil, err
	}
	// Sanitised by RenderMarkdown; FillHTML escapes the facts it adds.
	body = org.FillHTML(body, s.brandNow().Settings)
	data := &modulePage{layout: layout{Title: mp.Module.Title}, P: p, M: mp, Body: template.HTML(body)}
	if next, err := p.Course.Module(pos + 1); err == nil {
		data.Next = next
	}
	quiz, err := s.courses.StartAttempt(c.UserContext(), u.ID, slug, pos, s.now())
	switch {
	case errors.Is(err, courses.ErrAttemptLimit):
		data.NoAttempts = true
	case err != nil:
		return nil, courseError(err)
	default:
		data.Quiz = quiz
		// Checkboxes say "all that apply" unless the question already does.
		chooseAll := map[int64]bool{}
		for _, q := range quiz.Module.Questions {
			chooseAll[q.ID] = q.Kind == courses.Multiple && !strings.Contains(strings.ToLower(q.Text), "all that apply")
		}
		data.ChooseAll = chooseAll
	}
	return data, nil
}

func (s *Server) modulePage(c *fiber.Ctx) error {
	pos, err := positionParam(c)
	if err != nil {
		return err
	}
	data, err := s.moduleData(c, c.Params("slug"), pos)
	if err != nil {
		return err
	}
	return s.renderPage(c, fiber.StatusOK, "courses/module", data)
}

// readAnswers reads q<question id>=<option id> pairs; a checkbox question
// sends its key once per ticked option.
func readAnswers(c *fiber.Ctx) (courses.Answers, error) {
	answers := courses.Answers{}
	var bad error
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		if !strings.HasPrefix(key, "q") || bad != nil {
			return
		}
		qid, err := strconv.ParseInt(key[1:], 10, 64)
		if err != nil {
			bad = fiber.NewError(fiber.StatusUnprocessableEntity, fmt.Sprintf("The answer field %q does not name a question.", clipField(key)))
			return
		}
		oid, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			bad = fiber.NewError(fiber.StatusUnprocessableEntity, fmt.Sprintf("The answer %q (field q%d) is not one of its options.", clipField(string(v)), qid))
			return
		}
		answers[qid] = append(answers[qid], oid)
	})
	return answers, bad
}

func clipField(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func (s *Server) moduleSubmit(c *fiber.Ctx) error {
	pos, err := positionParam(c)
	if err != nil {
		return err
	}
	slug := c.Params("slug")
	token := c.FormValue("attempt")
	if token == "" {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "This submission has no quiz token. Open the module again and answer the quiz there.")
	}
	answers, err := readAnswers(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	sub, err := s.courses.Submit(c.UserContext(), u.ID, token, answers, s.now())
	if errors.Is(err, courses.ErrInvalidAnswers) {
		// Show the quiz again with the problem and the answers given.
		data, derr := s.moduleData(c, slug, pos)
		if derr != nil {
			return courseError(err)
		}
		chosen := map[int64]bool{}
		for _, ids := range answers {
			for _, id := range ids {
				chosen[id] = true
			}
		}
		data.Error, data.Chosen = capitalise(err), chosen
		return s.renderPage(c, fiber.StatusUnprocessableEntity, "courses/module", data)
	}
	if errors.Is(err, courses.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "This quiz token is not yours or does not exist. Open the module again.")
	}
	if err != nil {
		return courseError(err)
	}
	if sub.Completed {
		// Completing the course leads to its certificate, with a link
		// back to this result: one click fewer at the end of the course.
		s.flash(c, fmt.Sprintf("You passed %s with %d%%. You have completed %s: here is your certificate.",
			sub.Module.Title, sub.Result.Score, sub.Course.Title))
		return c.Redirect(fmt.Sprintf("/courses/%s/certificate?attempt=%d", sub.Course.Slug, sub.Attempt.ID), fiber.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/courses/%s/attempts/%d", sub.Course.Slug, sub.Attempt.ID), fiber.StatusSeeOther)
}

func (s *Server) attemptPage(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.NewError(fiber.StatusNotFound, "We could not find that attempt.")
	}
	u := currentUser(c)
	a, course, m, err := s.courses.AttemptResult(c.UserContext(), u.ID, id)
	if err != nil {
		return courseError(err)
	}
	if course.Slug != c.Params("slug") {
		return fiber.NewError(fiber.StatusNotFound, "We could not find that attempt.")
	}
	results, err := a.Results()
	if err != nil {
		return err
	}
	data := &resultPage{layout: layout{Title: "Result: " + m.Title}, A: a, Course: course, M: m, Results: results,
		Passed: a.Passed != nil && *a.Passed}
	if a.Score != nil {
		data.Score = *a.Score
	}
	// What next, and whether the correct answers may be shown, depend on
	// where the person stands now.
	var mp *courses.ModuleProgress
	if p, err := s.courses.CourseProgress(c.UserContext(), u.ID, course.Slug, s.now()); err == nil {
		data.P = p
		for i := range p.Modules {
			if p.Modules[i].Module.ID == a.ModuleID {
				mp = &p.Modules[i]
				data.MP = mp
			}
		}
	}
	if data.P != nil {
		data.Retry = mp != nil && !mp.Passed && mp.AttemptsLeft != 0
		if next := data.P.NextAfter(m.Position); next != nil && next.Position != m.Position {
			data.Next = next
		}
	}
	revealed := courses.AnswersRevealed(mp, a.Passed != nil && *a.Passed)
	if !revealed {
		// The template never receives what it may not show.
		for i := range results {
			results[i].CorrectText = nil
			if !results[i].Correct {
				results[i].Explanation = ""
			}
		}
	}
	data.Revealed = revealed
	return s.renderPage(c, fiber.StatusOK, "courses/result", data)
}

// resultPage is the data of courses/result.html, one submitted attempt.
type resultPage struct {
	layout
	A       *courses.Attempt
	Course  *courses.Course
	M       *courses.Module
	Results []courses.QuestionResult
	Passed  bool
	Score   int
	// Where the person stands now, when the course is still assigned.
	P        *courses.Progress
	MP       *courses.ModuleProgress
	Revealed bool // the correct answers may be shown
	// What to do next: take this module again (Retry), or move on to Next
	// (nil when no other module is left to take).
	Retry bool
	Next  *courses.Step
}

func (s *Server) certificatePage(c *fiber.Ctx) error {
	cert, err := s.courses.LatestCertificate(c.UserContext(), currentUser(c).ID, c.Params("slug"))
	if errors.Is(err, courses.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "There is no certificate yet: complete every module of the course first.")
	}
	if err != nil {
		return err
	}
	verifyURL := "/verify/" + cert.Code
	if s.cfg.BaseURL != nil {
		verifyURL = strings.TrimRight(s.cfg.BaseURL.String(), "/") + verifyURL
	}
	data := &certificatePage{layout: layout{Title: "Certificate: " + cert.CourseTitle}, Cert: cert, VerifyURL: verifyURL}
	// Arriving from the quiz that completed the course: link back to it.
	if id, err := strconv.ParseInt(c.Query("attempt"), 10, 64); err == nil && id > 0 {
		if a, course, m, err := s.courses.AttemptResult(c.UserContext(), currentUser(c).ID, id); err == nil && course.Slug == cert.CourseSlug {
			data.Last, data.LastModule = a, m
		}
	}
	return s.renderPage(c, fiber.StatusOK, "courses/certificate", data)
}

// certificatePage is the data of courses/certificate.html.
type certificatePage struct {
	layout
	Cert      *courses.Certificate
	VerifyURL string
	// The attempt that completed the course, when the page follows it.
	Last       *courses.Attempt
	LastModule *courses.Module
}

// verifyPage is the data of courses/verify.html: a certificate found, or
// the form to look one up.
type verifyPage struct {
	layout
	V     *courses.Verification // nil: show the form
	Code  string
	Now   time.Time
	Error string
}

// verifyForm takes a code typed in and sends the reader to its page.
func (s *Server) verifyForm(c *fiber.Ctx) error {
	code := c.Query("code")
	if code == "" {
		return s.renderPage(c, fiber.StatusOK, "courses/verify", &verifyPage{layout: layout{Title: "Verify a certificate"}})
	}
	norm := courses.NormalizeCode(code)
	if norm == "" {
		return s.renderPage(c, fiber.StatusUnprocessableEntity, "courses/verify", &verifyPage{layout: layout{Title: "Verify a certificate"},
			Code: code, Error: "A certificate code has 16 letters and digits, like ABCD-EFGH-JKLM-NPQR."})
	}
	return c.Redirect("/verify/"+norm, fiber.StatusSeeOther)
}

func (s *Server) verifyPage(c *fiber.Ctx) error {
	code := c.Params("code")
	v, err := s.courses.Verify(c.UserContext(), code)
	if errors.Is(err, courses.ErrNotFound) {
		return s.renderPage(c, fiber.StatusNotFound, "courses/verify", &verifyPage{layout: layout{Title: "Verify a certificate"},
			Code: code, Error: "No certificate has this code. Check it against the printed certificate."})
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.renderPage(c, fiber.StatusOK, "courses/verify", &verifyPage{layout: layout{Title: "Certificate verified"}, V: v, Code: courses.NormalizeCode(code), Now: s.now()})
}
