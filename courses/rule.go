package courses

import (
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"strings"
	"time"
)

// The course-status rule is written here once: in Go (Dates.StatusAt), in
// SQL (StatusSQL, derived from statusCases beside it) and as the moments
// at which it can change (Dates.ChangePoints), which the remembered
// standings rely on (standings.go). TestStatusSQLAgreesWithGo and TestChangePoints check,
// on both databases, that the three say the same for random cycles and
// moments. Other packages call these and restate none of it.

// DueSoonWindow is how long before the due date a cycle counts as due soon.
const DueSoonWindow = 7 * 24 * time.Hour

// Dates are the parts of a cycle its status depends on, under their
// column names.
type Dates struct {
	DueAt time.Time `db:"due_at"`
	// LapsesAt is set on a recertification cycle: when the previous
	// completion expires. Not finishing by then leaves the person lapsed.
	LapsesAt    *time.Time `db:"lapses_at"`
	StartedAt   *time.Time `db:"started_at"`
	CompletedAt *time.Time `db:"completed_at"`
	ExpiresAt   *time.Time `db:"expires_at"` // nil: never expires
	Exempt      bool       `db:"exempt"`
	ExemptAt    *time.Time `db:"exempt_at"`
}

// StatusAt derives the status at the moment, in DESIGN.md's precedence:
// exempt, completed (valid), expired (lapsed), overdue, due soon (within
// DueSoonWindow of due, or a recertification cycle, whose window is open),
// in progress, not started. Only what had happened by the moment counts:
// an exemption granted, a completion or a start after it do not.
func (d *Dates) StatusAt(at time.Time) Status {
	by := func(t *time.Time) bool { return t != nil && !t.After(at) }
	switch {
	case d.Exempt && (d.ExemptAt == nil || by(d.ExemptAt)):
		return StatusExempt
	case by(d.CompletedAt) && (d.ExpiresAt == nil || at.Before(*d.ExpiresAt)):
		return StatusCompleted
	case by(d.CompletedAt), by(d.LapsesAt):
		return StatusLapsed
	case !at.Before(d.DueAt):
		return StatusOverdue
	case !at.Before(d.DueAt.Add(-DueSoonWindow)), d.LapsesAt != nil:
		return StatusDueSoon
	case by(d.StartedAt):
		return StatusInProgress
	default:
		return StatusNotStarted
	}
}

// ChangePoints yields every moment at which StatusAt can change: each test
// in it turns true at one of them ("at or after t") and stays so, so the
// status holds from one change point until the next.
func (d *Dates) ChangePoints() iter.Seq[time.Time] {
	return func(yield func(time.Time) bool) {
		for _, t := range [...]*time.Time{d.ExemptAt, d.CompletedAt, d.ExpiresAt, d.LapsesAt, d.StartedAt} {
			if t != nil && !yield(*t) {
				return
			}
		}
		if yield(d.DueAt) {
			yield(d.DueAt.Add(-DueSoonWindow))
		}
	}
}

// Horizon is the latest due date that counts as due soon at the moment:
// the value of StatusSQL's soon.
func Horizon(at time.Time) time.Time { return at.Add(DueSoonWindow) }

// statusCases is StatusAt in SQL, case by case in its order; the first
// that holds gives the status, not started when none does. {c} is the
// cycle's table alias, {at} the moment and {soon} its Horizon.
var statusCases = []struct {
	status Status
	when   string
}{
	{StatusExempt, `{c}.exempt = TRUE AND ({c}.exempt_at IS NULL OR {c}.exempt_at <= {at})`},
	{StatusCompleted, `{c}.completed_at <= {at} AND ({c}.expires_at IS NULL OR {c}.expires_at > {at})`},
	{StatusLapsed, `{c}.completed_at <= {at} OR {c}.lapses_at <= {at}`},
	{StatusOverdue, `{c}.due_at <= {at}`},
	{StatusDueSoon, `{c}.due_at <= {soon} OR {c}.lapses_at IS NOT NULL`},
	{StatusInProgress, `{c}.started_at <= {at}`},
}

// StatusColumns are the cycle columns StatusSQL reads: what a cache of
// the status must be forgotten on.
var StatusColumns = []string{"exempt", "exempt_at", "completed_at", "expires_at", "lapses_at", "due_at", "started_at"}

// statusTemplate is the whole CASE, and statusMarks the order of its
// {at} and {soon} marks, which StatusArgs binds.
var statusTemplate, statusMarks = func() (string, []string) {
	var b strings.Builder
	b.WriteString("CASE")
	for _, c := range statusCases {
		b.WriteString("\n\tWHEN " + c.when + " THEN '" + string(c.status) + "'")
	}
	b.WriteString("\n\tELSE '" + string(StatusNotStarted) + "' END")
	tpl := b.String()
	var marks []string
	for rest := tpl; ; {
		i, j := strings.Index(rest, "{at}"), strings.Index(rest, "{soon}")
		switch {
		case i < 0 && j < 0:
			return tpl, marks
		case j < 0 || (i >= 0 && i < j):
			marks, rest = append(marks, "at"), rest[i+len("{at}"):]
		default:
			marks, rest = append(marks, "soon"), rest[j+len("{soon}"):]
		}
	}
}()

// RuleVersion names this version of the rule: a digest of its SQL (which
// TestStatusSQLAgreesWithGo ties to the Go) and of DueSoonWindow. A cache
// of the rule's answers remembers the version it was derived with and is
// forgotten when the running one differs.
var RuleVersion = func() string {
	sum := sha256.Sum256([]byte(statusTemplate + "\n" + DueSoonWindow.String()))
	return hex.EncodeToString(sum[:8])
}()

// StatusSQL is StatusAt as an SQL expression over the columns of the
// cycle table aliased alias, at the moment at, whose Horizon is soon.
// Both are SQL: bind variables ("?", "?"), bound in order by StatusArgs,
// or expressions such as columns of a list of moments.
func StatusSQL(alias, at, soon string) string {
	return strings.NewReplacer("{c}", alias, "{at}", at, "{soon}", soon).Replace(statusTemplate)
}

// DueShown is the date a report shows as when a cycle with status st was
// or is due: for a lapsed cycle, when its certificate expired (its own
// once completed, else the one it renews), otherwise its due date.
func (d *Dates) DueShown(st Status) time.Time {
	if st == StatusLapsed {
		if d.CompletedAt != nil && d.ExpiresAt != nil {
			return *d.ExpiresAt
		}
		if d.LapsesAt != nil {
			return *d.LapsesAt
		}
	}
	return d.DueAt
}

// DueShownSQL is DueShown as an SQL expression over the cycle columns of
// alias, for the status given by the SQL expression status (a column
// holding StatusSQL's answer).
func DueShownSQL(alias, status string) string {
	return strings.NewReplacer("{c}", alias, "{st}", status).Replace(`CASE WHEN {st} = '` + string(StatusLapsed) + `'
		THEN COALESCE(CASE WHEN {c}.completed_at IS NOT NULL THEN {c}.expires_at END, {c}.lapses_at, {c}.due_at)
		ELSE {c}.due_at END`)
}

// StatusArgs are the arguments of StatusSQL(alias, "?", "?") at the moment.
func StatusArgs(at time.Time) []any {
	at = at.UTC()
	soon := Horizon(at)
	out := make([]any, len(statusMarks))
	for i, m := range statusMarks {
		if m == "at" {
			out[i] = at
		} else {
			out[i] = soon
		}
	}
	return out
}
