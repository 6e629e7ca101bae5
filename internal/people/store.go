package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/db"
)

// Store reads and writes people and teams.
type Store struct {
	db *db.DB
}

// NewStore returns a Store over d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

const userColumns = `u.id, u.email, u.name, u.role, u.team_id, t.name AS team_name,
	u.manager_id, m.name AS manager_name, m.email AS manager_email, u.hired_on, u.active,
	u.deactivated_at, u.password_hash, u.source, u.created_at, u.updated_at,
	u.external_id, u.user_name, u.managed_by, u.department, u.employee_number`

const userFrom = ` FROM users u
	LEFT JOIN teams t ON t.id = u.team_id
	LEFT JOIN users m ON m.id = u.manager_id`

// NormalizeEmail is how emails are compared and stored.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func getUser(ctx context.Context, q sqlx.ExtContext, where string, arg any) (User, error) {
	var u User
	err := sqlx.GetContext(ctx, q, &u, q.Rebind(`SELECT `+userColumns+userFrom+` WHERE `+where), arg)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("people: get user: %w", err)
	}
	return u, nil
}

// Get returns the person with id.
func (s *Store) Get(ctx context.Context, id int64) (User, error) {
	return getUser(ctx, s.db, "u.id = ?", id)
}

// GetTx is Get inside the transaction tx.
func GetTx(ctx context.Context, tx sqlx.ExtContext, id int64) (User, error) {
	return getUser(ctx, tx, "u.id = ?", id)
}

// ByEmail returns the person with this email (compared case-insensitively).
func (s *Store) ByEmail(ctx context.Context, email string) (User, error) {
	return getUser(ctx, s.db, "u.email = ?", NormalizeEmail(email))
}

