package courses

import "time"

// Status is where a person stands with a course in a cycle.
type Status string

// Statuses, in the order of precedence Status applies.
const (
	StatusExempt     Status = "exempt"
	StatusCompleted  Status = "completed"
	StatusLapsed     Status = "lapsed"
	StatusOverdue    Status = "overdue"
	StatusDueSoon    Status = "due_soon"
	StatusInProgress Status = "in_progress"
	StatusNotStarted Status = "not_started"
)

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case StatusExempt:
		return "Exempt"
	case StatusCompleted:
		return "Completed"
	case StatusLapsed:
		return "Lapsed"
	case StatusOverdue:
		return "Overdue"
	case StatusDueSoon:
		return "Due soon"
	case StatusInProgress:
		return "In progress"
	default:
		return "Not started"
	}
}

// DueSoonWindow is how long before the due date a cycle counts as due soon.
const DueSoonWindow = 7 * 24 * time.Hour

// Cycle is one assignment of a course to a person.
type Cycle struct {
	ID         int64     `db:"id"`
	UserID     int64     `db:"user_id"`
	CourseID   int64     `db:"course_id"`
	Seq        int       `db:"seq"`
	AssignedAt time.Time `db:"assigned_at"`
	DueAt      time.Time `db:"due_at"`
	// LapsesAt is set on a recertification cycle: when the previous
	// completion expires. Not finishing by then leaves the person lapsed.
	LapsesAt          *time.Time `db:"lapses_at"`
	StartedAt         *time.Time `db:"started_at"`
	CompletedAt       *time.Time `db:"completed_at"`
	CompletedRevision *int       `db:"completed_revision"`
	ExpiresAt         *time.Time `db:"expires_at"` // nil: never expires
	Score             *int       `db:"score"`
	Exempt            bool       `db:"exempt"`
	ExemptReason      string     `db:"exempt_reason"`
	ExemptBy          *int64     `db:"exempt_by"`
	ExemptAt          *time.Time `db:"exempt_at"`
	ClosedAt          *time.Time `db:"closed_at"`
	ClosedReason      string     `db:"closed_reason"`
}

// Status derives the cycle's status at now, in DESIGN.md's precedence:
// exempt, completed (valid), expired (lapsed), overdue, due soon (within
// DueSoonWindow of due, or a recertification cycle, whose window is open),
// in progress, not started.
func (c *Cycle) Status(now time.Time) Status {
	switch {
	case c.Exempt:
		return StatusExempt
	case c.CompletedAt != nil && (c.ExpiresAt == nil || now.Before(*c.ExpiresAt)):
		return StatusCompleted
	case c.CompletedAt != nil:
		return StatusLapsed
	case c.LapsesAt != nil && !now.Before(*c.LapsesAt):
		return StatusLapsed
	case !now.Before(c.DueAt):
		return StatusOverdue
	case !now.Before(c.DueAt.Add(-DueSoonWindow)), c.LapsesAt != nil:
		return StatusDueSoon
	case c.StartedAt != nil:
		return StatusInProgress
	default:
		return StatusNotStarted
	}
}

// Recertification reports whether the cycle renews an earlier completion,
// whose certificate is valid until LapsesAt. (A value receiver, as is
// CertificateExpiry's, so templates can call it on a Cycle held by value.)
func (c Cycle) Recertification() bool { return c.LapsesAt != nil }

// CertificateExpiry is when the certificate the cycle is about expires, or
// expired: the cycle's own once completed, else the one a recertification
// cycle renews. Nil when there is none, or it never expires. Whether that
// moment has passed is for Status to say (StatusLapsed).
func (c Cycle) CertificateExpiry() *time.Time {
	if c.CompletedAt != nil {
		return c.ExpiresAt
	}
	return c.LapsesAt
}
