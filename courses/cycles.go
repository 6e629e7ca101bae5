package courses

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

type newCycle struct {
	UserID     int64
	Seq        int
	AssignedAt time.Time
	DueAt      time.Time
	LapsesAt   *time.Time
}

// insertCycles writes cycles in multi-row INSERTs of up to 200 rows.
func insertCycles(ctx context.Context, tx *sqlx.Tx, courseID int64, cs []newCycle) error {
	const batch = 200
	for len(cs) > 0 {
		n := min(batch, len(cs))
		var b strings.Builder
		b.WriteString(`INSERT INTO course_cycles (user_id, course_id, seq, assigned_at, due_at, lapses_at) VALUES `)
		args := make([]any, 0, n*6)
		for i, c := range cs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, c.UserID, courseID, c.Seq, c.AssignedAt.UTC(), c.DueAt.UTC(), c.LapsesAt)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(b.String()), args...); err != nil {
			return fmt.Errorf("courses: open %d cycles: %w", n, err)
		}
		cs = cs[n:]
	}
	return nil
}

// audienceQuery selects the ids of active users in c's audience; its one
// bind variable is the course id (unused, but bound, for everyone).
func audienceQuery(kind string) string {
	switch kind {
	case AudienceTeams:
		return `SELECT u.id FROM users u JOIN teams t ON t.id = u.team_id
			JOIN course_audience a ON a.value = t.name AND a.course_id = ? WHERE u.active = TRUE`
	case AudienceRoles:
		return `SELECT u.id FROM users u JOIN course_audience a ON a.value = u.role AND a.course_id = ?
			WHERE u.active = TRUE`
	default:
		return `SELECT u.id FROM users u WHERE u.active = TRUE AND ? > 0`
	}
}

// SyncResult counts what Sync changed.
type SyncResult struct {
	Opened int // first cycles, for new hires and people who joined the audience
	Recert int // next cycles opened because a recertification window opened
	Closed int // current cycles closed: person deactivated or left the audience
}

// Sync brings assignment cycles in line with people and courses at now:
// it closes the current cycles of people deactivated or no longer in the
// audience (the rows stay as evidence), opens the next cycle for everyone
// whose recertification window has opened (due on the expiry date), and
// opens a first cycle for each active person in the audience without one,
// assigned now or on their hire date if that is later. Each course takes a
// handful of statements, whatever the number of people.
func (s *Store) Sync(ctx context.Context, now time.Time) (SyncResult, error) {
	now = now.UTC()
	var total SyncResult
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var rows []courseRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+courseColumns+` FROM courses ORDER BY id`); err != nil {
			return fmt.Errorf("courses: sync: list courses: %w", err)
		}
		for _, r := range rows {
			c := r.course()
			res, err := syncCourse(ctx, tx, &c, now)
			if err != nil {
				return err
			}
			total.Opened += res.Opened
			total.Recert += res.Recert
			total.Closed += res.Closed
		}
		return nil
	})
	return total, err
}

func syncCourse(ctx context.Context, tx *sqlx.Tx, c *Course, now time.Time) (SyncResult, error) {
	var res SyncResult
	audience := audienceQuery(c.Audience.Kind)
	closeWhere := func(reason, cond string, args ...any) error {
		r, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_cycles SET closed_at = ?, closed_reason = ?
			WHERE course_id = ? AND closed_at IS NULL AND `+cond), append([]any{now, reason, c.ID}, args...)...)
		if err != nil {
			return fmt.Errorf("courses: sync %s: close (%s): %w", c.Slug, reason, err)
		}
		n, _ := r.RowsAffected()
		res.Closed += int(n)
		return nil
	}
	if err := closeWhere("person deactivated", `user_id IN (SELECT id FROM users WHERE active = FALSE)`); err != nil {
		return res, err
	}
	if err := closeWhere("left the course audience", `user_id NOT IN (`+audience+`)`, c.ID); err != nil {
		return res, err
	}

	if c.ValidMonths > 0 {
		// The window is open when now >= expires_at - window days.
		windowEnd := now.AddDate(0, 0, c.RecertWindowDays)
		var due []struct {
			UserID    int64     `db:"user_id"`
			Seq       int       `db:"seq"`
			ExpiresAt time.Time `db:"expires_at"`
		}
		const cond = `course_id = ? AND closed_at IS NULL AND exempt = FALSE AND completed_at IS NOT NULL
			AND expires_at IS NOT NULL AND expires_at <= ?`
		if err := tx.SelectContext(ctx, &due, tx.Rebind(`SELECT user_id, seq, expires_at FROM course_cycles WHERE `+cond), c.ID, windowEnd); err != nil {
			return res, fmt.Errorf("courses: sync %s: recertification: %w", c.Slug, err)
		}
		if len(due) > 0 {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_cycles SET closed_at = ?, closed_reason = ? WHERE `+cond),
				now, "recertification cycle opened", c.ID, windowEnd); err != nil {
				return res, fmt.Errorf("courses: sync %s: close for recertification: %w", c.Slug, err)
			}
			opens := make([]newCycle, len(due))
			for i, d := range due {
				exp := d.ExpiresAt.UTC()
				opens[i] = newCycle{UserID: d.UserID, Seq: d.Seq + 1, AssignedAt: now, DueAt: exp, LapsesAt: &exp}
			}
			if err := insertCycles(ctx, tx, c.ID, opens); err != nil {
				return res, err
			}
			res.Recert = len(opens)
		}
	}

	var missing []struct {
		UserID  int64        `db:"id"`
		HiredOn sql.NullTime `db:"hired_on"`
		LastSeq int          `db:"last_seq"`
	}
	if err := tx.SelectContext(ctx, &missing, tx.Rebind(`SELECT u.id, u.hired_on,
			COALESCE((SELECT MAX(seq) FROM course_cycles x WHERE x.user_id = u.id AND x.course_id = ?), 0) AS last_seq
		FROM users u WHERE u.id IN (`+audience+`)
		AND NOT EXISTS (SELECT 1 FROM course_cycles x WHERE x.user_id = u.id AND x.course_id = ? AND x.closed_at IS NULL)
		ORDER BY u.id`), c.ID, c.ID, c.ID); err != nil {
		return res, fmt.Errorf("courses: sync %s: find unassigned: %w", c.Slug, err)
	}
	opens := make([]newCycle, len(missing))
	for i, m := range missing {
		at := now
		if m.HiredOn.Valid && m.HiredOn.Time.After(now) {
			at = m.HiredOn.Time.UTC()
		}
		opens[i] = newCycle{UserID: m.UserID, Seq: m.LastSeq + 1, AssignedAt: at, DueAt: at.AddDate(0, 0, c.DueDays)}
	}
	if err := insertCycles(ctx, tx, c.ID, opens); err != nil {
		return res, err
	}
	res.Opened = len(opens)
	return res, nil
}

