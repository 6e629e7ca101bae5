package courses

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
)

// The remembered course standings are a cache of the course-status rule,
// kept on each current cycle (course_cycles.standing, standing_from,
// standing_until, standing_due): the status at a moment and the span of
// time over which it holds, so that reports read a status instead of
// deriving it. A standing is used only when the moment asked about lies
// inside its span; the triggers of the baseline migration forget it as
// soon as a column the rule reads changes (StatusColumns), and a change of
// the rule itself (RuleVersion) forgets them all (ForgetStandings).
// reports.Store.Refresh decides when and for whom to remember them.

// Standing is the status at the moment and the span [from, until), in
// Unix nanoseconds (db.Nanos), over which it holds: from the last of the
// rule's change points at or before the moment until the first after it.
func (d Dates) Standing(at time.Time) (s Status, from, until int64) {
	sp := db.SpanAround(at)
	for t := range d.ChangePoints() {
		sp.Edge(t)
	}
	return d.StatusAt(at), sp.From, sp.Until
}

// RememberStandings remembers, at now, the standing of every current
// cycle of the active people given whose standing is missing or does not
// hold at now, with the due date shown with it (DueShown), by which the
// team page walks late items in order. It returns how many it wrote.
// Run it in the transaction that also writes what is derived from these
// standings, so that none is written without them.
func RememberStandings(ctx context.Context, tx *sqlx.Tx, now time.Time, people []int64) (int, error) {
	if len(people) == 0 {
		return 0, nil
	}
	at := db.Nanos(now)
	var stale []struct {
		ID int64 `db:"id"`
		Dates
	}
	if err := sqlx.SelectContext(ctx, tx, &stale, tx.Rebind(`SELECT c.id, c.exempt, c.exempt_at, c.completed_at,
			c.expires_at, c.lapses_at, c.due_at, c.started_at
		FROM course_cycles c JOIN users u ON u.id = c.user_id
		WHERE c.user_id IN (`+db.IDList(people)+`) AND c.closed_at IS NULL AND u.active = TRUE
			AND (c.standing IS NULL OR c.standing_from > ? OR c.standing_until <= ?)`), at, at); err != nil {
		return 0, fmt.Errorf("courses: remember standings: %w", err)
	}
	if len(stale) == 0 {
		return 0, nil
	}
	st, err := tx.PreparexContext(ctx, tx.Rebind(`UPDATE course_cycles
		SET standing = ?, standing_from = ?, standing_until = ?, standing_due = ? WHERE id = ?`))
	if err != nil {
		return 0, fmt.Errorf("courses: remember standings: %w", err)
	}
	defer st.Close()
	for i := range stale {
		status, from, until := stale[i].Standing(now)
		due := stale[i].DueShown(status).UTC()
		if _, err := st.ExecContext(ctx, string(status), from, until, due, stale[i].ID); err != nil {
			return 0, fmt.Errorf("courses: remember standings: %w", err)
		}
	}
	return len(stale), nil
}

// ForgetStandings forgets every remembered course standing.
func ForgetStandings(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL,
		standing_due = NULL WHERE standing IS NOT NULL`); err != nil {
		return fmt.Errorf("courses: forget standings: %w", err)
	}
	return nil
}
