package reports

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/courses"
)

// Filter narrows a report to one team, one course or one status.
type Filter struct {
	TeamID   int64
	CourseID int64
	Status   string // "" or "all": every status
}

// wantCourse reports whether a course item with status s passes the
// filter's status (its course is checked apart).
func (f Filter) wantCourse(s string) bool {
	switch f.Status {
	case "", "all":
		return true
	case NeedsAction:
		return s == string(courses.StatusOverdue) || s == string(courses.StatusLapsed)
	case StatusPending, StatusAcknowledged:
		return false
	}
	return f.Status == s
}

// wantPolicy reports whether a policy item with status s passes the filter.
func (f Filter) wantPolicy(s string) bool {
	switch f.Status {
	case "", "all":
		return true
	case NeedsAction:
		return s == "overdue"
	}
	return f.Status == s
}

// CourseFigures counts where the people in scope stand with one course.
type CourseFigures struct {
	Course
	Assigned   int
	Completed  int
	DueSoon    int
	Overdue    int
	Lapsed     int
	Exempt     int
	InProgress int
	NotStarted int
	// Suppressed hides the figures of a group smaller than the minimum.
	Suppressed bool
}

// Required is how many people must complete the course: everyone assigned
// who is not exempt.
func (f CourseFigures) Required() int { return f.Assigned - f.Exempt }

// Rate is the completion rate in percent.
func (f CourseFigures) Rate() int { return Rate(f.Completed, f.Required()) }

func (f *CourseFigures) add(status string, n int) {
	f.Assigned += n
	switch courses.Status(status) {
	case courses.StatusCompleted:
		f.Completed += n
	case courses.StatusDueSoon:
		f.DueSoon += n
	case courses.StatusOverdue:
		f.Overdue += n
	case courses.StatusLapsed:
		f.Lapsed += n
	case courses.StatusExempt:
		f.Exempt += n
	case courses.StatusInProgress:
		f.InProgress += n
	default:
		f.NotStarted += n
	}
}

// PolicyFigures counts where the people in scope stand with one staff
// policy's version in effect.
type PolicyFigures struct {
	ID           int64
	Slug         string
	Title        string
	Version      int
	Required     int
	Acknowledged int
	Pending      int
	Overdue      int
	Suppressed   bool
}

// Rate is the acknowledgement rate in percent.
func (f PolicyFigures) Rate() int { return Rate(f.Acknowledged, f.Required) }

// Item is one person and one requirement: a course or a staff policy.
type Item struct {
	UserID int64
	Name   string
	Email  string
	Team   string
	Kind   string // "course" or "policy"
	Slug   string
	Title  string
	Status string
	// Due is when the item was or is due: the course's due date (for a
	// lapsed certification, its expiry) or the acknowledgement deadline.
	Due  time.Time
	Done *time.Time // completed or acknowledged
	// DaysOverdue counts whole days past Due for overdue and lapsed items.
	DaysOverdue int
}

// StatusLabel is the item's status as people read it.
func (it Item) StatusLabel() string { return StatusLabel(it.Status) }

// Line is a manager's report on their reporting line (or, for admins and
// auditors, the organisation's).
type Line struct {
	At       time.Time
	People   int // active people in scope after the team filter
	Courses  []CourseFigures
	Policies []PolicyFigures
	Items    []Item // matching the filter, most overdue first (one page of them from LinePage)
	Total    int    // items matching the filter, on every page
	Trend    []TrendPoint
}

// person is someone in scope, as the report needs them.
type person struct {
	ID     int64     `db:"id"`
	Name   string    `db:"name"`
	Email  string    `db:"email"`
	Team   string    `db:"team"`
	TeamID *int64    `db:"team_id"`
	Joined time.Time // policies.Joined: from the hire date, else the account's creation
}

// Line builds the report of managerID's line (0: the organisation) at now.
// It runs the same few queries whatever the size of the line.
func (s *Store) Line(ctx context.Context, managerID int64, f Filter, now time.Time) (*Line, error) {
	l, _, err := s.report(ctx, scope{managerID: managerID}, f, true, nil, now, nil)
	return l, err
}

// LinePage is Line with only the items from offset, at most limit of
// them: the page a person reads. The database sorts the items and hands
// over that page alone; Total still counts them all.
func (s *Store) LinePage(ctx context.Context, managerID int64, f Filter, now time.Time, offset, limit int) (*Line, error) {
	if offset < 0 || limit < 1 {
		return nil, fmt.Errorf("reports: no page from %d of %d items", offset, limit)
	}
	l, _, err := s.report(ctx, scope{managerID: managerID}, f, true, &window{offset, limit}, now, nil)
	return l, err
}

