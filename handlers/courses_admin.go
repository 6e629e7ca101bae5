package handlers

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/mdnest"
	"steward/internal/org"
	"steward/internal/people"
	"steward/internal/validator"
)

func actorOf(c *fiber.Ctx) audit.Actor { return audit.UserActor(currentUser(c).ID) }

func (s *Server) adminCourses(c *fiber.Ctx) error {
	list, err := s.courses.Courses(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "courses/admin_list", fiber.Map{"Title": "Courses", "Courses": list})
}

// settingsForm is the course settings form.
type settingsForm struct {
	Slug, Title, Summary                                          string
	Audience                                                      string
	Teams, Roles                                                  []string
	DueDays, ValidMonths, RecertWindowDays, PassMark, MaxAttempts string
	Shuffle, RequiresRetraining                                   bool
	validator.Validator
}

// settingsFormOf fills the form from stored settings. Retraining starts
// unticked: it is a decision about the revision being saved, not a setting
// that carries over.
func settingsFormOf(set courses.Settings) settingsForm {
	f := settingsForm{Slug: set.Slug, Title: set.Title, Summary: set.Summary, Audience: set.Audience.Kind,
		DueDays: strconv.Itoa(set.DueDays), ValidMonths: strconv.Itoa(set.ValidMonths),
		RecertWindowDays: strconv.Itoa(set.RecertWindowDays), PassMark: strconv.Itoa(set.PassMark),
		MaxAttempts: strconv.Itoa(set.MaxAttempts), Shuffle: set.Shuffle}
	switch set.Audience.Kind {
	case courses.AudienceTeams:
		f.Teams = set.Audience.Values
	case courses.AudienceRoles:
		f.Roles = set.Audience.Values
	}
	return f
}

