package handlers

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/template/html/v2"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/i18n"
	"steward/internal/mail"
	"steward/internal/org"
	"steward/internal/people"
	"steward/internal/reports"
	"steward/internal/retention"
	"steward/internal/validator"
	"steward/policies"
	"steward/views"
)

// pageCase is one typed page: its template and a page struct to render it
// with, its own fields left zero or filled in.
type pageCase struct {
	template string
	label    string
	data     pageData
	want     []string // text the rendered page must contain
}

// exampleDay is a fixed date for the filled examples.
var exampleDay = time.Date(2026, 11, 2, 10, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// adminLayout is the layout of a signed-in admin, every branch of the
// navigation open; every typed page is behind sign-in.
func adminLayout(title string) layout {
	return layout{Title: title, User: &people.User{ID: 1, Name: "Ada Admin", Email: "ada@example.com", Role: people.RoleAdmin},
		CSRF: "tok", Flash: "Saved.", Path: "/home", IsAdmin: true, IsManager: true}
}

// staffLayout is the layout of a signed-in employee.
func staffLayout(title string) layout {
	return layout{Title: title, User: &people.User{ID: 2, Name: "Eve Employee", Role: people.RoleEmployee}, CSRF: "tok", Path: "/home"}
}

// testFuncs are the template functions New adds, with the branding of an
// organisation that has set its name and contact.
func testFuncs() template.FuncMap {
	b := &brand{Name: "Example Ltd", Contact: "privacy@example.com", Settings: &org.Settings{}}
	funcs := templateFuncs()
	funcs["brand"] = func() *brand { return b }
	funcs["facts"] = func(text string) template.HTML {
		return template.HTML(org.FillHTML(template.HTMLEscapeString(text), b.Settings))
	}
	cat, err := i18n.New()
	if err != nil {
		panic(err)
	}
	for k, f := range i18nFuncs(cat) {
		funcs[k] = f
	}
	return funcs
}

// testViews parses the templates as New does.
func testViews(t *testing.T) *html.Engine {
	t.Helper()
	engine := html.NewFileSystem(http.FS(views.FS), ".html")
	engine.AddFuncMap(testFuncs())
	if err := engine.Load(); err != nil {
		t.Fatal(err)
	}
	return engine
}

// TestTypedPagesRender renders every page that takes a typed struct, with
// its fields zero (but for the pointers its handler always sets, which
// point at zero values) and with filled examples: a template naming a
// field its struct lacks (a misspelling, a renamed key) fails here, not
// for a user.
func TestTypedPagesRender(t *testing.T) {
	engine := testViews(t)
	for _, pc := range typedPageCases() {
		t.Run(pc.template+"/"+pc.label, func(t *testing.T) {
			var buf bytes.Buffer
			if err := engine.Render(&buf, pc.template, pc.data, "layouts/base"); err != nil {
				t.Fatalf("render %s with %T: %v", pc.template, pc.data, err)
			}
			for _, w := range append(pc.want, "<title>"+pc.data.base().Title+" · Example Ltd</title>") {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("page does not show %q:\n%s", w, buf.String())
				}
			}
		})
	}
}

// typedPageCases are the cases of every typed page.
func typedPageCases() []pageCase {
	var cases []pageCase
	cases = append(cases, homePageCases()...)
	cases = append(cases, reportPageCases()...)
	cases = append(cases, peoplePageCases()...)
	cases = append(cases, coursePageCases()...)
	cases = append(cases, outboxAuditPageCases()...)
	cases = append(cases, accountPageCases()...)
	cases = append(cases, policyPageCases()...)
	cases = append(cases, governancePageCases()...)
	cases = append(cases, checkPageCases()...)
	return cases
}

// TestTypedPageTemplatesNameOnlyTheirFields reads each typed page's
// template, with the layout, against its struct: a field named in a branch
// no example reaches is checked too.
func TestTypedPageTemplatesNameOnlyTheirFields(t *testing.T) {
	engine := testViews(t)
	fc := newFieldChecker(engine.Templates, testFuncs())
	for _, pc := range typedPageCases() {
		fc.check("layouts/base", reflect.TypeOf(pc.data))
		fc.check(pc.template, reflect.TypeOf(pc.data))
	}
	for _, e := range fc.errs {
		t.Error(e)
	}
}

// TestPageThatCannotRenderIsAnError: the layout stops on the page's error
// rather than printing it into a page that looks served.
func TestPageThatCannotRenderIsAnError(t *testing.T) {
	engine := testViews(t)
	// The home page with data that has no MyCourses, Acks or LineSize.
	var buf bytes.Buffer
	err := engine.Render(&buf, "home/home", &struct{ layout }{staffLayout("Home")}, "layouts/base")
	if err == nil || !strings.Contains(err.Error(), "MyCourses") {
		t.Fatalf("render = %v, want an error naming the missing field", err)
	}
}

func homePageCases() []pageCase {
	assignment := courses.Assignment{Slug: "security", Title: "Security basics", ModulesPassed: 1, ModulesTotal: 3,
		Cycle: courses.Cycle{Dates: courses.Dates{DueAt: exampleDay}}, Status: courses.StatusInProgress,
		Place: courses.Place{Stopped: &courses.Step{Position: 1, Title: "Phishing", Passed: true}, Next: &courses.Step{Position: 2, Title: "Passwords"}, MinutesLeft: 14, Total: 20}}
	ack := policies.AckStatus{Policy: policies.Policy{Slug: "conduct", Title: "Code of conduct"},
		Current: policies.Version{Number: 2, EffectiveAt: exampleDay}, State: policies.AckPending, Due: exampleDay}
	read := policies.AckStatus{Policy: policies.Policy{Slug: "travel", Title: "Travel"}, Current: policies.Version{Number: 1, EffectiveAt: exampleDay}}
	return []pageCase{
		{"home/home", "zero", &homePage{layout: staffLayout("Home")}, []string{"Hello, Eve Employee", "No training is assigned"}},
		{"home/home", "filled", &homePage{layout: adminLayout("Home"), MyCourses: []courses.Assignment{assignment},
			Acks: []policies.AckStatus{ack}, Reads: []policies.AckStatus{read}, LineSize: 4, PeopleCount: 120},
			[]string{"Security basics", "1/3 modules, about 14 min left", "Stopped at module 1.", `href="/courses/security/modules/2">Continue: 2. Passwords</a>`,
				"Code of conduct", "Travel", "4 active people", "People</a> (120)"}},
	}
}

