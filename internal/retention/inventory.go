package retention

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// Inventory is everything Steward keeps about one person: what the "My
// data" page shows and its JSON download holds. The password hash is
// never part of it; whether one is set is.
type Inventory struct {
	GeneratedAt      time.Time        `json:"generated_at"`
	Profile          Profile          `json:"profile"`
	Cycles           []CycleRecord    `json:"training_cycles"`
	Attempts         []AttemptRecord  `json:"quiz_attempts"`
	Certificates     []CertRecord     `json:"certificates"`
	Acknowledgements []AckRecord      `json:"policy_acknowledgements"`
	Emails           []EmailRecord    `json:"emails"`
	Reminders        []ReminderRecord `json:"reminder_events"`
	Links            []LinkRecord     `json:"invitation_and_reset_links"`
	Sessions         []SessionRecord  `json:"sessions"`
	Identities       []IdentityRecord `json:"single_sign_on_identities"`
	Preferences      []PrefRecord     `json:"reminder_preferences"`
	Compliance       []MonthRecord    `json:"monthly_compliance"`
	Audit            []AuditRecord    `json:"audit_entries"`
}

// Profile is a person's own details.
type Profile struct {
	ID              int64      `json:"id" db:"id"`
	Email           string     `json:"email" db:"email"`
	Name            string     `json:"name" db:"name"`
	Role            string     `json:"role" db:"role"`
	Team            *string    `json:"team" db:"team"`
	Manager         *string    `json:"manager" db:"manager"`
	HiredOn         *time.Time `json:"hired_on" db:"hired_on"`
	Department      string     `json:"department" db:"department"`
	EmployeeNumber  string     `json:"employee_number" db:"employee_number"`
	DirectoryName   *string    `json:"directory_user_name" db:"user_name"`
	DirectoryID     *string    `json:"directory_id" db:"external_id"`
	Active          bool       `json:"active" db:"active"`
	DeactivatedAt   *time.Time `json:"deactivated_at" db:"deactivated_at"`
	PseudonymisedAt *time.Time `json:"pseudonymised_at" db:"pseudonymised_at"`
	PasswordSet     bool       `json:"password_set" db:"password_set"`
	CreatedAt       time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at" db:"updated_at"`
}

// CycleRecord is one assignment of a course.
type CycleRecord struct {
	Course       string     `json:"course" db:"course"`
	CourseSlug   string     `json:"course_slug" db:"course_slug"`
	Seq          int        `json:"cycle" db:"seq"`
	AssignedAt   time.Time  `json:"assigned_at" db:"assigned_at"`
	DueAt        time.Time  `json:"due_at" db:"due_at"`
	StartedAt    *time.Time `json:"started_at" db:"started_at"`
	CompletedAt  *time.Time `json:"completed_at" db:"completed_at"`
	ExpiresAt    *time.Time `json:"expires_at" db:"expires_at"`
	Score        *int       `json:"score" db:"score"`
	Exempt       bool       `json:"exempt" db:"exempt"`
	ExemptReason string     `json:"exempt_reason" db:"exempt_reason"`
	ExemptBy     *string    `json:"exempt_by" db:"exempt_by"`
	ClosedAt     *time.Time `json:"closed_at" db:"closed_at"`
	ClosedReason string     `json:"closed_reason" db:"closed_reason"`
}

// AttemptRecord is one quiz shown, with the answers given.
type AttemptRecord struct {
	ID          int64           `json:"id" db:"id"`
	Course      string          `json:"course" db:"course"`
	CourseSlug  string          `json:"course_slug" db:"course_slug"`
	Module      string          `json:"module" db:"module"`
	StartedAt   time.Time       `json:"started_at" db:"started_at"`
	SubmittedAt *time.Time      `json:"submitted_at" db:"submitted_at"`
	Score       *int            `json:"score" db:"score"`
	Passed      *bool           `json:"passed" db:"passed"`
	AnswersJSON string          `json:"-" db:"answers"`
	Answers     json.RawMessage `json:"answers"`
}

// Result is "passed" or "failed" for a graded attempt, "" for one never
// submitted.
func (a AttemptRecord) Result() string {
	switch {
	case a.Passed == nil:
		return ""
	case *a.Passed:
		return "passed"
	default:
		return "failed"
	}
}

// CertRecord is a certificate issued for a completed cycle.
type CertRecord struct {
	Code      string    `json:"code" db:"code"`
	Course    string    `json:"course" db:"course"`
	CreatedAt time.Time `json:"issued_at" db:"created_at"`
}

