package people

import (
	"context"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
)

// LoadTeams and LoadUsers bulk-load rows with their ids, for a generated
// organisation (demo --people N), unchecked and unaudited; the loader
// resets the sequences after (db.ResetSequences).
//
// LoadTeams' columns: id, name, created_at.
func LoadTeams(ctx context.Context, tx *sqlx.Tx) *db.Batch {
	return db.NewBatch(ctx, tx, "teams", "id", "name", "created_at")
}

// LoadUsers' columns: id, email, name, role, team_id, manager_id,
// hired_on, active, deactivated_at, password_hash, created_at,
// updated_at.
func LoadUsers(ctx context.Context, tx *sqlx.Tx) *db.Batch {
	return db.NewBatch(ctx, tx, "users", "id", "email", "name", "role", "team_id", "manager_id", "hired_on", "active",
		"deactivated_at", "password_hash", "created_at", "updated_at")
}
