package reminders

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/people"
	"steward/policies"
)

// The sources read what is open through its owners' set-based readers:
// courses.OpenCycles (the course-status rule) and
// policies.OpenAcknowledgements (the acknowledgement rule), and the
// people through people.ActiveMembers, each one query over the whole
// organisation, streamed: the sweep must classify 100,000 people x 5
// courses in seconds. Reminders restates neither rule; it reads only
// its own tables.

// Source reads open items and what has been announced about them.
type Source interface {
	// Items calls fn for every open item of an active person at now.
	Items(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Item) error) error
	// Announced calls fn for every event already recorded about an item
	// that may still be open, so the sweep can skip it.
	Announced(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Subject, string) error) error
}

// Person is an active user as the sweep needs them.
type Person = people.Member

func loadPeople(ctx context.Context, q sqlx.ExtContext) (map[int64]Person, error) {
	out := map[int64]Person{}
	err := people.ActiveMembers(ctx, q, func(m people.Member) error {
		out[m.ID] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reminders: %w", err)
	}
	return out, nil
}

// Courses reads open course cycles.
type Courses struct{}

// Items streams the open cycles (courses.OpenCycles): neither exempt
// nor completed and still valid.
func (Courses) Items(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Item) error) error {
	paths := map[int64]string{}
	return courses.OpenCycles(ctx, q, now, func(c *courses.OpenCycle) error {
		path, ok := paths[c.CourseID]
		if !ok {
			path = "/courses/" + c.Slug
			paths[c.CourseID] = path
		}
		due := c.Dates.DueAt
		if c.Dates.LapsesAt != nil {
			due = *c.Dates.LapsesAt
		}
		return fn(Item{
			Subject: Subject{Type: SubjectCycle, ID: c.ID, UserID: c.UserID},
			Title:   c.Title, Path: path,
			State: string(c.Status), Start: c.AssignedAt, Due: due, Recert: c.Dates.LapsesAt != nil,
		})
	})
}

// Announced streams the events recorded about current cycles that may
// still be open.
func (Courses) Announced(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(Subject, string) error) error {
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT e.subject_id, e.user_id, e.stage
		FROM reminder_events e
		WHERE e.subject_type = 'cycle' AND e.subject_id IN (`+courses.OpenCycleIDs()+`)`), now)
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
			title, path = ackTitle(o), "/my/policies/"+o.Policy.Slug
		}
		return fn(ackItem(o, title, path))
	})
}

func ackTitle(o policies.OpenAck) string {
	return fmt.Sprintf("%s, version %d", o.Policy.Title, o.Current.Number)
}

// ackItem is an open acknowledgement as an item: its round begins when
// the person became pending.
func ackItem(o policies.OpenAck, title, path string) Item {
	state := StatePending
	if o.State == policies.AckOverdue {
		state = StateOverdue
	}
	return Item{
		Subject: Subject{Type: SubjectAck, ID: o.Base.ID, UserID: o.UserID, Round: o.From.UTC().Format(time.RFC3339)},
		Title:   title, Path: path, State: state, Start: o.From, Due: o.Due,
	}
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
