package mail

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/textproto"
	"sort"
	"strings"
	"time"

	gomail "github.com/go-mail/mail/v2"

	"steward/internal/db"
)

// ErrUnreachable means the SMTP server could not be reached or refused the
// connection; the mail stays queued without losing an attempt.
var ErrUnreachable = errors.New("mail: SMTP server unreachable")

// Dialer opens one SMTP connection; the worker sends a whole batch over it.
// *gomail.Dialer (see ParseSMTPURL) is the real one.
type Dialer interface {
	Dial() (gomail.SendCloser, error)
}

// Checker decides, just before sending, whether a message's reason still
// holds: a reminder whose person has since acknowledged or completed, or a
// person who has left, should not be mailed. The reminders package
// provides one; messages it does not know about are always wanted.
type Checker interface {
	StillWanted(ctx context.Context, m Outgoing) (bool, error)
}

// Outgoing is an outbox row as the worker and the admin pages see it.
type Outgoing struct {
	ID            int64      `db:"id"`
	DedupeKey     string     `db:"dedupe_key"`
	Recipient     string     `db:"recipient"`
	UserID        *int64     `db:"user_id"`
	Kind          string     `db:"kind"`
	Subject       string     `db:"subject"`
	Text          string     `db:"body_text"`
	HTML          string     `db:"body_html"`
	HeadersJSON   string     `db:"headers"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastError     string     `db:"last_error"`
	CreatedAt     time.Time  `db:"created_at"`
	SentAt        *time.Time `db:"sent_at"`
	Secret        bool       `db:"secret"` // see Message.Secret
}

// Headers decodes the extra headers stored with the message.
func (o Outgoing) Headers() map[string]string {
	h := map[string]string{}
	_ = json.Unmarshal([]byte(o.HeadersJSON), &h)
	return h
}

// Statuses an outbox row moves through.
const (
	StatusQueued  = "queued"
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
	StatusDead    = "dead"
	StatusDropped = "dropped"
)

// MessageID derives the Message-ID header from the dedupe key, so the same
// email keeps the same id across retries and after a crash between sending
// and marking it sent: a receiving system (or a person) can tell a resend
// from a new email.
func MessageID(dedupeKey, host string) string {
	sum := sha256.Sum256([]byte(dedupeKey))
	if host == "" {
		host = "steward.invalid"
	}
	return "<" + hex.EncodeToString(sum[:16]) + "@" + host + ">"
}

// Backoff is the default retry delay after the given failed attempt:
// 2 minutes, then three times longer each time, capped at a day, with
// +/-20% jitter so a recovered server is not hit by every message at once.
// With the default 8 attempts a message the server keeps refusing is tried
// for about a day and a half before it is dead. An unreachable server costs
// no attempts at all (see ErrUnreachable).
func Backoff(attempt int, jitter float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := 2 * time.Minute * time.Duration(math.Pow(3, float64(attempt-1)))
	if d > 24*time.Hour || d <= 0 {
		d = 24 * time.Hour
	}
	return time.Duration(float64(d) * (0.8 + 0.4*jitter))
}

// Result counts what one run of the worker did.
type Result struct {
	Sent, Failed, Dead, Dropped, Released int
}

func (r *Result) add(o Result) {
	r.Sent += o.Sent
	r.Failed += o.Failed
	r.Dead += o.Dead
	r.Dropped += o.Dropped
	r.Released += o.Released
}

// Worker delivers the outbox.
type Worker struct {
	DB     *db.DB
	Dialer Dialer
	From   string // the From header, STEWARD_MAIL_FROM
	Host   string // Message-IDs end with it: the base URL's host
	Check  Checker
	Now    func() time.Time
	Logger *slog.Logger

	BatchSize    int           // rows claimed and sent over one connection (default 50)
	BatchTimeout time.Duration // a batch stops and releases its rest after this (default 30 seconds)
	MaxAttempts  int           // failed attempts before a message is dead (default 8)
	StaleAfter   time.Duration // a row "sending" this long was abandoned by a crash (default BatchTimeout + 2 SMTP timeouts, at least a minute)
	Interval     time.Duration // how often Run looks for due mail (default 10 seconds)
	Jitter       func() float64
}

// NewWorker returns a worker with the defaults above.
func NewWorker(d *db.DB, dialer Dialer, from, host string) *Worker {
	w := &Worker{
		DB: d, Dialer: dialer, From: from, Host: host,
		Now:          func() time.Time { return time.Now().UTC() },
		Logger:       slog.Default(),
		BatchSize:    50,
		BatchTimeout: 30 * time.Second,
		MaxAttempts:  8,
		StaleAfter:   time.Minute,
		Interval:     10 * time.Second,
		Jitter:       mrand.Float64,
	}
	// A claim lives at most one batch plus the SMTP command in flight when
	// the batch ran out of time; a slow server's longer timeout must not
	// make a live batch look abandoned.
	if g, ok := dialer.(*gomail.Dialer); ok {
		w.StaleAfter = max(w.StaleAfter, w.BatchTimeout+2*g.Timeout)
	}
	return w
}

func (w *Worker) now() time.Time { return w.Now().UTC().Truncate(time.Microsecond) }

// Recover queues again the rows a crashed worker left "sending". A batch
// never holds its claim longer than BatchTimeout plus one SMTP timeout, so
// a claim older than StaleAfter belongs to no live worker; a younger one
// may belong to another process sharing the database and is left alone.
func (w *Worker) Recover(ctx context.Context) (int, error) {
	cutoff := w.now().Add(-w.StaleAfter)
	res, err := w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE outbox
		SET status = 'queued', claim_token = NULL, claimed_at = NULL
		WHERE status = 'sending' AND (claimed_at IS NULL OR claimed_at <= ?)`), cutoff)
	if err != nil {
		return 0, fmt.Errorf("mail: recover abandoned rows: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		w.Logger.Info("mail: requeued messages abandoned while sending", "count", n)
	}
	return int(n), nil
}

