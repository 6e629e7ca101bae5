package reports

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/courses"
	"steward/internal/db"
)

// matching counts the items the filter lists, from the figures: every
// item is one person's standing with one course or policy, and the
// figures count exactly those, under the same team and course filter.
func (l *Line) matching(f Filter) int {
	n := 0
	for _, c := range l.Courses {
		switch f.Status {
		case "", "all":
			n += c.Assigned
		case NeedsAction:
			n += c.Overdue + c.Lapsed
		case StatusPending, StatusAcknowledged:
		default:
			n += map[courses.Status]int{
				courses.StatusCompleted: c.Completed, courses.StatusDueSoon: c.DueSoon, courses.StatusOverdue: c.Overdue,
				courses.StatusLapsed: c.Lapsed, courses.StatusExempt: c.Exempt, courses.StatusInProgress: c.InProgress,
				courses.StatusNotStarted: c.NotStarted,
			}[courses.Status(f.Status)]
		}
	}
	for _, p := range l.Policies {
		if f.wantPolicy(StatusAcknowledged) {
			n += p.Acknowledged
		}
		if f.wantPolicy(StatusPending) {
			n += p.Pending
		}
		if f.wantPolicy("overdue") {
			n += p.Overdue
		}
	}
	return n
}

// listItems reads the listing, or with page one page of it, in
// sortItems' order, from the database: the course items and the policy
// items whose standing is remembered, sorted there, merged here with the
// policy items evaluated in Go (evaluated, sorted or not).
//
// sortItems orders by days overdue (most first), then due date. A whole
// day overdue happens exactly when the due moment is a day or more ago,
// and among those more days means an earlier due date, so the database
// orders by "a day or more overdue" first, then the due date, which is
// the same order. Items with no due date come first among equals, as
// the zero time does in Go.
func (s *Store) listItems(ctx context.Context, sc scope, f Filter, ws []ackWindow, now time.Time, wanted []string,
	evaluated []Item, page *window) ([]Item, error) {
	pre, args := sc.prefix()
	dayAgo := now.Add(-24 * time.Hour)
	var parts []string
	if f.Status != StatusPending && f.Status != StatusAcknowledged {
		where, wargs := cycleWhere(sc, f)
		from, cond := sc.from("course_cycles c", "c.user_id")
		status := ""
		switch f.Status {
		case "", "all":
		case NeedsAction:
			status = ` AND ` + standingExpr + ` IN ('overdue', 'lapsed')`
		default:
			status = ` AND ` + standingExpr + ` = ?`
		}
		parts = append(parts, `SELECT user_id, name, email, team, 'course' AS kind, slug, title, status, due, done,
			CASE WHEN status IN ('overdue', 'lapsed') AND due <= ? THEN 1 ELSE 0 END AS late FROM (
			SELECT user_id, name, email, team, slug, title, status, completed_at AS done,
				`+courses.DueShownSQL("x", "x.status")+` AS due
			FROM (SELECT u.id AS user_id, u.name, u.email, COALESCE(t.name, '') AS team, k.slug, k.title,
					`+standingExpr+` AS status, c.due_at, c.lapses_at, c.expires_at, c.completed_at
				FROM `+from+` JOIN users u ON u.id = c.user_id
				JOIN courses k ON k.id = c.course_id LEFT JOIN teams t ON t.id = u.team_id
				WHERE c.closed_at IS NULL AND u.active = TRUE`+cond+where+status+`) x) y`)
		args = append(args, dayAgo)
		args = append(args, standingArgs(now)...)
		args = append(args, wargs...)
		switch f.Status {
		case "", "all":
		case NeedsAction:
			args = append(args, standingArgs(now)...)
		default:
			args = append(args, append(standingArgs(now), f.Status)...)
		}
	}
	if len(ws) > 0 && len(wanted) > 0 {
		from, cond := sc.from("users u", "u.id")
		team := ""
		if f.TeamID != 0 {
			team = ` AND u.team_id = ?`
		}
		parts = append(parts, `SELECT u.id AS user_id, u.name, u.email, COALESCE(t.name, '') AS team, 'policy' AS kind, p.slug,
				p.title || ' (version ' || CAST(v.number AS TEXT) || ')' AS title, s.status, s.due_at AS due, s.last_at AS done,
				CASE WHEN s.status = 'overdue' AND s.due_at <= ? THEN 1 ELSE 0 END AS late
			FROM `+from+` JOIN policy_standings s ON s.user_id = u.id
			JOIN policies p ON p.id = s.policy_id JOIN policy_versions v ON v.id = s.version_id
			LEFT JOIN teams t ON t.id = u.team_id
			WHERE u.active = TRUE`+cond+heldWhere(ws)+` AND s.status IN (?`+strings.Repeat(", ?", len(wanted)-1)+`)`+team)
		at := db.Nanos(now)
		args = append(args, dayAgo, at, at)
		for _, st := range wanted {
			args = append(args, st)
		}
		if f.TeamID != 0 {
			args = append(args, f.TeamID)
		}
	}
	sortItems(evaluated)
	if len(parts) == 0 {
		return cut(evaluated, page), nil
	}
	var cutAt *window // the part of what is read that the page shows
	c := s.collateBytes()
	q := pre + `SELECT user_id, name, email, team, kind, slug, title, status, due, done FROM (` + strings.Join(parts, ` UNION ALL `) + `) i
		` + itemOrder("", c)
	// With no evaluated items to merge, the database skips to the page.
	// Otherwise they may all sort before it, and the page starts that
	// much earlier in the database's order: it reads from the start.
	switch {
	case page == nil:
	case len(evaluated) == 0:
		q += ` LIMIT ? OFFSET ?`
		args = append(args, page.limit, page.offset)
		cutAt = &window{0, page.limit}
	default:
		q += ` LIMIT ?`
		args = append(args, page.offset+page.limit)
		cutAt = page
	}
	read, err := s.readItems(ctx, q, args, now)
	if err != nil {
		return nil, err
	}
	return cut(mergeItems(read, evaluated), cutAt), nil
}