// Filter narrows a list of people.
type Filter struct {
	Query  string // matches name or email
	TeamID int64
	Role   Role
	Status string // "active" (default), "inactive", "all"
	Limit  int
	Offset int
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		conds = append(conds, "(LOWER(u.name) LIKE ? OR u.email LIKE ?)")
		like := "%" + strings.ToLower(q) + "%"
		args = append(args, like, like)
	}
	if f.TeamID != 0 {
		conds = append(conds, "u.team_id = ?")
		args = append(args, f.TeamID)
	}
	if f.Role != "" {
		conds = append(conds, "u.role = ?")
		args = append(args, string(f.Role))
	}
	switch f.Status {
	case "inactive":
		conds = append(conds, "u.active = ?")
		args = append(args, false)
	case "all":
	default:
		conds = append(conds, "u.active = ?")
		args = append(args, true)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns one page of people matching f, ordered by name, and how many match in all.
func (s *Store) List(ctx context.Context, f Filter) ([]User, int, error) {
	where, args := f.where()
	var total int
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT COUNT(*)`+userFrom+where), args...); err != nil {
		return nil, 0, fmt.Errorf("people: count: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var users []User
	err := s.db.SelectContext(ctx, &users, s.db.Rebind(`SELECT `+userColumns+userFrom+where+
		` ORDER BY u.name, u.id LIMIT ? OFFSET ?`), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("people: list: %w", err)
	}
	return users, total, nil
}

// lineCTE selects the ids of everyone below the first bound manager id.
// UNION (not UNION ALL) stops the walk if the data ever holds a cycle.
const lineCTE = `WITH RECURSIVE line(id) AS (
	SELECT id FROM users WHERE manager_id = ?
	UNION
	SELECT u.id FROM users u JOIN line ON u.manager_id = line.id
)`

// ReportingLine returns everyone below managerID, direct and indirect,
// active and inactive, ordered by name.
func (s *Store) ReportingLine(ctx context.Context, managerID int64) ([]User, error) {
	var users []User
	err := s.db.SelectContext(ctx, &users, s.db.Rebind(lineCTE+` SELECT `+userColumns+userFrom+
		` JOIN line ON line.id = u.id ORDER BY u.active DESC, u.name, u.id`), managerID)
	if err != nil {
		return nil, fmt.Errorf("people: reporting line of %d: %w", managerID, err)
	}
	return users, nil
}

// InLine reports whether userID is below managerID in the reporting tree.
func (s *Store) InLine(ctx context.Context, managerID, userID int64) (bool, error) {
	return inLine(ctx, s.db, managerID, userID)
}

func inLine(ctx context.Context, q sqlx.ExtContext, managerID, userID int64) (bool, error) {
	var n int
	err := sqlx.GetContext(ctx, q, &n, q.Rebind(lineCTE+` SELECT COUNT(*) FROM line WHERE id = ?`), managerID, userID)
	if err != nil {
		return false, fmt.Errorf("people: in line: %w", err)
	}
	return n > 0, nil
}

// checkRefs verifies that the team and manager an input names exist.
func checkRefs(ctx context.Context, tx *sqlx.Tx, in Input) error {
	var n int
	if in.TeamID != nil {
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM teams WHERE id = ?`), *in.TeamID); err != nil {
			return err
		}
		if n == 0 {
			return ErrUnknownTeam
		}
	}
	if in.ManagerID != nil {
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM users WHERE id = ?`), *in.ManagerID); err != nil {
			return err
		}
		if n == 0 {
			return ErrUnknownManager
		}
	}
	return nil
}

func dateOnly(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// Create adds a person and returns their id. Details that are not
// valid (Input.Problems) are refused with an InvalidError.
func (s *Store) Create(ctx context.Context, in Input, by audit.Actor, now time.Time) (int64, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = createTx(ctx, tx, in, by, now)
		return err
	})
	return id, err
}

func createTx(ctx context.Context, tx *sqlx.Tx, in Input, by audit.Actor, now time.Time) (int64, error) {
	if err := in.check(); err != nil {
		return 0, err
	}
	if err := checkRefs(ctx, tx, in); err != nil {
		return 0, err
	}
	now = now.UTC()
	var id int64
	err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO users
		(email, name, role, team_id, manager_id, hired_on, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		NormalizeEmail(in.Email), strings.TrimSpace(in.Name), string(in.Role), in.TeamID, in.ManagerID,
		dateOnly(in.HiredOn), true, now, now)
	if db.IsUniqueViolation(err) {
		return 0, ErrDuplicateEmail
	}
	if err != nil {
		return 0, fmt.Errorf("people: create %s: %w", in.Email, err)
	}
	err = audit.Record(ctx, tx, by.Entry(now, "user.create", userTarget(id), "role="+string(in.Role)))
	return id, err
}

func userTarget(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// Update changes a person's details. Changing the role or the manager is
// audited; a manager inside the person's own line is refused.
func (s *Store) Update(ctx context.Context, id int64, in Input, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		old, err := getUser(ctx, tx, "u.id = ?", id)
		if err != nil {
			return err
		}
		_, err = updateTx(ctx, tx, old, in, false, by, now)
		return err
	})
}

// updateTx writes in over old and reports whether anything changed.
//
// A person the directory manages (SCIM) keeps the email, name, team and
// manager the directory gave them: only the directory's own writes
// (fromDirectory) change those; Steward's role and hire date stay
// Steward's to set.
func updateTx(ctx context.Context, tx *sqlx.Tx, old User, in Input, fromDirectory bool, by audit.Actor, now time.Time) (bool, error) {
	if err := in.check(); err != nil {
		return false, err
	}
	if err := checkRefs(ctx, tx, in); err != nil {
		return false, err
	}
	if in.ManagerID != nil {
		if *in.ManagerID == old.ID {
			return false, ErrManagerCycle
		}
		below, err := inLine(ctx, tx, old.ID, *in.ManagerID)
		if err != nil {
			return false, err
		}
		if below {
			return false, ErrManagerCycle
		}
	}
	if old.Role == RoleAdmin && in.Role != RoleAdmin && old.Active {
		if err := ensureAnotherAdmin(ctx, tx, old.ID); err != nil {
			return false, err
		}
	}
	email, name, hired := NormalizeEmail(in.Email), strings.TrimSpace(in.Name), dateOnly(in.HiredOn)
	if old.ManagedBy == ManagedBySCIM && !fromDirectory &&
		(email != old.Email || name != old.Name || !eqID(in.TeamID, old.TeamID) || !eqID(in.ManagerID, old.ManagerID)) {
		return false, ErrManaged
	}
	changed := email != old.Email || name != old.Name || in.Role != old.Role ||
		!eqID(in.TeamID, old.TeamID) || !eqID(in.ManagerID, old.ManagerID) || !eqDate(hired, old.HiredOn)
	if !changed {
		return false, nil
	}
	now = now.UTC()
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET email = ?, name = ?, role = ?, team_id = ?,
		manager_id = ?, hired_on = ?, updated_at = ? WHERE id = ?`),
		email, name, string(in.Role), in.TeamID, in.ManagerID, hired, now, old.ID)
	if db.IsUniqueViolation(err) {
		return false, ErrDuplicateEmail
	}
	if err != nil {
		return false, fmt.Errorf("people: update %d: %w", old.ID, err)
	}
	target := userTarget(old.ID)
	if in.Role != old.Role {
		// A session carries the role it was opened with in people's
		// minds: the person signs in again to take up the new one.
		if _, err := endSessionsTx(ctx, tx, old.ID, EndedRole, now); err != nil {
			return false, err
		}
		if err := audit.Record(ctx, tx, by.Entry(now, "user.role", target, string(old.Role)+" -> "+string(in.Role))); err != nil {
			return false, err
		}
	}
	if !eqID(in.ManagerID, old.ManagerID) {
		detail := idString(old.ManagerID) + " -> " + idString(in.ManagerID)
		if err := audit.Record(ctx, tx, by.Entry(now, "user.manager", target, detail)); err != nil {
			return false, err
		}
	}
	return true, nil
}

