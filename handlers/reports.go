package handlers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/csvout"
	"steward/internal/people"
	"steward/internal/reminders"
	"steward/internal/reports"
)

// reportPageSize is how many rows of people a report page lists.
const reportPageSize = 100

// maxReportPage bounds the page number before it becomes an offset: a
// million pages of a hundred is more people than any organisation has.
const maxReportPage = 1_000_000

func (s *Server) reports() *reports.Store {
	return reports.New(s.db, s.cfg.MinGroupSize, s.cfg.RetentionDays)
}

// reportScope is whose line a report covers: the signed-in manager's, or
// for an admin the whole organisation (0).
func reportScope(u *people.User) int64 {
	if u.Role == people.RoleAdmin {
		return 0
	}
	return u.ID
}

// reportFilter reads and checks the team, course and status filters. An
// unknown value is a 400 with a message that says which one.
func reportFilter(c *fiber.Ctx, all []reports.Course) (reports.Filter, error) {
	f := reports.Filter{Status: c.Query("status", reports.NeedsAction)}
	if !reports.ValidStatus(f.Status) {
		return f, fiber.NewError(fiber.StatusBadRequest, "Unknown status in the filter; choose one from the list.")
	}
	if t := c.Query("team"); t != "" {
		id, err := strconv.ParseInt(t, 10, 64)
		if err != nil || id <= 0 {
			return f, fiber.NewError(fiber.StatusBadRequest, "Unknown team in the filter; choose one from the list.")
		}
		f.TeamID = id
	}
	if slug := c.Query("course"); slug != "" {
		for _, k := range all {
			if k.Slug == slug {
				f.CourseID = k.ID
			}
		}
		if f.CourseID == 0 {
			return f, fiber.NewError(fiber.StatusBadRequest, "Unknown course in the filter; choose one from the list.")
		}
	}
	return f, nil
}

func reportError(err error) error {
	switch {
	case errors.Is(err, reports.ErrUnknownTeam):
		return fiber.NewError(fiber.StatusBadRequest, "Unknown team in the filter; choose one from the list.")
	case errors.Is(err, reports.ErrUnknownCourse):
		return fiber.NewError(fiber.StatusBadRequest, "Unknown course in the filter; choose one from the list.")
	case errors.Is(err, reports.ErrUnknownStatus):
		return fiber.NewError(fiber.StatusBadRequest, "Unknown status in the filter; choose one from the list.")
	}
	return err
}

// teamReportData builds the manager's report for the filters in the query:
// with page 0 listing every item, else that page of them.
func (s *Server) teamReportData(c *fiber.Ctx, page int) (*reports.Line, reports.Filter, []reports.Course, []reports.Team, error) {
	rs := s.reports()
	ctx := c.UserContext()
	all, err := rs.Courses(ctx)
	if err != nil {
		return nil, reports.Filter{}, nil, nil, err
	}
	f, err := reportFilter(c, all)
	if err != nil {
		return nil, f, nil, nil, err
	}
	teams, err := rs.Teams(ctx)
	if err != nil {
		return nil, f, nil, nil, err
	}
	var l *reports.Line
	if page == 0 {
		l, err = rs.Line(ctx, reportScope(currentUser(c)), f, s.now())
	} else {
		l, err = rs.LinePage(ctx, reportScope(currentUser(c)), f, s.now(), (page-1)*reportPageSize, reportPageSize)
	}
	if err != nil {
		return nil, f, nil, nil, reportError(err)
	}
	return l, f, all, teams, nil
}

// filterQuery is the report's parsed filter as a query, for links; the
// course is its slug, which reportFilter has checked.
func filterQuery(f reports.Filter, course string) url.Values {
	q := url.Values{"status": {f.Status}}
	if f.TeamID != 0 {
		q.Set("team", strconv.FormatInt(f.TeamID, 10))
	}
	if f.CourseID != 0 {
		q.Set("course", course)
	}
	return q
}