// readItems runs a listing query, whose columns are those of Item.
func (s *Store) readItems(ctx context.Context, q string, args []any, now time.Time) ([]Item, error) {
	rows, err := s.q.rows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reports: listing: %w", err)
	}
	defer rows.Close()
	var read []Item
	for rows.Next() {
		var it Item
		var due, done db.Time
		if err := rows.Scan(&it.UserID, &it.Name, &it.Email, &it.Team, &it.Kind, &it.Slug, &it.Title, &it.Status, &due, &done); err != nil {
			return nil, fmt.Errorf("reports: listing: %w", err)
		}
		it.Due = due.Time
		if !done.IsZero() {
			t := done.Time
			it.Done = &t
		}
		if it.Status == string(courses.StatusOverdue) || it.Status == string(courses.StatusLapsed) {
			it.DaysOverdue = daysBetween(it.Due, now)
		}
		read = append(read, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reports: listing: %w", err)
	}
	return read, nil
}

// itemOrder is sortItems' order in SQL over the columns of the
// listing, named with the prefix, comparing text with collate.
func itemOrder(prefix, collate string) string {
	return strings.NewReplacer("{i}", prefix, "{c}", collate).Replace(
		`ORDER BY {i}late DESC, {i}due IS NOT NULL, {i}due, {i}name{c}, {i}user_id, {i}title{c}`)
}