func formValues(c *fiber.Ctx, key string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(key) {
		if s := strings.TrimSpace(string(v)); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func readSettingsForm(c *fiber.Ctx) settingsForm {
	return settingsForm{
		Slug: strings.TrimSpace(c.FormValue("slug")), Title: strings.TrimSpace(c.FormValue("title")),
		Summary: strings.TrimSpace(c.FormValue("summary")), Audience: c.FormValue("audience"),
		Teams: formValues(c, "teams"), Roles: formValues(c, "roles"),
		DueDays: strings.TrimSpace(c.FormValue("due_days")), ValidMonths: strings.TrimSpace(c.FormValue("valid_months")),
		RecertWindowDays: strings.TrimSpace(c.FormValue("recert_window_days")),
		PassMark:         strings.TrimSpace(c.FormValue("pass_mark")), MaxAttempts: strings.TrimSpace(c.FormValue("max_attempts")),
		Shuffle: c.FormValue("shuffle") != "", RequiresRetraining: c.FormValue("requires_retraining") != "",
	}
}

func (f *settingsForm) number(field, value string, lo, hi int, msg string) int {
	n, err := strconv.Atoi(value)
	if err != nil || n < lo || n > hi {
		f.AddFieldError(field, msg)
	}
	return n
}

// settings validates the form into course settings.
func (f *settingsForm) settings(teams []people.Team) courses.Settings {
	f.Check(validator.Slug(f.Slug), "slug", "Use lowercase letters, digits and single hyphens, like responsible-data.")
	f.Check(validator.NotBlank(f.Title), "title", "Enter a title.")
	f.Check(validator.MaxChars(f.Title, 200), "title", "Use at most 200 characters.")
	f.Check(validator.MaxChars(f.Summary, 1000), "summary", "Use at most 1000 characters.")
	set := courses.Settings{Slug: f.Slug, Title: f.Title, Summary: f.Summary, Shuffle: f.Shuffle, RequiresRetraining: f.RequiresRetraining}
	switch f.Audience {
	case courses.AudienceEveryone:
		set.Audience = courses.Audience{Kind: courses.AudienceEveryone}
	case courses.AudienceTeams:
		f.Check(len(f.Teams) > 0, "audience", "Choose at least one team.")
		for _, t := range f.Teams {
			f.Check(slices.ContainsFunc(teams, func(x people.Team) bool { return x.Name == t }), "audience", "Choose teams from the list.")
		}
		set.Audience = courses.Audience{Kind: courses.AudienceTeams, Values: f.Teams}
	case courses.AudienceRoles:
		f.Check(len(f.Roles) > 0, "audience", "Choose at least one role.")
		for _, r := range f.Roles {
			f.Check(slices.Contains(courses.Roles, r), "audience", "Choose roles from the list.")
		}
		set.Audience = courses.Audience{Kind: courses.AudienceRoles, Values: f.Roles}
	default:
		f.AddFieldError("audience", "Choose who takes this course.")
	}
	set.DueDays = f.number("due_days", f.DueDays, 1, 365, "Enter a number of days from 1 to 365.")
	set.ValidMonths = f.number("valid_months", f.ValidMonths, 0, 120, "Enter a number of months from 0 (never expires) to 120.")
	set.RecertWindowDays = f.number("recert_window_days", f.RecertWindowDays, 0, 365, "Enter a number of days from 0 to 365.")
	set.PassMark = f.number("pass_mark", f.PassMark, 1, 100, "Enter a percentage from 1 to 100.")
	set.MaxAttempts = f.number("max_attempts", f.MaxAttempts, 0, 100, "Enter a number from 0 (unlimited) to 100.")
	if set.ValidMonths > 0 && set.RecertWindowDays > set.ValidMonths*28 {
		f.AddFieldError("recert_window_days", "The window must be shorter than the validity.")
	}
	return set
}

func (s *Server) courseSettingsPage(c *fiber.Ctx, status int, course *courses.Course, f settingsForm) error {
	teams, err := s.people.Teams(c.UserContext())
	if err != nil {
		return err
	}
	return s.renderPage(c, status, "courses/admin_course", &courseSettingsPage{layout: layout{Title: "Course: " + course.Title}, Course: course,
		Form: f, Teams: teams, Roles: courses.Roles})
}

// courseSettingsPage is the data of courses/admin_course.html: the course's
// modules and its settings form.
type courseSettingsPage struct {
	layout
	Course *courses.Course
	Form   settingsForm
	Teams  []people.Team // the audience's choices
	Roles  []string
}

func (s *Server) adminCourse(c *fiber.Ctx) error {
	course, err := s.courses.Course(c.UserContext(), c.Params("slug"))
	if err != nil {
		return courseError(err)
	}
	return s.courseSettingsPage(c, fiber.StatusOK, course, settingsFormOf(course.Settings))
}

func (s *Server) adminCourseSave(c *fiber.Ctx) error {
	course, err := s.courses.Course(c.UserContext(), c.Params("slug"))
	if err != nil {
		return courseError(err)
	}
	teams, err := s.people.Teams(c.UserContext())
	if err != nil {
		return err
	}
	f := readSettingsForm(c)
	set := f.settings(teams)
	if !f.Valid() {
		return s.courseSettingsPage(c, fiber.StatusUnprocessableEntity, course, f)
	}
	res, err := s.courses.UpdateSettings(c.UserContext(), course.Slug, set, actorOf(c), s.now())
	var ve *courses.ValidationError
	switch {
	case errors.Is(err, courses.ErrSlugTaken):
		f.AddFieldError("slug", "Another course already uses this slug.")
		return s.courseSettingsPage(c, fiber.StatusUnprocessableEntity, course, f)
	case errors.As(err, &ve):
		for _, p := range ve.Problems {
			f.AddFormError(p.String())
		}
		return s.courseSettingsPage(c, fiber.StatusUnprocessableEntity, course, f)
	case err != nil:
		return courseError(err)
	}
	if _, err := s.courses.Sync(c.UserContext(), s.now()); err != nil {
		return err
	}
	if res.Changed {
		s.flash(c, fmt.Sprintf("Settings saved: %s is now at revision %d.", set.Title, res.Revision))
	} else {
		s.flash(c, "Nothing changed.")
	}
	return c.Redirect("/admin/courses/"+res.Slug, fiber.StatusSeeOther)
}

// moduleEditor is the state of the module editor form.
type moduleEditor struct {
	Position  string
	Title     string
	Body      string
	Draw      string // empty: every question
	Minutes   string // empty: estimated
	Questions []courses.Question
	validator.Validator
}

// The editor's structural buttons. Each posts op=<name>:<question>[:<option>].
const (
	maxQuestions = 50
	maxOptions   = 12
)

func editorOf(m *courses.Module) moduleEditor {
	e := moduleEditor{Position: strconv.Itoa(m.Position), Title: m.Title, Body: m.Body, Questions: m.Questions}
	if m.Draw > 0 {
		e.Draw = strconv.Itoa(m.Draw)
	}
	if m.Minutes > 0 {
		e.Minutes = strconv.Itoa(m.Minutes)
	}
	return e
}

// readEditor reads the editor form: q<i>.kind, q<i>.text, q<i>.explanation, q<i>.objective,
// q<i>.answer for true/false, q<i>.o<j>.text and q<i>.o<j>.correct.
func readEditor(c *fiber.Ctx) (moduleEditor, error) {
	e := moduleEditor{Position: strings.TrimSpace(c.FormValue("position")), Title: strings.TrimSpace(c.FormValue("title")),
		Body: strings.ReplaceAll(c.FormValue("body"), "\r\n", "\n"),
		Draw: strings.TrimSpace(c.FormValue("draw")), Minutes: strings.TrimSpace(c.FormValue("minutes"))}
	nq, err := strconv.Atoi(c.FormValue("questions", "0"))
	if err != nil || nq < 0 || nq > maxQuestions {
		return e, fiber.NewError(fiber.StatusUnprocessableEntity, fmt.Sprintf("The editor sent a question count that is not a number from 0 to %d.", maxQuestions))
	}
	for i := range nq {
		p := fmt.Sprintf("q%d.", i)
		q := courses.Question{Kind: courses.QuestionKind(c.FormValue(p + "kind")), Text: strings.TrimSpace(c.FormValue(p + "text")),
			Explanation: strings.TrimSpace(c.FormValue(p + "explanation")), Objective: strings.TrimSpace(c.FormValue(p + "objective"))}
		if q.Kind == courses.TrueFalse {
			switch c.FormValue(p + "answer") {
			case "true":
				q.Options = []courses.Option{{Text: courses.TrueLabel, Correct: true}, {Text: courses.FalseLabel}}
			case "false":
				q.Options = []courses.Option{{Text: courses.TrueLabel}, {Text: courses.FalseLabel, Correct: true}}
			}
			e.Questions = append(e.Questions, q)
			continue
		}
		no, err := strconv.Atoi(c.FormValue(p+"options", "0"))
		if err != nil || no < 0 || no > maxOptions {
			return e, fiber.NewError(fiber.StatusUnprocessableEntity, fmt.Sprintf("The editor sent an option count that is not a number from 0 to %d.", maxOptions))
		}
		for j := range no {
			op := fmt.Sprintf("%so%d.", p, j)
			q.Options = append(q.Options, courses.Option{Text: strings.TrimSpace(c.FormValue(op + "text")), Correct: c.FormValue(op+"correct") != ""})
		}
		e.Questions = append(e.Questions, q)
	}
	return e, nil
}

// optionalNumber reads an optional whole number from 1 to 600; empty is 0.
func (e *moduleEditor) optionalNumber(field, value, msg string) int {
	if value == "" {
		return 0
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > 600 {
		e.AddFieldError(field, msg)
		return 0
	}
	return n
}

// apply performs a structural edit named by op; it reports false for an
// op it does not know.
func (e *moduleEditor) apply(op string) bool {
	parts := strings.Split(op, ":")
	idx := func(k int, n int) (int, bool) {
		if len(parts) <= k {
			return 0, false
		}
		i, err := strconv.Atoi(parts[k])
		return i, err == nil && i >= 0 && i < n
	}
	qs := e.Questions
	switch parts[0] {
	case "add-question":
		if len(qs) >= maxQuestions {
			e.AddFormError(fmt.Sprintf("A quiz has at most %d questions.", maxQuestions))
			return true
		}
		e.Questions = append(qs, courses.Question{Kind: courses.Single, Options: make([]courses.Option, 2)})
		return true
	}
	i, ok := idx(1, len(qs))
	if !ok {
		return false
	}
	switch parts[0] {
	case "delete-question":
		e.Questions = slices.Delete(qs, i, i+1)
	case "question-up":
		if i > 0 {
			qs[i-1], qs[i] = qs[i], qs[i-1]
		}
	case "question-down":
		if i < len(qs)-1 {
			qs[i+1], qs[i] = qs[i], qs[i+1]
		}
	case "add-option":
		if qs[i].Kind == courses.TrueFalse || len(qs[i].Options) >= maxOptions {
			return true
		}
		qs[i].Options = append(qs[i].Options, courses.Option{})
	case "delete-option", "option-up", "option-down":
		j, ok := idx(2, len(qs[i].Options))
		if !ok || qs[i].Kind == courses.TrueFalse {
			return false
		}
		os := qs[i].Options
		switch {
		case parts[0] == "delete-option":
			qs[i].Options = slices.Delete(os, j, j+1)
		case parts[0] == "option-up" && j > 0:
			os[j-1], os[j] = os[j], os[j-1]
		case parts[0] == "option-down" && j < len(os)-1:
			os[j+1], os[j] = os[j], os[j+1]
		}
	default:
		return false
	}
	return true
}

func (s *Server) moduleEditorPage(c *fiber.Ctx, status int, course *courses.Course, pos int, e moduleEditor) error {
	// A body nested too deeply is not previewed: rendering it is what is
	// slow, and the form already says what is wrong with it.
	var preview string
	if mdnest.Check(e.Body) == nil {
		var err error
		if preview, err = courses.RenderMarkdown(e.Body); err != nil {
			return err
		}
		preview = org.FillHTML(preview, s.brandNow().Settings)
	}
	return s.renderPage(c, status, "courses/admin_module", &moduleEditorPage{layout: layout{Title: "Edit module · " + course.Title}, Course: course,
		Pos: pos, Form: e, Preview: template.HTML(preview),
		Kinds: []courses.QuestionKind{courses.Single, courses.Multiple, courses.TrueFalse}})
}

// moduleEditorPage is the data of courses/admin_module.html.
type moduleEditorPage struct {
	layout
	Course  *courses.Course
	Pos     int // 0 for a module being added
	Form    moduleEditor
	Preview template.HTML // the lesson rendered; empty when too deeply nested
	Kinds   []courses.QuestionKind
}

// editorPosition reads :pos, which is "new" for a module being added.
func editorPosition(c *fiber.Ctx) (int, error) {
	if c.Params("pos") == "new" {
		return 0, nil
	}
	return positionParam(c)
}

func (s *Server) adminModule(c *fiber.Ctx) error {
	course, err := s.courses.Course(c.UserContext(), c.Params("slug"))
	if err != nil {
		return courseError(err)
	}
	pos, err := editorPosition(c)
	if err != nil {
		return err
	}
	if pos == 0 {
		e := moduleEditor{Position: strconv.Itoa(course.NextPosition()),
			Questions: []courses.Question{{Kind: courses.Single, Options: make([]courses.Option, 2)}}}
		return s.moduleEditorPage(c, fiber.StatusOK, course, 0, e)
	}
	m, err := course.Module(pos)
	if err != nil {
		return courseError(err)
	}
	return s.moduleEditorPage(c, fiber.StatusOK, course, pos, editorOf(m))
}

func (s *Server) adminModuleSave(c *fiber.Ctx) error {
	course, err := s.courses.Course(c.UserContext(), c.Params("slug"))
	if err != nil {
		return courseError(err)
	}
	pos, err := editorPosition(c)
	if err != nil {
		return err
	}
	if pos != 0 {
		if _, err := course.Module(pos); err != nil {
			return courseError(err)
		}
	}
	e, err := readEditor(c)
	if err != nil {
		return err
	}
	op := c.FormValue("op", "save")
	if op != "save" {
		if op != "preview" && !e.apply(op) {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "The editor sent an action it does not know.")
		}
		return s.moduleEditorPage(c, fiber.StatusOK, course, pos, e)
	}
	m := courses.Module{Title: e.Title, Body: strings.TrimSpace(e.Body), Questions: e.Questions}
	m.Position, err = strconv.Atoi(e.Position)
	if err != nil || m.Position < 1 || m.Position > 999 {
		e.AddFieldError("position", "Enter a position from 1 to 999.")
	}
	m.Draw = e.optionalNumber("draw", e.Draw, "Enter how many questions each attempt shows, or leave it empty to show them all.")
	m.Minutes = e.optionalNumber("minutes", e.Minutes, "Enter the minutes the module takes, from 1 to 600, or leave it empty for the estimate.")
	e.Check(validator.NotBlank(m.Title), "title", "Enter a title.")
	e.Check(validator.MaxChars(m.Title, 200), "title", "Use at most 200 characters.")
	e.Check(validator.NotBlank(m.Body), "body", "Write the lesson.")
	if e.Valid() {
		for _, p := range courses.ValidateModule(&m) {
			e.AddFormError(p.String())
		}
	}
	if !e.Valid() {
		return s.moduleEditorPage(c, fiber.StatusUnprocessableEntity, course, pos, e)
	}
	res, err := s.courses.SaveModule(c.UserContext(), course.Slug, pos, m, actorOf(c), s.now())
	var ve *courses.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			e.AddFormError(p.String())
		}
		return s.moduleEditorPage(c, fiber.StatusUnprocessableEntity, course, pos, e)
	}
	if err != nil {
		return courseError(err)
	}
	if res.Changed {
		s.flash(c, fmt.Sprintf("Module saved: %s is now at revision %d.", course.Title, res.Revision))
	} else {
		s.flash(c, "Nothing changed.")
	}
	return c.Redirect(fmt.Sprintf("/admin/courses/%s/modules/%d", course.Slug, m.Position), fiber.StatusSeeOther)
}

