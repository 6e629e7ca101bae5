package handlers

import (
	"errors"
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/validator"
	"steward/policies"
)

// checkError maps the change check's errors, then the other policy errors.
func checkError(err error) error {
	switch {
	case errors.Is(err, policies.ErrCheckRequired):
		return fiber.NewError(fiber.StatusConflict, "This change asks a few questions: answer them on the policy's page, and your acknowledgement is recorded when they are all right.")
	case errors.Is(err, policies.ErrCheckPassed):
		return fiber.NewError(fiber.StatusConflict, "You have answered these questions already; your acknowledgement is recorded.")
	case errors.Is(err, policies.ErrNoCheck):
		return fiber.NewError(fiber.StatusNotFound, "This version asks no questions.")
	case errors.Is(err, policies.ErrNoDraft):
		return fiber.NewError(fiber.StatusConflict, "There is no saved draft: save a draft first, then write its questions.")
	case errors.Is(err, policies.ErrCheckLocked):
		return fiber.NewError(fiber.StatusConflict, "The questions were submitted for approval with this draft, so they cannot change now. Change the draft's text (which withdraws its approval) or have an approver send it back, then change them.")
	}
	return policyError(err)
}

// checkSlot is one of the editor's fixed question slots, as typed.
type checkSlot struct {
	N           int // from 1
	Section     string
	Prompt      string
	Choices     [policies.MaxChoices]string
	Correct     int // the choice slot marked right, from 1; 0 none
	Explanation string
}

// checkForm is the editor of a draft's questions: policies.MaxQuestions
// fixed slots, each with policies.MaxChoices choice slots; blank slots are
// left out.
type checkForm struct {
	Slots [policies.MaxQuestions]checkSlot
	validator.Validator
}

func checkFormOf(qs []policies.Question) checkForm {
	var f checkForm
	for i := range f.Slots {
		f.Slots[i].N = i + 1
	}
	for i, q := range qs {
		if i >= len(f.Slots) {
			break
		}
		sl := &f.Slots[i]
		sl.Section, sl.Prompt, sl.Explanation, sl.Correct = q.Section, q.Prompt, q.Explanation, q.Correct+1
		copy(sl.Choices[:], q.Choices)
	}
	return f
}

// questions reads the filled slots; a choice slot left blank is left out,
// and the mark of the right one follows it.
func (f *checkForm) questions() []policies.QuestionInput {
	var out []policies.QuestionInput
	for _, sl := range f.Slots {
		blank := strings.TrimSpace(sl.Prompt) == "" && strings.TrimSpace(sl.Explanation) == ""
		for _, ch := range sl.Choices {
			blank = blank && strings.TrimSpace(ch) == ""
		}
		if blank {
			continue
		}
		q := policies.QuestionInput{Section: sl.Section, Prompt: sl.Prompt, Explanation: sl.Explanation, Correct: -1}
		for k, ch := range sl.Choices {
			if strings.TrimSpace(ch) == "" {
				continue
			}
			if sl.Correct == k+1 {
				q.Correct = len(q.Choices)
			}
			q.Choices = append(q.Choices, ch)
		}
		out = append(out, q)
	}
	return out
}

// checkEditPage is the data of policies/check_edit.html: the draft's
// questions and how people answered the checks already published.
type checkEditPage struct {
	layout
	Policy   policies.Policy
	Draft    *policies.Version
	Sections []policies.SectionRef // of the draft, for the questions to name
	Form     checkForm
	Results  []policies.CheckResults // newest version first
	Fits     string                  // why the draft cannot ask questions; "" when it can
}

func (s *Server) adminCheck(c *fiber.Ctx) error {
	return s.adminCheckRender(c, fiber.StatusOK, nil)
}

