package people

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// ErrNoSession means a session id names no live session: never started,
// signed out, or ended by a password change, deactivation or an admin.
var ErrNoSession = errors.New("people: no such session")

// Why a session ended, as kept with it.
const (
	EndedLogout      = "signed out"
	EndedEverywhere  = "signed out everywhere"
	EndedCredentials = "sign-in details changed"
	EndedDeactivate  = "deactivated"
	EndedRole        = "role changed"
	EndedAdmin       = "ended by an admin"
	EndedExpired     = "expired"
)

// Session is a signed-in session as the server keeps it. The cookie holds
// a random id; the table keeps only its hash, so reading the database gives
// no one a session.
type Session struct {
	IDHash    string    `db:"id_hash"`
	UserID    int64     `db:"user_id"`
	CreatedAt time.Time `db:"created_at"`
	SeenAt    time.Time `db:"seen_at"`
	Device    string    `db:"device"`
	Address   string    `db:"address"`
}

// HashSessionID is how a cookie's session id is stored and looked up.
func HashSessionID(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// StartSession records a new signed-in session for userID. device and
// address are summaries coarse enough to recognise, never to track: see
// DeviceSummary and AddressSummary.
func (s *Store) StartSession(ctx context.Context, id string, userID int64, device, address string, now time.Time) error {
	now = now.UTC()
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO sessions (id_hash, user_id, created_at, seen_at, device, address)
		VALUES (?, ?, ?, ?, ?, ?)`), HashSessionID(id), userID, now, now, device, address)
	if err != nil {
		return fmt.Errorf("people: start session for %d: %w", userID, err)
	}
	return nil
}

// SessionUser returns the live session with this id and its person.
func (s *Store) SessionUser(ctx context.Context, id string) (User, Session, error) {
	var row struct {
		User
		SessionCreated time.Time `db:"session_created"`
		SessionSeen    time.Time `db:"session_seen"`
	}
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT `+userColumns+`, ss.created_at AS session_created, ss.seen_at AS session_seen
		FROM sessions ss JOIN users u ON u.id = ss.user_id
		LEFT JOIN teams t ON t.id = u.team_id
		LEFT JOIN users m ON m.id = u.manager_id
		WHERE ss.id_hash = ? AND ss.ended_at IS NULL`), HashSessionID(id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, Session{}, ErrNoSession
	}
	if err != nil {
		return User{}, Session{}, fmt.Errorf("people: read session: %w", err)
	}
	return row.User, Session{IDHash: HashSessionID(id), UserID: row.User.ID, CreatedAt: row.SessionCreated, SeenAt: row.SessionSeen}, nil
}

// TouchSession moves a live session's last-seen time.
func (s *Store) TouchSession(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE sessions SET seen_at = ? WHERE id_hash = ? AND ended_at IS NULL`),
		now.UTC(), HashSessionID(id))
	if err != nil {
		return fmt.Errorf("people: touch session: %w", err)
	}
	return nil
}

// EndSession ends one session, for why.
func (s *Store) EndSession(ctx context.Context, id, why string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE sessions SET ended_at = ?, ended_why = ? WHERE id_hash = ? AND ended_at IS NULL`),
		now.UTC(), why, HashSessionID(id))
	if err != nil {
		return fmt.Errorf("people: end session: %w", err)
	}
	return nil
}

// Sessions lists a person's live sessions, the most recently seen first.
func (s *Store) Sessions(ctx context.Context, userID int64) ([]Session, error) {
	var out []Session
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT id_hash, user_id, created_at, seen_at, device, address
		FROM sessions WHERE user_id = ? AND ended_at IS NULL ORDER BY seen_at DESC, id_hash`), userID)
	if err != nil {
		return nil, fmt.Errorf("people: sessions of %d: %w", userID, err)
	}
	return out, nil
}

// EndSessions ends every live session of a person, for why, and records it
// in the audit log as by's act. It returns how many it ended.
func (s *Store) EndSessions(ctx context.Context, userID int64, why string, by audit.Actor, now time.Time) (int, error) {
	var n int
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := getUser(ctx, tx, "u.id = ?", userID); err != nil {
			return err
		}
		var err error
		if n, err = endSessionsTx(ctx, tx, userID, why, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by.Entry(now, "user.sessions.end", userTarget(userID), fmt.Sprintf("%s: %d ended", why, n)))
	})
	return n, err
}

// endSessionsTx ends a person's live sessions inside the caller's
// transaction: the change that ends them and their end commit together.
func endSessionsTx(ctx context.Context, tx *sqlx.Tx, userID int64, why string, now time.Time) (int, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE sessions SET ended_at = ?, ended_why = ? WHERE user_id = ? AND ended_at IS NULL`),
		now.UTC(), why, userID)
	if err != nil {
		return 0, fmt.Errorf("people: end sessions of %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PurgeSessionsTx deletes sessions that ended, or were last seen, before
// cutoff, inside the caller's transaction (retention's): a session record
// is kept only while it can matter.
func PurgeSessionsTx(ctx context.Context, tx *sqlx.Tx, cutoff time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE ended_at < ? OR (ended_at IS NULL AND seen_at < ?)`),
		cutoff.UTC(), cutoff.UTC())
	if err != nil {
		return 0, fmt.Errorf("people: purge sessions: %w", err)
	}
	return res.RowsAffected()
}

// DeviceSummary names a browser and system from a User-Agent, coarsely
// ("Firefox on Linux"), so a person can tell their sessions apart without
// Steward keeping a fingerprint.
func DeviceSummary(userAgent string) string {
	ua := strings.ToLower(userAgent)
	browser := "Unknown browser"
	for _, b := range []struct{ token, name string }{
		{"edg/", "Edge"}, {"opr/", "Opera"}, {"firefox/", "Firefox"}, {"chromium/", "Chromium"},
		{"chrome/", "Chrome"}, {"safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"android", "Android"}, {"iphone", "iOS"}, {"ipad", "iPadOS"}, {"windows", "Windows"},
		{"mac os", "macOS"}, {"cros", "ChromeOS"}, {"linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " on " + system
}

// AddressSummary keeps the network, not the host: an IPv4 address's /24
// ("192.0.2.x"), an IPv6 address's /48.
func AddressSummary(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return fmt.Sprintf("%d.%d.%d.x", b[0], b[1], b[2])
	}
	p, err := a.Prefix(48)
	if err != nil {
		return ""
	}
	return p.String()
}
