package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/db"
)

// Sentinel errors of the admin outbox.
var (
	ErrNotFound = errors.New("mail: message not found")
	ErrNotDead  = errors.New("mail: only a dead message can be retried")
)

// Redacted is what an admin page may show of a secret message (see
// Message.Secret): its body, headers and dedupe key are gone, so the link
// it carries never reaches a page an admin, or anyone looking over their
// shoulder, can read.
func (o Outgoing) Redacted() Outgoing {
	if o.Secret {
		o.Text, o.HTML, o.HeadersJSON, o.DedupeKey = "", "", "{}", ""
	}
	return o
}

// Outbox is what the admin pages read and do with the outbox.
type Outbox struct {
	DB *db.DB
}

// NewOutbox returns the admin view of the outbox.
func NewOutbox(d *db.DB) *Outbox { return &Outbox{DB: d} }

// Filter narrows List; empty fields match everything.
type Filter struct {
	Status string
	Kind   string
	Limit  int // default 100
	Offset int
}

const outgoingColumns = `id, dedupe_key, recipient, user_id, kind, subject, body_text, body_html, headers,
	status, attempts, next_attempt_at, last_error, created_at, sent_at, secret`

// List returns messages newest first, secret ones redacted.
func (o *Outbox) List(ctx context.Context, f Filter) ([]Outgoing, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT ` + outgoingColumns + ` FROM outbox WHERE 1 = 1`
	var args []any
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	q += ` ORDER BY id DESC LIMIT ? OFFSET ?`
	args = append(args, f.Limit, f.Offset)
	var out []Outgoing
	if err := o.DB.SelectContext(ctx, &out, o.DB.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("mail: list outbox: %w", err)
	}
	for i := range out {
		out[i] = out[i].Redacted()
	}
	return out, nil
}

// Counts returns the number of messages in each status.
func (o *Outbox) Counts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := o.DB.SelectContext(ctx, &rows, `SELECT status, COUNT(*) AS n FROM outbox GROUP BY status`); err != nil {
		return nil, fmt.Errorf("mail: count outbox: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// Kinds lists the kinds present in the outbox, for the filter.
func (o *Outbox) Kinds(ctx context.Context) ([]string, error) {
	var out []string
	if err := o.DB.SelectContext(ctx, &out, `SELECT DISTINCT kind FROM outbox ORDER BY kind`); err != nil {
		return nil, fmt.Errorf("mail: outbox kinds: %w", err)
	}
	return out, nil
}

// Get returns one message, redacted if it is secret.
func (o *Outbox) Get(ctx context.Context, id int64) (Outgoing, error) {
	var m Outgoing
	err := o.DB.GetContext(ctx, &m, o.DB.Rebind(`SELECT `+outgoingColumns+` FROM outbox WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("mail: get message %d: %w", id, err)
	}
	return m.Redacted(), nil
}

// Retry gives a dead message a fresh set of attempts, due now, and records
// who did it in the audit log.
func (o *Outbox) Retry(ctx context.Context, id int64, actorID *int64, actor string, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	return o.DB.Tx(ctx, func(tx *sqlx.Tx) error {
		var status string
		err := tx.GetContext(ctx, &status, tx.Rebind(`SELECT status FROM outbox WHERE id = ?`), id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("mail: retry %d: %w", id, err)
		}
		if status != StatusDead {
			return ErrNotDead
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox
			SET status = 'queued', attempts = 0, next_attempt_at = ?, last_error = ''
			WHERE id = ? AND status = 'dead'`), now, id); err != nil {
			return fmt.Errorf("mail: retry %d: %w", id, err)
		}
		return audit.Record(ctx, tx, audit.Entry{
			At: now, ActorID: actorID, Actor: actor,
			Action: "mail.retry", Target: "outbox:" + strconv.FormatInt(id, 10),
		})
	})
}
