// Package mail keeps Steward's outbox and delivers it over SMTP.
package mail

import (
	"context"
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
}

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
		(dedupe_key, recipient, user_id, kind, subject, body_text, body_html, headers, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
		ON CONFLICT (dedupe_key) DO NOTHING`),
		m.DedupeKey, m.To, m.UserID, m.Kind, m.Subject, m.Text, m.HTML, string(h), now, now)
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

// EnqueueMany is Enqueue for many messages at once, a batch of rows per
// statement, for the reminder sweep that queues a digest for much of the
// organisation in one go. It reports, per message, whether it was queued
// (false: its dedupe key was already in the outbox).
func EnqueueMany(ctx context.Context, tx sqlx.ExtContext, msgs []Message, now time.Time) ([]bool, error) {
	now = now.UTC()
	queued := make([]bool, len(msgs))
	for start := 0; start < len(msgs); start += enqueueBatch {
		part := msgs[start:min(start+enqueueBatch, len(msgs))]
		args := make([]any, 0, len(part)*10)
		at := make(map[string]int, len(part))
		for i, m := range part {
			if err := m.validate(); err != nil {
				return queued, err
			}
			headers := m.Headers
			if headers == nil {
				headers = map[string]string{}
			}
			h, err := json.Marshal(headers)
			if err != nil {
				return queued, fmt.Errorf("mail: encode headers: %w", err)
			}
			if _, dup := at[m.DedupeKey]; dup {
				continue // the first of two equal keys wins, as with Enqueue
			}
			at[m.DedupeKey] = start + i
			args = append(args, m.DedupeKey, m.To, m.UserID, m.Kind, m.Subject, m.Text, m.HTML, string(h), now, now)
		}
		q := `INSERT INTO outbox
			(dedupe_key, recipient, user_id, kind, subject, body_text, body_html, headers, status, next_attempt_at, created_at)
			VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?), ", len(at)), ", ") + `
			ON CONFLICT (dedupe_key) DO NOTHING
			RETURNING dedupe_key`
		rows, err := tx.QueryxContext(ctx, tx.Rebind(q), args...)
		if err != nil {
			return queued, fmt.Errorf("mail: enqueue %d messages: %w", len(part), err)
		}
		for rows.Next() {
			var key string
			if err := rows.Scan(&key); err != nil {
				rows.Close()
				return queued, fmt.Errorf("mail: enqueue: %w", err)
			}
			queued[at[key]] = true
		}
		if err := rows.Close(); err != nil {
			return queued, fmt.Errorf("mail: enqueue: %w", err)
		}
		if err := rows.Err(); err != nil {
			return queued, fmt.Errorf("mail: enqueue: %w", err)
		}
	}
	return queued, nil
}
