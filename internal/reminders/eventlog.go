package reminders

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// LoggedEvent is one reminder or escalation the sweep sent: to whom, about
// whom and what (a course cycle or a pending acknowledgement), at which
// stage (due soon, overdue, escalated to the manager, …).
type LoggedEvent struct {
	ID          int64     `db:"id"`
	SubjectType string    `db:"subject_type"` // "cycle" or "ack"
	SubjectID   int64     `db:"subject_id"`
	UserID      int64     `db:"user_id"`
	Round       string    `db:"round"`
	Stage       string    `db:"stage"`
	RecipientID int64     `db:"recipient_id"`
	CreatedAt   time.Time `db:"created_at"`
}

// EventLog calls fn with every reminder event recorded before until, in
// the order they were recorded.
func EventLog(ctx context.Context, q sqlx.ExtContext, until time.Time, fn func(LoggedEvent) error) error {
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT id, subject_type, subject_id, user_id, round, stage, recipient_id, created_at
		FROM reminder_events WHERE created_at < ? ORDER BY id`), until.UTC())
	if err != nil {
		return fmt.Errorf("reminders: event log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e LoggedEvent
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("reminders: event log: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