// teamReport is the manager's page: completion per course, acknowledgement
// per policy, the compliance trend, and the people matching the filters.
func (s *Server) teamReport(c *fiber.Ctx) error {
	page := c.QueryInt("page", 1)
	if page < 1 || page > maxReportPage {
		return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("There is no page %s of this list.", c.Query("page")))
	}
	l, f, all, teams, err := s.teamReportData(c, page)
	if err != nil {
		return err
	}
	pages := max(1, (l.Total+reportPageSize-1)/reportPageSize)
	if page > pages {
		return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("There is no page %s of this list; it has %d.", c.Query("page"), pages))
	}
	var rows []itemRow
	for _, it := range l.Items {
		rows = append(rows, itemRow{UserID: it.UserID, Fields: itemFields(it), Badge: badgeOf(it.Status)})
	}
	if err := s.withReminders(c, rows, l.Items); err != nil {
		return err
	}
	q := filterQuery(f, c.Query("course"))
	u := currentUser(c)
	title, chart := "Team report", "Compliance of your reporting line"
	if reportScope(u) == 0 {
		title, chart = "Team report: everyone", "Compliance of the organisation"
	}
	return s.renderPage(c, fiber.StatusOK, "reports/team", &teamReportPage{
		layout: layout{Title: title}, Report: l, Courses: all, Teams: teams, Statuses: statusOptions(),
		TeamFilter: c.Query("team"), CourseFilter: c.Query("course"), StatusFilter: f.Status,
		Rows: rows, Columns: itemColumns, Total: l.Total, Page: page, Pages: pages, First: (page-1)*reportPageSize + 1,
		CSVURL: listURL("/team/report.csv", q), RemindURL: listURL("/team/report/remind", q), Pager: pageLinks("/team/report", q, page, page < pages, "#people"),
		CountLinks: countLinks(l.Courses, q), OverdueURL: listURL("/team/report", q, "status", reports.NeedsAction) + "#people", Bars: courseBars(l.Courses), Trend: trendChart(l.Trend, chart),
		StatusTitle: reports.StatusLabel(f.Status), Org: reportScope(u) == 0,
	})
}

// teamReportPage is the data of reports/team.html.
type teamReportPage struct {
	layout
	Report   *reports.Line
	Courses  []reports.Course // the course filter's choices
	Teams    []reports.Team   // the team filter's choices
	Statuses []option
	// The filters as asked for, to keep them selected.
	TeamFilter, CourseFilter, StatusFilter string

	Rows    []itemRow // this page of the people table
	Columns []string
	Total   int // rows on every page
	Page    int
	Pages   int
	First   int // number of the first row on this page
	CSVURL  string
	Pager   pager
	// RemindURL is where the list's reminders are sent, with its filters.
	RemindURL string

	CountLinks  map[string]map[string]string // see countLinks
	OverdueURL  string
	Bars        barChart
	Trend       lineChart
	StatusTitle string
	Org         bool // the scope is the whole organisation (an admin)
}

// countLinks are the links of the course table's counts, per course slug
// and status: the people behind the count, in the chosen team.
func countLinks(cs []reports.CourseFigures, q url.Values) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, c := range cs {
		out[c.Slug] = map[string]string{}
		for _, st := range []string{"due_soon", "overdue", "lapsed"} {
			out[c.Slug][st] = listURL("/team/report", q, "course", c.Slug, "status", st) + "#people"
		}
	}
	return out
}

type option struct{ Value, Label string }

// itemRow is one row of the people table: the CSV's fields, plus the
// person's id for the link and a badge class for the status.
type itemRow struct {
	UserID int64
	Fields []string
	Badge  string
	// RemindKey is the reminder the row offers (reminders.Target.Key), if
	// any; Reminded when its person was last reminded of it by hand.
	RemindKey string
	Reminded  string
}

// badgeOf is the badge class of a status: the word carries the meaning,
// the colour only repeats it.
func badgeOf(status string) string {
	switch status {
	case "overdue", "lapsed":
		return "bad"
	case "due_soon", reports.StatusPending:
		return "warn"
	case "completed", reports.StatusAcknowledged, "exempt":
		return "ok"
	}
	return "muted"
}

