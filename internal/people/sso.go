package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/validator"
)

// Where a person's record comes from (users.source). Provisioning from a
// directory adds its own.
const (
	SourceLocal = "local" // an admin, the roster import or the command line
	SourceSSO   = "sso"   // created at the person's first single sign-on
)

// Why a single sign-on is refused. Each is shown to the person and kept in
// the audit log.
var (
	ErrEmailUnverified = errors.New("people: the provider has not verified this email address")
	ErrDomainRefused   = errors.New("people: this email address is not in a domain allowed to sign in")
	ErrNoAccount       = errors.New("people: no Steward account has this email address")
	ErrAlreadyLinked   = errors.New("people: this account is already linked to another identity at the provider")
	ErrInactive        = errors.New("people: this account is deactivated")
	ErrBadEmail        = errors.New("people: the provider sent an email address Steward cannot use")
)

// GroupRole maps a group at the provider to a Steward role.
type GroupRole struct {
	Group string
	Role  Role
}

// SSOPolicy is what an installation allows at single sign-on.
type SSOPolicy struct {
	// Domains are the email domains whose people may sign in (lower case).
	Domains []string
	// CreateUsers lets a person the provider vouches for, who has no
	// account yet, have one made at their first sign-in.
	CreateUsers bool
	// RoleMap sets the person's role from their groups at every sign-in;
	// the first entry whose group they are in wins, and someone in none
	// is an employee. Empty: roles are kept as they are in Steward.
	RoleMap []GroupRole
}

// DomainAllowed reports whether email is in one of the allowed domains.
func (p SSOPolicy) DomainAllowed(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 1 {
		return false
	}
	return slices.Contains(p.Domains, strings.ToLower(email[at+1:]))
}

// RoleFor is the role that groups give, and whether the policy sets roles
// at all.
func (p SSOPolicy) RoleFor(groups []string) (Role, bool) {
	if len(p.RoleMap) == 0 {
		return "", false
	}
	for _, m := range p.RoleMap {
		if slices.Contains(groups, m.Group) {
			return m.Role, true
		}
	}
	return RoleEmployee, true
}

// PasswordPolicy says who may sign in with a password.
type PasswordPolicy struct {
	// Off turns password sign-in off for everyone but BreakGlass.
	Off bool
	// BreakGlass are the emails (normalised) of the admins who may still
	// sign in with a password when it is off, for when the provider is
	// down or misconfigured.
	BreakGlass []string
}

// MayTry reports whether a password sign-in for email is worth checking:
// with password sign-in off, only a break-glass address is.
func (p PasswordPolicy) MayTry(email string) bool {
	return !p.Off || slices.Contains(p.BreakGlass, NormalizeEmail(email))
}

// Allows reports whether u, whose password was right, may sign in with
// it: with password sign-in off, only a break-glass admin may.
func (p PasswordPolicy) Allows(u User) bool {
	return !p.Off || (u.Role == RoleAdmin && slices.Contains(p.BreakGlass, u.Email))
}

// Claims is what Steward reads from a verified ID token (and the
// provider's userinfo).
type Claims struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// SSOOutcome says what a single sign-on did besides signing in.
type SSOOutcome struct {
	Linked  bool // the identity was linked to the person now
	Created bool // the person was created now
	Role    Role // the role before, when the groups changed it ("" otherwise)
}

// ssoActor records what the provider's word changed.
var ssoActor = audit.Actor{Label: "sso"}

// SignInSSO finds the person a verified identity signs in, by the
// provider's (issuer, subject) when it was linked before, else by a
// verified email in an allowed domain, and links it; it creates the
// person if the policy allows. Their role follows their groups. Every
// sign-in and link is audited, and so is every refusal (one of the Err
// values above), whose person, if any, is named by id only.
func (s *Store) SignInSSO(ctx context.Context, c Claims, p SSOPolicy, now time.Time) (User, SSOOutcome, error) {
	now = now.UTC()
	var u User
	var out SSOOutcome
	var refusedUser *int64
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		u, out, refusedUser, err = signInSSOTx(ctx, tx, c, p, now)
		return err
	})
	if refusal(err) {
		if rerr := s.RecordSSORefusal(ctx, refusedUser, err.Error(), now); rerr != nil {
			return User{}, SSOOutcome{}, rerr
		}
	}
	if err != nil {
		return User{}, SSOOutcome{}, err
	}
	return u, out, nil
}

