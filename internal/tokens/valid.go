package tokens

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Valid reports whether token would redeem for purpose now, without using
// it up: the page behind a link checks it before showing a form.
func Valid(ctx context.Context, q sqlx.QueryerContext, purpose, token string, now time.Time) (bool, error) {
	if token == "" {
		return false, nil
	}
	var n int
	err := sqlx.GetContext(ctx, q, &n, sqlx.Rebind(sqlx.BindType(driverName(q)), `SELECT COUNT(*) FROM one_time_tokens t
		JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.purpose = ? AND t.used_at IS NULL AND t.expires_at > ? AND u.active = ?
		AND (t.purpose <> ? OR u.password_hash = '')`),
		Hash(token), purpose, now.UTC(), true, PurposeInvite)
	if err != nil {
		return false, fmt.Errorf("tokens: check %s token: %w", purpose, err)
	}
	return n == 1, nil
}

func driverName(q sqlx.QueryerContext) string {
	if d, ok := q.(interface{ DriverName() string }); ok {
		return d.DriverName()
	}
	return "sqlite3"
}