// AckRecord is one acknowledgement of a policy version.
type AckRecord struct {
	Policy         string    `json:"policy" db:"policy"`
	PolicySlug     string    `json:"policy_slug" db:"policy_slug"`
	Audience       string    `json:"policy_audience" db:"audience"` // staff or public: where the policy is read
	Version        int       `json:"version" db:"version"`
	AcknowledgedAt time.Time `json:"acknowledged_at" db:"acknowledged_at"`
	Language       string    `json:"language" db:"language"` // the language the person was shown
	// How a change check was passed, when the version asked questions:
	// its questions, the answers right at the first try, the attempts.
	CheckQuestions  *int `json:"check_questions,omitempty" db:"check_questions"`
	CheckFirstScore *int `json:"check_first_try_score,omitempty" db:"check_first_score"`
	CheckAttempts   *int `json:"check_attempts,omitempty" db:"check_attempts"`
}

// EmailRecord is one email Steward queued for the person.
type EmailRecord struct {
	ID        int64      `json:"id" db:"id"`
	Recipient string     `json:"recipient" db:"recipient"`
	Kind      string     `json:"kind" db:"kind"`
	Subject   string     `json:"subject" db:"subject"`
	Status    string     `json:"status" db:"status"`
	CreatedAt time.Time  `json:"queued_at" db:"created_at"`
	SentAt    *time.Time `json:"sent_at" db:"sent_at"`
	Text      string     `json:"text" db:"body_text"`
	// TextNote says why the text is not given: deleted by retention, or
	// withheld because it held a sign-in link.
	TextNote string `json:"text_note,omitempty" db:"-"`
	Secret   bool   `json:"-" db:"secret"`
}

// ReminderRecord is one reminder event about the person's items.
type ReminderRecord struct {
	Subject   string    `json:"about" db:"subject_type"`
	Stage     string    `json:"stage" db:"stage"`
	ToManager bool      `json:"sent_to_manager" db:"to_manager"`
	CreatedAt time.Time `json:"at" db:"created_at"`
}

// LinkRecord is an invitation or password-reset link; only its hash was
// ever stored, so the link itself is not here.
type LinkRecord struct {
	Purpose   string     `json:"purpose" db:"purpose"`
	CreatedAt time.Time  `json:"created_at" db:"created_at"`
	ExpiresAt time.Time  `json:"expires_at" db:"expires_at"`
	UsedAt    *time.Time `json:"used_at" db:"used_at"`
}

// SessionRecord is one signed-in session, as coarse as it is kept.
type SessionRecord struct {
	Device    string     `json:"browser" db:"device"`
	Address   string     `json:"network" db:"address"`
	CreatedAt time.Time  `json:"signed_in_at" db:"created_at"`
	SeenAt    time.Time  `json:"last_active_at" db:"seen_at"`
	EndedAt   *time.Time `json:"ended_at" db:"ended_at"`
	EndedWhy  string     `json:"ended_because" db:"ended_why"`
}

// IdentityRecord is an identity at a single sign-on provider that signs
// the person in.
type IdentityRecord struct {
	Issuer   string    `json:"provider" db:"issuer"`
	Subject  string    `json:"subject" db:"subject"`
	LinkedAt time.Time `json:"linked_at" db:"linked_at"`
	SeenAt   time.Time `json:"last_signed_in_at" db:"seen_at"`
}

// PrefRecord is what the person chose about reminders.
type PrefRecord struct {
	TeamWeekly bool      `json:"team_weekly_summary" db:"team_weekly"`
	UpdatedAt  time.Time `json:"updated_at" db:"updated_at"`
}

// MonthRecord is the person's compliance at a past month end, kept for
// the organisation's trend report: items due and how many were in order.
type MonthRecord struct {
	MonthEnd time.Time `json:"month_end" db:"month_end"`
	Items    int       `json:"items" db:"items"`
	Good     int       `json:"in_order" db:"good"`
}

// AuditRecord is an audit entry by or about the person.
type AuditRecord struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}

// ErrNoPerson is returned for an id nobody has.
var ErrNoPerson = errors.New("retention: no such person")