func (s *Server) adminModuleDelete(c *fiber.Ctx) error {
	pos, err := positionParam(c)
	if err != nil {
		return err
	}
	slug := c.Params("slug")
	res, err := s.courses.DeleteModule(c.UserContext(), slug, pos, actorOf(c), s.now())
	if err != nil {
		return courseError(err)
	}
	s.flash(c, fmt.Sprintf("Module %d deleted; the course is at revision %d. Past attempts are kept.", pos, res.Revision))
	return c.Redirect("/admin/courses/"+slug, fiber.StatusSeeOther)
}

func (s *Server) courseUploadForm(c *fiber.Ctx) error {
	return s.renderPage(c, fiber.StatusOK, "courses/admin_upload", &courseUploadPage{layout: layout{Title: "Upload a course"}})
}

// courseUploadPage is the data of courses/admin_upload.html: the form,
// and what was wrong with the last file.
type courseUploadPage struct {
	layout
	Error    string // a file that is not a usable zip
	Problems []courses.Problem
	FileName string
}

// maxCourseZip bounds what an upload may unpack to.
const maxCourseZip = 8 << 20

// zipFolder opens an uploaded zip as a course folder: course.yaml at the
// top, or inside the zip's single top-level folder. A file that is not a
// zip, or whose content is damaged, is a 400 (badZip); a sound zip that
// does not hold a course folder is a 422.
func zipFolder(data []byte) (fs.FS, int, string) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fiber.StatusBadRequest, badZip
	}
	var total uint64
	var yamls []string
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if path.Base(f.Name) == "course.yaml" {
			yamls = append(yamls, path.Dir(f.Name))
		}
	}
	if total > maxCourseZip {
		return nil, fiber.StatusUnprocessableEntity, fmt.Sprintf("The zip unpacks to more than %d MB; a course folder is much smaller.", maxCourseZip>>20)
	}
	// Read every file once before importing anything: a damaged one
	// (truncated, or failing its checksum) is found here, not halfway
	// through the import.
	for _, f := range zr.File {
		if err := readZipFile(f); err != nil {
			return nil, fiber.StatusBadRequest, fmt.Sprintf("%s %q cannot be read (%v).", badZip, f.Name, err)
		}
	}
	if len(yamls) != 1 {
		return nil, fiber.StatusUnprocessableEntity, "The zip must hold exactly one course folder with a course.yaml."
	}
	var folder fs.FS = zr
	if yamls[0] != "." {
		sub, err := fs.Sub(zr, yamls[0])
		if err != nil {
			return nil, fiber.StatusUnprocessableEntity, "The zip's folder names are not valid."
		}
		folder = sub
	}
	// A damaged directory can name files in ways no folder could (invalid
	// UTF-8, empty parts): listing the folder finds them.
	if err := fs.WalkDir(folder, ".", func(_ string, _ fs.DirEntry, err error) error { return err }); err != nil {
		return nil, fiber.StatusBadRequest, badZip + " Its list of files is damaged."
	}
	return folder, 0, ""
}

