package retention

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"steward/internal/mail"
)

// Suppress remembers, as a hash only, that email unsubscribed: it must
// never be mailed again unless it subscribes and confirms anew. It runs in
// the caller's transaction, beside the deletion of the subscription.
func Suppress(ctx context.Context, tx sqlx.ExtContext, email string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO suppressed_addresses (hash) VALUES (?)
		ON CONFLICT (hash) DO NOTHING`), HashAddress(email)); err != nil {
		return fmt.Errorf("retention: suppress address: %w", err)
	}
	return nil
}

// Unsuppress forgets a suppression: the address confirmed a new
// subscription, which is a fresh and explicit request for mail.
func Unsuppress(ctx context.Context, tx sqlx.ExtContext, email string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM suppressed_addresses WHERE hash = ?`), HashAddress(email)); err != nil {
		return fmt.Errorf("retention: unsuppress address: %w", err)
	}
	return nil
}

// Suppressed reports whether email unsubscribed.
func Suppressed(ctx context.Context, q sqlx.ExtContext, email string) (bool, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*) FROM suppressed_addresses WHERE hash = ?`), HashAddress(email)); err != nil {
		return false, fmt.Errorf("retention: check address: %w", err)
	}
	return n > 0, nil
}

// SuppressionCheck is a send-time check for the outbox worker: an email to
// a customer address that unsubscribed after it was queued is not sent.
// Only a confirmation link, which the person has just asked for, still goes.
type SuppressionCheck struct {
	DB sqlx.ExtContext
}

var _ mail.Checker = SuppressionCheck{}

// StillWanted implements mail.Checker.
func (s SuppressionCheck) StillWanted(ctx context.Context, m mail.Outgoing) (bool, error) {
	if m.UserID != nil || m.Kind == "subscribe_confirm" {
		return true, nil
	}
	gone, err := Suppressed(ctx, s.DB, m.Recipient)
	return !gone, err
}

// AllChecks is a send-time check made of several: a message goes only when
// every one of them still wants it. The outbox worker takes one check; this
// lets it take the reminders' and the suppression check together.
type AllChecks []mail.Checker

var _ mail.Checker = AllChecks{}

// StillWanted implements mail.Checker.
func (cs AllChecks) StillWanted(ctx context.Context, m mail.Outgoing) (bool, error) {
	for _, c := range cs {
		wanted, err := c.StillWanted(ctx, m)
		if err != nil || !wanted {
			return wanted, err
		}
	}
	return true, nil
}
