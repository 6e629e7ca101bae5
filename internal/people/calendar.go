package people

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// ErrNoCalendar is a calendar link that is unknown, reset, stopped, or a
// person who has left.
var ErrNoCalendar = errors.New("people: no such calendar feed")

// ResetCalendar makes a new secret link to the person's calendar feed and
// returns its token (the only time it is seen); any earlier link stops.
func (s *Store) ResetCalendar(ctx context.Context, userID int64, by audit.Actor, now time.Time) (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM calendar_feeds WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("people: reset calendar: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES (?, ?, ?)`),
			userID, hashToken(token), now.UTC()); err != nil {
			return fmt.Errorf("people: reset calendar: %w", err)
		}
		return audit.Record(ctx, tx, by.Entry(now, "user.calendar.reset", userTarget(userID), ""))
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// StopCalendar removes the person's calendar link.
func (s *Store) StopCalendar(ctx context.Context, userID int64, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM calendar_feeds WHERE user_id = ?`), userID)
		if err != nil {
			return fmt.Errorf("people: stop calendar: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoCalendar
		}
		return audit.Record(ctx, tx, by.Entry(now, "user.calendar.stop", userTarget(userID), ""))
	})
}

// CalendarSince is when the person's current calendar link was made, or
// nil when they have none.
func (s *Store) CalendarSince(ctx context.Context, userID int64) (*time.Time, error) {
	var at time.Time
	err := s.db.GetContext(ctx, &at, s.db.Rebind(`SELECT created_at FROM calendar_feeds WHERE user_id = ?`), userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("people: calendar: %w", err)
	}
	return &at, nil
}

// CalendarUser is the active person whose calendar link token is.
func (s *Store) CalendarUser(ctx context.Context, token string) (User, error) {
	if len(token) != 32 {
		return User{}, ErrNoCalendar
	}
	u, err := getUser(ctx, s.db, "u.id = (SELECT user_id FROM calendar_feeds WHERE token_hash = ?)", hashToken(token))
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return User{}, ErrNoCalendar
	}
	return u, err
}