const badZip = "The file is damaged or is not a zip archive: nothing was imported. Zip the course folder (course.yaml and the module files) again, or export it again, and upload that."

// readZipFile reads f to its end, which checks its size and checksum.
func readZipFile(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, io.LimitReader(rc, maxCourseZip+1))
	return err
}

func (s *Server) courseUpload(c *fiber.Ctx) error {
	page := func(status int, data courseUploadPage) error {
		data.Title = "Upload a course"
		return s.renderPage(c, status, "courses/admin_upload", &data)
	}
	fh, err := c.FormFile("folder")
	if err != nil {
		return page(fiber.StatusUnprocessableEntity, courseUploadPage{Error: "Choose a zip file of the course folder to upload."})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCourseZip+1))
	if err != nil {
		return err
	}
	folder, status, problem := zipFolder(data)
	if problem != "" {
		return page(status, courseUploadPage{Error: problem})
	}
	res, err := s.courses.Import(c.UserContext(), folder, actorOf(c), s.now())
	var ve *courses.ValidationError
	if errors.As(err, &ve) {
		return page(fiber.StatusUnprocessableEntity, courseUploadPage{Problems: ve.Problems, FileName: fh.Filename})
	}
	if err != nil {
		return courseError(err)
	}
	sync, err := s.courses.Sync(c.UserContext(), s.now())
	if err != nil {
		return err
	}
	switch {
	case res.Created:
		s.flash(c, fmt.Sprintf("Course %s created and assigned to %d people.", res.Slug, sync.Opened))
	case res.Changed:
		s.flash(c, fmt.Sprintf("Course %s updated to revision %d; %d people must retrain.", res.Slug, res.Revision, res.Retrained))
	default:
		s.flash(c, fmt.Sprintf("Course %s is unchanged (revision %d): nothing was imported.", res.Slug, res.Revision))
	}
	return c.Redirect("/admin/courses/"+res.Slug, fiber.StatusSeeOther)
}

