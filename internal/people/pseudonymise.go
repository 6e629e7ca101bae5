package people

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// PseudonymName and PseudonymEmail replace a pseudonymised person's name
// and email: stable, unique, and saying nothing about who it was.
func PseudonymName(id int64) string { return "Former staff member " + strconv.FormatInt(id, 10) }

// PseudonymEmail is a unique address that can never be delivered (.invalid).
func PseudonymEmail(id int64) string {
	return "former-" + strconv.FormatInt(id, 10) + "@pseudonymised.invalid"
}

// Pseudonymise replaces the personal details of every person deactivated
// before cutoff and not yet pseudonymised, each with an audit entry, and
// returns their ids, in order. Their name and email become PseudonymName
// and PseudonymEmail; the password hash, hire date and what the
// directory gave them (external id, user name, department, employee
// number) go too: none is evidence, and each can point back to the
// person.
// Retention runs it (with what other owners keep about them) in its
// transaction.
func Pseudonymise(ctx context.Context, tx *sqlx.Tx, cutoff, now time.Time) ([]int64, error) {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT id FROM users
		WHERE active = ? AND deactivated_at IS NOT NULL AND deactivated_at < ? AND pseudonymised_at IS NULL
		ORDER BY id`), false, cutoff); err != nil {
		return nil, fmt.Errorf("people: find people to pseudonymise: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET name = ?, email = ?, password_hash = '',
			hired_on = NULL, external_id = NULL, user_name = NULL, department = '', employee_number = '',
			pseudonymised_at = ?, updated_at = ? WHERE id = ?`),
			PseudonymName(id), PseudonymEmail(id), now, now, id); err != nil {
			return nil, fmt.Errorf("people: pseudonymise user %d: %w", id, err)
		}
		if err := audit.Record(ctx, tx, audit.System.Entry(now, "user.pseudonymise", userTarget(id),
			"name and email replaced after the retention period")); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
