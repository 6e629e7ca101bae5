package db

import (
	"context"
	"fmt"
)

// ResetSequences moves every PostgreSQL identity sequence past the largest
// id in its table. Rows written with explicit ids (a copy, a generated
// organisation) leave the sequence behind, and the next insert would
// collide with them. SQLite needs nothing: its next id follows the rows.
func (d *DB) ResetSequences(ctx context.Context) error {
	if d.Dialect != Postgres {
		return nil
	}
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	if err := d.SelectContext(ctx, &cols, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name`); err != nil {
		return fmt.Errorf("db: list identity columns: %w", err)
	}
	for _, c := range cols {
		// setval is not transactional: it holds even if a caller's
		// transaction rolls back, which only leaves a gap in the ids.
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE((SELECT MAX(%s) FROM %s), 0) + 1, false)`,
			c.Table, c.Column, c.Column, c.Table)
		if _, err := d.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("db: reset the id sequence of %s: %w", c.Table, err)
		}
	}
	return nil
}
