package mail

import "steward/internal/db"

// claimSQL is the one place where claiming due rows differs between
// databases. The claim is a single UPDATE that stamps up to n due rows with
// the worker's token; the worker then reads back exactly the rows carrying
// its token. On SQLite the statement runs under the database's single
// writer lock, so two workers can never stamp the same row. On PostgreSQL
// the inner SELECT takes row locks with FOR UPDATE SKIP LOCKED, so
// concurrent workers claim disjoint rows instead of queueing behind each
// other; the repeated status test in the outer WHERE guards against a row
// another worker finished between the SELECT and the UPDATE.
//
// Bind order: claim token, claimed at, now, limit.
func claimSQL(d db.Dialect) string {
	lock := ""
	if d == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return `UPDATE outbox SET status = 'sending', claim_token = ?, claimed_at = ?
		WHERE id IN (
			SELECT id FROM outbox
			WHERE status IN ('queued', 'failed') AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id
			LIMIT ?` + lock + `)
		AND status IN ('queued', 'failed')`
}
