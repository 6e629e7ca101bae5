package courses

import (
	"context"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
)

// LoadCycles and LoadAttempts bulk-load rows with their ids, for a
// generated organisation (demo --people N), unchecked and unaudited; the
// loader resets the sequences after (db.ResetSequences).
//
// LoadCycles' columns: id, user_id, course_id, seq, assigned_at, due_at,
// lapses_at, started_at, completed_at, completed_revision, expires_at,
// score, exempt, exempt_reason, exempt_at, closed_at, closed_reason.
func LoadCycles(ctx context.Context, tx *sqlx.Tx) *db.Batch {
	return db.NewBatch(ctx, tx, "course_cycles", "id", "user_id", "course_id", "seq", "assigned_at", "due_at", "lapses_at",
		"started_at", "completed_at", "completed_revision", "expires_at", "score", "exempt", "exempt_reason", "exempt_at",
		"closed_at", "closed_reason")
}

// LoadAttempts' columns: id, token, cycle_id, module_id, user_id, seed,
// revision, started_at, submitted_at, score, passed, answers. Its rows
// refer to cycles: LoadAttempts(...).After(cycles).
func LoadAttempts(ctx context.Context, tx *sqlx.Tx) *db.Batch {
	return db.NewBatch(ctx, tx, "course_attempts", "id", "token", "cycle_id", "module_id", "user_id", "seed", "revision",
		"started_at", "submitted_at", "score", "passed", "answers")
}
