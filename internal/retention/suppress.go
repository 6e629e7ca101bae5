package retention

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
	"steward/internal/mail"
)

// Suppress remembers, as a keyed hash only, that email unsubscribed: it
// must never be mailed again unless it subscribes and confirms anew. It
// runs in the caller's transaction, beside the deletion of the
// subscription.
func Suppress(ctx context.Context, tx sqlx.ExtContext, h AddressHasher, email string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO suppressed_addresses (hash, keyed) VALUES (?, ?)
		ON CONFLICT (hash) DO NOTHING`), h.Hash(email), true); err != nil {
		return fmt.Errorf("retention: suppress address: %w", err)
	}
	return nil
}

// Unsuppress forgets a suppression, in every form it may be stored in:
// the address confirmed a new subscription, which is a fresh and explicit
// request for mail.
func Unsuppress(ctx context.Context, tx sqlx.ExtContext, h AddressHasher, email string) error {
	forms := h.Forms(email)
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM suppressed_addresses WHERE hash IN (`+marks(len(forms))+`)`),
		anys(forms)...); err != nil {
		return fmt.Errorf("retention: unsuppress address: %w", err)
	}
	return nil
}

// Suppressed reports whether email unsubscribed.
func Suppressed(ctx context.Context, q sqlx.ExtContext, h AddressHasher, email string) (bool, error) {
	forms := h.Forms(email)
	var n int
	if err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*) FROM suppressed_addresses WHERE hash IN (`+marks(len(forms))+`)`),
		anys(forms)...); err != nil {
		return false, fmt.Errorf("retention: check address: %w", err)
	}
	return n > 0, nil
}

// rekeySuppressions replaces the unkeyed digests stored before hashes
// were keyed by their keyed hashes.
func rekeySuppressions(ctx context.Context, tx *sqlx.Tx, h AddressHasher) error {
	var old []string
	if err := tx.SelectContext(ctx, &old, tx.Rebind(`SELECT hash FROM suppressed_addresses WHERE keyed = ?`), false); err != nil {
		return fmt.Errorf("retention: find unkeyed suppressions: %w", err)
	}
	for _, d := range old {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO suppressed_addresses (hash, keyed) VALUES (?, ?)
			ON CONFLICT (hash) DO NOTHING`), h.Rekey(d), true); err != nil {
			return fmt.Errorf("retention: re-key a suppression: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM suppressed_addresses WHERE hash = ? AND keyed = ?`), d, false); err != nil {
			return fmt.Errorf("retention: re-key a suppression: %w", err)
		}
	}
	return nil
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// SuppressionCheck is a send-time check for the outbox worker: an email to
// a customer address that unsubscribed after it was queued is not sent.
// Only a confirmation link, which the person has just asked for, still goes.
type SuppressionCheck struct {
	DB *db.DB
}

var _ mail.Checker = SuppressionCheck{}

// StillWanted implements mail.Checker.
func (s SuppressionCheck) StillWanted(ctx context.Context, m mail.Outgoing) (bool, error) {
	if m.UserID != nil || m.Kind == "subscribe_confirm" {
		return true, nil
	}
	h, err := LoadAddressHasher(ctx, s.DB, time.Now())
	if err != nil {
		return true, err
	}
	gone, err := Suppressed(ctx, s.DB, h, m.Recipient)
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