func ensureAnotherAdmin(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var n int
	err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM users WHERE role = ? AND active = ? AND id <> ?`),
		string(RoleAdmin), true, id)
	if err != nil {
		return fmt.Errorf("people: count admins: %w", err)
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

func idString(id *int64) string {
	if id == nil {
		return "none"
	}
	return "user:" + strconv.FormatInt(*id, 10)
}

func eqID(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func eqDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Format(time.DateOnly) == b.Format(time.DateOnly)
}

// SetActive deactivates or reactivates a person. Their evidence stays.
// Deactivation is the leaver flow: the person's sessions end now, their
// open courses and acknowledgements stop counting from this moment
// (policies.Joined, courses' cycles), and retention's clock starts at
// deactivated_at. A person the directory manages is (de)activated only
// through SCIM.
func (s *Store) SetActive(ctx context.Context, id int64, active bool, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		u, err := getUser(ctx, tx, "u.id = ?", id)
		if err != nil {
			return err
		}
		if u.ManagedBy == ManagedBySCIM {
			return ErrManaged
		}
		return setActiveTx(ctx, tx, u, active, by, now)
	})
}

func setActiveTx(ctx context.Context, tx *sqlx.Tx, u User, active bool, by audit.Actor, now time.Time) error {
	id := u.ID
	if u.Active == active {
		return nil
	}
	if !active && u.Role == RoleAdmin {
		if err := ensureAnotherAdmin(ctx, tx, id); err != nil {
			return err
		}
	}
	now = now.UTC()
	var deactivatedAt *time.Time
	action := "user.reactivate"
	if !active {
		deactivatedAt, action = &now, "user.deactivate"
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET active = ?, deactivated_at = ?, updated_at = ? WHERE id = ?`),
		active, deactivatedAt, now, id); err != nil {
		return fmt.Errorf("people: set active %d: %w", id, err)
	}
	if !active {
		if _, err := endSessionsTx(ctx, tx, id, EndedDeactivate, now); err != nil {
			return err
		}
		// A leaver's calendar link goes with them.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM calendar_feeds WHERE user_id = ?`), id); err != nil {
			return fmt.Errorf("people: stop calendar of %d: %w", id, err)
		}
	}
	return audit.Record(ctx, tx, by.Entry(now, action, userTarget(id), ""))
}