// claim stamps up to BatchSize due rows with a fresh token and returns them.
func (w *Worker) claim(ctx context.Context) (string, []Outgoing, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	token := hex.EncodeToString(b[:])
	now := w.now()
	if _, err := w.DB.ExecContext(ctx, w.DB.Rebind(claimSQL(w.DB.Dialect)), token, now, now, w.BatchSize); err != nil {
		return "", nil, fmt.Errorf("mail: claim: %w", err)
	}
	var rows []Outgoing
	if err := w.DB.SelectContext(ctx, &rows, w.DB.Rebind(`SELECT id, dedupe_key, recipient, user_id, kind, subject,
		body_text, body_html, headers, status, attempts, next_attempt_at, last_error, created_at, sent_at
		FROM outbox WHERE claim_token = ? ORDER BY next_attempt_at, id`), token); err != nil {
		return "", nil, fmt.Errorf("mail: read claimed rows: %w", err)
	}
	return token, rows, nil
}

// RunOnce claims one batch and delivers it over one SMTP connection.
func (w *Worker) RunOnce(ctx context.Context) (Result, error) {
	var res Result
	if w.Dialer == nil {
		return res, ErrNoSMTP
	}
	token, batch, err := w.claim(ctx)
	if err != nil || len(batch) == 0 {
		return res, err
	}
	bctx, cancel := context.WithTimeout(ctx, w.BatchTimeout)
	defer cancel()
	var conn gomail.SendCloser
	defer func() {
		if conn != nil {
			_ = conn.Close()
		}
	}()
	for i, m := range batch {
		if bctx.Err() != nil {
			// Shutdown or a slow server: hand the rest back untouched; it
			// was never tried, so it costs no attempt. The parent context
			// may be cancelled, so the release must not use it.
			n, err := w.release(context.WithoutCancel(ctx), token, batch[i:], "")
			res.Released += n
			return res, err
		}
		if w.Check != nil {
			wanted, err := w.Check.StillWanted(bctx, m)
			if err != nil {
				w.Logger.Warn("mail: still-wanted check failed; sending anyway", "id", m.ID, "kind", m.Kind, "err", err)
			} else if !wanted {
				if err := w.mark(ctx, token, m, StatusDropped, "its reason was gone at send time"); err != nil {
					return res, err
				}
				res.Dropped++
				continue
			}
		}
		if conn == nil {
			c, err := w.Dialer.Dial()
			if err != nil {
				// The server is down or refuses us: no message was tried,
				// so none loses an attempt. They wait, queued, with the
				// reason shown to admins, and go as soon as it is back.
				n, rerr := w.release(context.WithoutCancel(ctx), token, batch[i:], "SMTP server unreachable: "+err.Error())
				res.Released += n
				return res, errors.Join(fmt.Errorf("%w: %v", ErrUnreachable, err), rerr)
			}
			conn = c
		}
		sendErr := gomail.Send(conn, w.build(m))
		if sendErr == nil {
			if err := w.markSent(ctx, token, m); err != nil {
				return res, err
			}
			res.Sent++
			continue
		}
		if conn != nil {
			// The connection's state after an error is unknown: start the
			// next message on a fresh one.
			_ = conn.Close()
			conn = nil
		}
		dead, err := w.fail(ctx, token, m, sendErr)
		if err != nil {
			return res, err
		}
		if dead {
			res.Dead++
		} else {
			res.Failed++
		}
	}
	return res, nil
}

