package policies

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/i18n"
	stewardmail "steward/internal/mail"
	"steward/internal/retention"
)

// ConfirmWithin is how long a confirmation link works. Unconfirmed
// subscriptions older than this are purged (PurgeUnconfirmed).
const ConfirmWithin = 7 * 24 * time.Hour

// ConfirmationEvery is how often, at most, a confirmation email goes to
// one address: the form, sent again and again, cannot flood an inbox.
const ConfirmationEvery = 24 * time.Hour

// Subscription is a customer who asked for change notices: only the
// address, a token, dates and the language they subscribed in.
type Subscription struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
	Token string `db:"token"`
	// Language is the interface language of the page the person
	// subscribed on; their emails are written in it.
	Language    string     `db:"language"`
	CreatedAt   time.Time  `db:"created_at"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
	// ConfirmationSentAt is when the last confirmation email was queued.
	ConfirmationSentAt *time.Time `db:"confirmation_sent_at"`
}

// Expired reports whether the subscription's confirmation link no longer
// works at now. expiredSQL is the same rule.
func (s Subscription) Expired(now time.Time) bool {
	return s.ConfirmedAt == nil && now.Sub(s.CreatedAt) > ConfirmWithin
}

// ConfirmationDue reports whether a confirmation email may go to the
// subscription's address at now. confirmationDueSQL is the same rule.
func (s Subscription) ConfirmationDue(now time.Time) bool {
	return s.ConfirmationSentAt == nil || now.Sub(*s.ConfirmationSentAt) >= ConfirmationEvery
}

// confirmationDueSQL is ConfirmationDue for a row, its parameter bound to
// now minus ConfirmationEvery: the conditional UPDATE that claims the
// day's email lets only one of many concurrent requests send it.
const confirmationDueSQL = `(confirmation_sent_at IS NULL OR confirmation_sent_at <= ?)`

// NormalizeEmail checks an address and returns it lower-cased.
func NormalizeEmail(raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	invalid := &ValidationError{Fields: map[string]string{"email": "enter an email address like name@example.com"}}
	if e == "" || len(e) > 254 {
		return "", invalid
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", invalid
	}
	return e, nil
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("policies: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const subscriptionCols = `id, email, token, language, created_at, confirmed_at, confirmation_sent_at`

func subscriptionBy(ctx context.Context, q sqlx.ExtContext, col, val string) (Subscription, error) {
	var s Subscription
	err := sqlx.GetContext(ctx, q, &s, q.Rebind(`SELECT `+subscriptionCols+` FROM policy_subscriptions WHERE `+col+` = ?`), val)
	if errors.Is(err, sql.ErrNoRows) {
		return Subscription{}, ErrNotFound
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("policies: read subscription: %w", err)
	}
	return s, nil
}

// Subscribe starts a double opt-in: it stores the address unconfirmed and
// queues a confirmation email in the same transaction. An address already
// confirmed gets nothing, nor does one that got a confirmation less than
// ConfirmationEvery ago; the caller answers the same in every case, so
// the form reveals neither who subscribed nor who asked. The emails are
// in English; SubscribeIn names another language.
func (s *Store) Subscribe(ctx context.Context, rawEmail string, now time.Time) error {
	return s.SubscribeIn(ctx, rawEmail, i18n.Default, now)
}

// SubscribeIn is Subscribe by someone reading in lang (a language tag;
// English when it is not one): the confirmation email and every notice
// are written in it. Asking again before confirming, in another
// language, switches the subscription to that one.
func (s *Store) SubscribeIn(ctx context.Context, rawEmail, lang string, now time.Time) error {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return err
	}
	lang, ok := CanonicalLanguage(lang)
	if !ok {
		lang = i18n.Default
	}
	now = now.UTC().Truncate(time.Microsecond)
	tok, err := newToken()
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		// Two requests racing for a new address: one inserts, the other
		// finds its row.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_subscriptions (email, token, language, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (email) DO NOTHING`), email, tok, lang, now); err != nil {
			return fmt.Errorf("policies: subscribe: %w", err)
		}
		sub, err := subscriptionBy(ctx, tx, "email", email)
		if err != nil {
			return err
		}
		if sub.ConfirmedAt != nil || !sub.ConfirmationDue(now) {
			return nil
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE policy_subscriptions SET confirmation_sent_at = ?, language = ?
			WHERE id = ? AND confirmed_at IS NULL AND `+confirmationDueSQL), now, lang, sub.ID, now.Add(-ConfirmationEvery))
		if err != nil {
			return fmt.Errorf("policies: subscribe: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // another request sent today's email first
		}
		sub.Language = lang
		if now.Sub(sub.CreatedAt) > ConfirmWithin/2 {
			// An old link is about to expire: send a fresh one.
			sub.Token, sub.CreatedAt = tok, now
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE policy_subscriptions SET token = ?, created_at = ? WHERE id = ?`),
				tok, now, sub.ID); err != nil {
				return fmt.Errorf("policies: subscribe: %w", err)
			}
		}
		msg, err := s.confirmMessage(sub, now)
		if err != nil {
			return err
		}
		_, err = stewardmail.Enqueue(ctx, tx, msg, now)
		return err
	})
}

