// Package people keeps Steward's users, teams and reporting tree, their
// passwords, and the roster import.
package people

import (
	"errors"
	"time"
)

// Role is what a person may do in Steward.
type Role string

const (
	RoleEmployee Role = "employee"
	RoleManager  Role = "manager"
	RoleAdmin    Role = "admin"
	RoleAuditor  Role = "auditor"
)

// Roles lists every role, in the order forms show them.
var Roles = []Role{RoleEmployee, RoleManager, RoleAdmin, RoleAuditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// User is a person who works at the company.
type User struct {
	ID            int64      `db:"id"`
	Email         string     `db:"email"`
	Name          string     `db:"name"`
	Role          Role       `db:"role"`
	TeamID        *int64     `db:"team_id"`
	TeamName      *string    `db:"team_name"`
	ManagerID     *int64     `db:"manager_id"`
	ManagerName   *string    `db:"manager_name"`
	ManagerEmail  *string    `db:"manager_email"`
	HiredOn       *time.Time `db:"hired_on"`
	Active        bool       `db:"active"`
	DeactivatedAt *time.Time `db:"deactivated_at"`
	PasswordHash  string     `db:"password_hash"`
	Source        string     `db:"source"` // SourceLocal or SourceSSO: where the record comes from
	CreatedAt     time.Time  `db:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at"`

	// Set by the directory through SCIM (provision.go).
	ExternalID     *string `db:"external_id"`
	UserName       *string `db:"user_name"`
	ManagedBy      string  `db:"managed_by"` // "" or ManagedBySCIM
	Department     string  `db:"department"`
	EmployeeNumber string  `db:"employee_number"`
}

// Team is a group of people, used for filters, reports and audiences.
type Team struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	Members   int       `db:"members"`
	CreatedAt time.Time `db:"created_at"`
}

// Input is what an admin or an import sets on a person.
type Input struct {
	Email     string
	Name      string
	Role      Role
	TeamID    *int64
	ManagerID *int64
	HiredOn   *time.Time
}

// Domain errors; handlers map them to HTTP status codes.
var (
	ErrNotFound       = errors.New("people: not found")
	ErrDuplicateEmail = errors.New("people: a person with this email already exists")
	ErrDuplicateTeam  = errors.New("people: a team with this name already exists")
	ErrUnknownManager = errors.New("people: the manager does not exist")
	ErrUnknownTeam    = errors.New("people: the team does not exist")
	ErrManagerCycle   = errors.New("people: a person cannot report to someone in their own reporting line")
	ErrBadCredentials = errors.New("people: wrong email or password")
	ErrWeakPassword   = errors.New("people: a password must be 12 to 72 characters")
	ErrManaged        = errors.New("people: this person is managed by the company directory through SCIM; change them there")
	ErrLastAdmin      = errors.New("people: the last active admin cannot be deactivated or lose the admin role")

	ErrBreachedPassword = errors.New("people: this password is on a list of passwords leaked in breaches")
	ErrPersonalPassword = errors.New("people: a password must not be the person's own email or name")
)
