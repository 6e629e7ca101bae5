package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"steward/internal/db"
)

// Backoff is the wait after the given failed attempt: 30 seconds, doubling
// each time, at most 6 hours, with +/-20% jitter so a receiver that comes
// back is not hit by every delivery at once. With GiveUpAfter a day, a
// receiver that never answers 2xx is tried about 14 times.
func Backoff(attempt int, jitter float64) time.Duration {
	d := 6 * time.Hour
	if attempt < 20 {
		d = min(d, 30*time.Second<<max(attempt-1, 0))
	}
	return time.Duration(float64(d) * (0.8 + 0.4*jitter))
}

// GiveUpAfter is how long after it was queued a delivery stops being
// retried and is marked failed.
const GiveUpAfter = 24 * time.Hour

// Timeout bounds one delivery: connecting, sending and reading the answer.
const Timeout = 10 * time.Second

// Worker delivers due deliveries.
type Worker struct {
	DB         *db.DB
	Client     *http.Client
	Now        func() time.Time
	Logger     *slog.Logger
	Jitter     func() float64
	BatchSize  int           // deliveries claimed at once (default 20)
	StaleAfter time.Duration // a claim this old was abandoned by a crash (default BatchSize*Timeout + a minute)
	Interval   time.Duration // how often Run looks for due deliveries (default 5 seconds)
}

// NewWorker returns a worker with the defaults above. In production its
// client refuses to connect to loopback, private and link-local addresses,
// whatever name resolved to them.
func NewWorker(d *db.DB, production bool) *Worker {
	w := &Worker{
		DB: d, Client: NewClient(production),
		Now:       func() time.Time { return time.Now().UTC() },
		Logger:    slog.Default(),
		Jitter:    mrand.Float64,
		BatchSize: 20,
		Interval:  5 * time.Second,
	}
	w.StaleAfter = time.Duration(w.BatchSize)*Timeout + time.Minute
	return w
}

// errInternalAddress is the dial error for an address refused in production.
var errInternalAddress = errors.New("refused: the receiver resolved to a loopback, private or link-local address")