func reportPageCases() []pageCase {
	figures := []reports.CourseFigures{
		{Course: reports.Course{Slug: "security", Title: "Security basics"}, Assigned: 10, Completed: 6, DueSoon: 1, Overdue: 2, Lapsed: 1},
		{Course: reports.Course{Slug: "privacy", Title: "Privacy at work"}, Suppressed: true},
	}
	policy := []reports.PolicyFigures{{Slug: "conduct", Title: "Code of conduct", Version: 2, Required: 10, Acknowledged: 7, Pending: 2, Overdue: 1},
		{Slug: "travel", Title: "Travel", Suppressed: true}}
	trend := []reports.TrendPoint{{At: exampleDay.AddDate(0, -1, 0), Label: "Oct 2026", Items: 10, Good: 8}, {At: exampleDay, Label: "Nov 2026", Items: 10, Good: 9}}
	line := &reports.Line{At: exampleDay, People: 10, Courses: figures, Policies: policy, Total: 120, Trend: trend}
	q := url.Values{"status": {reports.NeedsAction}}
	rows := []itemRow{{UserID: 7, Fields: []string{"Bo Brown", "bo@example.com", "Sales", "Security basics", "Overdue", "2026-10-01", "32", ""}, Badge: "bad"}}
	team := &teamReportPage{layout: adminLayout("Team report"), Report: line,
		Courses: []reports.Course{{ID: 1, Slug: "security", Title: "Security basics"}}, Teams: []reports.Team{{ID: 3, Name: "Sales"}},
		Statuses: statusOptions(), TeamFilter: "3", CourseFilter: "security", StatusFilter: reports.NeedsAction,
		Rows: rows, Columns: itemColumns, Total: 120, Page: 2, Pages: 3, First: 51,
		CSVURL: listURL("/team/report.csv", q), Pager: pageLinks("/team/report", q, 2, true, "#people"),
		CountLinks: countLinks(figures, q), OverdueURL: "/team/report?status=needs_action#people",
		Bars: courseBars(figures), Trend: trendChart(trend, "Compliance"), StatusTitle: "Overdue or lapsed", Org: true}
	org := &orgReportPage{layout: adminLayout("Organisation report"),
		Org:  &reports.Org{Line: line, MinGroupSize: 5, Teams: []reports.TeamFigures{{Name: "Sales", People: 8, Assigned: 8, Completed: 6, AckRequired: 8, Acked: 7}, {Name: "Tiny", Suppressed: true}}},
		Bars: courseBars(figures), Trend: trendChart(trend, "Compliance of the organisation")}
	cycle := reports.CycleRow{Cycle: courses.Cycle{Seq: 2, AssignedAt: exampleDay, Dates: courses.Dates{DueAt: exampleDay, CompletedAt: ptr(exampleDay), ExpiresAt: ptr(exampleDay.AddDate(1, 0, 0))}, Score: ptr(90)},
		Slug: "security", Title: "Security basics", Status: courses.StatusCompleted}
	overdue := reports.CycleRow{Cycle: courses.Cycle{Seq: 1, AssignedAt: exampleDay, Dates: courses.Dates{DueAt: exampleDay}}, Slug: "privacy", Title: "Privacy at work", Status: courses.StatusOverdue}
	closed := reports.CycleRow{Cycle: courses.Cycle{Seq: 1, ClosedAt: ptr(exampleDay), ClosedReason: "course retired"}, Slug: "old", Title: "Old course"}
	exempt := reports.CycleRow{Cycle: courses.Cycle{Seq: 1, Dates: courses.Dates{Exempt: true}, ExemptReason: "on leave"}, Slug: "ethics", Title: "Ethics", Status: courses.StatusExempt}
	checkQuestions, checkFirst, checkAttempts := 2, 1, 3
	person := &personPage{layout: adminLayout("Bo Brown"),
		Person: people.User{ID: 7, Name: "Bo Brown", Email: "bo@example.com", Role: people.RoleEmployee, TeamName: ptr("Sales"), ManagerName: ptr("Mo Manager"), HiredOn: ptr(exampleDay), Active: true},
		History: &reports.History{Cycles: []reports.CycleRow{cycle, overdue, closed, exempt},
			Attempts: []reports.AttemptRow{{Course: "Security basics", Module: "Phishing", Position: 1, StartedAt: exampleDay, SubmittedAt: ptr(exampleDay), Score: ptr(80), Passed: true}, {Course: "Security basics", Module: "Passwords", Position: 2, StartedAt: exampleDay}},
			Acks: []reports.AckRow{{Slug: "conduct", Title: "Code of conduct", Number: 2, AcknowledgedAt: exampleDay,
				CheckQuestions: &checkQuestions, CheckFirstScore: &checkFirst, CheckAttempts: &checkAttempts}},
			Standings: []reports.PolicyStanding{{Slug: "travel", Title: "Travel", Version: 1, Status: "pending", Due: exampleDay}},
			Overdue:   map[string]bool{"privacy": true}},
		Reminded: map[string]string{"security": "09:15 UTC"}}
	return []pageCase{
		{"reports/team", "zero", &teamReportPage{layout: staffLayout("Team report"), Report: &reports.Line{}}, []string{"No courses yet.", "Nobody matches these filters."}},
		{"reports/team", "filled", team, []string{"Security basics", "Code of conduct", "Bo Brown", "showing 51 to 51", "Page 2 of 3", "Everyone in the organisation"}},
		{"reports/org", "zero", &orgReportPage{layout: staffLayout("Organisation report"), Org: &reports.Org{Line: &reports.Line{}}}, []string{"No courses yet.", "No teams yet."}},
		{"reports/org", "filled", org, []string{"Security basics", "Hidden: fewer than 5 people", "Sales", "Code of conduct"}},
		{"reports/evidence", "zero", &evidencePage{layout: staffLayout("Evidence export")}, nil},
		{"reports/evidence", "filled", &evidencePage{layout: adminLayout("Evidence export"), AsOf: "2026-11-01", Format: reports.FormatJSON, Max: "2026-11-02", Error: "Choose CSV or JSON."}, []string{"Choose CSV or JSON.", "2026-11-01"}},
		{"people/person", "zero", &personPage{layout: staffLayout("Bo Brown"), History: &reports.History{}}, []string{"No quiz attempts.", "No policy acknowledgements."}},
		{"people/person", "filled", person, []string{"Bo Brown", "Sales", "Reminder sent today at 09:15 UTC", "Send a reminder now about Privacy at work", "course retired", "on leave", "Phishing", "Code of conduct", "Travel, version 1",
			"Passed: 1/2 at first try, passed at attempt 3"}},
	}
}

