package people

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/validator"
)

// RosterColumns are the columns a roster CSV must have, in any order.
var RosterColumns = []string{"email", "name", "team", "manager_email", "role", "hired_on"}

// MaxRosterRows bounds one import.
const MaxRosterRows = 20000

// RosterRow is one person in a roster file.
type RosterRow struct {
	Line         int
	Email        string
	Name         string
	Team         string
	ManagerEmail string
	Role         Role
	HiredOn      *time.Time
}

// RowError is one problem with a roster, on a line of the file (0: the file as a whole).
type RowError struct {
	Line    int
	Message string
}

// RosterError lists every problem in a roster. Nothing is imported when there is one.
type RosterError struct{ Problems []RowError }

func (e *RosterError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "roster has %d problem(s), nothing was imported:", len(e.Problems))
	for _, p := range e.Problems {
		if p.Line > 0 {
			fmt.Fprintf(&b, "\n  line %d: %s", p.Line, p.Message)
		} else {
			fmt.Fprintf(&b, "\n  %s", p.Message)
		}
	}
	return b.String()
}

func (e *RosterError) add(line int, format string, a ...any) {
	e.Problems = append(e.Problems, RowError{Line: line, Message: fmt.Sprintf(format, a...)})
}

func (e *RosterError) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	sort.SliceStable(e.Problems, func(i, j int) bool { return e.Problems[i].Line < e.Problems[j].Line })
	return e
}

// ParseRoster reads a roster CSV and checks each row on its own and against
// the other rows of the file. It returns a *RosterError listing every bad row.
func ParseRoster(r io.Reader) ([]RosterRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	problems := &RosterError{}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		problems.add(0, "the file is empty; the first line must name the columns: %s", strings.Join(RosterColumns, ","))
		return nil, problems
	}
	if err != nil {
		problems.add(1, "cannot read the header: %v", csvReason(err))
		return nil, problems
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup {
			problems.add(1, "column %q appears twice", h)
		}
		col[h] = i
	}
	for _, want := range RosterColumns {
		if _, ok := col[want]; !ok {
			problems.add(1, "missing column %q (columns must be: %s)", want, strings.Join(RosterColumns, ","))
		}
	}
	for h := range col {
		if !validator.PermittedValue(h, RosterColumns...) {
			problems.add(1, "unknown column %q (columns must be: %s)", h, strings.Join(RosterColumns, ","))
		}
	}
	if len(problems.Problems) > 0 {
		return nil, problems.orNil()
	}

	var rows []RosterRow
	firstLine := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos is only defined for a record that was read whole.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			problems.add(line, "cannot read this line: %v", csvReason(err))
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				continue
			}
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= MaxRosterRows {
			problems.add(line, "too many rows: at most %d people per import", MaxRosterRows)
			break
		}
		if len(rec) != len(header) {
			problems.add(line, "has %d fields, the header has %d", len(rec), len(header))
			continue
		}
		if allBlank(rec) {
			continue
		}
		get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		row := RosterRow{
			Line:         line,
			Email:        NormalizeEmail(get("email")),
			Name:         get("name"),
			Team:         get("team"),
			ManagerEmail: NormalizeEmail(get("manager_email")),
			Role:         Role(strings.ToLower(get("role"))),
		}
		rowOK := checkRow(problems, &row, get("hired_on"))
		if row.Email != "" {
			if first, dup := firstLine[row.Email]; dup {
				problems.add(line, "duplicate email %s (also on line %d)", row.Email, first)
				rowOK = false
			} else {
				firstLine[row.Email] = line
			}
		}
		if rowOK {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 && len(problems.Problems) == 0 {
		problems.add(0, "the file has a header but no people")
	}
	return rows, problems.orNil()
}

func checkRow(p *RosterError, row *RosterRow, hired string) bool {
	n := len(p.Problems)
	switch {
	case row.Email == "":
		p.add(row.Line, "email is missing")
	case !validator.Email(row.Email):
		p.add(row.Line, "email %q is not a valid address", row.Email)
	}
	switch {
	case row.Name == "":
		p.add(row.Line, "name is missing")
	case !validator.MaxChars(row.Name, 200):
		p.add(row.Line, "name is longer than 200 characters")
	}
	if !validator.MaxChars(row.Team, 100) {
		p.add(row.Line, "team is longer than 100 characters")
	}
	if row.ManagerEmail != "" {
		if !validator.Email(row.ManagerEmail) {
			p.add(row.Line, "manager_email %q is not a valid address", row.ManagerEmail)
		} else if row.ManagerEmail == row.Email {
			p.add(row.Line, "%s cannot be their own manager", row.Email)
		}
	}
	if row.Role == "" {
		row.Role = RoleEmployee
	} else if !row.Role.Valid() {
		p.add(row.Line, "unknown role %q (use employee, manager, admin or auditor)", row.Role)
	}
	if hired != "" {
		d, err := time.Parse(time.DateOnly, hired)
		if err != nil {
			p.add(row.Line, "hired_on %q is not a date like 2026-01-31", hired)
		} else {
			row.HiredOn = &d
		}
	}
	return len(p.Problems) == n
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func allBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created, Updated, Unchanged, TeamsCreated int
}

// Import applies parsed roster rows in one transaction: people are matched
// by email, created or updated; teams are created as needed. It checks the
// rows against the database first (unknown managers, reporting cycles) and
// imports nothing when any row is bad. Importing the same rows again
// changes nothing.
func (s *Store) Import(ctx context.Context, rows []RosterRow, by audit.Actor, now time.Time) (ImportResult, error) {
	var res ImportResult
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		res, err = importTx(ctx, tx, rows, by, now)
		return err
	})
	return res, err
}