// NewClient returns the HTTP client deliveries use: a 10-second timeout,
// no redirects followed (a 3xx is a failed attempt, so a receiver cannot
// bounce a signed delivery somewhere else), no proxy from the environment
// and, in production, a check of the address actually connected to, after
// name resolution, so a public name pointing at an internal address
// reaches nothing (SSRF).
func NewClient(production bool) *http.Client {
	dialer := &net.Dialer{Timeout: Timeout}
	if production {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || internal(ip) {
				return errInternalAddress
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   Timeout,
			ResponseHeaderTimeout: Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (w *Worker) now() time.Time { return w.Now().UTC().Truncate(time.Microsecond) }

// claimed is a claimed delivery with what sending it needs.
type claimed struct {
	Delivery
	URL    string `db:"url"`
	Secret string `db:"secret"`
}

// claimSQL stamps up to n due deliveries of enabled endpoints with the
// worker's token, as the mail outbox claims its rows: one UPDATE, under
// SQLite's single writer lock or, on PostgreSQL, with FOR UPDATE SKIP
// LOCKED, so two instances never claim the same delivery.
//
// Bind order: claim token, claimed at, now, limit.
func claimSQL(d db.Dialect) string {
	lock := ""
	if d == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return `UPDATE webhook_deliveries SET status = 'sending', claim_token = ?, claimed_at = ?
		WHERE id IN (
			SELECT id FROM webhook_deliveries
			WHERE status IN ('queued', 'retrying') AND next_attempt_at <= ?
			AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled = TRUE)
			ORDER BY next_attempt_at, id
			LIMIT ?` + lock + `)
		AND status IN ('queued', 'retrying')`
}

func (w *Worker) claim(ctx context.Context) (string, []claimed, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	token := hex.EncodeToString(b[:])
	now := w.now()
	if _, err := w.DB.ExecContext(ctx, w.DB.Rebind(claimSQL(w.DB.Dialect)), token, now, now, w.BatchSize); err != nil {
		return "", nil, fmt.Errorf("webhooks: claim: %w", err)
	}
	var rows []claimed
	if err := w.DB.SelectContext(ctx, &rows, w.DB.Rebind(`SELECT d.id, d.endpoint_id, d.event, d.payload, d.status,
		d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.delivered_at, e.url, e.secret
		FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.claim_token = ? ORDER BY d.next_attempt_at, d.id`), token); err != nil {
		return "", nil, fmt.Errorf("webhooks: read claimed: %w", err)
	}
	return token, rows, nil
}

// Recover queues again the deliveries a crashed worker left "sending".
func (w *Worker) Recover(ctx context.Context) (int, error) {
	res, err := w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE webhook_deliveries
		SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'retrying' END, claim_token = NULL, claimed_at = NULL
		WHERE status = 'sending' AND (claimed_at IS NULL OR claimed_at <= ?)`), w.now().Add(-w.StaleAfter))
	if err != nil {
		return 0, fmt.Errorf("webhooks: recover: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Result counts what one run did.
type Result struct{ Delivered, Retrying, Failed int }

// RunOnce claims one batch and tries each delivery once.
func (w *Worker) RunOnce(ctx context.Context) (Result, error) {
	var res Result
	token, batch, err := w.claim(ctx)
	if err != nil {
		return res, err
	}
	for i, d := range batch {
		if ctx.Err() != nil {
			// Shutdown: hand the rest back untried.
			return res, w.release(context.WithoutCancel(ctx), token, batch[i:])
		}
		code, sendErr := w.send(ctx, d)
		st, err := w.record(context.WithoutCancel(ctx), token, d, code, sendErr)
		if err != nil {
			return res, err
		}
		switch st {
		case StatusDelivered:
			res.Delivered++
		case StatusRetrying:
			res.Retrying++
		default:
			res.Failed++
		}
	}
	return res, nil
}

// send makes one attempt: any 2xx answer is a delivery; anything else,
// including a redirect, is not.
func (w *Worker) send(ctx context.Context, d claimed) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Steward-Webhooks/1")
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
	// The signature's timestamp is the real time, which the receiver
	// compares with its own clock, whatever the domain clock says.
	req.Header.Set(HeaderSignature, Sign(d.Secret, time.Now(), body))
	resp, err := w.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// record stores the outcome of an attempt and returns the new status.
// Every failure is retried, whatever the status code (a 404 or 410 too:
// a receiver's route is often fixed within the day); an admin who wants
// an endpoint to stop disables or deletes it.
func (w *Worker) record(ctx context.Context, token string, d claimed, code int, sendErr error) (string, error) {
	now := w.now()
	attempts := d.Attempts + 1
	if sendErr == nil {
		_, err := w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE webhook_deliveries
			SET status = 'delivered', attempts = ?, last_status_code = ?, last_error = '', delivered_at = ?,
				claim_token = NULL, claimed_at = NULL
			WHERE id = ? AND claim_token = ?`), attempts, code, now, d.ID, token)
		if err != nil {
			return "", fmt.Errorf("webhooks: mark %d delivered: %w", d.ID, err)
		}
		return StatusDelivered, nil
	}
	msg := sendErr.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	next := now.Add(Backoff(attempts, w.Jitter()))
	status := StatusRetrying
	if next.After(d.CreatedAt.Add(GiveUpAfter)) {
		status = StatusFailed
	}
	_, err := w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE webhook_deliveries
		SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?,
			claim_token = NULL, claimed_at = NULL
		WHERE id = ? AND claim_token = ?`), status, attempts, next, code, msg, d.ID, token)
	if err != nil {
		return "", fmt.Errorf("webhooks: mark %d %s: %w", d.ID, status, err)
	}
	w.Logger.Warn("webhooks: delivery failed", "id", d.ID, "endpoint", d.EndpointID, "event", d.Event,
		"attempt", attempts, "status", status, "err", msg)
	return status, nil
}

func (w *Worker) release(ctx context.Context, token string, rest []claimed) error {
	for _, d := range rest {
		if _, err := w.DB.ExecContext(ctx, w.DB.Rebind(`UPDATE webhook_deliveries
			SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'retrying' END, claim_token = NULL, claimed_at = NULL
			WHERE id = ? AND claim_token = ?`), d.ID, token); err != nil {
			return fmt.Errorf("webhooks: release %d: %w", d.ID, err)
		}
	}
	return nil
}

// Keep is how long a delivered or failed delivery stays listed on its
// endpoint's page before Purge deletes it.
const Keep = 30 * 24 * time.Hour

// Purge deletes the deliveries finished (delivered or failed) more than
// Keep ago, so the queue does not grow for ever.
func (w *Worker) Purge(ctx context.Context) (int, error) {
	res, err := w.DB.ExecContext(ctx, w.DB.Rebind(`DELETE FROM webhook_deliveries
		WHERE status IN ('delivered', 'failed') AND created_at < ?`), w.now().Add(-Keep))
	if err != nil {
		return 0, fmt.Errorf("webhooks: purge: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Drain runs batches until none is due.
func (w *Worker) Drain(ctx context.Context) (Result, error) {
	var total Result
	for ctx.Err() == nil {
		r, err := w.RunOnce(ctx)
		total.Delivered += r.Delivered
		total.Retrying += r.Retrying
		total.Failed += r.Failed
		if err != nil || r == (Result{}) {
			return total, err
		}
	}
	return total, ctx.Err()
}

// Run recovers abandoned claims, then delivers what is due every Interval
// until ctx is cancelled, and purges old deliveries hourly.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	var purged time.Time
	for {
		if now := w.Now(); now.Sub(purged) >= time.Hour {
			if _, err := w.Purge(ctx); err != nil && ctx.Err() == nil {
				w.Logger.Error("webhooks: purge", "err", err)
			}
			purged = now
		}
		if _, err := w.Recover(ctx); err != nil && ctx.Err() == nil {
			w.Logger.Error("webhooks: recover", "err", err)
		}
		r, err := w.Drain(ctx)
		if err != nil && ctx.Err() == nil {
			w.Logger.Error("webhooks: deliver", "err", err)
		}
		if r != (Result{}) {
			w.Logger.Info("webhooks: delivered", "delivered", r.Delivered, "retrying", r.Retrying, "failed", r.Failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