// Collect gathers the inventory of userID as of now.
func Collect(ctx context.Context, q sqlx.ExtContext, userID int64, now time.Time) (*Inventory, error) {
	inv := &Inventory{GeneratedAt: now.UTC(), Cycles: []CycleRecord{}, Attempts: []AttemptRecord{},
		Certificates: []CertRecord{}, Acknowledgements: []AckRecord{}, Emails: []EmailRecord{},
		Reminders: []ReminderRecord{}, Links: []LinkRecord{}, Sessions: []SessionRecord{}, Preferences: []PrefRecord{}, Compliance: []MonthRecord{}}
	err := sqlx.GetContext(ctx, q, &inv.Profile, q.Rebind(`SELECT u.id, u.email, u.name, u.role, t.name AS team,
		m.name AS manager, u.hired_on, u.department, u.employee_number, u.user_name, u.external_id, u.active, u.deactivated_at, u.pseudonymised_at,
		u.password_hash <> '' AS password_set, u.created_at, u.updated_at
		FROM users u LEFT JOIN teams t ON t.id = u.team_id LEFT JOIN users m ON m.id = u.manager_id
		WHERE u.id = ?`), userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoPerson
	}
	if err != nil {
		return nil, fmt.Errorf("retention: profile of %d: %w", userID, err)
	}
	lists := []struct {
		what  string
		dest  any
		query string
	}{
		{"training cycles", &inv.Cycles, `SELECT c.title AS course, c.slug AS course_slug, y.seq, y.assigned_at, y.due_at,
			y.started_at, y.completed_at, y.expires_at, y.score, y.exempt, y.exempt_reason, e.name AS exempt_by,
			y.closed_at, y.closed_reason
			FROM course_cycles y JOIN courses c ON c.id = y.course_id LEFT JOIN users e ON e.id = y.exempt_by
			WHERE y.user_id = ? ORDER BY y.assigned_at, y.id`},
		{"quiz attempts", &inv.Attempts, `SELECT a.id, COALESCE(a.course_title, c.title) AS course, c.slug AS course_slug, COALESCE(a.module_title, m.title) AS module,
			a.started_at, a.submitted_at, a.score, a.passed, a.answers
			FROM course_attempts a JOIN course_cycles y ON y.id = a.cycle_id JOIN courses c ON c.id = y.course_id
			JOIN course_modules m ON m.id = a.module_id
			WHERE a.user_id = ? ORDER BY a.started_at, a.id`},
		{"certificates", &inv.Certificates, `SELECT k.code, c.title AS course, k.created_at
			FROM course_certificates k JOIN course_cycles y ON y.id = k.cycle_id JOIN courses c ON c.id = y.course_id
			WHERE y.user_id = ? ORDER BY k.created_at, k.id`},
		{"acknowledgements", &inv.Acknowledgements, `SELECT p.title AS policy, p.slug AS policy_slug, p.audience, v.number AS version,
			a.acknowledged_at, CASE WHEN a.language = '' THEN p.language ELSE a.language END AS language, a.check_questions, a.check_first_score, a.check_attempts
			FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id JOIN policies p ON p.id = v.policy_id
			WHERE a.user_id = ? ORDER BY a.acknowledged_at, a.id`},
		{"emails", &inv.Emails, `SELECT id, recipient, kind, subject, status, created_at, sent_at, body_text, secret
			FROM outbox WHERE user_id = ? ORDER BY id`},
		{"reminders", &inv.Reminders, `SELECT subject_type, stage, recipient_id <> user_id AS to_manager, created_at
			FROM reminder_events WHERE user_id = ? ORDER BY created_at, id`},
		{"links", &inv.Links, `SELECT purpose, created_at, expires_at, used_at
			FROM one_time_tokens WHERE user_id = ? ORDER BY created_at, id`},
		{"sessions", &inv.Sessions, `SELECT device, address, created_at, seen_at, ended_at, ended_why
			FROM sessions WHERE user_id = ? ORDER BY created_at, id_hash`},
		{"identities", &inv.Identities, `SELECT issuer, subject, linked_at, seen_at
			FROM identities WHERE user_id = ? ORDER BY issuer, subject`},
		{"reminder preferences", &inv.Preferences, `SELECT team_weekly, updated_at FROM reminder_preferences WHERE user_id = ?`},
		{"monthly compliance", &inv.Compliance, `SELECT month_end, items, good FROM report_trend_months
			WHERE user_id = ? ORDER BY month_end`},
	}
	for _, l := range lists {
		if err := sqlx.SelectContext(ctx, q, l.dest, q.Rebind(l.query), userID); err != nil {
			return nil, fmt.Errorf("retention: %s of %d: %w", l.what, userID, err)
		}
	}
	for i := range inv.Attempts {
		a := &inv.Attempts[i]
		a.Answers = ownAnswers(a.AnswersJSON)
	}
	for i := range inv.Emails {
		e := &inv.Emails[i]
		switch {
		case e.Secret:
			e.Text, e.TextNote = "", "withheld: it held a one-time sign-in link"
		case e.Text == "":
			e.TextNote = "deleted after the retention period for email text"
		}
	}
	entries, err := audit.About(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	inv.Audit = make([]AuditRecord, 0, len(entries))
	for _, e := range entries {
		inv.Audit = append(inv.Audit, AuditRecord{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail})
	}
	return inv, nil
}

// ownAnswers is what a person chose in an attempt and whether each answer
// was right: their own record. The answer key (the correct options and the
// explanations) is the course's, not theirs, and stays out of the export:
// a learner could otherwise read it before passing, which the result page
// is careful not to allow (courses.AnswersRevealed).
func ownAnswers(stored string) json.RawMessage {
	var answers []map[string]json.RawMessage
	if stored == "" || json.Unmarshal([]byte(stored), &answers) != nil {
		return json.RawMessage("[]")
	}
	for _, a := range answers {
		delete(a, "correct_text")
		delete(a, "explanation")
	}
	out, err := json.Marshal(answers)
	if err != nil {
		return json.RawMessage("[]")
	}
	return out
}
