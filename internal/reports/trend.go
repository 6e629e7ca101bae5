package reports

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
)

// TrendPoint is the compliance of the people in scope at one moment: of
// the course assignments current then, how many were in good standing
// (not overdue and not lapsed).
type TrendPoint struct {
	At    time.Time
	Label string // "Jun 2026"
	Items int
	Good  int
}

// Rate is the compliance rate in percent.
func (p TrendPoint) Rate() int { return Rate(p.Good, p.Items) }

// TrendMonths is how many months the compliance trend covers.
const TrendMonths = 12

// trendMoments are the ends of the eleven months before now's month, and
// now itself for the month under way.
func trendMoments(now time.Time) []time.Time {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, 0, TrendMonths)
	for k := TrendMonths - 1; k >= 1; k-- {
		out = append(out, first.AddDate(0, -k+1, 0).Add(-time.Microsecond))
	}
	return append(out, now)
}

// trend is the compliance of the scope at the end of each of the last
// eleven months and now. An assignment counts in a month if it was current
// at that month's end, and is in good standing unless its status then was
// overdue or lapsed; people who have left count for the months they were
// there. Ended months come from report_trend_months (by person, grouped by
// today's tree and teams), kept by ensureMonths, which report runs first;
// now comes from the course figures already computed. A course filter
// needs per-course history, which is evaluated live (liveTrend).
func (s *Store) trend(ctx context.Context, sc scope, f Filter, now time.Time, figures []CourseFigures) ([]TrendPoint, error) {
	if f.CourseID != 0 {
		return s.liveTrend(ctx, sc, f, now)
	}
	moments := trendMoments(now)
	past := moments[:len(moments)-1] // computed by ensureMonths before the page's snapshot
	pre, args := sc.prefix()
	from, cond := sc.fromMonths("report_trend_months r", "r.user_id")
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(past)), ", ")
	q := pre + `SELECT r.month_end, SUM(r.items) AS items, SUM(r.good) AS good FROM ` + from
	if f.TeamID != 0 {
		q += ` JOIN users u ON u.id = r.user_id AND u.team_id = ?`
		args = append(args, f.TeamID)
	}
	// Only month ends are ever stored, and the past months are
	// consecutive, so the range from the first to the last holds exactly
	// them: each person's months are one run of the primary key.
	q += ` WHERE r.month_end >= ? AND r.month_end <= ?` + cond + ` GROUP BY r.month_end`
	args = append(args, past[0], past[len(past)-1])
	if sc.org() && f.TeamID == 0 {
		q = `SELECT month_end, items, good FROM report_trend_computed r WHERE month_end IN (` + marks + `)`
		args = nil
		for _, m := range past {
			args = append(args, m)
		}
	}
	var rows []struct {
		MonthEnd time.Time `db:"month_end"`
		Items    int       `db:"items"`
		Good     int       `db:"good"`
	}
	if err := s.q.selectAll(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("reports: trend: %w", err)
	}
	out := make([]TrendPoint, len(moments))
	for i, m := range moments {
		out[i] = TrendPoint{At: m, Label: m.Format("Jan 2006")}
		for _, r := range rows {
			if r.MonthEnd.Equal(m) {
				out[i].Items, out[i].Good = r.Items, r.Good
			}
		}
	}
	last := &out[len(out)-1]
	for _, c := range figures {
		last.Items += c.Assigned
		last.Good += c.Assigned - c.Overdue - c.Lapsed
	}
	return out, nil
}

// badAt says in SQL whether a cycle was overdue or lapsed at the moment
// m.at, whose courses.Horizon is m.soon.
var badAt = `(` + courses.StatusSQL("c", "m.at", "m.soon") + `) IN ('overdue', 'lapsed')`