type existing struct {
	ID      int64  `db:"id"`
	Email   string `db:"email"`
	Manager *int64 `db:"manager_id"`
	Managed string `db:"managed_by"`
}

func importTx(ctx context.Context, tx *sqlx.Tx, rows []RosterRow, by audit.Actor, now time.Time) (ImportResult, error) {
	var res ImportResult
	var all []existing
	if err := tx.SelectContext(ctx, &all, `SELECT id, email, manager_id, managed_by FROM users`); err != nil {
		return res, fmt.Errorf("people: import: read people: %w", err)
	}
	emailOf := map[int64]string{}
	managerOf := map[string]string{} // email -> manager email, the tree as it will be
	for _, e := range all {
		emailOf[e.ID] = e.Email
	}
	for _, e := range all {
		if e.Manager != nil {
			managerOf[e.Email] = emailOf[*e.Manager]
		} else {
			managerOf[e.Email] = ""
		}
	}
	for _, r := range rows {
		managerOf[r.Email] = r.ManagerEmail
	}

	problems := &RosterError{}
	managed := map[string]bool{}
	for _, e := range all {
		managed[e.Email] = e.Managed == ManagedBySCIM
	}
	for _, r := range rows {
		if managed[r.Email] {
			problems.add(r.Line, "%s is managed by the company directory through SCIM: change them there, or leave them out of the file", r.Email)
		}
	}
	for _, r := range rows {
		if r.ManagerEmail == "" {
			continue
		}
		if _, ok := managerOf[r.ManagerEmail]; !ok {
			problems.add(r.Line, "manager %s is not in the file or in Steward", r.ManagerEmail)
			continue
		}
		if cycleFrom(r.Email, managerOf) {
			problems.add(r.Line, "manager %s would make a reporting cycle (%s reports, directly or not, to themselves)", r.ManagerEmail, r.Email)
		}
	}
	if err := problems.orNil(); err != nil {
		return res, err
	}

	teams := map[string]int64{}
	var ts []Team
	if err := tx.SelectContext(ctx, &ts, `SELECT id, name, created_at, 0 AS members FROM teams`); err != nil {
		return res, fmt.Errorf("people: import: read teams: %w", err)
	}
	for _, t := range ts {
		teams[strings.ToLower(t.Name)] = t.ID
	}
	ids := map[string]int64{}
	for _, e := range all {
		ids[e.Email] = e.ID
	}

	// Pass 1: every person exists with their details; managers are set in
	// pass 2, once everyone they may point at exists.
	outcome := map[string]string{}
	for _, r := range rows {
		var teamID *int64
		if r.Team != "" {
			id, ok := teams[strings.ToLower(r.Team)]
			if !ok {
				var err error
				if id, err = createTeamTx(ctx, tx, r.Team, now); err != nil {
					return res, fmt.Errorf("line %d: %w", r.Line, err)
				}
				teams[strings.ToLower(r.Team)] = id
				res.TeamsCreated++
			}
			teamID = &id
		}
		in := Input{Email: r.Email, Name: r.Name, Role: r.Role, TeamID: teamID, HiredOn: r.HiredOn}
		id, ok := ids[r.Email]
		if !ok {
			newID, err := createTx(ctx, tx, in, by, now)
			if err != nil {
				return res, fmt.Errorf("line %d: %w", r.Line, err)
			}
			ids[r.Email] = newID
			outcome[r.Email] = "created"
			continue
		}
		old, err := getUser(ctx, tx, "u.id = ?", id)
		if err != nil {
			return res, err
		}
		in.ManagerID = old.ManagerID // managers are pass 2's
		changed, err := updateTx(ctx, tx, old, in, false, by, now)
		if err != nil {
			return res, fmt.Errorf("line %d: %w", r.Line, err)
		}
		outcome[r.Email] = "unchanged"
		if changed {
			outcome[r.Email] = "updated"
		}
	}
	for _, r := range rows {
		var want *int64
		if r.ManagerEmail != "" {
			m := ids[r.ManagerEmail]
			want = &m
		}
		old, err := getUser(ctx, tx, "u.id = ?", ids[r.Email])
		if err != nil {
			return res, err
		}
		if eqID(old.ManagerID, want) {
			continue
		}
		in := Input{Email: old.Email, Name: old.Name, Role: old.Role, TeamID: old.TeamID, ManagerID: want, HiredOn: old.HiredOn}
		if _, err := updateTx(ctx, tx, old, in, false, by, now); err != nil {
			return res, fmt.Errorf("line %d: %w", r.Line, err)
		}
		if outcome[r.Email] == "unchanged" {
			outcome[r.Email] = "updated"
		}
	}
	for _, o := range outcome {
		switch o {
		case "created":
			res.Created++
		case "updated":
			res.Updated++
		default:
			res.Unchanged++
		}
	}
	detail := fmt.Sprintf("created=%d updated=%d unchanged=%d teams_created=%d", res.Created, res.Updated, res.Unchanged, res.TeamsCreated)
	if err := audit.Record(ctx, tx, by.Entry(now, "people.import", "", detail)); err != nil {
		return res, err
	}
	return res, nil
}

// cycleFrom reports whether walking up from email returns to it.
func cycleFrom(email string, managerOf map[string]string) bool {
	seen := map[string]bool{email: true}
	for cur := managerOf[email]; cur != ""; cur = managerOf[cur] {
		if cur == email {
			return true
		}
		if seen[cur] {
			return false // a cycle above email, reported on its own rows
		}
		seen[cur] = true
	}
	return false
}