func (s *Server) adminCheckRender(c *fiber.Ctx, status int, form *checkForm) error {
	ctx := c.UserContext()
	p, versions, err := s.policies.Versions(ctx, c.Params("slug"))
	if err != nil {
		return checkError(err)
	}
	data := &checkEditPage{layout: layout{Title: "Questions: " + p.Title}, Policy: p}
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		if v.Draft {
			data.Draft = &v
			continue
		}
		res, err := s.policies.CheckResults(ctx, p.Slug, v.Number)
		if errors.Is(err, policies.ErrNoCheck) {
			continue
		}
		if err != nil {
			return err
		}
		data.Results = append(data.Results, res)
	}
	if data.Draft != nil {
		data.Sections = policies.Sections(data.Draft.SourceMD)
		switch {
		case !p.NeedsAck():
			data.Fits = "Only a staff policy that people acknowledge can ask questions."
		case data.Draft.ChangeKind != policies.Material:
			data.Fits = "The draft is a minor change: questions go with a material change."
		}
		if form == nil {
			qs, err := s.policies.DraftCheck(ctx, p.Slug)
			if err != nil {
				return checkError(err)
			}
			f := checkFormOf(qs)
			form = &f
		}
		data.Form = *form
	}
	return s.renderPage(c, status, "policies/check_edit", data)
}

// adminCheckSave replaces the draft's questions.
func (s *Server) adminCheckSave(c *fiber.Ctx) error {
	f := checkFormOf(nil)
	for i := range f.Slots {
		sl := &f.Slots[i]
		pre := "q" + strconv.Itoa(sl.N) + "_"
		sl.Section = strings.TrimSpace(c.FormValue(pre + "section"))
		sl.Prompt = c.FormValue(pre + "prompt")
		sl.Explanation = c.FormValue(pre + "explanation")
		for k := range sl.Choices {
			sl.Choices[k] = c.FormValue(pre + "choice" + strconv.Itoa(k+1))
		}
		if raw := c.FormValue(pre + "correct"); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 || n > policies.MaxChoices {
				f.AddFieldError(pre+"correct", "Mark one of the choices as the right answer.")
			}
			sl.Correct = n
		}
	}
	qs := f.questions()
	if f.Valid() {
		err := s.policies.SaveDraftCheck(c.UserContext(), c.Params("slug"), qs, audit.UserActor(currentUser(c).ID), s.now())
		var ve *policies.ValidationError
		switch {
		case errors.As(err, &ve):
			// The store numbers the questions it was given; the form's
			// slots skip blank ones.
			slotOf := make([]int, 0, len(qs))
			for _, sl := range f.Slots {
				if len(slotOf) < len(qs) && !slotBlank(sl) {
					slotOf = append(slotOf, sl.N)
				}
			}
			for field, msg := range ve.Fields {
				name := field
				if q, rest, ok := strings.Cut(field, "."); ok && strings.HasPrefix(q, "q") {
					if n, err := strconv.Atoi(q[1:]); err == nil && n >= 1 && n <= len(slotOf) {
						name = "q" + strconv.Itoa(slotOf[n-1]) + "_" + rest
					}
				}
				if name == "questions" {
					f.AddFormError(strings.ToUpper(msg[:1]) + msg[1:] + ".")
					continue
				}
				f.AddFieldError(name, strings.ToUpper(msg[:1])+msg[1:]+".")
			}
		case err != nil:
			return checkError(err)
		default:
			if len(qs) == 0 {
				s.flash(c, "The draft asks no questions now.")
			} else {
				s.flash(c, "Questions saved with the draft. People answer them when the draft is published.")
			}
			return c.Redirect("/admin/policies/"+c.Params("slug")+"/check", fiber.StatusSeeOther)
		}
	}
	return s.adminCheckRender(c, fiber.StatusUnprocessableEntity, &f)
}

func slotBlank(sl checkSlot) bool {
	blank := strings.TrimSpace(sl.Prompt) == "" && strings.TrimSpace(sl.Explanation) == ""
	for _, ch := range sl.Choices {
		blank = blank && strings.TrimSpace(ch) == ""
	}
	return blank
}

// checkView is what a person's policy page shows of a change check.
type checkView struct {
	C policies.Check
	// The sections that changed since the person's last acknowledgement,
	// as a redline; empty for someone who never acknowledged.
	Redline template.HTML
	R       policies.Redline
	Attempt *policies.Attempt // the attempt whose result is shown
	Chosen  map[int64]int     // the choices being re-shown after a refused sheet
	validator.Validator
}

// Anchor is where a question's section is shown: in the redline of the
// changed sections when it is there, else in the policy's text.
func (v *checkView) Anchor(section string) string {
	for _, sc := range v.R.Sections {
		if sc.Anchor == policies.AnchorPrefix+section {
			return sc.Anchor
		}
	}
	return section
}

