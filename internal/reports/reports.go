// Package reports answers the questions managers, admins and auditors ask
// of Steward's records: who has completed what, who is overdue, how the
// line or the organisation stood month by month, and what the evidence
// said on a chosen date.
//
// Reports read the people, courses and policies tables directly; that is
// this package's purpose. Every query is set-based: a page costs the same
// fixed number of queries whether the line holds five people or ten
// thousand. Course status is derived in SQL by courses.StatusSQL, the
// SQL twin of courses.Cycle.Status (courses tests that the two agree);
// policy standing is decided by policies.Evaluate over each person's
// latest acknowledgement. So that the present stays fast for a large organisation, the store
// remembers those answers with the span of time each holds for
// (standings.go) and adds up one row per person (summary.go); whatever it
// has not remembered it derives as above.
package reports

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/db"
	"steward/policies"
)

// Errors for bad input, mapped to 4xx by handlers.
var (
	ErrUnknownCourse = errors.New("reports: unknown course")
	ErrUnknownTeam   = errors.New("reports: unknown team")
	ErrUnknownStatus = errors.New("reports: unknown status")
	ErrBadDate       = errors.New("reports: the date must be a day like 2026-06-30, not in the future and not before 2000")
)

// DefaultMinGroupSize is the smallest group an organisation-wide aggregate
// shows when the configuration does not say.
const DefaultMinGroupSize = 5

// Store runs report queries.
type Store struct {
	db           *db.DB
	q            *counted
	MinGroupSize int
	// RetentionDays bounds how long after leaving a person still appears
	// in evidence exports (their record is purged after it).
	RetentionDays int
	ruleChecked   *atomic.Bool // the remembered answers follow courses.RuleVersion
}

// New returns a store over d.
func New(d *db.DB, minGroupSize, retentionDays int) *Store {
	if minGroupSize < 1 {
		minGroupSize = DefaultMinGroupSize
	}
	if retentionDays < 1 {
		retentionDays = 365
	}
	return &Store{db: d, q: &counted{on: d, rebind: d.Rebind, n: new(atomic.Int64)}, MinGroupSize: minGroupSize, RetentionDays: retentionDays,
		ruleChecked: new(atomic.Bool)}
}

// querier is what report queries run on: the pool, a read snapshot or a
// transaction.
type querier interface {
	sqlx.QueryerContext
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
}

// counted runs queries on a querier and counts every one.
type counted struct {
	on     querier
	rebind func(string) string
	n      *atomic.Int64 // shared by the store and its copies on snapshots
}

func (c *counted) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	c.n.Add(1)
	return c.on.SelectContext(ctx, dest, c.rebind(query), args...)
}

func (c *counted) get(ctx context.Context, dest any, query string, args ...any) error {
	c.n.Add(1)
	return c.on.GetContext(ctx, dest, c.rebind(query), args...)
}

func (c *counted) rows(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	c.n.Add(1)
	return c.on.QueryxContext(ctx, c.rebind(query), args...)
}

// on is the store running its queries on q.
func (s *Store) on(q querier) *Store {
	cp := *s
	cp.q = &counted{on: q, rebind: s.db.Rebind, n: s.q.n}
	return &cp
}