func peoplePageCases() []pageCase {
	bo := people.User{ID: 7, Name: "Bo Brown", Email: "bo@example.com", Role: people.RoleManager, TeamName: ptr("Sales"), ManagerName: ptr("Mo Manager"), Active: true, CreatedAt: exampleDay}
	left := people.User{ID: 8, Name: "Lee Left", Email: "lee@example.com", Role: people.RoleEmployee, PasswordHash: "x", DeactivatedAt: ptr(exampleDay)}
	teams := []people.Team{{ID: 3, Name: "Sales", Members: 8}}
	directory := people.User{ID: 9, Name: "Dee Directory", Email: "dee@example.com", Role: people.RoleEmployee, Active: true,
		ManagedBy: "scim", Department: "Finance", EmployeeNumber: "E-17", ExternalID: ptr("ext-9"), UserName: ptr("dee")}
	invalid := personForm{Name: "Bo Brown", Email: "bo@", Role: "manager", TeamID: "3", ManagerEmail: "mo@example.com", HiredOn: "2026-01-31"}
	invalid.AddFieldError("email", "Enter an email address like name@example.com.")
	invalid.AddFieldError("role", "Choose one of the roles.")
	invalid.AddFieldError("team_id", "That team does not exist.")
	invalid.AddFormError("Please correct the form.")
	var refused validator.Validator
	refused.AddFieldError("name", "There is already a team with this name.")
	return []pageCase{
		{"people/list", "zero", &peopleListPage{layout: staffLayout("People")}, []string{"Nobody matches this filter."}},
		{"people/list", "filled", &peopleListPage{layout: adminLayout("People"), People: []people.User{bo, left}, Total: 120, Teams: teams, Roles: people.Roles,
			Filter: people.Filter{Query: "b", Role: people.RoleManager, Status: "all"}, TeamFilter: "3", Pager: pager{Prev: "/admin/people?page=1", Next: "/admin/people?page=3"}},
			[]string{"120 people", "Bo Brown", "Mo Manager", "Deactivated", "Next page"}},
		{"people/form", "zero", &personFormPage{layout: staffLayout("Add a person")}, []string{"Add person"}},
		{"people/form", "filled", &personFormPage{layout: adminLayout("Bo Brown"), Form: invalid, Teams: teams, Roles: people.Roles, Person: &bo, Sessions: 2},
			[]string{"Enter an email address like", "Choose one of the roles.", "That team does not exist.", "in 2 browsers", "Send invitation", "Deactivate Bo Brown"}},
		{"people/form", "directory", &personFormPage{layout: adminLayout("Dee Directory"), Form: personFormOf(directory), Roles: people.Roles, Person: &directory},
			[]string{"Managed by your company directory.", "(department: Finance)", "(employee number E-17)"}},
		{"people/form", "deactivated", &personFormPage{layout: adminLayout("Lee Left"), Form: personFormOf(left), Roles: people.Roles, Person: &left},
			[]string{"Deactivated on 2 Nov 2026", "signed in nowhere", "Reactivate Lee Left"}},
		{"people/teams", "zero", &teamsListPage{layout: staffLayout("Teams")}, []string{"No teams yet."}},
		{"people/teams", "filled", &teamsListPage{layout: adminLayout("Teams"), Teams: teams, Name: "Sales", Form: refused},
			[]string{"There is already a team with this name.", "New name for Sales"}},
		{"people/import", "zero", &importPage{layout: staffLayout("Import a roster")}, nil},
		{"people/import", "filled", &importPage{layout: adminLayout("Import a roster"), Columns: people.RosterColumns, Error: "Choose a CSV file to import.",
			Problems: []people.RowError{{Line: 3, Message: "Enter an email address."}, {Message: "The file is empty."}}, FileName: "roster.csv"},
			[]string{"email,name,team", "2 problems in roster.csv", "Line 3: Enter an email address.", "Choose a CSV file to import."}},
		{"people/import", "directory", &importPage{layout: adminLayout("Import a roster"), Columns: people.RosterColumns, SCIM: true}, []string{"the roster import is off"}},
	}
}

// exampleCourse is a course of two modules, the first with a question of
// each kind.
func exampleCourse() *courses.Course {
	qs := []courses.Question{
		{ID: 11, Kind: courses.Single, Text: "Which link is safe?", Explanation: "Check the domain.", Objective: "links",
			Options: []courses.Option{{ID: 111, Text: "The one you typed", Correct: true}, {ID: 112, Text: "The one in the email"}}},
		{ID: 12, Kind: courses.Multiple, Text: "Which are secrets?", Options: []courses.Option{{ID: 121, Text: "Passwords", Correct: true}, {ID: 122, Text: "Keys", Correct: true}}},
		{ID: 13, Kind: courses.TrueFalse, Text: "Sharing a password is fine.", Options: []courses.Option{{ID: 131, Text: courses.TrueLabel}, {ID: 132, Text: courses.FalseLabel, Correct: true}}},
	}
	return &courses.Course{ID: 1, Revision: 3, UpdatedAt: exampleDay,
		Settings: courses.Settings{Slug: "security", Title: "Security basics", Summary: "Keep the firm safe.", PassMark: 80, MaxAttempts: 3,
			Audience: courses.Audience{Kind: courses.AudienceTeams, Values: []string{"Sales"}}},
		Modules: []courses.Module{{ID: 21, Position: 1, Title: "Phishing", Body: "Look twice.", Questions: qs}, {ID: 22, Position: 2, Title: "Passwords"}}}
}