func (s *Server) courseExport(c *fiber.Ctx) error {
	slug := c.Params("slug")
	files, err := s.courses.Export(c.UserContext(), slug)
	if err != nil {
		return courseError(err)
	}
	if err := s.recordExport(c, "course.export", "course:"+slug, ""); err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(slug + "/" + f.Name)
		if err != nil {
			return err
		}
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+slug+`.zip"`)
	c.Set(fiber.HeaderContentType, "application/zip")
	return c.Send(buf.Bytes())
}

func (s *Server) coursePeoplePage(c *fiber.Ctx, status int, errMsg string) error {
	course, err := s.courses.Course(c.UserContext(), c.Params("slug"))
	if err != nil {
		return courseError(err)
	}
	rows, err := s.courses.Roster(c.UserContext(), course.ID, s.now())
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, r := range rows {
		counts[string(r.Status)]++
	}
	return s.renderPage(c, status, "courses/admin_people", &coursePeoplePage{layout: layout{Title: "People · " + course.Title}, Course: course,
		Rows: rows, Counts: counts, Error: errMsg})
}

// coursePeoplePage is the data of courses/admin_people.html: everyone
// assigned the course, with the exemption forms.
type coursePeoplePage struct {
	layout
	Course *courses.Course
	Rows   []courses.RosterRow
	Counts map[string]int // people by status
	Error  string         // why the last exemption was refused
}

