package reminders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LastRun returns when (by the wall clock) the last completed sweep
// started. The wall clock, not the time a run was for: a manual
// `steward remind --now` with a future date must not silence the daily
// runs until that date.
func (s *Sweeper) LastRun(ctx context.Context) (time.Time, bool, error) {
	var t sql.NullTime
	err := s.DB.GetContext(ctx, &t, `SELECT started_at FROM reminder_runs ORDER BY started_at DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reminders: last run: %w", err)
	}
	return t.Time, t.Valid, nil
}

// Due reports whether a sweep should run at now, given the daily hour
// (UTC) and the last run: it is due when the most recent scheduled time
// has passed without a run since. A process that starts after a missed
// run therefore runs at once.
func Due(now time.Time, hour int, last time.Time, ran bool) bool {
	now = now.UTC()
	slot := time.Date(now.Year(), now.Month(), now.Day(), hour, 0, 0, 0, time.UTC)
	if now.Before(slot) {
		slot = slot.Add(-day)
	}
	return !ran || last.Before(slot)
}

// Scheduler runs the sweep daily at Hour (UTC) inside serve and, every
// minute, tells the people who must acknowledge a version that has just
// taken effect (Sweeper.NotifyEffective).
type Scheduler struct {
	Sweeper *Sweeper
	Hour    int
	Now     func() time.Time
	// Every is how often the scheduler looks at the clock.
	Every time.Duration
}

// NewScheduler returns a scheduler that checks every minute.
func NewScheduler(s *Sweeper, hour int) *Scheduler {
	return &Scheduler{Sweeper: s, Hour: hour, Now: func() time.Time { return time.Now().UTC() }, Every: time.Minute}
}

// RunDue runs a sweep if one is due, and reports whether it ran.
func (sc *Scheduler) RunDue(ctx context.Context) (bool, error) {
	now := sc.Now()
	last, ran, err := sc.Sweeper.LastRun(ctx)
	if err != nil {
		return false, err
	}
	if !Due(now, sc.Hour, last, ran) {
		return false, nil
	}
	stillDue := func(ctx context.Context) (bool, error) {
		last, ran, err := sc.Sweeper.LastRun(ctx)
		return err == nil && Due(now, sc.Hour, last, ran), err
	}
	plan, err := sc.Sweeper.sweep(ctx, now, false, stillDue)
	if errors.Is(err, ErrBusy) || errors.Is(err, errNotDue) {
		return false, nil // another process is sweeping, or just did
	}
	if err != nil {
		return false, err
	}
	sc.Sweeper.Logger.Info("reminders: sweep", "digests", plan.Len(), "events", plan.Events(), "deferred", plan.Deferred)
	return true, nil
}

// Run checks at start and then every Every until ctx is cancelled.
func (sc *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(sc.Every)
	defer t.Stop()
	for {
		// A version that took effect since the last look is told first,
		// so a sweep in the same minute sees its notices as sent.
		if _, err := sc.Sweeper.NotifyEffective(ctx, sc.Now()); err != nil && ctx.Err() == nil {
			sc.Sweeper.Logger.Error("reminders: notices of versions taking effect failed", "err", err)
		}
		if _, err := sc.RunDue(ctx); err != nil && ctx.Err() == nil {
			sc.Sweeper.Logger.Error("reminders: sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