func coursePageCases() []pageCase {
	course := exampleCourse()
	zeroCourse := &courses.Course{}
	form := settingsFormOf(course.Settings)
	form.Teams, form.Roles = []string{"Sales"}, []string{"manager"}
	form.Shuffle, form.RequiresRetraining = true, true
	form.AddFieldError("summary", "Use at most 1,000 characters.")
	form.AddFieldError("audience", "Choose at least one team.")
	form.AddFormError("The settings were not saved.")
	editor := moduleEditor{Position: "1", Title: "Phishing", Body: "Look twice.", Questions: course.Modules[0].Questions}
	editor.AddFieldError("body", "The lesson is nested too deeply.")
	cycle := &courses.Cycle{Seq: 2, AssignedAt: exampleDay, Dates: courses.Dates{DueAt: exampleDay, CompletedAt: ptr(exampleDay), ExpiresAt: ptr(exampleDay.AddDate(1, 0, 0))}, Score: ptr(90)}
	recert := &courses.Cycle{Seq: 3, AssignedAt: exampleDay, Dates: courses.Dates{DueAt: exampleDay, LapsesAt: ptr(exampleDay.AddDate(0, 1, 0))}}
	mods := []courses.ModuleProgress{{Module: &course.Modules[0], Passed: true, BestScore: ptr(90), AttemptsUsed: 1, AttemptsLeft: 2},
		{Module: &course.Modules[1], AttemptsUsed: 3, AttemptsLeft: 0}}
	done := &courses.Progress{Course: course, Cycle: cycle, Status: courses.StatusCompleted, Modules: mods, Passed: 1}
	renewing := &courses.Progress{Course: course, Cycle: recert, Status: courses.StatusDueSoon, Modules: mods}
	empty := &courses.Progress{Course: zeroCourse, Cycle: &courses.Cycle{}}
	stopped, next := courses.Step{Position: 1, Title: "Phishing", Minutes: 70, Passed: true}, courses.Step{Position: 2, Title: "Passwords", Minutes: 6}
	inProgress := &courses.Progress{Course: course, Cycle: recert, Status: courses.StatusDueSoon, Modules: mods, Passed: 1,
		Place: courses.Place{Stopped: &stopped, Next: &next, MinutesLeft: 6, Total: 76}}
	quiz := &courses.Quiz{Course: course, Module: course.Modules[0], Attempt: courses.Attempt{Token: "quiz-token"}, AttemptsUsed: 1, AttemptsLeft: 2}
	attempt := &courses.Attempt{ID: 5, ModuleID: 22, Score: ptr(50), Passed: ptr(false), CourseTitle: "Security 101"}
	results := []courses.QuestionResult{{Text: "Which link is safe?", ChosenText: []string{"The one in the email"}, CorrectText: []string{"The one you typed"}, Explanation: "Check the domain."},
		{Text: "Which are secrets?", ChosenText: []string{"Passwords", "Keys"}, Correct: true}}
	cert := &courses.Certificate{Code: "ABCD-EFGH-JKLM-NPQR", Name: "Eve Employee", CourseSlug: "security", CourseTitle: "Security basics", Revision: 3, CompletedAt: exampleDay, ValidUntil: ptr(exampleDay.AddDate(1, 0, 0)), Score: 90}
	return []pageCase{
		{"courses/admin_course", "zero", &courseSettingsPage{layout: staffLayout("Course"), Course: zeroCourse}, []string{"Save settings"}},
		{"courses/admin_course", "filled", &courseSettingsPage{layout: adminLayout("Course: Security basics"), Course: course, Form: form,
			Teams: []people.Team{{ID: 3, Name: "Sales"}}, Roles: courses.Roles},
			[]string{"Revision 3", "Phishing", "(3 questions; about 2 min)", "Use at most 1,000 characters.", "Choose at least one team.", "The settings were not saved.", `value="Sales" checked`, `value="manager" checked`}},
		{"courses/admin_module", "zero", &moduleEditorPage{layout: staffLayout("Edit module"), Course: zeroCourse}, []string{"Add a module"}},
		{"courses/admin_module", "filled", &moduleEditorPage{layout: adminLayout("Edit module · Security basics"), Course: course, Pos: 1, Form: editor,
			Preview: template.HTML("<p>Look twice.</p>"), Kinds: []courses.QuestionKind{courses.Single, courses.Multiple, courses.TrueFalse}},
			[]string{"Edit module 1", "<p>Look twice.</p>", "The lesson is nested too deeply.", "Which link is safe?", "Sharing a password is fine.", "Delete module 1"}},
		{"courses/admin_upload", "zero", &courseUploadPage{layout: staffLayout("Upload a course")}, nil},
		{"courses/admin_upload", "filled", &courseUploadPage{layout: adminLayout("Upload a course"), Error: "The file is damaged.",
			Problems: []courses.Problem{{File: "course.yaml", Line: 4, Message: "Unknown key."}, {Message: "No modules."}}, FileName: "security.zip"},
			[]string{"2 problems in security.zip", "course.yaml:4", "Unknown key.", "The file is damaged."}},
		{"courses/admin_people", "zero", &coursePeoplePage{layout: staffLayout("People"), Course: zeroCourse}, []string{"0 people"}},
		{"courses/admin_people", "filled", &coursePeoplePage{layout: adminLayout("People · Security basics"), Course: course,
			Rows: []courses.RosterRow{{UserID: 7, Name: "Bo Brown", Email: "bo@example.com", Cycle: *cycle, Status: courses.StatusCompleted},
				{UserID: 8, Name: "Lee Leave", Cycle: courses.Cycle{Seq: 1, Dates: courses.Dates{Exempt: true, ExemptAt: ptr(exampleDay)}, ExemptReason: "on leave"}, Status: courses.StatusExempt}},
			Counts: map[string]int{"completed": 1, "exempt": 1}, Error: "Give a reason."},
			[]string{"2 people", "1 completed", "Bo Brown", "on leave", "Lift exemption", "Give a reason."}},
		{"courses/course", "zero", &coursePage{layout: staffLayout("Course"), P: empty}, []string{"0 of 0 modules passed"}},
		{"courses/course", "filled", &coursePage{layout: staffLayout("Security basics"), P: done}, []string{"Security basics", "Keep the firm safe.", "with 90%", "View your certificate", "Not passed yet"}},
		{"courses/course", "recertifying", &coursePage{layout: staffLayout("Security basics"), P: renewing}, []string{"Recertify by"}},
		{"courses/course", "in progress", &coursePage{layout: staffLayout("Security basics"), P: inProgress},
			[]string{"Where you stopped", "You stopped at module 1, Phishing, which you passed.", "Next: module 2, Passwords (about 6 min).",
				`href="/courses/security/modules/2">Continue: 2. Passwords</a>`, "about 6 min left of about 1 h 16 min"}},
		{"courses/module", "zero", &modulePage{layout: staffLayout("Module"), P: empty, M: &courses.ModuleProgress{Module: &courses.Module{}}}, nil},
		{"courses/module", "filled", &modulePage{layout: staffLayout("Phishing"), P: done, M: &mods[0], Body: template.HTML("<p>Look twice.</p>"),
			Next: &course.Modules[1], Quiz: quiz, ChooseAll: map[int64]bool{12: true}, Error: "Answer every question.", Chosen: map[int64]bool{111: true}},
			[]string{"<p>Look twice.</p>", "You have passed this module with 90%", "attempt 2 of 3", "Answer every question.", "Choose all that apply.", "quiz-token", "checked", "Next module: Passwords"}},
		{"courses/module", "no attempts", &modulePage{layout: staffLayout("Passwords"), P: done, M: &mods[1], NoAttempts: true}, []string{"You have used all 3 attempts"}},
		{"courses/result", "zero", &resultPage{layout: staffLayout("Result"), A: &courses.Attempt{}, Course: zeroCourse, M: &courses.Module{}}, []string{"not passed"}},
		{"courses/result", "filled", &resultPage{layout: staffLayout("Result: Passwords"), A: attempt, Course: course, M: &course.Modules[1], Results: results,
			Score: 50, P: done, MP: &mods[1], Revealed: true, Retry: true, Next: &next},
			[]string{"Passwords: not passed", "Security 101", "You scored <strong>50%</strong>", "no attempts left", "View your certificate", ">Try again</a>", `class="button" href="/courses/security/modules/2">Next module: 2. Passwords</a>`, "The right answer: “The one you typed”", "Check the domain."}},
		{"courses/certificate", "zero", &certificatePage{layout: staffLayout("Certificate"), Cert: &courses.Certificate{}}, []string{"No expiry"}},
		{"courses/certificate", "filled", &certificatePage{layout: staffLayout("Certificate: Security basics"), Cert: cert, VerifyURL: "https://steward.example.com/verify/ABCD-EFGH-JKLM-NPQR",
			Last: attempt, LastModule: &course.Modules[1]},
			[]string{"Eve Employee", "Security basics", "ABCD-EFGH-JKLM-NPQR", "2 Nov 2027", "Your last quiz, Passwords: 50%", `href="/courses/security/attempts/5"`}},
		{"courses/verify", "zero", &verifyPage{layout: layout{Title: "Verify a certificate"}}, []string{"Certificate code"}},
		{"courses/verify", "refused", &verifyPage{layout: layout{Title: "Verify a certificate"}, Code: "nope", Error: "No certificate has this code."}, []string{"No certificate has this code.", `value="nope"`}},
		{"courses/verify", "found", &verifyPage{layout: layout{Title: "Certificate verified"}, Code: cert.Code, Now: exampleDay.AddDate(2, 0, 0),
			V: &courses.Verification{Name: "Eve Employee", CourseTitle: "Security basics", Revision: 3, CompletedAt: exampleDay, ValidUntil: cert.ValidUntil}},
			[]string{"genuine certificate issued by Example Ltd", "Eve Employee", "(expired)", cert.Code}},
	}
}