func (s *Server) coursePeople(c *fiber.Ctx) error { return s.coursePeoplePage(c, fiber.StatusOK, "") }

func (s *Server) courseExempt(c *fiber.Ctx) error {
	slug := c.Params("slug")
	uid, err := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	if err != nil || uid <= 0 {
		return s.coursePeoplePage(c, fiber.StatusUnprocessableEntity, "Choose a person from the list.")
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	if reason == "" || !validator.MaxChars(reason, 500) {
		return s.coursePeoplePage(c, fiber.StatusUnprocessableEntity, "Give a reason for the exemption (at most 500 characters), such as \"service account\" or \"on long leave\".")
	}
	if c.FormValue("action") == "lift" {
		err = s.courses.Unexempt(c.UserContext(), uid, slug, reason, actorOf(c), s.now())
	} else {
		err = s.courses.Exempt(c.UserContext(), uid, slug, reason, actorOf(c), s.now())
	}
	if errors.Is(err, courses.ErrNotAssigned) {
		return s.coursePeoplePage(c, fiber.StatusUnprocessableEntity, "That person has no current cycle of this course.")
	}
	if err != nil {
		return courseError(err)
	}
	if c.FormValue("action") == "lift" {
		s.flash(c, "Exemption lifted.")
	} else {
		s.flash(c, "Exemption recorded.")
	}
	return c.Redirect("/admin/courses/"+slug+"/people", fiber.StatusSeeOther)
}