// SetPassword stores a new password hash for a person.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error { return SetPasswordTx(ctx, tx, id, hash, by, now) })
}

// RecordLogin writes a sign-in attempt to the audit log. A failed attempt
// for an unknown email is recorded without the email: the log must not
// become a list of addresses people mistyped.
func (s *Store) RecordLogin(ctx context.Context, userID *int64, ok bool, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		actor := audit.Actor{Label: "anonymous"}
		target := ""
		if userID != nil {
			actor = audit.UserActor(*userID)
			target = userTarget(*userID)
		}
		action := "login.failure"
		if ok {
			action = "login.success"
		}
		return audit.Record(ctx, tx, actor.Entry(now, action, target, ""))
	})
}

// Teams lists every team with its number of active members.
func (s *Store) Teams(ctx context.Context) ([]Team, error) {
	var teams []Team
	err := s.db.SelectContext(ctx, &teams, s.db.Rebind(`SELECT t.id, t.name, t.created_at,
		(SELECT COUNT(*) FROM users u WHERE u.team_id = t.id AND u.active = ?) AS members
		FROM teams t ORDER BY t.name`), true)
	if err != nil {
		return nil, fmt.Errorf("people: teams: %w", err)
	}
	return teams, nil
}

// Team returns one team.
func (s *Store) Team(ctx context.Context, id int64) (Team, error) {
	var t Team
	err := s.db.GetContext(ctx, &t, s.db.Rebind(`SELECT id, name, created_at, 0 AS members FROM teams WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Team{}, ErrNotFound
	}
	if err != nil {
		return Team{}, fmt.Errorf("people: team %d: %w", id, err)
	}
	return t, nil
}

// CreateTeam adds a team and returns its id.
func (s *Store) CreateTeam(ctx context.Context, name string, by audit.Actor, now time.Time) (int64, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = createTeamTx(ctx, tx, name, now)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by.Entry(now, "team.create", "team:"+strconv.FormatInt(id, 10), strings.TrimSpace(name)))
	})
	return id, err
}

func createTeamTx(ctx context.Context, tx *sqlx.Tx, name string, now time.Time) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO teams (name, created_at) VALUES (?, ?) RETURNING id`),
		strings.TrimSpace(name), now.UTC())
	if db.IsUniqueViolation(err) {
		return 0, ErrDuplicateTeam
	}
	if err != nil {
		return 0, fmt.Errorf("people: create team: %w", err)
	}
	return id, nil
}

// RenameTeam changes a team's name.
func (s *Store) RenameTeam(ctx context.Context, id int64, name string, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE teams SET name = ? WHERE id = ?`), strings.TrimSpace(name), id)
		if db.IsUniqueViolation(err) {
			return ErrDuplicateTeam
		}
		if err != nil {
			return fmt.Errorf("people: rename team %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, tx, by.Entry(now, "team.rename", "team:"+strconv.FormatInt(id, 10), strings.TrimSpace(name)))
	})
}

// Count returns how many people exist, active or not.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
		return 0, fmt.Errorf("people: count: %w", err)
	}
	return n, nil
}

// SetPasswordTx stores a new password hash and ends the person's sessions
// inside the caller's transaction
// (redeeming an invitation or reset link and setting the password commit
// together or not at all).
func SetPasswordTx(ctx context.Context, tx *sqlx.Tx, id int64, hash string, by audit.Actor, now time.Time) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`), hash, now.UTC(), id)
	if err != nil {
		return fmt.Errorf("people: set password %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	// Whoever held a session, or a copy of its cookie, signs in again.
	if _, err := endSessionsTx(ctx, tx, id, EndedCredentials, now); err != nil {
		return err
	}
	return audit.Record(ctx, tx, by.Entry(now, "user.password", userTarget(id), ""))
}