func outboxAuditPageCases() []pageCase {
	dead := mail.Outgoing{ID: 9, DedupeKey: "reminder:7", Recipient: "bo@example.com", Kind: "reminder", Subject: "Security basics is overdue",
		Text: "Please complete it.", Status: mail.StatusDead, Attempts: 8, LastError: "550 mailbox unavailable", CreatedAt: exampleDay}
	invite := mail.Outgoing{ID: 10, Recipient: "new@example.com", Kind: "invitation", Subject: "Your invitation", Text: "secret link",
		Status: mail.StatusQueued, NextAttemptAt: exampleDay, CreatedAt: exampleDay, Secret: true}
	bad := auditForm{Who: "nobody@example.com", From: "2026-11-30", To: "2026-11-01"}
	bad.AddFieldError("who", "Nobody in Steward has this email.")
	bad.AddFieldError("to", "The end date must not be before the start date.")
	entries := []audit.Entry{{ID: 41, At: exampleDay, ActorID: ptr(int64(1)), Actor: "user:1", Action: "policy.publish", Target: "policy:conduct/v2", Detail: "material"},
		{ID: 40, At: exampleDay, Actor: "system", Action: "reminder.send", Target: "user:7"}}
	return []pageCase{
		{"outbox/list", "zero", &outboxListPage{layout: staffLayout("Outbox")}, []string{"No SMTP server is configured"}},
		{"outbox/list", "filled", &outboxListPage{layout: adminLayout("Outbox"), Messages: []mail.Outgoing{dead, invite}, Counts: map[string]int{mail.StatusDead: 1, mail.StatusQueued: 1},
			Statuses: outboxStatuses, Kinds: []string{"invitation", "reminder"}, Status: mail.StatusDead, Kind: "reminder", Pager: pager{Next: "/admin/outbox?page=2"}, SMTP: true},
			[]string{"Dead: 1", "bo@example.com", "Security basics is overdue", `value="reminder" selected`}},
		{"outbox/show", "zero", &outboxMessagePage{layout: staffLayout("Outbox")}, nil},
		{"outbox/show", "dead", &outboxMessagePage{layout: adminLayout("Outbox: Security basics is overdue"), Message: dead, Headers: map[string]string{"List-Unsubscribe": "<https://example.com/u>"},
			Sent: "2 Nov 2026 10:30 UTC", MessageID: "<reminder.7@example.com>"},
			[]string{"550 mailbox unavailable", "List-Unsubscribe", "reminder.7@example.com", "Retry this message", "Please complete it."}},
		{"outbox/show", "secret", &outboxMessagePage{layout: adminLayout("Outbox: Your invitation"), Message: invite}, []string{"Next attempt", "its text is not shown"}},
		{"audit/list", "zero", &auditLogPage{layout: staffLayout("Audit log")}, []string{"0 entries", "No entry matches this filter."}},
		{"audit/list", "filled", &auditLogPage{layout: adminLayout("Audit log"), Form: auditForm{Action: "policy.publish"}, Actions: []string{"policy.publish", "reminder.send"},
			Families: []string{"policy."}, Entries: entries, Names: map[string]string{"user:1": "Ada Admin"}, Total: 2, CSVURL: "/admin/audit.csv?action=policy.publish", Pager: pager{Prev: "/admin/audit"}},
			[]string{"Download CSV", "2 entries", "Ada Admin <span class=\"muted\">(user:1)</span>", "policy:conduct/v2", `value="policy.publish" selected`, "Previous page"}},
		{"audit/list", "refused", &auditLogPage{layout: adminLayout("Audit log"), Form: bad}, []string{"The filter has a problem", "Nobody in Steward has this email.", "The end date must not be before"}},
	}
}