// Drain sends batches until nothing is due, or the server cannot be
// reached (ErrUnreachable).
func (w *Worker) Drain(ctx context.Context) (Result, error) {
	var total Result
	for ctx.Err() == nil {
		r, err := w.RunOnce(ctx)
		total.add(r)
		if err != nil {
			return total, err
		}
		if r.Sent+r.Failed+r.Dead+r.Dropped+r.Released == 0 {
			return total, nil
		}
		if r.Sent+r.Dropped == 0 && r.Failed+r.Dead > 0 {
			// Everything failed: the server is probably down; wait for
			// the backoff instead of burning the rest of the queue's
			// attempts in one pass.
			return total, nil
		}
	}
	return total, ctx.Err()
}

// Run recovers abandoned rows, then delivers due mail every Interval until
// ctx is cancelled.
func (w *Worker) Run(ctx context.Context) error {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	unreachable := ""
	for {
		if _, err := w.Recover(ctx); err != nil && ctx.Err() == nil {
			w.Logger.Error("mail: recover", "err", err)
		}
		r, err := w.Drain(ctx)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, ErrUnreachable):
			if err.Error() != unreachable { // once per outage, not every Interval
				w.Logger.Warn("mail: SMTP server unreachable; mail waits in the outbox", "err", err)
			}
			unreachable = err.Error()
		case err != nil:
			w.Logger.Error("mail: deliver", "err", err)
		default:
			if unreachable != "" {
				w.Logger.Info("mail: SMTP server reachable again")
			}
			unreachable = ""
		}
		if r.Sent+r.Failed+r.Dead+r.Dropped > 0 {
			w.Logger.Info("mail: delivered", "sent", r.Sent, "failed", r.Failed, "dead", r.Dead, "dropped", r.Dropped)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// reservedHeaders are written by the worker; a message cannot override them.
var reservedHeaders = map[string]bool{"From": true, "To": true, "Subject": true, "Message-Id": true, "Date": true,
	"Auto-Submitted": true, "X-Auto-Response-Suppress": true, "Precedence": true}

// bulkKinds are the kinds sent to many people at once, which go out with
// Precedence: bulk: the reminder digest and the notice of a policy's new
// version to its subscribers.
var bulkKinds = map[string]bool{KindDigest: true, "policy_notice": true}

func (w *Worker) build(m Outgoing) *gomail.Message {
	g := gomail.NewMessage()
	g.SetHeader("From", w.From)
	g.SetHeader("To", m.Recipient)
	g.SetHeader("Subject", m.Subject)
	g.SetHeader("Message-ID", MessageID(m.DedupeKey, w.Host))
	g.SetDateHeader("Date", w.Now())
	// Every email is sent by a machine: auto-replies (out-of-office,
	// vacation) are not wanted back (RFC 3834; Exchange's header).
	g.SetHeader("Auto-Submitted", "auto-generated")
	g.SetHeader("X-Auto-Response-Suppress", "All")
	if bulkKinds[m.Kind] {
		g.SetHeader("Precedence", "bulk")
	}
	extra := m.Headers()
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := textproto.CanonicalMIMEHeaderKey(k)
		if reservedHeaders[name] || strings.ContainsAny(k+extra[k], "\r\n") {
			continue
		}
		g.SetHeader(name, extra[k])
	}
	g.SetBody("text/plain", m.Text)
	if m.HTML != "" {
		g.AddAlternative("text/html", m.HTML)
	}
	return g
}