// ensureMonths computes, person by person, the month ends not computed
// yet: usually none, and one when a month has ended. Checking is one
// query; computing is a few set-based statements.
func (s *Store) ensureMonths(ctx context.Context, months []time.Time) error {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(months)), ", ")
	args := make([]any, len(months))
	for i, m := range months {
		args[i] = m
	}
	var have int
	if err := s.q.get(ctx, &have, `SELECT COUNT(*) FROM report_trend_computed WHERE month_end IN (`+marks+`)`, args...); err != nil {
		return fmt.Errorf("reports: trend state: %w", err)
	}
	if have == len(months) {
		return nil
	}
	vals := strings.TrimSuffix(strings.Repeat(s.valuesRow("(CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ)), ", "(?, ?), "), len(months)), ", ")
	moments := make([]any, 0, 2*len(months))
	for _, m := range months {
		moments = append(moments, m, courses.Horizon(m))
	}
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		s.q.n.Add(3)
		if _, err := tx.ExecContext(ctx, tx.Rebind(`WITH m(at, soon) AS (VALUES `+vals+`)
			INSERT INTO report_trend_months (month_end, user_id, items, good)
			SELECT m.at, c.user_id, COUNT(*), SUM(CASE WHEN `+badAt+` THEN 0 ELSE 1 END)
			FROM m JOIN course_cycles c ON c.assigned_at <= m.at
				AND (CASE WHEN c.closed_at IS NULL OR c.closed_at > m.at THEN 1 ELSE 0 END) = 1
			WHERE m.at NOT IN (SELECT month_end FROM report_trend_computed)
			GROUP BY m.at, c.user_id`), moments...); err != nil {
			return fmt.Errorf("reports: trend: compute months: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`WITH m(at, soon) AS (VALUES `+vals+`)
			INSERT INTO report_trend_computed (month_end, items, good)
			SELECT m.at, COALESCE(SUM(r.items), 0), COALESCE(SUM(r.good), 0)
			FROM m LEFT JOIN report_trend_months r ON r.month_end = m.at
			WHERE m.at NOT IN (SELECT month_end FROM report_trend_computed)
			GROUP BY m.at`), moments...); err != nil {
			return fmt.Errorf("reports: trend: mark months: %w", err)
		}
		// Months older than the trend shows are not read again.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM report_trend_months WHERE month_end < ?`), months[0]); err != nil {
			return fmt.Errorf("reports: trend: prune: %w", err)
		}
		return nil
	})
}

// liveTrend evaluates every course assignment of the scope at each
// moment in one pass over the cycles, each as it stood then.
func (s *Store) liveTrend(ctx context.Context, sc scope, f Filter, now time.Time) ([]TrendPoint, error) {
	moments := trendMoments(now)
	pre, args := sc.prefix()
	var cols []string
	for i, m := range moments {
		n := strconv.Itoa(i)
		cols = append(cols,
			`SUM(CASE WHEN `+currentAt+` THEN 1 ELSE 0 END) AS n`+n,
			`SUM(CASE WHEN `+currentAt+` AND (`+statusExpr+`) IN ('overdue', 'lapsed') THEN 1 ELSE 0 END) AS b`+n)
		args = append(args, currentArgs(m)...)
		args = append(append(args, currentArgs(m)...), statusArgs(m)...)
	}
	from, cond := sc.from("course_cycles c", "c.user_id")
	q := pre + `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + from
	if f.TeamID != 0 {
		q += ` JOIN users u ON u.id = c.user_id`
	}
	// COALESCE, not "closed_at IS NULL OR ...": an OR here lets SQLite
	// search the course's cycles once per person in the line.
	q += ` WHERE c.assigned_at <= ? AND COALESCE(c.closed_at, ?) > ?` + cond
	args = append(args, moments[len(moments)-1], moments[len(moments)-1], moments[0])
	if f.TeamID != 0 {
		q += ` AND u.team_id = ?`
		args = append(args, f.TeamID)
	}
	if f.CourseID != 0 {
		q += ` AND c.course_id = ?`
		args = append(args, f.CourseID)
	}
	rows, err := s.q.rows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reports: trend: %w", err)
	}
	defer rows.Close()
	vals := make([]*int64, 2*len(moments))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("reports: trend: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reports: trend: %w", err)
	}
	out := make([]TrendPoint, len(moments))
	for i, m := range moments {
		items, bad := deref(vals[2*i]), deref(vals[2*i+1])
		out[i] = TrendPoint{At: m, Label: m.Format("Jan 2006"), Items: items, Good: items - bad}
	}
	return out, nil
}

func deref(p *int64) int {
	if p == nil {
		return 0
	}
	return int(*p)
}
