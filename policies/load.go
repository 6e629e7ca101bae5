package policies

import (
	"context"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
)

// LoadPolicies, LoadVersions and LoadAcknowledgements bulk-load rows
// with their ids, for a generated organisation (demo --people N),
// unchecked and unaudited; the loader resets the sequences after
// (db.ResetSequences).
//
// LoadPolicies' columns: id, slug, title, audience, requires_ack,
// ack_within_days, reack_months, created_at, updated_at.
func LoadPolicies(ctx context.Context, tx *sqlx.Tx) *db.Batch {
	return db.NewBatch(ctx, tx, "policies", "id", "slug", "title", "audience", "requires_ack", "ack_within_days", "reack_months",
		"created_at", "updated_at")
}

// LoadVersions' columns: id, policy_id, status, number, body_md,
// body_html, summary, change_kind, sha256, created_at, updated_at,
// published_at, effective_at.
func LoadVersions(ctx context.Context, tx *sqlx.Tx) *db.Batch {
	return db.NewBatch(ctx, tx, "policy_versions", "id", "policy_id", "status", "number", "body_md", "body_html", "summary",
		"change_kind", "sha256", "created_at", "updated_at", "published_at", "effective_at")
}

// LoadAcknowledgements' columns: user_id, version_id, acknowledged_at.
func LoadAcknowledgements(ctx context.Context, tx *sqlx.Tx) *db.Batch {
	return db.NewBatch(ctx, tx, "policy_acknowledgements", "user_id", "version_id", "acknowledged_at")
}
