package courses

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
)

// OpenCycle is a current cycle that still asks something of its person
// at a moment: neither exempt nor completed and valid.
type OpenCycle struct {
	ID, UserID, CourseID int64
	Slug, Title          string // the course's
	AssignedAt           time.Time
	Dates                Dates
	Status               Status // Dates.StatusAt the moment
}

// openWhere narrows the current cycles of alias c to those that may be
// open at the moment (bound once): StatusAt decides among them. Exempt
// ones and those completed and not yet expired never are.
const openWhere = `c.closed_at IS NULL AND c.exempt = FALSE AND (c.completed_at IS NULL OR c.expires_at <= ?)`

// OpenCycleIDs is an SQL query of the ids of the cycles that may be open
// at the moment its one bind variable holds (a superset of OpenCycles'),
// for a reader that keeps rows about cycles: `subject_id IN (...)`.
func OpenCycleIDs() string {
	return `SELECT c.id FROM course_cycles c WHERE ` + openWhere
}

// OpenCycles calls fn for every open cycle assigned by now, whoever its
// person (a reader that serves only active people drops the others), in
// one query over the whole organisation. The OpenCycle passed is reused:
// fn keeps copies of what it needs.
func OpenCycles(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(*OpenCycle) error) error {
	var cs []struct {
		ID    int64  `db:"id"`
		Slug  string `db:"slug"`
		Title string `db:"title"`
	}
	if err := sqlx.SelectContext(ctx, q, &cs, `SELECT id, slug, title FROM courses`); err != nil {
		return fmt.Errorf("courses: open cycles: %w", err)
	}
	type info struct{ slug, title string }
	byID := make(map[int64]info, len(cs))
	for _, c := range cs {
		byID[c.ID] = info{c.Slug, c.Title}
	}
	ts := func(col string) string { return db.TimeColumn(q, col) }
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT c.id, c.user_id, c.course_id, `+ts("c.assigned_at")+`, `+ts("c.due_at")+`,
			`+ts("c.lapses_at")+`, `+ts("c.started_at")+`, `+ts("c.completed_at")+`, `+ts("c.expires_at")+`
		FROM course_cycles c
		WHERE `+openWhere+` AND c.assigned_at <= ?`), now, now)
	if err != nil {
		return fmt.Errorf("courses: open cycles: %w", err)
	}
	defer rows.Close()
	var (
		o                                                  OpenCycle
		assigned, due, lapses, started, completed, expires db.Time
	)
	for rows.Next() {
		// Scan, not StructScan: this loop runs for every open cycle of
		// the organisation, and reflection per row adds up.
		if err := rows.Scan(&o.ID, &o.UserID, &o.CourseID, &assigned, &due, &lapses, &started, &completed, &expires); err != nil {
			return fmt.Errorf("courses: open cycles: %w", err)
		}
		if !assigned.Valid || !due.Valid {
			return fmt.Errorf("courses: open cycles: cycle %d has no assigned or due time", o.ID)
		}
		o.AssignedAt = assigned.Time
		o.Dates = Dates{DueAt: due.Time, LapsesAt: lapses.Ptr(), StartedAt: started.Ptr(),
			CompletedAt: completed.Ptr(), ExpiresAt: expires.Ptr()}
		o.Status = o.Dates.StatusAt(now)
		if o.Status == StatusCompleted || o.Status == StatusExempt {
			continue
		}
		c := byID[o.CourseID]
		o.Slug, o.Title = c.slug, c.title
		if err := fn(&o); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("courses: open cycles: %w", err)
	}
	return nil
}

// CycleOpen reports whether cycle id is current and open at now, as
// OpenCycles would list it.
func CycleOpen(ctx context.Context, q sqlx.ExtContext, id int64, now time.Time) (bool, error) {
	var c Cycle
	err := sqlx.GetContext(ctx, q, &c, q.Rebind(`SELECT `+cycleColumns+` FROM course_cycles c
		WHERE c.id = ? AND `+openWhere+` AND c.assigned_at <= ?`), id, now, now)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("courses: is cycle %d open: %w", id, err)
	}
	st := c.Status(now)
	return st != StatusCompleted && st != StatusExempt, nil
}
