package people

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Member is an active person as organisation-wide readers (the reminder
// sweep) need them: who they are and who they report to.
type Member struct {
	ID        int64
	Email     string
	Name      string
	ManagerID *int64
}

// ActiveMembers calls fn for every active person, in one query.
func ActiveMembers(ctx context.Context, q sqlx.QueryerContext, fn func(Member) error) error {
	rows, err := q.QueryxContext(ctx, `SELECT id, email, name, manager_id FROM users WHERE active = TRUE`)
	if err != nil {
		return fmt.Errorf("people: active people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.Email, &m.Name, &m.ManagerID); err != nil {
			return fmt.Errorf("people: active people: %w", err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("people: active people: %w", err)
	}
	return nil
}

// IsActive reports whether person id exists and is active.
func IsActive(ctx context.Context, q sqlx.ExtContext, id int64) (bool, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*) FROM users WHERE id = ? AND active = TRUE`), id); err != nil {
		return false, fmt.Errorf("people: is %d active: %w", id, err)
	}
	return n > 0, nil
}
