// Package mail keeps Steward's outbox and delivers it over SMTP.
package mail

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Message is one email to put in the outbox.
type Message struct {
	To        string
	UserID    *int64 // nil for customers (subscribers)
	Kind      string // e.g. "policy_notice", "subscribe_confirm", "training_due"
	Subject   string
	Text      string
	HTML      string
	DedupeKey string            // unique per event: the same key is never queued twice
	Headers   map[string]string // extra headers, e.g. List-Unsubscribe
	// Secret marks a body that carries a link granting access (an
	// invitation, a password reset, a subscription confirmation): it is
	// delivered, but never shown to an admin. The dedupe key must not
	// hold the secret either.
	Secret bool
}

// secretKinds are the kinds whose body always carries a link that grants
// access: a message of one of them is secret even if its sender forgot to
// say so.
var secretKinds = map[string]bool{"invite": true, "password_reset": true, "subscribe_confirm": true}

// secret reports whether m must be kept from admin pages.
func (m Message) secret() bool { return m.Secret || secretKinds[m.Kind] }

// ErrInvalid is returned for a message missing a recipient, kind, subject,
// body or dedupe key.
var ErrInvalid = errors.New("mail: invalid message")

func (m Message) validate() error {
	var missing []string
	if strings.TrimSpace(m.To) == "" {
		missing = append(missing, "recipient")
	}
	if m.Kind == "" {
		missing = append(missing, "kind")
	}
	if m.Subject == "" {
		missing = append(missing, "subject")
	}
	if m.Text == "" {
		missing = append(missing, "text body")
	}
	if m.DedupeKey == "" {
		missing = append(missing, "dedupe key")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", ErrInvalid, strings.Join(missing, ", "))
	}
	return nil
}

// Enqueue writes m into the outbox inside the caller's transaction, so the
// email exists if and only if the change that caused it commits. A message
// whose dedupe key is already in the outbox is not queued again: Enqueue
// then reports false.
func Enqueue(ctx context.Context, tx sqlx.ExtContext, m Message, now time.Time) (bool, error) {
	if err := m.validate(); err != nil {
		return false, err
	}
	headers := m.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	h, err := json.Marshal(headers)
	if err != nil {
		return false, fmt.Errorf("mail: encode headers: %w", err)
	}
	now = now.UTC()
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO outbox
		(dedupe_key, recipient, user_id, kind, subject, body_text, body_html, headers, secret, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
		ON CONFLICT (dedupe_key) DO NOTHING`),
		m.DedupeKey, m.To, m.UserID, m.Kind, m.Subject, m.Text, m.HTML, string(h), m.secret(), now, now)
	if err != nil {
		return false, fmt.Errorf("mail: enqueue %s: %w", m.Kind, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mail: enqueue %s: %w", m.Kind, err)
	}
	return n == 1, nil
}

// enqueueBatch is how many messages one INSERT of EnqueueMany carries.
const enqueueBatch = 50

// noHeaders is the headers column of a message without extra headers.
const noHeaders = "{}"

// EnqueueManyIDs is Enqueue for many messages at once, a batch of rows per
// statement, for the reminder sweep that queues a digest for much of the
// organisation in one go. It reports, per message, the id of its new
// outbox row, or 0 when its dedupe key was already in the outbox.
func EnqueueManyIDs(ctx context.Context, tx sqlx.ExtContext, msgs []Message, now time.Time) ([]int64, error) {
	now = now.UTC()
	ids := make([]int64, len(msgs))
	// Full batches share one statement, prepared once when the caller
	// can prepare: parsing a 500-parameter INSERT for every batch costs
	// more than binding it.
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	prep, canPrepare := tx.(preparer)
	args := make([]any, 0, enqueueBatch*11)
	at := make(map[string]int, enqueueBatch)
	for start := 0; start < len(msgs); start += enqueueBatch {
		part := msgs[start:min(start+enqueueBatch, len(msgs))]
		args = args[:0]
		clear(at)
		for i, m := range part {
			if err := m.validate(); err != nil {
				return ids, err
			}
			h := noHeaders
			if len(m.Headers) > 0 {
				b, err := json.Marshal(m.Headers)
				if err != nil {
					return ids, fmt.Errorf("mail: encode headers: %w", err)
				}
				h = string(b)
			}
			if _, dup := at[m.DedupeKey]; dup {
				continue // the first of two equal keys wins, as with Enqueue
			}
			at[m.DedupeKey] = start + i
			args = append(args, m.DedupeKey, m.To, m.UserID, m.Kind, m.Subject, m.Text, m.HTML, h, m.secret(), now, now)
		}
		var rows *sql.Rows
		var err error
		switch {
		case len(at) == enqueueBatch && canPrepare:
			if full == nil {
				if full, err = prep.PrepareContext(ctx, tx.Rebind(enqueueQuery(enqueueBatch))); err != nil {
					return ids, fmt.Errorf("mail: enqueue: %w", err)
				}
			}
			rows, err = full.QueryContext(ctx, args...)
		default:
			rows, err = tx.QueryContext(ctx, tx.Rebind(enqueueQuery(len(at))), args...)
		}
		if err != nil {
			return ids, fmt.Errorf("mail: enqueue %d messages: %w", len(part), err)
		}
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return ids, fmt.Errorf("mail: enqueue: %w", err)
			}
			ids[at[key]] = id
		}
		if err := rows.Close(); err != nil {
			return ids, fmt.Errorf("mail: enqueue: %w", err)
		}
		if err := rows.Err(); err != nil {
			return ids, fmt.Errorf("mail: enqueue: %w", err)
		}
	}
	return ids, nil
}

// preparer is what a transaction or database offers to prepare a statement.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// enqueueQuery inserts n messages, returning the id and key of each it queued.
func enqueueQuery(n int) string {
	return `INSERT INTO outbox
			(dedupe_key, recipient, user_id, kind, subject, body_text, body_html, headers, secret, status, next_attempt_at, created_at)
			VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?), ", n), ", ") + `
			ON CONFLICT (dedupe_key) DO NOTHING
			RETURNING id, dedupe_key`
}