func refusal(err error) bool {
	for _, e := range []error{ErrEmailUnverified, ErrDomainRefused, ErrNoAccount, ErrAlreadyLinked, ErrInactive, ErrBadEmail} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func signInSSOTx(ctx context.Context, tx *sqlx.Tx, c Claims, p SSOPolicy, now time.Time) (User, SSOOutcome, *int64, error) {
	var out SSOOutcome
	var userID int64
	err := tx.GetContext(ctx, &userID, tx.Rebind(`SELECT user_id FROM identities WHERE issuer = ? AND subject = ?`), c.Issuer, c.Subject)
	switch {
	case err == nil:
		// Linked before: the email the provider sends now does not matter.
	case errors.Is(err, sql.ErrNoRows):
		var u User
		if u, out, err = linkTx(ctx, tx, c, p, now); err != nil {
			if u.ID != 0 {
				return User{}, out, &u.ID, err
			}
			return User{}, out, nil, err
		}
		userID = u.ID
	default:
		return User{}, out, nil, fmt.Errorf("people: find identity: %w", err)
	}
	u, err := getUser(ctx, tx, "u.id = ?", userID)
	if err != nil {
		return User{}, out, nil, err
	}
	if !u.Active {
		return User{}, out, &u.ID, ErrInactive
	}
	if role, ok := p.RoleFor(c.Groups); ok && role != u.Role {
		in := Input{Email: u.Email, Name: u.Name, Role: role, TeamID: u.TeamID, ManagerID: u.ManagerID, HiredOn: u.HiredOn}
		_, err := updateTx(ctx, tx, u, in, false, ssoActor, now)
		switch {
		case errors.Is(err, ErrLastAdmin):
			// The provider cannot lock the installation out of its admin
			// pages: the last admin stays one, and the log says why.
			if err := audit.Record(ctx, tx, ssoActor.Entry(now, "user.role.kept", userTarget(u.ID),
				"groups give "+string(role)+"; kept admin: the last active admin")); err != nil {
				return User{}, out, nil, err
			}
		case err != nil:
			return User{}, out, nil, err
		default:
			out.Role = u.Role
			u.Role = role
		}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE identities SET seen_at = ? WHERE issuer = ? AND subject = ?`),
		now, c.Issuer, c.Subject); err != nil {
		return User{}, out, nil, fmt.Errorf("people: identity seen: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.UserActor(u.ID).Entry(now, "login.sso", userTarget(u.ID), c.Issuer)); err != nil {
		return User{}, out, nil, err
	}
	return u, out, nil, nil
}

// linkTx links a new identity to the person with its verified email, or
// creates that person when allowed. The returned person is set (by id)
// when a refusal concerns a known person.
func linkTx(ctx context.Context, tx *sqlx.Tx, c Claims, p SSOPolicy, now time.Time) (User, SSOOutcome, error) {
	var out SSOOutcome
	email := NormalizeEmail(c.Email)
	if email == "" || !c.EmailVerified {
		return User{}, out, ErrEmailUnverified
	}
	if !p.DomainAllowed(email) {
		return User{}, out, ErrDomainRefused
	}
	if !validator.Email(email) {
		return User{}, out, ErrBadEmail
	}
	u, err := getUser(ctx, tx, "u.email = ?", email)
	switch {
	case errors.Is(err, ErrNotFound):
		if !p.CreateUsers {
			return User{}, out, ErrNoAccount
		}
		role, ok := p.RoleFor(c.Groups)
		if !ok {
			role = RoleEmployee
		}
		name := strings.TrimSpace(c.Name)
		if name == "" || len(name) > 200 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			name = email[:strings.IndexByte(email, '@')]
		}
		id, err := createTx(ctx, tx, Input{Email: email, Name: name, Role: role}, ssoActor, now)
		if err != nil {
			return User{}, out, err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET source = ? WHERE id = ?`), SourceSSO, id); err != nil {
			return User{}, out, fmt.Errorf("people: mark %d as created at sign-on: %w", id, err)
		}
		u = User{ID: id}
		out.Created = true
	case err != nil:
		return User{}, out, err
	default:
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM identities WHERE user_id = ? AND issuer = ?`), u.ID, c.Issuer); err != nil {
			return User{}, out, fmt.Errorf("people: identities of %d: %w", u.ID, err)
		}
		// Another subject at the same provider already signs this person
		// in: a second one claiming the same email is not them.
		if n > 0 {
			return u, out, ErrAlreadyLinked
		}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO identities (user_id, issuer, subject, linked_at, seen_at)
		VALUES (?, ?, ?, ?, ?)`), u.ID, c.Issuer, c.Subject, now, now); err != nil {
		return User{}, out, fmt.Errorf("people: link identity to %d: %w", u.ID, err)
	}
	out.Linked = true
	detail := "linked by verified email at " + c.Issuer
	if out.Created {
		detail = "created and linked at first sign-on at " + c.Issuer
	}
	if err := audit.Record(ctx, tx, ssoActor.Entry(now, "user.identity.link", userTarget(u.ID), detail)); err != nil {
		return User{}, out, err
	}
	return u, out, nil
}

// RecordSSORefusal writes a refused single sign-on to the audit log, with
// the person's id when one is known and why; never the email the
// provider sent.
func (s *Store) RecordSSORefusal(ctx context.Context, userID *int64, why string, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		actor, target := audit.Actor{Label: "anonymous"}, ""
		if userID != nil {
			actor, target = audit.UserActor(*userID), userTarget(*userID)
		}
		return audit.Record(ctx, tx, actor.Entry(now.UTC(), "login.sso.refused", target, strings.TrimPrefix(why, "people: ")))
	})
}

// Identity is a provider's identity linked to a person.
type Identity struct {
	Issuer   string    `db:"issuer"`
	Subject  string    `db:"subject"`
	LinkedAt time.Time `db:"linked_at"`
	SeenAt   time.Time `db:"seen_at"`
}

// Identities lists the identities linked to a person.
func (s *Store) Identities(ctx context.Context, userID int64) ([]Identity, error) {
	var out []Identity
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT issuer, subject, linked_at, seen_at
		FROM identities WHERE user_id = ? ORDER BY issuer, subject`), userID)
	if err != nil {
		return nil, fmt.Errorf("people: identities of %d: %w", userID, err)
	}
	return out, nil
}

// DeleteIdentitiesTx unlinks every identity of a person inside the
// caller's transaction (retention's, when the person is pseudonymised:
// the provider's subject points back to them).
func DeleteIdentitiesTx(ctx context.Context, tx *sqlx.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM identities WHERE user_id = ?`), userID); err != nil {
		return fmt.Errorf("people: delete identities of %d: %w", userID, err)
	}
	return nil
}
