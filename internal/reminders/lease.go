package reminders

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// leaseName is the lease a sweep holds while it runs.
const leaseName = "reminders.sweep"

// takeLease acquires the sweep's lease or returns ErrBusy. The lease is
// one row; it is taken by a conditional UPDATE that succeeds only when the
// lease has expired, so of two processes racing for it exactly one sees a
// changed row. An expired lease (its holder crashed) is taken over.
func (s *Sweeper) takeLease(ctx context.Context) (string, error) {
	holder := newHolder()
	now := s.Clock().UTC()
	if _, err := s.DB.ExecContext(ctx, s.DB.Rebind(`INSERT INTO leases (name, holder, expires_at) VALUES (?, '', ?)
		ON CONFLICT (name) DO NOTHING`), leaseName, time.Unix(0, 0).UTC()); err != nil {
		return "", fmt.Errorf("reminders: lease: %w", err)
	}
	res, err := s.DB.ExecContext(ctx, s.DB.Rebind(`UPDATE leases SET holder = ?, expires_at = ?
		WHERE name = ? AND expires_at <= ?`), holder, now.Add(s.LeaseTTL), leaseName, now)
	if err != nil {
		return "", fmt.Errorf("reminders: lease: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", ErrBusy
	}
	return holder, nil
}

// renewLeaseIn extends a lease this sweep holds, inside q, the
// transaction of a chunk the sweep writes; losing it (it expired and
// someone else took it) stops the sweep before it writes more: the chunk commits only if the lease was still held, and
// the renewal costs no commit of its own.
func (s *Sweeper) renewLeaseIn(ctx context.Context, q sqlx.ExtContext, holder string) error {
	res, err := q.ExecContext(ctx, q.Rebind(`UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?`),
		s.Clock().UTC().Add(s.LeaseTTL), leaseName, holder)
	if err != nil {
		return fmt.Errorf("reminders: renew lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrBusy
	}
	return nil
}

func (s *Sweeper) releaseLease(ctx context.Context, holder string) {
	if _, err := s.DB.ExecContext(ctx, s.DB.Rebind(`UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?`),
		time.Unix(0, 0).UTC(), leaseName, holder); err != nil {
		s.Logger.Warn("reminders: release lease", "err", err)
	}
}
