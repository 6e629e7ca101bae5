package reports

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
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

// trend evaluates every course assignment of the scope at each month's end
// in one pass over the cycles, each as it stood then: an assignment counts
// in a month if it was current at that month's end, and is in good standing
// unless its status then was overdue or lapsed. People who have left count
// for the months they were there.
func (s *Store) trend(ctx context.Context, sc scope, f Filter, now time.Time) ([]TrendPoint, error) {
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
	q += ` WHERE c.assigned_at <= ? AND (c.closed_at IS NULL OR c.closed_at > ?)` + cond
	args = append(args, moments[len(moments)-1], moments[0])
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
