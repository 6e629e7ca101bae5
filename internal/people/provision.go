package people

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/db"
)

// ManagedBySCIM marks a person or team written by the company directory
// through SCIM. Steward's own forms and the roster import leave the
// directory's fields of such a person alone (ErrManaged).
const ManagedBySCIM = "scim"

// DeletedBySCIM marks a person the directory deleted. SCIM answers 404
// for them, as RFC 7644 section 3.6 asks, but Steward keeps the person,
// deactivated, with their training and acknowledgement records; an admin
// may edit or reactivate them, and the directory may provision them again.
const DeletedBySCIM = "scim-deleted"

// Provisioned is what the directory says about a person: the SCIM User
// resource with the enterprise extension, its manager already resolved to
// a person's id.
type Provisioned struct {
	ExternalID     string
	UserName       string // the directory's name for them; often their email
	Email          string
	Name           string
	Active         bool
	Department     string
	EmployeeNumber string
	ManagerID      *int64
}

// ErrDuplicateExternalID is a second person or team with the same
// directory id.
var ErrDuplicateExternalID = errors.New("people: another person or team already has this externalId or userName")

// Limits of directory fields, so a directory cannot fill the database.
const (
	maxDirectoryField = 200
	maxNameLength     = 200
)

// Validate checks p as Create checks a person: a valid email, a name, and
// directory fields of sensible size without control characters.
func (p Provisioned) Validate() error {
	if err := validEmail(p.Email); err != nil {
		return err
	}
	if strings.TrimSpace(p.Name) == "" {
		return fmt.Errorf("%w: a name is required", ErrInvalid)
	}
	for field, v := range map[string]string{"name": p.Name, "externalId": p.ExternalID, "userName": p.UserName,
		"department": p.Department, "employeeNumber": p.EmployeeNumber} {
		if len(v) > maxDirectoryField {
			return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, field, maxDirectoryField)
		}
		if strings.ContainsFunc(v, isControl) {
			return fmt.Errorf("%w: %s contains control characters", ErrInvalid, field)
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// ErrInvalid wraps a directory value Steward cannot store.
var ErrInvalid = errors.New("people: invalid value")

func validEmail(s string) error {
	e := NormalizeEmail(s)
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at == len(e)-1 || len(e) > 254 || strings.ContainsAny(e, " \t\r\n<>,;\"") || !strings.Contains(e[at:], ".") {
		return fmt.Errorf("%w: the email %q is not an email address", ErrInvalid, clip(s))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// DirectoryPerson returns person id as the directory may see them: not
// one it deleted.
func (s *Store) DirectoryPerson(ctx context.Context, id int64) (User, error) {
	u, err := getUser(ctx, s.db, "u.id = ?", id)
	if err == nil && u.ManagedBy == DeletedBySCIM {
		return User{}, ErrNotFound
	}
	return u, err
}

// DirectoryFilter narrows the people a provisioning client lists: by
// userName (email) or externalId, exactly, as RFC 7644's "eq" filters
// that Entra ID and Okta send.
type DirectoryFilter struct {
	UserName   string
	ExternalID string
	Offset     int // 0-based
	Limit      int
}

// Directory lists people for a provisioning client, active or not, in id
// order, and how many match in all.
func (s *Store) Directory(ctx context.Context, f DirectoryFilter) ([]User, int, error) {
	conds := []string{"u.managed_by <> ?"}
	args := []any{DeletedBySCIM}
	if f.UserName != "" {
		// People Steward had before the directory are found by email.
		conds = append(conds, "(u.user_name = ? OR (u.user_name IS NULL AND u.email = ?))")
		args = append(args, f.UserName, NormalizeEmail(f.UserName))
	}
	if f.ExternalID != "" {
		conds, args = append(conds, "u.external_id = ?"), append(args, f.ExternalID)
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	var total int
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT COUNT(*) FROM users u`+where), args...); err != nil {
		return nil, 0, fmt.Errorf("people: directory count: %w", err)
	}
	var users []User
	if f.Limit > 0 {
		err := s.db.SelectContext(ctx, &users, s.db.Rebind(`SELECT `+userColumns+userFrom+where+` ORDER BY u.id LIMIT ? OFFSET ?`),
			append(args, f.Limit, max(f.Offset, 0))...)
		if err != nil {
			return nil, 0, fmt.Errorf("people: directory: %w", err)
		}
	}
	return users, total, nil
}

// Provision creates a person the directory sends, managed by it from now
// on. An email Steward already knows is ErrDuplicateEmail: the directory
// finds that person by filtering on userName and takes them over with
// Reprovision.
func (s *Store) Provision(ctx context.Context, p Provisioned, by audit.Actor, now time.Time) (User, error) {
	if err := p.Validate(); err != nil {
		return User{}, err
	}
	if old, err := s.ByEmail(ctx, p.Email); err == nil && old.ManagedBy == DeletedBySCIM {
		// Someone the directory deleted comes back (a rehire): the
		// same person, with their history.
		return s.reprovision(ctx, old.ID, p, true, by, now)
	}
	var u User
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		in := Input{Email: p.Email, Name: p.Name, Role: RoleEmployee, ManagerID: p.ManagerID}
		id, err := createTx(ctx, tx, in, by, now)
		if err != nil {
			return err
		}
		if err := setDirectoryFields(ctx, tx, id, p, now); err != nil {
			return err
		}
		if u, err = getUser(ctx, tx, "u.id = ?", id); err != nil {
			return err
		}
		if !p.Active {
			if err := setActiveTx(ctx, tx, u, false, by, now); err != nil {
				return err
			}
			u, err = getUser(ctx, tx, "u.id = ?", id)
		}
		return err
	})
	return u, err
}

// Reprovision writes what the directory says over person id, which it
// manages from now on: email, name, manager, department, employee number,
// externalId and whether they are active. Steward's own role, team and
// hire date stay. Deactivating is the leaver flow (SetActive); a new
// manager moves the person's reporting line from this moment.
func (s *Store) Reprovision(ctx context.Context, id int64, p Provisioned, by audit.Actor, now time.Time) (User, error) {
	return s.reprovision(ctx, id, p, false, by, now)
}

func (s *Store) reprovision(ctx context.Context, id int64, p Provisioned, rehire bool, by audit.Actor, now time.Time) (User, error) {
	if err := p.Validate(); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		old, err := getUser(ctx, tx, "u.id = ?", id)
		if err != nil {
			return err
		}
		if old.ManagedBy == DeletedBySCIM && !rehire {
			return ErrNotFound
		}
		in := Input{Email: p.Email, Name: p.Name, Role: old.Role, TeamID: old.TeamID, ManagerID: p.ManagerID, HiredOn: old.HiredOn}
		if _, err := updateTx(ctx, tx, old, in, true, by, now); err != nil {
			return err
		}
		if err := setDirectoryFields(ctx, tx, id, p, now); err != nil {
			return err
		}
		if old.Active != p.Active {
			cur, err := getUser(ctx, tx, "u.id = ?", id)
			if err != nil {
				return err
			}
			if err := setActiveTx(ctx, tx, cur, p.Active, by, now); err != nil {
				return err
			}
		}
		u, err = getUser(ctx, tx, "u.id = ?", id)
		return err
	})
	return u, err
}

func setDirectoryFields(ctx context.Context, tx *sqlx.Tx, id int64, p Provisioned, now time.Time) error {
	var ext *string
	if e := strings.TrimSpace(p.ExternalID); e != "" {
		ext = &e
	}
	var userName *string
	if n := strings.TrimSpace(p.UserName); n != "" {
		userName = &n
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET external_id = ?, user_name = ?, managed_by = ?, department = ?,
		employee_number = ?, updated_at = ? WHERE id = ?`),
		ext, userName, ManagedBySCIM, strings.TrimSpace(p.Department), strings.TrimSpace(p.EmployeeNumber), now.UTC(), id)
	if db.IsUniqueViolation(err) {
		return ErrDuplicateExternalID
	}
	if err != nil {
		return fmt.Errorf("people: directory fields of %d: %w", id, err)
	}
	return nil
}

// Deprovision is the directory's DELETE: the person is deactivated (the
// leaver flow) and marked DeletedBySCIM; their evidence stays, because
// Steward never deletes the record of who was trained.
func (s *Store) Deprovision(ctx context.Context, id int64, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		u, err := getUser(ctx, tx, "u.id = ?", id)
		if err != nil {
			return err
		}
		if u.ManagedBy == DeletedBySCIM {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET managed_by = ?, external_id = NULL, user_name = NULL,
			updated_at = ? WHERE id = ?`), DeletedBySCIM, now.UTC(), id); err != nil {
			return fmt.Errorf("people: deprovision %d: %w", id, err)
		}
		return setActiveTx(ctx, tx, u, false, by, now)
	})
}

// DirectoryTeam is a team as a provisioning client sees it: a SCIM Group.
type DirectoryTeam struct {
	ID         int64      `db:"id"`
	Name       string     `db:"name"`
	ExternalID *string    `db:"external_id"`
	ManagedBy  string     `db:"managed_by"`
	CreatedAt  time.Time  `db:"created_at"`
	UpdatedAt  *time.Time `db:"updated_at"` // nil: not changed since created
	Members    []int64    `db:"-"`
}

// Modified is when the team last changed.
func (t DirectoryTeam) Modified() time.Time {
	if t.UpdatedAt != nil {
		return *t.UpdatedAt
	}
	return t.CreatedAt
}

// DirectoryTeamFilter narrows the teams a provisioning client lists.
type DirectoryTeamFilter struct {
	Name       string // displayName eq
	ExternalID string
	Offset     int
	Limit      int
}

const directoryTeamColumns = `id, name, external_id, managed_by, created_at, updated_at`

// DirectoryTeams lists teams with their members, in id order.
func (s *Store) DirectoryTeams(ctx context.Context, f DirectoryTeamFilter) ([]DirectoryTeam, int, error) {
	var conds []string
	var args []any
	if f.Name != "" {
		conds, args = append(conds, "LOWER(name) = ?"), append(args, strings.ToLower(strings.TrimSpace(f.Name)))
	}
	if f.ExternalID != "" {
		conds, args = append(conds, "external_id = ?"), append(args, f.ExternalID)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	var total int
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT COUNT(*) FROM teams`+where), args...); err != nil {
		return nil, 0, fmt.Errorf("people: directory teams: %w", err)
	}
	var teams []DirectoryTeam
	if f.Limit > 0 {
		if err := s.db.SelectContext(ctx, &teams, s.db.Rebind(`SELECT `+directoryTeamColumns+` FROM teams`+where+` ORDER BY id LIMIT ? OFFSET ?`),
			append(args, f.Limit, max(f.Offset, 0))...); err != nil {
			return nil, 0, fmt.Errorf("people: directory teams: %w", err)
		}
	}
	for i := range teams {
		if err := s.db.SelectContext(ctx, &teams[i].Members, s.db.Rebind(`SELECT id FROM users WHERE team_id = ? ORDER BY id`), teams[i].ID); err != nil {
			return nil, 0, fmt.Errorf("people: team members: %w", err)
		}
	}
	return teams, total, nil
}

// DirectoryTeam returns one team with its members.
func (s *Store) DirectoryTeam(ctx context.Context, id int64) (DirectoryTeam, error) {
	return directoryTeam(ctx, s.db, id)
}

func directoryTeam(ctx context.Context, q sqlx.ExtContext, id int64) (DirectoryTeam, error) {
	var t DirectoryTeam
	err := sqlx.GetContext(ctx, q, &t, q.Rebind(`SELECT `+directoryTeamColumns+` FROM teams WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("people: team %d: %w", id, err)
	}
	err = sqlx.SelectContext(ctx, q, &t.Members, q.Rebind(`SELECT id FROM users WHERE team_id = ? ORDER BY id`), id)
	return t, err
}

// TeamChange is what the directory does to a team: a new name and
// externalId, and members to set, add or remove. A person belongs to one
// team: adding them here moves them from the team they were in.
type TeamChange struct {
	Name       *string
	ExternalID *string
	SetMembers []int64 // with ReplaceMembers: exactly these
	Replace    bool
	Add        []int64
	Remove     []int64
}

// ProvisionTeam creates a team the directory manages, with members.
func (s *Store) ProvisionTeam(ctx context.Context, name, externalID string, members []int64, by audit.Actor, now time.Time) (DirectoryTeam, error) {
	var t DirectoryTeam
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if err := validTeamName(name); err != nil {
			return err
		}
		id, err := createTeamTx(ctx, tx, name, now)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, by.Entry(now, "team.create", teamTarget(id), strings.TrimSpace(name))); err != nil {
			return err
		}
		if t, err = changeTeamTx(ctx, tx, id, TeamChange{ExternalID: &externalID, SetMembers: members, Replace: true}, by, now); err != nil {
			return err
		}
		return nil
	})
	return t, err
}

// ChangeTeam applies the directory's change to team id.
func (s *Store) ChangeTeam(ctx context.Context, id int64, ch TeamChange, by audit.Actor, now time.Time) (DirectoryTeam, error) {
	var t DirectoryTeam
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		t, err = changeTeamTx(ctx, tx, id, ch, by, now)
		return err
	})
	return t, err
}

func changeTeamTx(ctx context.Context, tx *sqlx.Tx, id int64, ch TeamChange, by audit.Actor, now time.Time) (DirectoryTeam, error) {
	now = now.UTC()
	old, err := directoryTeam(ctx, tx, id)
	if err != nil {
		return old, err
	}
	if ch.Name != nil && strings.TrimSpace(*ch.Name) != old.Name {
		if err := validTeamName(*ch.Name); err != nil {
			return old, err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE teams SET name = ? WHERE id = ?`), strings.TrimSpace(*ch.Name), id)
		if db.IsUniqueViolation(err) {
			return old, ErrDuplicateTeam
		}
		if err != nil {
			return old, fmt.Errorf("people: rename team %d: %w", id, err)
		}
		if err := audit.Record(ctx, tx, by.Entry(now, "team.rename", teamTarget(id), strings.TrimSpace(*ch.Name))); err != nil {
			return old, err
		}
	}
	var ext any = old.ExternalID
	if ch.ExternalID != nil {
		if e := strings.TrimSpace(*ch.ExternalID); e != "" {
			if len(e) > maxDirectoryField || strings.ContainsFunc(e, isControl) {
				return old, fmt.Errorf("%w: externalId must be at most %d characters without control characters", ErrInvalid, maxDirectoryField)
			}
			ext = e
		} else {
			ext = nil
		}
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE teams SET external_id = ?, managed_by = ?, updated_at = ? WHERE id = ?`),
		ext, ManagedBySCIM, now, id)
	if db.IsUniqueViolation(err) {
		return old, ErrDuplicateExternalID
	}
	if err != nil {
		return old, fmt.Errorf("people: team %d: %w", id, err)
	}

	current := map[int64]bool{}
	for _, m := range old.Members {
		current[m] = true
	}
	want := map[int64]bool{}
	if ch.Replace {
		for _, m := range ch.SetMembers {
			want[m] = true
		}
	} else {
		for m := range current {
			want[m] = true
		}
	}
	for _, m := range ch.Add {
		want[m] = true
	}
	for _, m := range ch.Remove {
		delete(want, m)
	}
	for m := range want {
		if current[m] {
			continue
		}
		if err := moveToTeam(ctx, tx, m, &id, by, now); err != nil {
			return old, err
		}
	}
	for m := range current {
		if !want[m] {
			if err := moveToTeam(ctx, tx, m, nil, by, now); err != nil {
				return old, err
			}
		}
	}
	return directoryTeam(ctx, tx, id)
}

func moveToTeam(ctx context.Context, tx *sqlx.Tx, userID int64, teamID *int64, by audit.Actor, now time.Time) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET team_id = ?, updated_at = ? WHERE id = ?`), teamID, now, userID)
	if err != nil {
		return fmt.Errorf("people: move %d to a team: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: member %d is not a person Steward knows", ErrInvalid, userID)
	}
	detail := "none"
	if teamID != nil {
		detail = teamTarget(*teamID)
	}
	return audit.Record(ctx, tx, by.Entry(now, "user.team", userTarget(userID), detail))
}