// mergeItems merges two lists in sortItems' order.
func mergeItems(a, b []Item) []Item {
	if len(b) == 0 {
		return a
	}
	out := make([]Item, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	sortItems(out)
	return out
}

// cut is the page of items; with no page, all of them.
func cut(items []Item, page *window) []Item {
	if page == nil {
		return items
	}
	if page.offset >= len(items) {
		return nil
	}
	return items[page.offset:min(len(items), page.offset+page.limit)]
}

// collateBytes orders text byte by byte, as Go compares strings: SQLite
// does by default, PostgreSQL only with the "C" collation.
func (s *Store) collateBytes() string {
	if s.db.Dialect == db.Postgres {
		return ` COLLATE "C"`
	}
	return ""
}

// listLate is listItems on a listed line (listLine), where shows holds
// every summed person of the line and whether the listing shows any of
// their standings: it reads only the people it may show.
//
// The team page's own listing, one page of what needs action, it reads
// in the order it shows, from the remembered standings that hold at now
// (course_cycles_late, by standing_due, and policy_standings_late, by
// due_at), stopping at the page: every item needing action is overdue or
// lapsed, late exactly when its due date is a day or more ago, so
// sortItems' order is the order of due dates, then names. Each kind is
// read up to the page's end, with the items due at the same moment as
// its last, and the page is cut from those in the full order. A current
// cycle whose standing does not hold at now belongs to a person with no
// summary (refreshSummaries), so only theirs are derived by the rule.
func (s *Store) listLate(ctx context.Context, sc scope, f Filter, ws []ackWindow, now time.Time, wanted []string,
	evaluated []Item, page *window, shows map[int64]bool) ([]Item, error) {
	var shown, unsummed []int64
	for _, id := range sc.line {
		show, summed := shows[id]
		if !summed && !sc.gone[id] {
			unsummed = append(unsummed, id)
		}
		if show || !summed {
			shown = append(shown, id)
		}
	}
	if f.Status != NeedsAction || page == nil {
		listed := sc
		listed.line = shown
		return s.listItems(ctx, listed, f, ws, now, wanted, evaluated, page)
	}
	// Who has left is known from the walk: each part reads its own table
	// alone, up to the page, and people are joined to the few rows kept.
	// Joined before the cut, PostgreSQL may hash every person and sort
	// every late item of the line when its estimates are off.
	active := make([]int64, 0, len(shown))
	for _, id := range shown {
		if !sc.gone[id] {
			active = append(active, id)
		}
	}
	n := page.offset + page.limit
	at := db.Nanos(now)
	narrow, nargs := ``, []any{}
	if f.TeamID != 0 {
		narrow, nargs = ` AND %s IN (SELECT u.id FROM users u WHERE u.team_id = ?)`, append(nargs, f.TeamID)
	}
	in := func(col string) string {
		if narrow == "" {
			return ""
		}
		return fmt.Sprintf(narrow, col)
	}
	courseOnly, cargs := ``, []any{}
	if f.CourseID != 0 {
		courseOnly, cargs = ` AND c.course_id = ?`, append(cargs, f.CourseID)
	}
	late := `'` + string(courses.StatusOverdue) + `', '` + string(courses.StatusLapsed) + `'`
	cycles, standings := `course_cycles c`, `policy_standings s`
	if s.db.Dialect != db.Postgres {
		// SQLite's planner prefers a course's cycles; the walk in due
		// order is what stops at the page.
		cycles, standings = `course_cycles c INDEXED BY course_cycles_late`, `policy_standings s INDEXED BY policy_standings_late`
	}
	where, wargs := `c.closed_at IS NULL AND c.standing IN (`+late+`) AND c.standing_from <= ? AND c.standing_until > ?
			AND c.standing_due IS NOT NULL AND `+s.inIDs("c.user_id")+in("c.user_id")+courseOnly,
		append(append([]any{at, at, s.idsArg(active)}, nargs...), cargs...)
	part, args := s.firstWithTies(`c.user_id, 'course' AS kind, c.course_id AS ref, CAST(0 AS BIGINT) AS version,
			c.standing AS status, c.standing_due AS due, c.completed_at AS done`, cycles, where, wargs, `c.standing_due`, n)
	parts := []string{part}
	if len(unsummed) > 0 {
		// Few or none: read whole, not stopped at the page.
		parts = append(parts, `SELECT * FROM (SELECT user_id, 'course' AS kind, course_id AS ref, CAST(0 AS BIGINT) AS version, status,
				`+courses.DueShownSQL("x", "x.status")+` AS due, completed_at AS done
			FROM (SELECT c.user_id, c.course_id, `+statusExpr+` AS status,
					c.due_at, c.lapses_at, c.expires_at, c.completed_at
				FROM course_cycles c
				WHERE c.closed_at IS NULL AND `+s.inIDs("c.user_id")+in("c.user_id")+courseOnly+`
					AND (c.standing IS NULL OR c.standing_from > ? OR c.standing_until <= ? OR c.standing_due IS NULL)) x
			WHERE x.status IN (`+late+`)) y`)
		args = append(append(append(append(append(args, statusArgs(now)...), s.idsArg(unsummed)), nargs...), cargs...), at, at)
	}
	if len(ws) > 0 && f.wantPolicy(string(courses.StatusOverdue)) {
		part, pargs := s.firstWithTies(`s.user_id, 'policy', s.policy_id, s.version_id, s.status, s.due_at, s.last_at`, standings,
			`s.status = 'overdue'`+heldWhere(ws)+` AND `+s.inIDs("s.user_id")+in("s.user_id"),
			append([]any{at, at, s.idsArg(active)}, nargs...), `s.due_at`, n)
		parts = append(parts, part)
		args = append(args, pargs...)
	}
	c := s.collateBytes()
	q := `SELECT user_id, name, email, team, kind, slug, title, status, due, done FROM (
		SELECT i.user_id, u.name, u.email, COALESCE(t.name, '') AS team, i.kind, COALESCE(k.slug, p.slug) AS slug,
			CASE WHEN i.kind = 'course' THEN k.title ELSE p.title || ' (version ' || CAST(v.number AS TEXT) || ')' END AS title,
			i.status, i.due, i.done, CASE WHEN i.due <= ? THEN 1 ELSE 0 END AS late
		FROM (` + strings.Join(parts, ` UNION ALL `) + `) i JOIN users u ON u.id = i.user_id
			LEFT JOIN teams t ON t.id = u.team_id
			LEFT JOIN courses k ON i.kind = 'course' AND k.id = i.ref
			LEFT JOIN policies p ON i.kind = 'policy' AND p.id = i.ref
			LEFT JOIN policy_versions v ON i.kind = 'policy' AND v.id = i.version) o
		` + itemOrder("", c) + ` LIMIT ?`
	args = append(append([]any{now.Add(-24 * time.Hour)}, args...), n)
	read, err := s.readItems(ctx, q, args, now)
	if err != nil {
		return nil, err
	}
	sortItems(evaluated)
	return cut(mergeItems(read, evaluated), page), nil
}

// inIDs is col's membership in a list of ids bound as one argument
// (idsArg): an array on PostgreSQL, a JSON array on SQLite.
func (s *Store) inIDs(col string) string {
	if s.db.Dialect == db.Postgres {
		return col + ` = ANY(CAST(? AS BIGINT[]))`
	}
	return col + ` IN (SELECT value FROM json_each(?))`
}

// idsArg binds ids for inIDs.
func (s *Store) idsArg(ids []int64) any {
	if s.db.Dialect == db.Postgres {
		return ids
	}
	return "[" + db.IDList(ids) + "]"
}

// firstWithTies is a part of a UNION ALL that selects, from rows of from
// matching where, the first n in the order of col and every row tied with
// the last of them. SQLite has no FETCH ... WITH TIES: there the rows are
// those up to the n-th value of col, found by the same walk in order (the
// largest of the first n), a bound its index walk stops at.
func (s *Store) firstWithTies(sel, from, where string, args []any, col string, n int) (string, []any) {
	if s.db.Dialect == db.Postgres {
		return `(SELECT ` + sel + ` FROM ` + from + ` WHERE ` + where + ` ORDER BY ` + col + ` FETCH FIRST ? ROWS WITH TIES)`,
			append(args, n)
	}
	return `SELECT * FROM (SELECT ` + sel + ` FROM ` + from + ` WHERE ` + where + ` AND ` + col + ` <= (SELECT MAX(v) FROM (SELECT ` + col +
			` AS v FROM ` + from + ` WHERE ` + where + ` ORDER BY ` + col + ` LIMIT ?)))`,
		append(append(args, args...), n)
}
