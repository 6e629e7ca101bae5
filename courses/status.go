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

// Cycle is one assignment of a course to a person.
type Cycle struct {
	ID                int64      `db:"id"`
	UserID            int64      `db:"user_id"`
	CourseID          int64      `db:"course_id"`
	Seq               int        `db:"seq"`
	AssignedAt        time.Time  `db:"assigned_at"`
	Dates                        // what its status depends on
	CompletedRevision *int       `db:"completed_revision"`
	Score             *int       `db:"score"`
	ExemptReason      string     `db:"exempt_reason"`
	ExemptBy          *int64     `db:"exempt_by"`
	ClosedAt          *time.Time `db:"closed_at"`
	ClosedReason      string     `db:"closed_reason"`
}

// Status derives the cycle's status at now (see Dates.StatusAt).
func (c *Cycle) Status(now time.Time) Status { return c.Dates.StatusAt(now) }

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