// DeprovisionTeam is the directory's DELETE of a group: its members leave
// it and the team is removed.
func (s *Store) DeprovisionTeam(ctx context.Context, id int64, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		t, err := directoryTeam(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, m := range t.Members {
			if err := moveToTeam(ctx, tx, m, nil, by, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM teams WHERE id = ?`), id); err != nil {
			return fmt.Errorf("people: delete team %d: %w", id, err)
		}
		return audit.Record(ctx, tx, by.Entry(now, "team.delete", teamTarget(id), t.Name))
	})
}

func validTeamName(name string) error {
	n := strings.TrimSpace(name)
	if n == "" {
		return fmt.Errorf("%w: a group needs a displayName", ErrInvalid)
	}
	if len(n) > maxNameLength || strings.ContainsFunc(n, isControl) {
		return fmt.Errorf("%w: displayName must be at most %d characters without control characters", ErrInvalid, maxNameLength)
	}
	return nil
}

func teamTarget(id int64) string { return "team:" + strconv.FormatInt(id, 10) }

// SCIMToken is a provisioning client's bearer token, as admins see it: the
// token itself is shown once, at creation, and only its hash is kept.
type SCIMToken struct {
	ID         int64      `db:"id"`
	Name       string     `db:"name"`
	CreatedAt  time.Time  `db:"created_at"`
	CreatedBy  *string    `db:"created_by_name"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

// ErrNoToken is a bearer token that is unknown or revoked.
var ErrNoToken = errors.New("people: unknown or revoked provisioning token")

// tokenPrefix makes a leaked token recognisable to secret scanners.
const tokenPrefix = "stwscim_"

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSCIMToken makes a new provisioning token named name and returns
// it: the only time it is seen.
func (s *Store) CreateSCIMToken(ctx context.Context, name string, by audit.Actor, now time.Time) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || strings.ContainsFunc(name, isControl) {
		return "", fmt.Errorf("%w: give the token a name of 1 to 100 characters, such as the directory it is for", ErrInvalid)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		creator := by.ID
		var id int64
		if err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO scim_tokens (name, hash, created_by, created_at)
			VALUES (?, ?, ?, ?) RETURNING id`), name, hashToken(token), creator, now.UTC()); err != nil {
			return fmt.Errorf("people: create scim token: %w", err)
		}
		return audit.Record(ctx, tx, by.Entry(now, "scim.token.create", "scim_token:"+strconv.FormatInt(id, 10), name))
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// SCIMTokens lists every provisioning token, newest first.
func (s *Store) SCIMTokens(ctx context.Context) ([]SCIMToken, error) {
	var ts []SCIMToken
	err := s.db.SelectContext(ctx, &ts, `SELECT k.id, k.name, k.created_at, u.name AS created_by_name, k.last_used_at, k.revoked_at
		FROM scim_tokens k LEFT JOIN users u ON u.id = k.created_by ORDER BY k.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("people: scim tokens: %w", err)
	}
	return ts, nil
}

// RevokeSCIMToken stops token id from working, at once.
func (s *Store) RevokeSCIMToken(ctx context.Context, id int64, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE scim_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), now.UTC(), id)
		if err != nil {
			return fmt.Errorf("people: revoke scim token %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, tx, by.Entry(now, "scim.token.revoke", "scim_token:"+strconv.FormatInt(id, 10), ""))
	})
}

// CheckSCIMToken tells whether token is a live provisioning token, and
// notes when it was last used (at most once a minute per token).
func (s *Store) CheckSCIMToken(ctx context.Context, token string, now time.Time) (int64, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 100 {
		return 0, ErrNoToken
	}
	var k struct {
		ID       int64      `db:"id"`
		LastUsed *time.Time `db:"last_used_at"`
	}
	err := s.db.GetContext(ctx, &k, s.db.Rebind(`SELECT id, last_used_at FROM scim_tokens WHERE hash = ? AND revoked_at IS NULL`), hashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoToken
	}
	if err != nil {
		return 0, fmt.Errorf("people: check scim token: %w", err)
	}
	if k.LastUsed == nil || now.Sub(*k.LastUsed) > time.Minute {
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE scim_tokens SET last_used_at = ? WHERE id = ?`), now.UTC(), k.ID); err != nil {
			return 0, fmt.Errorf("people: note scim token use: %w", err)
		}
	}
	return k.ID, nil
}