// report builds a report from one snapshot of the database, after making
// sure the trend's ended months are computed (a write, which the snapshot
// must see).
func (s *Store) report(ctx context.Context, sc scope, f Filter, withItems bool, page *window, now time.Time,
	byTeam func(teamID *int64, kind, status string, n int)) (*Line, []teamCount, error) {
	moments := trendMoments(now.UTC())
	if err := s.ensureMonths(ctx, moments[:len(moments)-1]); err != nil {
		return nil, nil, err
	}
	var l *Line
	var heads []teamCount
	err := s.snapshot(ctx, func(r *Store) error {
		var err error
		l, heads, err = r.build(ctx, sc, f, withItems, page, now, byTeam)
		return err
	})
	return l, heads, err
}

// window is the part of the listing a page shows.
type window struct{ offset, limit int }

// teamCount is how many active people in scope a team has.
type teamCount struct {
	TeamID *int64 `db:"team_id"`
	N      int    `db:"n"`
}

// tally receives counts of people by status, for one course (kind
// "course", index into the report's courses) or one policy ("policy",
// index into its policies), and by team when the report asked for teams.
type tally func(kind string, i int, teamID *int64, status string, n int)

// build computes a report; with items false it lists nobody. byTeam,
// when not nil, sees every count of a status by team, for training and
// policies alike; the headcount by team is returned for the same purpose.
//
// The figures add up one summary row per person (person_standings) that
// holds at now. Only the people without one, if any, are counted from
// their cycles and policy standings, or failing those, the records.
func (s *Store) build(ctx context.Context, sc scope, f Filter, withItems bool, page *window, now time.Time,
	byTeam func(teamID *int64, kind, status string, n int)) (*Line, []teamCount, error) {
	now = now.UTC()
	if !ValidStatus(f.Status) {
		return nil, nil, ErrUnknownStatus
	}
	all, err := s.Courses(ctx)
	if err != nil {
		return nil, nil, err
	}
	if f.CourseID != 0 && !hasCourse(all, f.CourseID) {
		return nil, nil, ErrUnknownCourse
	}
	if f.TeamID != 0 {
		teams, err := s.Teams(ctx)
		if err != nil {
			return nil, nil, err
		}
		if !hasTeam(teams, f.TeamID) {
			return nil, nil, ErrUnknownTeam
		}
	}
	if sc, err = s.listLine(ctx, sc, withItems && page != nil && f.Status == NeedsAction); err != nil {
		return nil, nil, err
	}
	out := &Line{At: now}
	heads, err := s.headcount(ctx, sc, f.TeamID)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range heads {
		out.People += h.N
	}
	for _, c := range all {
		if f.CourseID == 0 || f.CourseID == c.ID {
			out.Courses = append(out.Courses, CourseFigures{Course: c})
		}
	}
	var ws []ackWindow
	if f.CourseID == 0 {
		ts, err := s.timelines(ctx)
		if err != nil {
			return nil, nil, err
		}
		ws = ackWindows(ts, now, withItems && f.wantPolicy(StatusAcknowledged))
		for _, w := range ws {
			out.Policies = append(out.Policies, PolicyFigures{ID: w.t.Policy.ID, Slug: w.t.Policy.Slug, Title: w.t.Policy.Title, Version: w.cur.Number})
		}
	}
	count := func(kind string, i int, teamID *int64, status string, n int) {
		if kind == "course" {
			out.Courses[i].add(status, n)
		} else {
			out.Policies[i].add(status, n)
		}
		if byTeam != nil {
			byTeam(teamID, kind, status, n)
		}
	}
	var wanted []string // the policy statuses the listing shows
	if withItems {
		for _, st := range []string{"overdue", StatusPending, StatusAcknowledged} {
			if f.wantPolicy(st) {
				wanted = append(wanted, st)
			}
		}
	}
	// On a listed line, the listing reads only the people whose summary
	// shows something it lists, or who have none.
	var shows map[int64]bool
	if withItems && sc.listed {
		shows = make(map[int64]bool, len(sc.line))
	}
	summed, err := s.summaries(ctx, sc, f, now, out.Courses, ws, byTeam != nil, count, wanted, shows)
	if err != nil {
		return nil, nil, err
	}
	var items []Item
	if summed < out.People {
		rest := sc // nobody summed: the rest is everyone, and plain is quicker
		if summed > 0 {
			rest = sc.rest(now)
		}
		if err := s.courseFigures(ctx, rest, f, out.Courses, now, byTeam != nil, count); err != nil {
			return nil, nil, err
		}
		if len(ws) > 0 {
			if items, err = s.policyRest(ctx, rest, f, out.People-summed, ws, now, wanted, byTeam != nil, count); err != nil {
				return nil, nil, err
			}
		}
	}
	if withItems {
		out.Total = out.matching(f)
		if shows != nil {
			out.Items, err = s.listLate(ctx, sc, f, ws, now, wanted, items, page, shows)
		} else {
			out.Items, err = s.listItems(ctx, sc, f, ws, now, wanted, items, page)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if out.Trend, err = s.trend(ctx, sc, f, now, out.Courses); err != nil {
		return nil, nil, err
	}
	return out, heads, nil
}

func hasCourse(cs []Course, id int64) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

func hasTeam(ts []Team, id int64) bool {
	for _, t := range ts {
		if t.ID == id {
			return true
		}
	}
	return false
}

// sortItems puts the most overdue first, then the soonest due, then by name.
func sortItems(items []Item) {
	slices.SortStableFunc(items, func(a, b Item) int {
		if a.DaysOverdue != b.DaysOverdue {
			return cmp.Compare(b.DaysOverdue, a.DaysOverdue)
		}
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(a.UserID, b.UserID); c != 0 {
			return c
		}
		return strings.Compare(a.Title, b.Title)
	})
}

func daysBetween(from, to time.Time) int {
	if !to.After(from) {
		return 0
	}
	return int(to.Sub(from) / (24 * time.Hour))
}

// headcount counts the active people in scope by team.
func (s *Store) headcount(ctx context.Context, sc scope, teamID int64) ([]teamCount, error) {
	pre, args := sc.prefix()
	from, cond := sc.from("users u", "u.id")
	q := pre + `SELECT u.team_id, COUNT(*) AS n FROM ` + from + ` WHERE u.active = TRUE` + cond
	if teamID != 0 {
		q += ` AND u.team_id = ?`
		args = append(args, teamID)
	}
	var out []teamCount
	if err := s.q.selectAll(ctx, &out, q+` GROUP BY u.team_id`, args...); err != nil {
		return nil, fmt.Errorf("reports: people in scope: %w", err)
	}
	return out, nil
}

// cycleWhere narrows current cycles of active people to the scope and filter.
func cycleWhere(sc scope, f Filter) (string, []any) {
	var conds []string
	var args []any
	if f.TeamID != 0 {
		conds = append(conds, "u.team_id = ?")
		args = append(args, f.TeamID)
	}
	if f.CourseID != 0 {
		conds = append(conds, "c.course_id = ?")
		args = append(args, f.CourseID)
	}
	w := ""
	if len(conds) > 0 {
		w = " AND " + strings.Join(conds, " AND ")
	}
	return w, args
}

// courseFigures counts the people in scope by course and status, and by
// team when byTeam is set, in one pass; count sees each count.
func (s *Store) courseFigures(ctx context.Context, sc scope, f Filter, cs []CourseFigures, now time.Time,
	byTeam bool, count tally) error {
	pre, args := sc.prefix()
	where, wargs := cycleWhere(sc, f)
	from, cond := sc.from("course_cycles c", "c.user_id")
	q := pre + `SELECT course_id, team_id, status, COUNT(*) AS n FROM (
		SELECT c.course_id, CASE WHEN ? THEN u.team_id END AS team_id, ` + standingExpr + ` AS status
		FROM ` + from + ` JOIN users u ON u.id = c.user_id
		WHERE c.closed_at IS NULL AND u.active = TRUE` + cond + where + s.unlimited() + `) x GROUP BY course_id, team_id, status`
	args = append(append(append(args, byTeam), standingArgs(now)...), wargs...)
	var rows []struct {
		CourseID int64  `db:"course_id"`
		TeamID   *int64 `db:"team_id"`
		Status   string `db:"status"`
		N        int    `db:"n"`
	}
	if err := s.q.selectAll(ctx, &rows, q, args...); err != nil {
		return fmt.Errorf("reports: course figures: %w", err)
	}
	for _, r := range rows {
		if i := courseIndex(cs, r.CourseID); i >= 0 {
			count("course", i, r.TeamID, r.Status, r.N)
		}
	}
	return nil
}

// courseIndex finds a course among the report's, or -1.
func courseIndex(cs []CourseFigures, id int64) int {
	for i := range cs {
		if cs[i].ID == id {
			return i
		}
	}
	return -1
}
