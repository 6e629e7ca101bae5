package reminders

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/db"
	"steward/policies"
)

// The queries in this file read tables that belong to people, courses and
// policies. They are report-like reads, set-based over the whole
// organisation, which is why they live here with the sweep instead of
// going through those packages' stores one person at a time: the sweep
// must classify 100,000 people x 5 courses in seconds. A cycle's status
// is courses' rule, called (courses.Dates.StatusAt); the acknowledgement
// rule is still restated below (policies.Evaluate): a change there must
// be made here too, and the simulated-year test in this package pins the
// behaviour down.

// Source reads open items and what has been announced about them.
type Source interface {
	// Items calls fn for every open item of an active person at now.
	Items(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Item) error) error
	// Announced calls fn for every event already recorded about an item
	// that may still be open, so the sweep can skip it.
	Announced(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Subject, string) error) error
}

// Person is an active user as the sweep needs them.
type Person struct {
	ID        int64  `db:"id"`
	Email     string `db:"email"`
	Name      string `db:"name"`
	ManagerID *int64 `db:"manager_id"`
}

func loadPeople(ctx context.Context, q sqlx.ExtContext) (map[int64]Person, error) {
	rows, err := q.QueryxContext(ctx, `SELECT id, email, name, manager_id FROM users WHERE active = TRUE`)
	if err != nil {
		return nil, fmt.Errorf("reminders: read people: %w", err)
	}
	defer rows.Close()
	out := map[int64]Person{}
	for rows.Next() {
		var p Person
		if err := rows.Scan(&p.ID, &p.Email, &p.Name, &p.ManagerID); err != nil {
			return nil, fmt.Errorf("reminders: read people: %w", err)
		}
		out[p.ID] = p
	}
	return out, rows.Err()
}

// Courses reads open course cycles.
type Courses struct{}

type courseInfo struct {
	ID    int64  `db:"id"`
	Slug  string `db:"slug"`
	Title string `db:"title"`
}

// Items streams the current cycles of active people that are neither
// exempt nor completed and still valid.
func (Courses) Items(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Item) error) error {
	var cs []courseInfo
	if err := sqlx.SelectContext(ctx, q, &cs, `SELECT id, slug, title FROM courses`); err != nil {
		return fmt.Errorf("reminders: read courses: %w", err)
	}
	byID := make(map[int64]courseInfo, len(cs))
	paths := make(map[int64]string, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
		paths[c.ID] = "/courses/" + c.Slug
	}
	ts := func(col string) string { return db.TimeColumn(q, col) }
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT c.id, c.user_id, c.course_id, `+ts("c.assigned_at")+`, `+ts("c.due_at")+`,
			`+ts("c.lapses_at")+`, `+ts("c.started_at")+`, `+ts("c.completed_at")+`, `+ts("c.expires_at")+`
		FROM course_cycles c JOIN users u ON u.id = c.user_id
		WHERE c.closed_at IS NULL AND c.exempt = FALSE AND u.active = TRUE AND c.assigned_at <= ?
			AND (c.completed_at IS NULL OR c.expires_at <= ?)`), now, now)
	if err != nil {
		return fmt.Errorf("reminders: read course cycles: %w", err)
	}
	defer rows.Close()
	var r struct {
		ID, UserID, CourseID                                         int64
		AssignedAt, DueAt, LapsesAt, StartedAt, Completed, ExpiresAt db.Time
	}
	for rows.Next() {
		// Scan, not StructScan: this loop runs for every open cycle of
		// the organisation, and reflection per row adds up.
		if err := rows.Scan(&r.ID, &r.UserID, &r.CourseID, &r.AssignedAt, &r.DueAt,
			&r.LapsesAt, &r.StartedAt, &r.Completed, &r.ExpiresAt); err != nil {
			return fmt.Errorf("reminders: read course cycles: %w", err)
		}
		if !r.AssignedAt.Valid || !r.DueAt.Valid {
			return fmt.Errorf("reminders: read course cycles: cycle %d has no assigned or due time", r.ID)
		}
		lapses := r.LapsesAt.Ptr()
		dates := courses.Dates{DueAt: r.DueAt.Time, LapsesAt: lapses, StartedAt: r.StartedAt.Ptr(),
			CompletedAt: r.Completed.Ptr(), ExpiresAt: r.ExpiresAt.Ptr()}
		status := dates.StatusAt(now)
		if status == courses.StatusCompleted || status == courses.StatusExempt {
			continue
		}
		state := string(status)
		due := r.DueAt.Time
		if lapses != nil {
			due = *lapses
		}
		if err := fn(Item{
			Subject: Subject{Type: SubjectCycle, ID: r.ID, UserID: r.UserID},
			Title:   byID[r.CourseID].Title, Path: paths[r.CourseID],
			State: state, Start: r.AssignedAt.Time, Due: due, Recert: lapses != nil,
		}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reminders: read course cycles: %w", err)
	}
	return nil
}

// Announced streams the events recorded about current cycles that may
// still be open.
func (Courses) Announced(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Subject, string) error) error {
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT e.subject_id, e.user_id, e.stage
		FROM reminder_events e JOIN course_cycles c ON c.id = e.subject_id
		WHERE e.subject_type = 'cycle' AND c.closed_at IS NULL AND c.exempt = FALSE
			AND (c.completed_at IS NULL OR c.expires_at <= ?)`), now)
	if err != nil {
		return fmt.Errorf("reminders: read announced cycle events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, user int64
		var stage string
		if err := rows.Scan(&id, &user, &stage); err != nil {
			return fmt.Errorf("reminders: read announced cycle events: %w", err)
		}
		if err := fn(Subject{Type: SubjectCycle, ID: id, UserID: user}, stage); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Policies reads pending acknowledgements of staff policies.
type Policies struct{}

// Items yields every open acknowledgement, as policies decides it
// (policies.OpenAcknowledgements): a reminder round begins when the
// person became pending.
func (Policies) Items(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Item) error) error {
	var title, path string
	var last *policies.Policy
	return policies.OpenAcknowledgements(ctx, q, now, func(o policies.OpenAck) error {
		if o.Policy != last {
			last = o.Policy
			title = fmt.Sprintf("%s, version %d", o.Policy.Title, o.Current.Number)
			path = "/my/policies/" + o.Policy.Slug
		}
		state := StatePending
		if o.State == policies.AckOverdue {
			state = StateOverdue
		}
		return fn(Item{
			Subject: Subject{Type: SubjectAck, ID: o.Base.ID, UserID: o.UserID, Round: o.From.UTC().Format(time.RFC3339)},
			Title:   title, Path: path, State: state, Start: o.From, Due: o.Due,
		})
	})
}

// Announced streams the events recorded about the base versions people
// must acknowledge now.
func (Policies) Announced(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Subject, string) error) error {
	ts, err := policies.AckTimelines(ctx, q)
	if err != nil {
		return err
	}
	for _, t := range ts {
		cur, ok := t.InEffect(now)
		if !ok {
			continue
		}
		base := t.Base(cur).ID
		rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT user_id, round, stage FROM reminder_events
			WHERE subject_type = 'ack' AND subject_id = ?`), base)
		if err != nil {
			return fmt.Errorf("reminders: read announced policy events: %w", err)
		}
		for rows.Next() {
			var user int64
			var round, stage string
			if err := rows.Scan(&user, &round, &stage); err != nil {
				rows.Close()
				return fmt.Errorf("reminders: read announced policy events: %w", err)
			}
			if err := fn(Subject{Type: SubjectAck, ID: base, UserID: user, Round: round}, stage); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reminders: read announced policy events: %w", err)
		}
	}
	return nil
}
