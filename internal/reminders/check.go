package reminders

import (
	"context"
	"fmt"
	"time"

	"steward/courses"
	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/people"
	"steward/policies"
)

// Checker tells the outbox worker whether a reminder digest is still
// worth sending: its recipient is still active and at least one item it
// announces is still open. A digest whose every item was completed or
// acknowledged since it was queued is dropped. Other kinds of mail are
// always wanted.
type Checker struct {
	DB  *db.DB
	Now func() time.Time
}

var _ mail.Checker = (*Checker)(nil)

// NewChecker returns a checker on the wall clock.
func NewChecker(d *db.DB) *Checker {
	return &Checker{DB: d, Now: func() time.Time { return time.Now().UTC() }}
}

// StillWanted implements mail.Checker.
func (c *Checker) StillWanted(ctx context.Context, m mail.Outgoing) (bool, error) {
	if m.Kind != MailKind {
		return true, nil
	}
	now := c.Now().UTC()
	if m.UserID != nil {
		active, err := people.IsActive(ctx, c.DB, *m.UserID)
		if err != nil {
			return true, fmt.Errorf("reminders: check recipient of %s: %w", m.DedupeKey, err)
		}
		if !active {
			return false, nil
		}
	}
	var subjects []struct {
		Type   string `db:"subject_type"`
		ID     int64  `db:"subject_id"`
		UserID int64  `db:"user_id"`
		Round  string `db:"round"`
	}
	if err := c.DB.SelectContext(ctx, &subjects, c.DB.Rebind(`SELECT DISTINCT subject_type, subject_id, user_id, round
		FROM reminder_events WHERE outbox_id = ?`), m.ID); err != nil {
		return true, fmt.Errorf("reminders: check %s: %w", m.DedupeKey, err)
	}
	if len(subjects) == 0 {
		return true, nil
	}
	for _, s := range subjects {
		open, err := c.open(ctx, s.Type, s.ID, s.UserID, s.Round, now)
		if err != nil {
			return true, err
		}
		if open {
			return true, nil
		}
	}
	return false, nil
}

func (c *Checker) open(ctx context.Context, typ string, id, user int64, round string, now time.Time) (bool, error) {
	switch typ {
	case SubjectCycle:
		// The cycle's person must be active too, as the sweep asks.
		active, err := people.IsActive(ctx, c.DB, user)
		if err != nil || !active {
			return err != nil, err
		}
		open, err := courses.CycleOpen(ctx, c.DB, id, now)
		if err != nil {
			return true, fmt.Errorf("reminders: check: %w", err)
		}
		return open, nil
	case SubjectAck:
		since, err := time.Parse(time.RFC3339, round)
		if err != nil {
			return true, nil
		}
		active, err := people.IsActive(ctx, c.DB, user)
		if err != nil {
			return true, fmt.Errorf("reminders: check user %d: %w", user, err)
		}
		if !active {
			return false, nil
		}
		done, err := policies.AcknowledgedSince(ctx, c.DB, id, user, since)
		if err != nil {
			return true, fmt.Errorf("reminders: check: %w", err)
		}
		return !done, nil
	}
	return true, nil
}