// snapshot runs fn with the store reading one consistent snapshot of the
// database, so that the several queries of a page agree with each other
// even while people write and standings are refreshed: a person is
// counted once, from their summary or from their records, never both or
// neither. On PostgreSQL that is a REPEATABLE READ, READ ONLY transaction;
// on SQLite a deferred transaction on one connection (BEGIN, not the
// immediate kind the pool opens for writes), whose snapshot is taken at
// its first read.
//
// On PostgreSQL the transaction also plans every query for its own
// arguments. pgx prepares each statement, and after five runs PostgreSQL
// may switch to one generic plan that cannot see a parameter's value:
// for a line of a few thousand people it expects one row from "user_id
// = ANY(?)", and then reads and sorts every late cycle of the line
// instead of walking the late cycles in due order until the page is full
// (36 ms instead of 9 for the largest line's listing). Planning for the
// actual line costs less than a millisecond a query.
func (s *Store) snapshot(ctx context.Context, fn func(*Store) error) error {
	if s.db.Dialect == db.Postgres {
		tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return fmt.Errorf("reports: begin reading: %w", err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
			return fmt.Errorf("reports: begin reading: %w", err)
		}
		return fn(s.on(tx))
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("reports: begin reading: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		return fmt.Errorf("reports: begin reading: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); err != nil {
			// A connection left inside a transaction must not go back to
			// the pool: tell database/sql it is broken.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return fn(s.on(conn))
}

// scope is the set of people a report covers: a manager's line, direct
// and indirect, or with manager 0 the whole organisation; with unsummed,
// only those of them with no summary row (person_standings) that holds
// at the moment unsummedAt. prefix goes before the SELECT, from and cond
// tie a table to the scope, and prefix's args come first.
type scope struct {
	managerID  int64
	unsummed   bool
	unsummedAt int64
	// line, once listed (see listLine), holds the people of a manager's
	// line; with arrays (PostgreSQL) prefix names them instead of walking
	// the tree again.
	line           []int64
	listed, arrays bool
	// gone, once listed, are the people of line who are not active.
	gone map[int64]bool
}

func (sc scope) org() bool { return sc.managerID == 0 }

// rest is the part of the scope that summary rows do not answer for at now.
func (sc scope) rest(now time.Time) scope {
	sc.unsummed, sc.unsummedAt = true, db.Nanos(now)
	return sc
}

// listLine walks a manager's line once. On PostgreSQL the queries of a
// report then name its people as an array: PostgreSQL cannot estimate a
// recursive walk (for the largest line it expects twice the users table)
// and plans every table joined to it as a full scan; an array's length it
// knows, and it then reads the cycles and standings of those people by
// index. SQLite plans the walk well and keeps walking it in each query;
// there the line is listed only when late says the team page will walk
// its late items in due order (listLate), which names the people.
func (s *Store) listLine(ctx context.Context, sc scope, late bool) (scope, error) {
	if sc.org() || sc.listed || (s.db.Dialect != db.Postgres && !late) {
		return sc, nil
	}
	// The walk of prefix, carrying whether each person is active.
	rows, err := s.q.rows(ctx, `WITH RECURSIVE line(id, active) AS (
	SELECT id, active FROM users WHERE manager_id = ?
	UNION
	SELECT u.id, u.active FROM users u JOIN line ON u.manager_id = line.id
) SELECT id, active FROM line`, sc.managerID)
	if err != nil {
		return sc, fmt.Errorf("reports: reporting line: %w", err)
	}
	defer rows.Close()
	sc.line, sc.gone = []int64{}, map[int64]bool{}
	for rows.Next() {
		var id int64
		var active bool
		if err := rows.Scan(&id, &active); err != nil {
			return sc, fmt.Errorf("reports: reporting line: %w", err)
		}
		sc.line = append(sc.line, id)
		if !active {
			sc.gone[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return sc, fmt.Errorf("reports: reporting line: %w", err)
	}
	sc.listed, sc.arrays = true, s.db.Dialect == db.Postgres
	return sc, nil
}

// prefix is the recursive walk down the reporting tree. UNION (not UNION
// ALL) stops the walk if the data ever holds a cycle.
func (sc scope) prefix() (string, []any) {
	const unsummed = ` NOT EXISTS (SELECT 1 FROM person_standings p
	WHERE p.user_id = %s AND p.standing_from <= ? AND p.standing_until > ?)`
	switch {
	case sc.org() && !sc.unsummed:
		return "", nil
	case sc.org():
		return `WITH line(id) AS (SELECT u.id FROM users u WHERE` + fmt.Sprintf(unsummed, "u.id") + `) `,
			[]any{sc.unsummedAt, sc.unsummedAt}
	}
	walk, arg := `WITH RECURSIVE line(id) AS (
	SELECT id FROM users WHERE manager_id = ?
	UNION
	SELECT u.id FROM users u JOIN line ON u.manager_id = line.id
) `, any(sc.managerID)
	if sc.arrays {
		walk, arg = `WITH line(id) AS (SELECT unnest(CAST(? AS BIGINT[]))) `, sc.line
	}
	if !sc.unsummed {
		return walk, []any{arg}
	}
	return strings.ReplaceAll(walk, "line", "whole") + `, line(id) AS (SELECT whole.id FROM whole WHERE` +
		fmt.Sprintf(unsummed, "whole.id") + `) `, []any{arg, sc.unsummedAt, sc.unsummedAt}
}

// from names table for a FROM clause, walking the line first (CROSS JOIN
// fixes SQLite's join order: a few thousand index lookups beat a scan of
// every row); cond, added to the WHERE clause, ties col to the line.
func (sc scope) from(table, col string) (from, cond string) {
	if sc.org() && !sc.unsummed {
		return table, ""
	}
	return `line CROSS JOIN ` + table, ` AND ` + col + ` = line.id`
}

// fromMonths is from for the trend's months, a dozen rows a person: on a
// listed line PostgreSQL reads them by index, person by person, where a
// join with the line would hash the whole table.
func (sc scope) fromMonths(table, col string) (from, cond string) {
	if sc.arrays {
		return table, ` AND ` + col + ` = ANY(ARRAY(SELECT id FROM line))`
	}
	return sc.from(table, col)
}

// Statuses a report filter accepts, in the order the filter lists them.
// The course statuses follow courses.Status; policies add pending and
// acknowledged.
var Statuses = []string{
	NeedsAction, string(courses.StatusOverdue), string(courses.StatusLapsed), string(courses.StatusDueSoon),
	string(courses.StatusInProgress), string(courses.StatusNotStarted), string(courses.StatusCompleted),
	string(courses.StatusExempt), StatusPending, StatusAcknowledged,
}

// Policy standings in report rows, and the filter for everything late.
const (
	NeedsAction = "needs_action" // overdue or lapsed training, overdue acknowledgements
	// The states policies.RememberStandings stores in policy_standings.
	StatusPending      = string(policies.AckPending)
	StatusAcknowledged = string(policies.AckAcknowledged)
)

// StatusLabel is a status as people read it.
func StatusLabel(s string) string {
	switch s {
	case StatusPending:
		return "Pending"
	case StatusAcknowledged:
		return "Acknowledged"
	case NeedsAction:
		return "Overdue or lapsed"
	}
	return courses.Status(s).Label()
}

// ValidStatus reports whether s is a status a filter accepts ("" is all).
func ValidStatus(s string) bool {
	if s == "" || s == "all" {
		return true
	}
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// statusExpr is the course-status rule in SQL (courses.StatusSQL) over
// the cycle c at the moment statusArgs binds.
var statusExpr = courses.StatusSQL("c", "?", "?")

// standingExpr is a current cycle's status at a moment: the remembered
// standing when its span covers the moment, else statusExpr (see
// standings.go). Its arguments come from standingArgs.
var standingExpr = `CASE WHEN c.standing_from <= ? AND c.standing_until > ? THEN c.standing ELSE ` + statusExpr + ` END`

func standingArgs(at time.Time) []any {
	n := db.Nanos(at.UTC())
	return append([]any{n, n}, statusArgs(at)...)
}

func statusArgs(at time.Time) []any { return courses.StatusArgs(at) }

// currentAt selects the cycles that were a person's current cycle at the
// moment bound twice by currentArgs.
const currentAt = `c.assigned_at <= ? AND (c.closed_at IS NULL OR c.closed_at > ?)`

func currentArgs(at time.Time) []any { return []any{at.UTC(), at.UTC()} }

// Course is a course as reports name it.
type Course struct {
	ID          int64  `db:"id"`
	Slug        string `db:"slug"`
	Title       string `db:"title"`
	Revision    int    `db:"revision"`
	ValidMonths int    `db:"valid_months"`
}

// Courses lists every course, by title.
func (s *Store) Courses(ctx context.Context) ([]Course, error) {
	var out []Course
	if err := s.q.selectAll(ctx, &out, `SELECT id, slug, title, revision, valid_months FROM courses ORDER BY title, id`); err != nil {
		return nil, fmt.Errorf("reports: courses: %w", err)
	}
	return out, nil
}

// Team is a team as reports name it.
type Team struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// Teams lists every team, by name.
func (s *Store) Teams(ctx context.Context) ([]Team, error) {
	var out []Team
	if err := s.q.selectAll(ctx, &out, `SELECT id, name FROM teams ORDER BY name, id`); err != nil {
		return nil, fmt.Errorf("reports: teams: %w", err)
	}
	return out, nil
}

// Rate is a percentage rounded down, 0 for an empty group.
func Rate(n, of int) int {
	if of <= 0 {
		return 0
	}
	return n * 100 / of
}

// Day returns midnight UTC of t's day.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ParseAsOf reads an evidence date (YYYY-MM-DD) and returns the last
// instant of that day, the moment the evidence describes. Dates after
// today or before 2000 are refused.
func ParseAsOf(s string, now time.Time) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 2000 || d.After(Day(now)) {
		return time.Time{}, ErrBadDate
	}
	return d.Add(24*time.Hour - time.Microsecond), nil
}

// valuesRow picks the row of a VALUES list for the dialect. PostgreSQL
// types a bare bind variable in VALUES as text, so its rows cast; SQLite
// must not cast (CAST(x AS TIMESTAMP) would turn a date into a number).
func (s *Store) valuesRow(postgres, sqlite string) string {
	if s.db.Dialect == db.Postgres {
		return postgres
	}
	return sqlite
}

// unlimited ends a subquery with a limit that admits every row. A
// subquery with a limit is not merged into the query around it, so
// SQLite computes its columns once and groups the results; merged, it
// sorts every column the expressions read and evaluates them again, which
// on the organisation's current cycles costs a third more.
func (s *Store) unlimited() string {
	if s.db.Dialect == db.Postgres {
		return ` LIMIT ALL`
	}
	return ` LIMIT -1`
}
