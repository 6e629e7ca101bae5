package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Enqueue queues event, with payload as its data, for every enabled
// endpoint subscribed to it, inside the caller's transaction: a delivery
// exists if and only if the change that caused it commits. The body is
// fixed now, so every attempt sends the same bytes.
func Enqueue(ctx context.Context, tx sqlx.ExtContext, event string, payload any, now time.Time) error {
	if !knownEvent(event) {
		return fmt.Errorf("webhooks: enqueue unknown event %q", event)
	}
	now = now.UTC().Truncate(time.Microsecond)
	body, err := envelope(event, payload, now)
	if err != nil {
		return err
	}
	// events is a space-separated list of known names, none of which holds
	// a LIKE wildcard.
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO webhook_deliveries
		(endpoint_id, event, payload, status, next_attempt_at, created_at)
		SELECT id, ?, ?, 'queued', ?, ? FROM webhook_endpoints
		WHERE enabled = TRUE AND ' ' || events || ' ' LIKE ?`), event, body, now, now, "% "+event+" %")
	if err != nil {
		return fmt.Errorf("webhooks: enqueue %s: %w", event, err)
	}
	return nil
}

// envelope is the body of a delivery: the event's name, when it happened
// and its data.
func envelope(event string, payload any, at time.Time) (string, error) {
	b, err := json.Marshal(struct {
		Event      string    `json:"event"`
		OccurredAt time.Time `json:"occurred_at"`
		Data       any       `json:"data"`
	}{event, at.UTC(), payload})
	if err != nil {
		return "", fmt.Errorf("webhooks: encode %s: %w", event, err)
	}
	return string(b), nil
}

// Subscribed reports whether any enabled endpoint subscribes to event: a
// caller that may raise it many times at once (the reminder sweep) skips
// the work when nobody listens.
func Subscribed(ctx context.Context, q sqlx.ExtContext, event string) (bool, error) {
	if !knownEvent(event) {
		return false, fmt.Errorf("webhooks: unknown event %q", event)
	}
	var n int
	err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*) FROM webhook_endpoints
		WHERE enabled = TRUE AND ' ' || events || ' ' LIKE ?`), "% "+event+" %")
	if err != nil {
		return false, fmt.Errorf("webhooks: endpoints for %s: %w", event, err)
	}
	return n > 0, nil
}
