// Package tokens issues and redeems the one-time links Steward mails out:
// invitations for new people and password resets. A token is 32 random
// bytes; only its SHA-256 is stored, so a copy of the database cannot be
// used to take over an account. A token works once: a reset for one hour,
// an invitation for InviteTTL (7 days unless configured).
package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/mail"
)

// TTL is how long a password-reset link works.
const TTL = time.Hour

// DefaultInviteTTL is how long an invitation works unless configured
// (STEWARD_INVITE_DAYS): a new hire may first read their mail days later.
const DefaultInviteTTL = 7 * 24 * time.Hour

// Purposes a token is issued for; a token of one purpose never redeems the other.
const (
	PurposeInvite = "invite"
	PurposeReset  = "reset"
)

var (
	// ErrInvalid covers a token that is unknown, used, expired, of the
	// other purpose, or whose user is no longer active. Callers show one
	// message for all of them, so a link reveals nothing about an account.
	ErrInvalid = errors.New("tokens: this link is invalid or has expired")
	// ErrInactive is returned when issuing for a deactivated user.
	ErrInactive = errors.New("tokens: user is not active")
	// ErrNoUser is returned when issuing for an unknown user id.
	ErrNoUser = errors.New("tokens: no such user")
	// ErrHasPassword is returned when inviting someone who already has a
	// password: an invitation would let whoever reads it take over the
	// account. They reset their password themselves.
	ErrHasPassword = errors.New("tokens: user already has a password")
)

// Issuer creates tokens and queues the email that carries them.
type Issuer struct {
	Mail      *mail.Renderer
	TTL       time.Duration // of a password-reset link
	InviteTTL time.Duration // of an invitation
}

// New returns an issuer whose reset links last TTL and invitations
// inviteTTL (DefaultInviteTTL when zero).
func New(r *mail.Renderer, inviteTTL time.Duration) *Issuer {
	if inviteTTL <= 0 {
		inviteTTL = DefaultInviteTTL
	}
	return &Issuer{Mail: r, TTL: TTL, InviteTTL: inviteTTL}
}