const cycleColumns = `id, user_id, course_id, seq, assigned_at, due_at, lapses_at, started_at, completed_at,
	completed_revision, expires_at, score, exempt, exempt_reason, exempt_by, exempt_at, closed_at, closed_reason`

// nestedCycleColumns selects the cycle columns of table alias as
// "cycle.<column>", for rows that hold a Cycle under the db tag "cycle".
func nestedCycleColumns(alias string) string {
	cols := strings.Split(cycleColumns, ",")
	for i, c := range cols {
		c = strings.TrimSpace(c)
		cols[i] = fmt.Sprintf(`%s.%s AS "cycle.%s"`, alias, c, c)
	}
	return strings.Join(cols, ", ")
}

// CurrentCycle returns userID's current cycle of course courseID, or
// ErrNotAssigned.
func (s *Store) CurrentCycle(ctx context.Context, userID, courseID int64) (*Cycle, error) {
	return currentCycle(ctx, s.db, userID, courseID)
}

func currentCycle(ctx context.Context, q rebinder, userID, courseID int64) (*Cycle, error) {
	var c Cycle
	err := sqlx.GetContext(ctx, q, &c, q.Rebind(`SELECT `+cycleColumns+` FROM course_cycles
		WHERE user_id = ? AND course_id = ? AND closed_at IS NULL`), userID, courseID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotAssigned
	}
	if err != nil {
		return nil, fmt.Errorf("courses: current cycle of user %d, course %d: %w", userID, courseID, err)
	}
	return &c, nil
}

// ErrReasonRequired is returned by Exempt without a reason.
var ErrReasonRequired = errors.New("courses: an exemption needs a reason")

// Exempt marks userID's current cycle of course slug as exempt, with the
// reason and who decided, and records it in the audit log.
func (s *Store) Exempt(ctx context.Context, userID int64, slug, reason string, by audit.Actor, now time.Time) error {
	return s.setExempt(ctx, userID, slug, true, reason, by, now)
}

// Unexempt lifts the exemption on userID's current cycle of slug.
func (s *Store) Unexempt(ctx context.Context, userID int64, slug, reason string, by audit.Actor, now time.Time) error {
	return s.setExempt(ctx, userID, slug, false, reason, by, now)
}

func (s *Store) setExempt(ctx context.Context, userID int64, slug string, exempt bool, reason string, by audit.Actor, now time.Time) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ErrReasonRequired
	}
	now = now.UTC()
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var courseID int64
		if err := tx.GetContext(ctx, &courseID, tx.Rebind(`SELECT id FROM courses WHERE slug = ?`), slug); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return fmt.Errorf("courses: exempt: %w", err)
		}
		cy, err := currentCycle(ctx, tx, userID, courseID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_cycles SET exempt = ?, exempt_reason = ?, exempt_by = ?,
			exempt_at = ? WHERE id = ?`), exempt, reason, by.ID, now, cy.ID); err != nil {
			return fmt.Errorf("courses: exempt user %d from %s: %w", userID, slug, err)
		}
		action := "course.exempt"
		if !exempt {
			action = "course.unexempt"
		}
		return audit.Record(ctx, tx, by.Entry(now, action,
			fmt.Sprintf("user:%d", userID), fmt.Sprintf("course %s, cycle %d: %s", slug, cy.Seq, reason)))
	})
}