// Right says whether the shown attempt answered question i right.
func (v *checkView) Right(i int) bool { return v.Attempt != nil && v.Attempt.Right(v.C.Questions, i) }

// Picked says whether choice k of question i is the one chosen.
func (v *checkView) Picked(i, k int) bool {
	if v.Chosen != nil {
		ch, ok := v.Chosen[v.C.Questions[i].ID]
		return ok && ch == k
	}
	return v.Attempt != nil && i < len(v.Attempt.Answers) && v.Attempt.Answers[i] == k
}

// addCheck fills in the change check of a person's policy page: the
// questions when they must answer them, and the result of an attempt of
// theirs named by ?attempt=.
func (s *Server) addCheck(c *fiber.Ctx, data *myPolicyPage) error {
	u := currentUser(c)
	chk, err := s.policies.CheckFor(c.UserContext(), u.ID, data.S.Policy.Slug, s.now())
	if err != nil {
		return checkError(err)
	}
	if !chk.Asks() {
		return nil
	}
	view := &checkView{C: chk}
	raw := c.Query("attempt")
	if chk.Passed && raw == "" {
		// The page says how they passed, beside the acknowledgement.
		return nil
	}
	if raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fiber.NewError(fiber.StatusNotFound, "There is no such attempt of yours.")
		}
		a, err := s.policies.MyAttempt(c.UserContext(), u.ID, id)
		if err != nil || a.VersionID != chk.Version.ID {
			return fiber.NewError(fiber.StatusNotFound, "There is no such attempt of yours.")
		}
		view.Attempt = &a
	}
	if data.Redline != "" {
		r := policies.CompareChanged(data.Since.BodyMD, data.S.Current.BodyMD)
		// CompareChanged escapes the text and adds only its own elements.
		view.Redline, view.R = template.HTML(r.HTML), r
	}
	data.Check = view
	return nil
}

// answerCheck grades the signed-in person's answers to the check of the
// version in effect; all right records their acknowledgement.
func (s *Server) answerCheck(c *fiber.Ctx) error {
	u := currentUser(c)
	slug := c.Params("slug")
	n, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || n < 1 {
		return fiber.NewError(fiber.StatusBadRequest, "The form did not say which version you read; reload the page and try again.")
	}
	answers := map[int64]int{}
	bad := false
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		if !strings.HasPrefix(key, "q") {
			return
		}
		id, err := strconv.ParseInt(key[1:], 10, 64)
		if err != nil {
			return
		}
		choice, err := strconv.Atoi(string(v))
		if err != nil || len(answers) >= policies.MaxQuestions*2 {
			bad = true
			return
		}
		answers[id] = choice
	})
	if bad {
		return fiber.NewError(fiber.StatusBadRequest, "The answers could not be read; reload the page and answer again.")
	}
	if _, _, err := s.staffStatus(c.UserContext(), u.ID, slug); err != nil {
		return err
	}
	a, err := s.policies.AnswerCheck(c.UserContext(), u.ID, slug, n, answers, s.now())
	var ve *policies.ValidationError
	switch {
	case errors.As(err, &ve):
		data, err := s.myPolicyData(c)
		if err != nil {
			return err
		}
		if data.Check == nil {
			return checkError(policies.ErrNoCheck)
		}
		data.Check.Chosen = answers
		for field, msg := range ve.Fields {
			data.Check.AddFieldError(field, strings.ToUpper(msg[:1])+msg[1:]+".")
		}
		c.Set(fiber.HeaderCacheControl, "private, no-store")
		return s.renderPage(c, fiber.StatusUnprocessableEntity, "policies/ack_show", data)
	case err != nil:
		return checkError(err)
	}
	if a.Passed {
		s.flash(c, "All right. Your acknowledgement of version "+strconv.Itoa(n)+" is recorded.")
	} else {
		s.flash(c, strconv.Itoa(a.Score)+" of "+strconv.Itoa(len(a.Answers))+" right. Read the explanations below and try again.")
	}
	return c.Redirect("/my/policies/"+slug+"?attempt="+strconv.FormatInt(a.ID, 10), fiber.StatusSeeOther)
}