// Lifetime says how long a link of purpose works, as the emails and pages
// word it: "one hour", "7 days".
func (i *Issuer) Lifetime(purpose string) string {
	d := i.TTL
	if purpose == PurposeInvite {
		d = i.InviteTTL
	}
	switch {
	case d == time.Hour:
		return "one hour"
	case d == 24*time.Hour:
		return "one day"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// Hash is what the database keeps of a token.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IssueReset creates a password-reset token for userID and queues the
// email with the link in the same transaction. Earlier unused reset links
// of that user stop working.
func (i *Issuer) IssueReset(ctx context.Context, tx sqlx.ExtContext, userID int64, now time.Time) (string, error) {
	return i.issue(ctx, tx, PurposeReset, "password_reset", userID, "", now)
}

// IssueInvite creates an invitation token for a new person and queues the
// invitation email; invitedBy is the inviter's name as shown in the email
// (empty for an import). Only a person without a password is invited
// (ErrHasPassword otherwise).
func (i *Issuer) IssueInvite(ctx context.Context, tx sqlx.ExtContext, userID int64, invitedBy string, now time.Time) (string, error) {
	return i.issue(ctx, tx, PurposeInvite, "invite", userID, invitedBy, now)
}

// ConsumeReset redeems a reset token: it returns the user whose password
// may now be set, and the token never works again.
func (i *Issuer) ConsumeReset(ctx context.Context, tx sqlx.ExtContext, token string, now time.Time) (int64, error) {
	return consume(ctx, tx, PurposeReset, token, now)
}

// ConsumeInvite redeems an invitation token the same way.
func (i *Issuer) ConsumeInvite(ctx context.Context, tx sqlx.ExtContext, token string, now time.Time) (int64, error) {
	return consume(ctx, tx, PurposeInvite, token, now)
}

type recipient struct {
	Email       string `db:"email"`
	Name        string `db:"name"`
	Active      bool   `db:"active"`
	HasPassword bool   `db:"has_password"`
}

func (i *Issuer) issue(ctx context.Context, tx sqlx.ExtContext, purpose, kind string, userID int64, invitedBy string, now time.Time) (string, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var u recipient
	err := sqlx.GetContext(ctx, tx, &u, tx.Rebind(`SELECT email, name, active, password_hash <> '' AS has_password FROM users WHERE id = ?`), userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNoUser
	}
	if err != nil {
		return "", fmt.Errorf("tokens: issue %s for user %d: %w", purpose, userID, err)
	}
	if !u.Active {
		return "", ErrInactive
	}
	if purpose == PurposeInvite && u.HasPassword {
		return "", ErrHasPassword
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("tokens: random: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	hash := Hash(token)
	ttl := i.TTL
	if purpose == PurposeInvite {
		ttl = i.InviteTTL
	}
	expires := now.Add(ttl)
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE one_time_tokens SET used_at = ?
		WHERE user_id = ? AND purpose = ? AND used_at IS NULL`), now, userID, purpose); err != nil {
		return "", fmt.Errorf("tokens: retire earlier %s links of user %d: %w", purpose, userID, err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO one_time_tokens
		(purpose, token_hash, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`),
		purpose, hash, userID, expires, now); err != nil {
		return "", fmt.Errorf("tokens: store %s token for user %d: %w", purpose, userID, err)
	}
	msg, err := i.Mail.Render(kind, map[string]any{"Name": u.Name, "InvitedBy": invitedBy, "Token": token, "Expires": expires, "Lifetime": i.Lifetime(purpose)})
	if err != nil {
		return "", err
	}
	msg.To = u.Email
	msg.UserID = &userID
	// The key names the token's hash, never the token: each link is its
	// own email. The body does carry the link, so the message is marked
	// secret and no admin page shows it.
	msg.Secret = true
	msg.DedupeKey = purpose + ":" + hash[:32]
	if _, err := mail.Enqueue(ctx, tx, msg, now); err != nil {
		return "", err
	}
	return token, nil
}

// InvitePending invites every active person who has no password yet, did
// not arrive through single sign-on, and holds no invitation that still
// works at now: after a roster import, everyone added who has not signed
// in. It returns whom it invited.
func (i *Issuer) InvitePending(ctx context.Context, tx sqlx.ExtContext, invitedBy string, now time.Time) ([]int64, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, tx, &ids, tx.Rebind(`SELECT u.id FROM users u
		WHERE u.active = TRUE AND u.password_hash = '' AND u.source <> 'sso'
		AND NOT EXISTS (SELECT 1 FROM one_time_tokens t WHERE t.user_id = u.id AND t.purpose = ?
			AND t.used_at IS NULL AND t.expires_at > ?)
		ORDER BY u.id`), PurposeInvite, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("tokens: people to invite: %w", err)
	}
	for _, id := range ids {
		if _, err := i.IssueInvite(ctx, tx, id, invitedBy, now); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func consume(ctx context.Context, tx sqlx.ExtContext, purpose, token string, now time.Time) (int64, error) {
	if token == "" {
		return 0, ErrInvalid
	}
	now = now.UTC().Truncate(time.Microsecond)
	var userID int64
	// One statement finds and burns the token, so two requests racing
	// with the same link cannot both succeed.
	err := sqlx.GetContext(ctx, tx, &userID, tx.Rebind(`UPDATE one_time_tokens SET used_at = ?
		WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
		RETURNING user_id`), now, Hash(token), purpose, now)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrInvalid
	}
	if err != nil {
		return 0, fmt.Errorf("tokens: redeem %s token: %w", purpose, err)
	}
	var u recipient
	if err := sqlx.GetContext(ctx, tx, &u, tx.Rebind(`SELECT email, name, active, password_hash <> '' AS has_password
		FROM users WHERE id = ?`), userID); err != nil {
		return 0, fmt.Errorf("tokens: redeem %s token: user %d: %w", purpose, userID, err)
	}
	// An invitation sent before its person chose a password no longer
	// sets one: only a reset, asked for by the person, replaces a password.
	if !u.Active || (purpose == PurposeInvite && u.HasPassword) {
		return 0, ErrInvalid
	}
	return userID, nil
}

// DeleteFor deletes every link issued to person userID, used or not:
// retention runs it when the person is pseudonymised.
func DeleteFor(ctx context.Context, tx sqlx.ExtContext, userID int64) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM one_time_tokens WHERE user_id = ?`), userID); err != nil {
		return fmt.Errorf("tokens: delete links of user %d: %w", userID, err)
	}
	return nil
}