func (w *Worker) markSent(ctx context.Context, token string, m Outgoing) error {
	now := w.now()
	_, err := w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE outbox
		SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '', claim_token = NULL, claimed_at = NULL
		WHERE id = ? AND claim_token = ?`), now, m.ID, token)
	if err != nil {
		return fmt.Errorf("mail: mark %d sent: %w", m.ID, err)
	}
	return nil
}

func (w *Worker) mark(ctx context.Context, token string, m Outgoing, status, reason string) error {
	_, err := w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE outbox
		SET status = ?, last_error = ?, claim_token = NULL, claimed_at = NULL
		WHERE id = ? AND claim_token = ?`), status, reason, m.ID, token)
	if err != nil {
		return fmt.Errorf("mail: mark %d %s: %w", m.ID, status, err)
	}
	return nil
}

// permanent reports an SMTP rejection that retrying cannot fix: a 5xx
// reply to this message (unknown mailbox, refused content).
func permanent(err error) bool {
	var se *gomail.SendError
	if errors.As(err, &se) {
		err = se.Cause // go-mail's SendError has no Unwrap
	}
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}

func (w *Worker) fail(ctx context.Context, token string, m Outgoing, sendErr error) (dead bool, err error) {
	attempts := m.Attempts + 1
	dead = attempts >= w.MaxAttempts || permanent(sendErr)
	status := StatusFailed
	if dead {
		status = StatusDead
	}
	msg := sendErr.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	next := w.now().Add(Backoff(attempts, w.Jitter()))
	_, err = w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE outbox
		SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, claim_token = NULL, claimed_at = NULL
		WHERE id = ? AND claim_token = ?`), status, attempts, next, msg, m.ID, token)
	if err != nil {
		return dead, fmt.Errorf("mail: mark %d %s: %w", m.ID, status, err)
	}
	w.Logger.Warn("mail: delivery failed", "id", m.ID, "kind", m.Kind, "attempt", attempts, "status", status, "err", msg)
	return dead, nil
}

// release hands claimed rows back untried: they keep their attempts and
// due time. A non-empty reason is shown as the last error.
func (w *Worker) release(ctx context.Context, token string, rest []Outgoing, reason string) (int, error) {
	n := 0
	for _, m := range rest {
		if _, err := w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE outbox
			SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'failed' END,
				last_error = CASE WHEN ? = '' THEN last_error ELSE ? END,
				claim_token = NULL, claimed_at = NULL
			WHERE id = ? AND claim_token = ?`), reason, reason, m.ID, token); err != nil {
			return n, fmt.Errorf("mail: release %d: %w", m.ID, err)
		}
		n++
	}
	return n, nil
}