func accountPageCases() []pageCase {
	// One record of every kind, so that every row of the page renders.
	inv := &retention.Inventory{GeneratedAt: exampleDay,
		Profile: retention.Profile{Name: "Eve Employee", Email: "eve@example.com", Role: "employee", Team: ptr("Sales"), HiredOn: ptr(exampleDay), Active: true, PasswordSet: true,
			Department: "Finance", EmployeeNumber: "E-17", DirectoryName: ptr("eve"), DirectoryID: ptr("ext-2")},
		Cycles: []retention.CycleRecord{{Course: "Security basics", Seq: 1, Score: ptr(90), Exempt: true, ExemptBy: ptr("Ada Admin"), ExemptReason: "on leave"}},
		Attempts: []retention.AttemptRecord{{ID: 5, Course: "Security basics", CourseSlug: "security", Module: "Phishing", SubmittedAt: ptr(exampleDay), Score: ptr(80), Passed: ptr(true)},
			{ID: 6, Module: "Passwords"}},
		Certificates:     []retention.CertRecord{{Code: "ABCD-EFGH-JKLM-NPQR", Course: "Security basics", CreatedAt: exampleDay}},
		Acknowledgements: []retention.AckRecord{{Policy: "Privacy notice", PolicySlug: "privacy", Audience: "public", Version: 2}, {Policy: "Code of conduct", PolicySlug: "conduct", Audience: "staff", Version: 1}},
		Emails:           []retention.EmailRecord{{Subject: "Welcome", Kind: "invitation", Status: "sent", SentAt: ptr(exampleDay), TextNote: "A one-time link; its text is not kept."}, {Subject: "Reminder", Text: "Please complete it."}},
		Reminders:        []retention.ReminderRecord{{Subject: "course", Stage: "overdue"}},
		Links:            []retention.LinkRecord{{Purpose: "invite"}},
		Sessions:         []retention.SessionRecord{{Device: "Firefox on Linux"}},
		Preferences:      []retention.PrefRecord{{TeamWeekly: true, UpdatedAt: exampleDay}},
		Compliance:       []retention.MonthRecord{{MonthEnd: exampleDay, Items: 2, Good: 2}},
		Audit:            []retention.AuditRecord{{ID: 3, At: exampleDay, Actor: "user:2", Action: "login.success", Target: "user:2"}},
	}
	sessions := []people.Session{{IDHash: "aaa", Device: "Firefox on Linux", Address: "192.0.2.x", CreatedAt: exampleDay, SeenAt: exampleDay}, {IDHash: "bbb"}}
	return []pageCase{
		{"mydata/page", "zero", &myDataPage{layout: staffLayout("My data"), Inv: &retention.Inventory{}}, []string{"No course has been assigned to you.", "This site has not emailed you.", "No entry."}},
		{"mydata/page", "filled", &myDataPage{layout: staffLayout("My data"), Inv: inv, RetentionDays: 365, MailDays: 90},
			[]string{"Eve Employee", "Finance", "E-17", "which knows you as eve (id ext-2)", "Exempt by Ada Admin: on leave", "See your answers", "ABCD-EFGH-JKLM-NPQR", "/policies/privacy/v/2", "/my/policies/conduct",
				"Please complete it.", "A one-time link", "1 reminder event", "summary of your team is on", "(1 month)", "1 kept", "1 invitation or password-reset link was", "login.success", "after 90 days", "for 365 days"}},
		{"account/sessions", "zero", &sessionsPage{layout: staffLayout("Where you are signed in")}, []string{"Sign out everywhere"}},
		{"account/sessions", "filled", &sessionsPage{layout: staffLayout("Where you are signed in"), Sessions: sessions, Current: "aaa"},
			[]string{"Firefox on Linux <strong>(this browser)</strong>", "192.0.2.x", "Unknown browser", "unknown"}},
	}
}

