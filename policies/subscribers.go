package policies

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// ConfirmedSubscribers lists, in q, every confirmed subscription: the
// people who asked to hear of changes the organisation publishes. The
// subprocessor register notifies the same list, in its own publishing
// transaction; each notice carries the subscription's one-click
// unsubscribe link.
func ConfirmedSubscribers(ctx context.Context, q sqlx.QueryerContext) ([]Subscription, error) {
	var subs []Subscription
	if err := sqlx.SelectContext(ctx, q, &subs, `SELECT `+subscriptionCols+` FROM policy_subscriptions
		WHERE confirmed_at IS NOT NULL ORDER BY id`); err != nil {
		return nil, fmt.Errorf("policies: confirmed subscribers: %w", err)
	}
	return subs, nil
}