func statusOptions() []option {
	out := []option{{"all", "Every status"}}
	for _, s := range reports.Statuses {
		out = append(out, option{s, reports.StatusLabel(s)})
	}
	return out
}

// itemColumns are the columns of the people table, on screen and in CSV.
var itemColumns = []string{"Name", "Email", "Team", "Requirement", "Status", "Due", "Days overdue", "Completed or acknowledged"}

func itemFields(it reports.Item) []string {
	done := ""
	if it.Done != nil {
		done = csvout.Date(*it.Done)
	}
	return []string{it.Name, it.Email, it.Team, it.Title, it.StatusLabel(), csvout.Date(it.Due), strconv.Itoa(it.DaysOverdue), done}
}

// teamReportCSV exports the people table with the same filters, columns
// and order as the page shows, every page of it.
func (s *Server) teamReportCSV(c *fiber.Ctx) error {
	l, _, _, _, err := s.teamReportData(c, 0)
	if err != nil {
		return err
	}
	if err := s.recordExport(c, "team_report.export", fmt.Sprintf("user:%d", currentUser(c).ID), fmt.Sprintf("rows=%d", len(l.Items))); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, csvout.ContentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="team-report-%s.csv"`, s.now().Format(time.DateOnly)))
	w := csvout.NewWriter(c.Response().BodyWriter())
	if err := w.Write(itemColumns); err != nil {
		return err
	}
	for _, it := range l.Items {
		if err := w.Write(itemFields(it)); err != nil {
			return err
		}
	}
	return w.Flush()
}

// remind sends one overdue person a reminder about one course now; the
// rule is reminders.RemindNow's.
func (s *Server) remind(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.NewError(fiber.StatusNotFound, "We could not find that person in your reporting line.")
	}
	me := currentUser(c)
	r, err := reminders.RemindNow(c.UserContext(), s.db, s.mailer, me.ID, int64(id), c.FormValue("course"), s.now())
	switch {
	case errors.Is(err, reminders.ErrNotInLine):
		return s.notInLine(c, int64(id))
	case errors.Is(err, reminders.ErrNoCourse):
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose the course to remind them of.")
	case errors.Is(err, reminders.ErrNotAssigned):
		return fiber.NewError(fiber.StatusNotFound, "This person has no current assignment of that course.")
	case errors.Is(err, reminders.ErrLeft):
		return fiber.NewError(fiber.StatusConflict, r.Person+" has left; Steward sends them no more email.")
	case errors.Is(err, reminders.ErrNotOpen):
		return fiber.NewError(fiber.StatusConflict, fmt.Sprintf("%s is not overdue with %s, so there is nothing to remind them of.", r.Person, r.Course))
	case errors.Is(err, reminders.ErrAlreadyReminded):
		s.flash(c, fmt.Sprintf("%s already got a reminder about %s today; Steward sends at most one a day.", r.Person, r.Course))
	case err != nil:
		return err
	default:
		s.flash(c, fmt.Sprintf("A reminder about %s is on its way to %s.", r.Course, r.Person))
	}
	return c.Redirect("/team/people/"+strconv.FormatInt(r.PersonID, 10), fiber.StatusSeeOther)
}

// orgReport is the organisation view for admins and auditors.
func (s *Server) orgReport(c *fiber.Ctx) error {
	o, err := s.reports().Org(c.UserContext(), s.now())
	if err != nil {
		return err
	}
	return s.renderPage(c, fiber.StatusOK, "reports/org", &orgReportPage{
		layout: layout{Title: "Organisation report"}, Org: o, Bars: courseBars(o.Courses),
		Trend: trendChart(o.Trend, "Compliance of the organisation"),
	})
}

// orgReportPage is the data of reports/org.html.
type orgReportPage struct {
	layout
	Org   *reports.Org
	Bars  barChart
	Trend lineChart
}

// evidencePage is the data of reports/evidence.html: the export form.
type evidencePage struct {
	layout
	AsOf   string // the day asked for, as 2006-01-02
	Format string
	Max    string // today, the latest day the form offers
	Error  string
}

// evidence shows the export form, or with as_of and format, streams the
// evidence as it stood at the end of that day.
func (s *Server) evidence(c *fiber.Ctx) error {
	now := s.now()
	asOfText, format := c.Query("as_of"), c.Query("format")
	if asOfText == "" && format == "" {
		return s.renderPage(c, fiber.StatusOK, "reports/evidence", &evidencePage{
			layout: layout{Title: "Evidence export"}, AsOf: now.AddDate(0, 0, -1).Format(time.DateOnly), Format: reports.FormatCSV,
			Max: now.Format(time.DateOnly)})
	}
	asOf, err := reports.ParseAsOf(asOfText, now)
	if err == nil && !reports.ValidFormat(format) {
		err = reports.ErrUnknownFormat
	}
	if err != nil {
		msg := "Enter a date like 2026-06-30: today or earlier, and not before 2000."
		if errors.Is(err, reports.ErrUnknownFormat) {
			msg = "Choose CSV or JSON."
		} else {
			// A date input cannot hold an impossible date; the message
			// quotes what was asked for instead.
			msg = fmt.Sprintf("%q is not a day Steward can export. %s", asOfText, msg)
			asOfText = ""
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderPage(c, fiber.StatusBadRequest, "reports/evidence", &evidencePage{
			layout: layout{Title: "Evidence export"}, AsOf: asOfText, Format: format, Error: msg, Max: now.Format(time.DateOnly)})
	}
	me := currentUser(c)
	day := asOf.Format(time.DateOnly)
	if err := s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
		return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(now, "evidence.export", "evidence:"+day, "format "+format))
	}); err != nil {
		return err
	}
	meta := reports.EvidenceMeta{AsOf: asOf, GeneratedAt: now, GeneratedBy: fmt.Sprintf("%s <%s>", me.Name, me.Email)}
	ctype := csvout.ContentType
	if format == reports.FormatJSON {
		ctype = fiber.MIMEApplicationJSONCharsetUTF8
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="steward-evidence-%s.%s"`, day, format))
	setEvidenceHeaders(c, meta)
	rs := s.reports()
	log := s.log
	// The export runs after the handler returns, writing into a pipe that
	// the server drains as it sends the body: memory stays flat. It gets
	// its own deadline; if the client goes away, the deadline unblocks it.
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	deadline := time.AfterFunc(10*time.Minute, func() {
		cancel()
		pr.CloseWithError(context.DeadlineExceeded)
	})
	go func() {
		defer cancel()
		defer deadline.Stop()
		w := bufio.NewWriterSize(pw, 64<<10)
		if _, err := rs.Evidence(ctx, w, format, meta, now); err != nil {
			log.Error("evidence export failed", "user_id", me.ID, "as_of", day, "err", err)
			fmt.Fprintf(w, "\n# The export stopped early because of an error; do not rely on this file.\n")
		}
		pw.CloseWithError(w.Flush())
	}()
	// Only a reader: the server must not be able to close the pipe while
	// middleware rewraps the body stream.
	c.Context().SetBodyStream(struct{ io.Reader }{pr}, -1)
	return nil
}

// setEvidenceHeaders says when, by whom and for which day an evidence
// export was made, in the response: the CSV's first line is its header,
// so these facts cannot go in the file (the JSON form has them too). A
// name outside ASCII is RFC 2047-encoded, as a header must be.
func setEvidenceHeaders(c *fiber.Ctx, m reports.EvidenceMeta) {
	c.Set("X-Steward-Generated-At", m.GeneratedAt.UTC().Format(time.RFC3339))
	c.Set("X-Steward-Generated-By", mime.QEncoding.Encode("utf-8", strings.Join(strings.Fields(m.GeneratedBy), " ")))
	c.Set("X-Steward-As-Of", m.AsOf.Format(time.DateOnly))
}
