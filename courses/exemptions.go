package courses

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Exemption is a person excused from a course cycle: why, by whom, when.
type Exemption struct {
	UserID   int64     `db:"user_id"`
	Course   string    `db:"course"`
	Seq      int       `db:"seq"`
	Reason   string    `db:"exempt_reason"`
	ByID     *int64    `db:"exempt_by"`
	At       time.Time `db:"exempt_at"`
	Assigned time.Time `db:"assigned_at"`
}

// Exemptions calls fn with every exemption granted before until that
// stands now. A cycle keeps only the exemption it was last given, so one
// lifted since is not listed; the audit trail holds that history
// (course.exempt, course.unexempt).
func Exemptions(ctx context.Context, q sqlx.ExtContext, until time.Time, fn func(Exemption) error) error {
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT cy.user_id, c.slug AS course, cy.seq, cy.exempt_reason, cy.exempt_by,
		cy.exempt_at, cy.assigned_at
		FROM course_cycles cy JOIN courses c ON c.id = cy.course_id
		WHERE cy.exempt = TRUE AND cy.exempt_at < ? ORDER BY cy.exempt_at, cy.id`), until.UTC())
	if err != nil {
		return fmt.Errorf("courses: exemptions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Exemption
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("courses: exemptions: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
