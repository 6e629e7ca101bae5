package reports

import (
	"context"
	"fmt"
	"time"

	"steward/courses"
	"steward/policies"
)

// CycleRow is one assignment cycle in a person's history.
type CycleRow struct {
	courses.Cycle
	Slug   string `db:"slug"`
	Title  string `db:"title"`
	Status courses.Status
}

// AttemptRow is one quiz attempt in a person's history.
type AttemptRow struct {
	ID          int64      `db:"id"`
	CycleID     int64      `db:"cycle_id"`
	Course      string     `db:"course"`
	Module      string     `db:"module"`
	Position    int        `db:"position"`
	StartedAt   time.Time  `db:"started_at"`
	SubmittedAt *time.Time `db:"submitted_at"`
	Score       *int       `db:"score"`
	Passed      bool       `db:"passed"`
}

// AckRow is one acknowledgement in a person's history.
type AckRow struct {
	Slug            string    `db:"slug"`
	Title           string    `db:"title"`
	Number          int       `db:"number"`
	AcknowledgedAt  time.Time `db:"acknowledged_at"`
	CheckQuestions  *int      `db:"check_questions"`
	CheckFirstScore *int      `db:"check_first_score"`
	CheckAttempts   *int      `db:"check_attempts"`
}

// Check is how the acknowledgement's change check was passed, nil when
// it asked none.
func (a AckRow) Check() *policies.CheckScore {
	return policies.ScoreOf(a.CheckQuestions, a.CheckFirstScore, a.CheckAttempts)
}

// PolicyStanding is where a person stands now with one staff policy.
type PolicyStanding struct {
	Slug    string
	Title   string
	Version int
	Status  string
	Due     time.Time
}

// StatusLabel is the standing as people read it.
func (p PolicyStanding) StatusLabel() string { return StatusLabel(p.Status) }

// History is everything Steward holds about one person's training and
// acknowledgements.
type History struct {
	Cycles    []CycleRow // by course title, newest cycle first
	Attempts  []AttemptRow
	Acks      []AckRow
	Standings []PolicyStanding
	// Overdue lists the slugs of courses whose current cycle is overdue or
	// lapsed: the ones a manager may send a reminder about.
	Overdue map[string]bool
}

// History loads a person's full record in five queries.
func (s *Store) History(ctx context.Context, userID int64, now time.Time) (*History, error) {
	now = now.UTC()
	h := &History{Overdue: map[string]bool{}}
	if err := s.q.selectAll(ctx, &h.Cycles, `SELECT c.id, c.user_id, c.course_id, c.seq, c.assigned_at, c.due_at, c.lapses_at,
			c.started_at, c.completed_at, c.completed_revision, c.expires_at, c.score, c.exempt, c.exempt_reason, c.exempt_by,
			c.exempt_at, c.closed_at, c.closed_reason, k.slug, k.title
		FROM course_cycles c JOIN courses k ON k.id = c.course_id
		WHERE c.user_id = ? ORDER BY k.title, k.id, c.seq DESC`, userID); err != nil {
		return nil, fmt.Errorf("reports: cycles of %d: %w", userID, err)
	}
	for i := range h.Cycles {
		c := &h.Cycles[i]
		c.Status = c.Cycle.Status(now)
		if c.ClosedAt == nil && (c.Status == courses.StatusOverdue || c.Status == courses.StatusLapsed) {
			h.Overdue[c.Slug] = true
		}
	}
	if err := s.q.selectAll(ctx, &h.Attempts, `SELECT a.id, a.cycle_id, COALESCE(a.course_title, k.title) AS course, COALESCE(a.module_title, m.title) AS module, m.position,
			a.started_at, a.submitted_at, a.score, COALESCE(a.passed, FALSE) AS passed
		FROM course_attempts a JOIN course_modules m ON m.id = a.module_id JOIN courses k ON k.id = m.course_id
		WHERE a.user_id = ? ORDER BY a.started_at DESC, a.id DESC`, userID); err != nil {
		return nil, fmt.Errorf("reports: attempts of %d: %w", userID, err)
	}
	if err := s.q.selectAll(ctx, &h.Acks, `SELECT p.slug, p.title, v.number, a.acknowledged_at, a.check_questions, a.check_first_score, a.check_attempts
		FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id JOIN policies p ON p.id = v.policy_id
		WHERE a.user_id = ? ORDER BY a.acknowledged_at DESC, a.id DESC`, userID); err != nil {
		return nil, fmt.Errorf("reports: acknowledgements of %d: %w", userID, err)
	}
	var who struct {
		Active    bool       `db:"active"`
		HiredOn   *time.Time `db:"hired_on"`
		CreatedAt time.Time  `db:"created_at"`
	}
	if err := s.q.get(ctx, &who, `SELECT active, hired_on, created_at FROM users WHERE id = ?`, userID); err != nil {
		return nil, fmt.Errorf("reports: person %d: %w", userID, err)
	}
	if !who.Active {
		return h, nil
	}
	ts, err := s.timelines(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if _, ok := t.InEffect(now); !ok {
			continue
		}
		var mine []policies.Acknowledgement
		for _, a := range h.Acks {
			if a.Slug == t.Policy.Slug {
				mine = append(mine, policies.Acknowledgement{UserID: userID, PolicyID: t.Policy.ID, Number: a.Number, AcknowledgedAt: a.AcknowledgedAt.UTC()})
			}
		}
		st := policies.Evaluate(t, mine, policies.Joined(who.HiredOn, who.CreatedAt), now)
		h.Standings = append(h.Standings, PolicyStanding{Slug: t.Policy.Slug, Title: t.Policy.Title,
			Version: st.Current.Number, Status: ackStatus(st.State), Due: st.Due})
	}
	return h, nil
}