func policyPageCases() []pageCase {
	conduct := policies.Policy{ID: 4, Slug: "conduct", Title: "Code of conduct", Audience: policies.Staff, RequiresAck: true, AckWithinDays: 14, ReackMonths: 12}
	v1 := policies.Version{Number: 1, EffectiveAt: exampleDay.AddDate(-1, 0, 0), ChangeKind: policies.Material, Summary: "First version."}
	v2 := policies.Version{Number: 2, EffectiveAt: exampleDay, ChangeKind: policies.Minor, Summary: "Clearer gifts rule."}
	draft := &policies.Version{Draft: true, BodyMD: "# Conduct", UpdatedAt: exampleDay}
	privacy := policies.Policy{ID: 5, Slug: "privacy", Title: "Privacy policy", Audience: policies.Public}
	form := draftForm{Body: "# Conduct", Summary: "", Change: string(policies.Material)}
	form.AddFieldError("summary", "Say what changed.")
	publish := publishForm{When: "date", Date: "2026-13-01"}
	publish.AddFieldError("change", "Choose whether the change is material or minor: nothing is assumed.")
	publish.AddFieldError("date", "Enter a date like 2026-12-01.")
	publish.AddFormError("The draft was not published.")
	pending := policies.AckStatus{Policy: conduct, Current: v2, State: policies.AckPending, Due: exampleDay,
		Last: &policies.Acknowledgement{Number: 1, AcknowledgedAt: exampleDay.AddDate(-1, 0, 0)}}
	done := policies.AckStatus{Policy: conduct, Current: v2, State: policies.AckAcknowledged, Last: &policies.Acknowledgement{Number: 2, AcknowledgedAt: exampleDay}}
	view := versionView{Policy: conduct, Version: v2, Status: policies.StatusInEffect, Body: template.HTML("<p>Be kind.</p>"), Current: 2, Previous: 1}
	redline := policies.Redline{HTML: "<p>Be <ins>very</ins> kind.</p>", Inserted: 1, Sections: []policies.SectionChange{{Heading: "Gifts", Change: "changed"}}}
	var translateErrors validator.Validator
	translateErrors.AddFieldError("language", "Use a language tag.")
	return []pageCase{
		{"policies/admin_edit", "zero", &policyEditPage{layout: staffLayout("Policy")}, []string{"Nothing published yet.", "New draft", "Save a draft first"}},
		{"policies/admin_edit", "filled", &policyEditPage{layout: adminLayout("Code of conduct"), Policy: conduct,
			Rows: []versionRow{{v2, policies.StatusInEffect}, {v1, policies.StatusSuperseded}}, Draft: draft, Form: form, Publish: publish, Preview: template.HTML("<h1>Conduct</h1>")},
			[]string{"staff acknowledge within 14 days, again every 12 months", "In effect", "Superseded", "Clearer gifts rule.", "Say what changed.",
				"Discard draft", "<h1>Conduct</h1>", "Enter a date like 2026-12-01.", "Choose whether the change is material or minor"}},
		{"policies/admin_publish", "zero", &publishConfirmPage{layout: adminLayout("Publish")}, []string{"Check what publishing does", "Your choices"}},
		{"policies/admin_publish", "staff plan", &publishConfirmPage{layout: adminLayout("Publish Code of conduct"), Policy: conduct, Draft: *draft,
			Form: publishForm{Change: "material", When: "date", Date: "2026-12-01"},
			Plan: &policies.PublishPlan{Policy: conduct, Number: 3, Kind: policies.Material, Now: exampleDay, Effective: exampleDay.AddDate(0, 0, 29),
				StaffToAck: 12, AckDue: exampleDay.AddDate(0, 0, 43), AckDueLast: exampleDay.AddDate(0, 0, 50)}},
			[]string{"<strong>12</strong> people must acknowledge version 3", "by <strong>15 Dec 2026 10:30 UTC</strong>", "people who join later",
				"is scheduled: it takes effect on <strong>1 Dec 2026 10:30 UTC</strong>", "No subscriber email: this is a staff policy.",
				"Publish version 3", `name="date" value="2026-12-01"`, "Change your choices"}},
		{"policies/admin_publish", "public plan with short notice", &publishConfirmPage{layout: adminLayout("Publish Privacy policy"),
			Policy: privacy, Draft: *draft, NoticeDays: 30, Earliest: exampleDay.AddDate(0, 0, 30), Form: publishForm{Change: "material", When: "now", Reason: "A court <b>order</b>."},
			Plan: &policies.PublishPlan{Policy: privacy, Number: 4, Kind: policies.Material, Now: exampleDay, Effective: exampleDay, NoticeOwed: true, NoticeDays: 30,
				Earliest: exampleDay.AddDate(0, 0, 30), ShortNoticeReason: "A court <b>order</b>.", Subscribers: 3,
				FeedEntries: []policies.FeedEntry{{ID: "tag:steward,2026-01-01:policy/privacy/v/4", Title: "Privacy policy: version 4", Published: exampleDay,
					Feeds: []string{"/policies/feed.atom", "/policies/privacy/feed.atom"}}}}},
			[]string{"takes effect <strong>now</strong>", "before the 30-day notice period ends (2 Dec 2026)", "“A court &lt;b&gt;order&lt;/b&gt;.”",
				"<strong>3</strong> subscribers get one email each", "<code>tag:steward,2026-01-01:policy/privacy/v/4</code>", "<code>/policies/privacy/feed.atom</code>",
				`value="A court &lt;b&gt;order&lt;/b&gt;."`}},
		{"policies/admin_edit", "translated", &policyEditPage{layout: adminLayout("Code of conduct"), Policy: conduct,
			Rows: []versionRow{{v2, policies.StatusInEffect}}, Translations: []lagRow{
				{Lag: policies.Lag{Policy: conduct, Language: "de", Translated: 1, Current: 2}, Name: "German"},
				{Lag: policies.Lag{Policy: conduct, Language: "fr", Translated: 2, Current: 2}, Name: "French"}}},
			[]string{"German (de): version 1", "Lagging", "Translate version 2", "French (fr): version 2", "Up to date"}},
		{"policies/admin_translations", "zero", &translationsPage{layout: adminLayout("Translations")}, []string{"No policy is translated yet."}},
		{"policies/admin_translations", "filled", &translationsPage{layout: adminLayout("Translations"), Lags: []lagRow{
			{Lag: policies.Lag{Policy: conduct, Language: "de", Translated: 1, Current: 2}, Name: "German"},
			{Lag: policies.Lag{Policy: conduct, Language: "fr", Current: 2}, Name: "French"}}},
			[]string{"German (de)", "Lagging", "Not yet", "Translate version 2"}},
		{"policies/admin_translate", "zero", &translatePage{layout: adminLayout("Translate")}, []string{"Save and publish the translation"}},
		{"policies/admin_translate", "invalid", &translatePage{layout: adminLayout("Translate"), Policy: conduct, Versions: []policies.Version{v2, v1},
			Form: translateForm{Version: 2, Language: "xx!", Title: "Verhaltenskodex", Body: "Sei nett.", Validator: translateErrors}},
			[]string{"Version 2 (", "Verhaltenskodex", "Sei nett.", "Use a language tag."}},
		{"policies/ack_show", "zero", &myPolicyPage{layout: staffLayout("Policy")}, []string{"This policy is for reading"}},
		{"policies/ack_show", "to acknowledge", &myPolicyPage{layout: staffLayout("Code of conduct"), S: pending, V: view, Redline: template.HTML(redline.HTML), R: redline, Since: v1},
			[]string{"What changed since you last acknowledged (version 1)", "Gifts", "<ins>very</ins>", "<p>Be kind.</p>", "I have read and will follow version 2"}},
		{"policies/ack_show", "acknowledged", &myPolicyPage{layout: staffLayout("Code of conduct"), S: done, V: view}, []string{"You acknowledged this version on"}},
	}
}