// PendingConfirmation finds the subscription a confirmation link names,
// without confirming it: the page the link opens asks for a click first,
// because mail scanners open links. It is ErrNotFound for an unknown
// token and ErrTokenExpired for an expired link.
func (s *Store) PendingConfirmation(ctx context.Context, token string, now time.Time) (Subscription, error) {
	sub, err := subscriptionBy(ctx, s.db, "token", token)
	if err != nil {
		return sub, err
	}
	if sub.Expired(now) {
		return Subscription{}, ErrTokenExpired
	}
	return sub, nil
}

// Confirm completes a subscription. Confirming twice is fine; a link
// older than ConfirmWithin is refused with ErrTokenExpired.
func (s *Store) Confirm(ctx context.Context, token string, now time.Time) (Subscription, error) {
	now = now.UTC().Truncate(time.Microsecond)
	h, err := retention.LoadAddressHasher(ctx, s.db, now)
	if err != nil {
		return Subscription{}, err
	}
	var out Subscription
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		sub, err := subscriptionBy(ctx, tx, "token", token)
		if err != nil {
			return err
		}
		if sub.ConfirmedAt != nil {
			out = sub
			return nil
		}
		if sub.Expired(now) {
			return ErrTokenExpired
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE policy_subscriptions SET confirmed_at = ? WHERE id = ?`), now, sub.ID); err != nil {
			return fmt.Errorf("policies: confirm: %w", err)
		}
		if err := retention.Unsuppress(ctx, tx, h, sub.Email); err != nil {
			return err
		}
		sub.ConfirmedAt = &now
		out = sub
		return nil
	})
	return out, err
}

// SubscriptionByToken finds a subscription by its token.
func (s *Store) SubscriptionByToken(ctx context.Context, token string) (Subscription, error) {
	return subscriptionBy(ctx, s.db, "token", token)
}

// Unsubscribe forgets the subscription with this token and keeps only a
// keyed hash of the address, so it is never mailed again. It reports false when
// there was none (already unsubscribed), which is not an error.
func (s *Store) Unsubscribe(ctx context.Context, token string) (bool, error) {
	// The time only dates the hash key, should this be its first use.
	h, err := retention.LoadAddressHasher(ctx, s.db, time.Now())
	if err != nil {
		return false, err
	}
	gone := false
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		sub, err := subscriptionBy(ctx, tx, "token", token)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM policy_subscriptions WHERE id = ?`), sub.ID); err != nil {
			return fmt.Errorf("policies: unsubscribe: %w", err)
		}
		gone = true
		return retention.Suppress(ctx, tx, h, sub.Email)
	})
	return gone, err
}

// expiredSQL is Subscription.Expired as SQL, with the bind variable
// now - ConfirmWithin.
const expiredSQL = `confirmed_at IS NULL AND created_at < ?`

// PurgeUnconfirmed deletes, in q, the subscriptions whose confirmation
// link has expired at now, and reports how many. Retention runs it
// (retention.NewPolicy takes it: this package imports retention).
func PurgeUnconfirmed(ctx context.Context, q sqlx.ExtContext, now time.Time) (int, error) {
	res, err := q.ExecContext(ctx, q.Rebind(`DELETE FROM policy_subscriptions WHERE `+expiredSQL), now.UTC().Add(-ConfirmWithin))
	if err != nil {
		return 0, fmt.Errorf("policies: purge unconfirmed subscriptions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("policies: purge unconfirmed subscriptions: %w", err)
	}
	return int(n), nil
}

// SubscribedAddresses is the set of addresses that hold a subscription,
// confirmed or not, in one query. Retention takes it (passed in, as
// PurgeUnconfirmed): email to any other customer address is a former
// customer's.
func SubscribedAddresses(ctx context.Context, q sqlx.ExtContext) (map[string]bool, error) {
	var emails []string
	if err := sqlx.SelectContext(ctx, q, &emails, `SELECT email FROM policy_subscriptions`); err != nil {
		return nil, fmt.Errorf("policies: subscribed addresses: %w", err)
	}
	out := make(map[string]bool, len(emails))
	for _, e := range emails {
		out[e] = true
	}
	return out, nil
}
