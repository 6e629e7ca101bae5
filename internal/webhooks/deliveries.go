package webhooks

import (
	"context"
	"fmt"
	"time"
)

// Statuses a delivery moves through.
const (
	StatusQueued    = "queued"
	StatusSending   = "sending"
	StatusDelivered = "delivered"
	StatusRetrying  = "retrying"
	StatusFailed    = "failed" // given up: GiveUpAfter passed without a 2xx
)

// Delivery is one event queued for one endpoint.
type Delivery struct {
	ID             int64      `db:"id"`
	EndpointID     int64      `db:"endpoint_id"`
	Event          string     `db:"event"`
	Payload        string     `db:"payload"`
	Status         string     `db:"status"`
	Attempts       int        `db:"attempts"`
	NextAttemptAt  time.Time  `db:"next_attempt_at"`
	LastStatusCode int        `db:"last_status_code"`
	LastError      string     `db:"last_error"`
	CreatedAt      time.Time  `db:"created_at"`
	DeliveredAt    *time.Time `db:"delivered_at"`
}

// DeliveredTime is when the delivery succeeded; the zero time if it has not.
func (d Delivery) DeliveredTime() time.Time {
	if d.DeliveredAt == nil {
		return time.Time{}
	}
	return *d.DeliveredAt
}

const deliveryCols = `id, endpoint_id, event, payload, status, attempts, next_attempt_at,
	last_status_code, last_error, created_at, delivered_at`

// Recent returns the endpoint's latest deliveries, newest first.
func (s *Store) Recent(ctx context.Context, endpointID int64, limit int) ([]Delivery, error) {
	var out []Delivery
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT `+deliveryCols+` FROM webhook_deliveries
		WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?`), endpointID, limit); err != nil {
		return nil, fmt.Errorf("webhooks: deliveries of %d: %w", endpointID, err)
	}
	return out, nil
}