func checkPageCases() []pageCase {
	conduct := policies.Policy{ID: 4, Slug: "conduct", Title: "Code of conduct", Audience: policies.Staff, RequiresAck: true, AckWithinDays: 14}
	v1 := policies.Version{Number: 1, EffectiveAt: exampleDay.AddDate(-1, 0, 0), ChangeKind: policies.Material}
	v2 := policies.Version{ID: 9, Number: 2, EffectiveAt: exampleDay, ChangeKind: policies.Material, Summary: "Gifts need approval."}
	qs := []policies.Question{{ID: 31, Position: 1, Section: "gifts", Prompt: "Who approves a gift?", Choices: []string{"Nobody", "Your manager"}, Correct: 1, Explanation: "Gifts now need your manager's approval."}}
	three, one, two := 3, 1, 2
	pending := policies.AckStatus{Policy: conduct, Current: v2, State: policies.AckPending, Due: exampleDay,
		Last: &policies.Acknowledgement{Number: 1, AcknowledgedAt: exampleDay.AddDate(-1, 0, 0)}}
	done := policies.AckStatus{Policy: conduct, Current: v2, State: policies.AckAcknowledged,
		Last: &policies.Acknowledgement{Number: 2, AcknowledgedAt: exampleDay, CheckQuestions: &three, CheckFirstScore: &one, CheckAttempts: &two}}
	view := versionView{Policy: conduct, Version: v2, Status: policies.StatusInEffect, Body: template.HTML("<p>Be kind.</p>"), Current: 2, Previous: 1}
	failed := &policies.Attempt{ID: 5, Number: 1, Answers: []int{0}, Score: 0}
	asking := &checkView{C: policies.Check{Version: v2, Questions: qs, Attempts: 1}, Redline: template.HTML(`<h3 id="redline.gifts">Gifts</h3><p><ins>Ask first.</ins></p>`), Attempt: failed}
	refused := &checkView{C: policies.Check{Version: v2, Questions: qs}, Chosen: map[int64]int{}}
	refused.AddFieldError("q1", "Choose an answer.")
	passed := &checkView{C: policies.Check{Version: v2, Questions: qs, Attempts: 2, Passed: true}, Attempt: &policies.Attempt{ID: 6, Number: 2, Answers: []int{1}, Score: 1, Passed: true}}
	form := checkFormOf(qs)
	form.AddFieldError("q1_section", "\"travel\" is not a section of the draft.")
	form.AddFormError("A check asks at most 5 questions.")
	draft := &policies.Version{Draft: true, ChangeKind: policies.Material}
	results := policies.CheckResults{Version: v2, People: 4, Passed: 4, FirstTry: 1,
		Questions: []policies.QuestionResult{{Question: qs[0], Heading: "Gifts", RightAtFirst: 1, People: 4, WrongChoice: "Nobody", WrongCount: 3}},
		Sections:  []policies.SectionResult{{ID: "gifts", Heading: "Gifts", Questions: 1, RightAtFirst: 1, People: 4}}}
	return []pageCase{
		{"policies/ack_show", "check failed once", &myPolicyPage{layout: staffLayout("Code of conduct"), S: pending, V: view, Since: v1, Redline: "x", Check: asking},
			[]string{"Before you acknowledge: 1 question on this change", "The sections that changed since version 1", "<ins>Ask first.</ins>", "Attempt 1: 0 of 1 right.",
				"Gifts now need your manager&#39;s approval.", "Try again", "Answer the questions above to acknowledge version 2", "The whole policy, version 2"}},
		{"policies/ack_show", "check refused", &myPolicyPage{layout: staffLayout("Code of conduct"), S: pending, V: view, Check: refused},
			[]string{"Choose an answer.", "Send my answers"}},
		{"policies/ack_show", "check passed", &myPolicyPage{layout: staffLayout("Code of conduct"), S: done, V: view, Check: passed},
			[]string{"Questions on this change: passed", "Your acknowledgement is recorded.", "after its questions: 1/3 at first try, passed at attempt 2"}},
		{"policies/check_edit", "zero", &checkEditPage{layout: adminLayout("Questions")}, []string{"There is no draft.", "No published version has asked questions yet."}},
		{"policies/check_edit", "minor draft", &checkEditPage{layout: adminLayout("Questions"), Policy: conduct, Draft: draft, Fits: "The draft is a minor change: questions go with a material change."},
			[]string{"questions go with a material change"}},
		{"policies/check_edit", "filled", &checkEditPage{layout: adminLayout("Questions"), Policy: conduct, Draft: draft,
			Sections: []policies.SectionRef{{ID: "gifts", Heading: "Gifts"}}, Form: form, Results: []policies.CheckResults{results}},
			[]string{"Question 5", `value="gifts" selected`, "Who approves a gift?", "is not a section of the draft", "A check asks at most 5 questions.",
				"4 people answered; 4 passed, 1 at the first try.", "25% (1 of 4)", "Nobody (3×)"}},
	}
}
