package policies

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
)

// AckTimelines loads, in one query, every staff policy that asks for
// acknowledgement with its published versions (without their bodies),
// by title. It is what the organisation-wide readers (reminders,
// reports) evaluate the acknowledgement rule against.
func AckTimelines(ctx context.Context, q sqlx.QueryerContext) ([]*Timeline, error) {
	var rows []struct {
		PolicyID      int64     `db:"policy_id"`
		Slug          string    `db:"slug"`
		Title         string    `db:"title"`
		AckWithinDays int       `db:"ack_within_days"`
		ReackMonths   int       `db:"reack_months"`
		VersionID     int64     `db:"version_id"`
		Number        int       `db:"number"`
		ChangeKind    string    `db:"change_kind"`
		EffectiveAt   time.Time `db:"effective_at"`
		PublishedAt   time.Time `db:"published_at"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT p.id AS policy_id, p.slug, p.title, p.ack_within_days, p.reack_months,
			v.id AS version_id, v.number, v.change_kind, v.effective_at, v.published_at
		FROM policies p JOIN policy_versions v ON v.policy_id = p.id
		WHERE `+NeedsAckSQL("p")+` AND v.status = 'published'
		ORDER BY p.title, p.id, v.number`)
	if err != nil {
		return nil, fmt.Errorf("policies: timelines to acknowledge: %w", err)
	}
	var out []*Timeline
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Policy.ID != r.PolicyID {
			out = append(out, &Timeline{Policy: Policy{ID: r.PolicyID, Slug: r.Slug, Title: r.Title,
				Audience: Staff, RequiresAck: true, AckWithinDays: r.AckWithinDays, ReackMonths: r.ReackMonths}})
		}
		t := out[len(out)-1]
		t.Versions = append(t.Versions, Version{ID: r.VersionID, PolicyID: r.PolicyID, Number: r.Number,
			ChangeKind: ChangeKind(r.ChangeKind), EffectiveAt: r.EffectiveAt.UTC(), PublishedAt: r.PublishedAt.UTC()})
	}
	return out, nil
}

// OpenAck is one active person's pending or overdue acknowledgement of
// the version of a staff policy in effect, as Evaluate decides it.
type OpenAck struct {
	UserID  int64
	Policy  *Policy
	Base    Version // the version whose acknowledgement counts (Timeline.Base)
	Current Version // the version in effect
	State   AckState
	// From is when the person became pending (the base version's
	// effective date, their joining, or their acknowledgement's renewal);
	// Due is when they become overdue.
	From, Due time.Time
}

// OpenAcknowledgements calls fn, policy by policy and by person id, for
// every active person who must acknowledge a staff policy at now and has
// not: Evaluate's answer, pending or overdue, for the whole organisation
// in one query per policy in effect. Only the acknowledgements of the
// versions from Base to the one in effect are read: Evaluate decides the
// same without the older ones.
func OpenAcknowledgements(ctx context.Context, q sqlx.ExtContext, now time.Time, fn func(OpenAck) error) error {
	ts, err := AckTimelines(ctx, q)
	if err != nil {
		return err
	}
	for _, t := range ts {
		cur, ok := t.InEffect(now)
		if !ok {
			continue
		}
		if err := openAcks(ctx, q, t, cur, now, fn); err != nil {
			return err
		}
	}
	return nil
}

// OpenAcknowledgementsOf is OpenAcknowledgements for the one policy of
// t (its versions as AckTimelines reads them).
func OpenAcknowledgementsOf(ctx context.Context, q sqlx.ExtContext, t *Timeline, now time.Time, fn func(OpenAck) error) error {
	cur, ok := t.InEffect(now)
	if !ok {
		return nil
	}
	return openAcks(ctx, q, t, cur, now, fn)
}

func openAcks(ctx context.Context, q sqlx.ExtContext, t *Timeline, cur Version, now time.Time, fn func(OpenAck) error) error {
	base := t.Base(cur)
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT u.id, `+db.TimeColumn(q, "u.hired_on")+`, `+db.TimeColumn(q, "u.created_at")+`,
			COALESCE(v.number, 0), `+db.TimeColumn(q, "a.acknowledged_at")+`
		FROM users u LEFT JOIN (policy_acknowledgements a JOIN policy_versions v
			ON v.id = a.version_id AND v.policy_id = ? AND v.number >= ? AND v.number <= ?)
		ON a.user_id = u.id
		WHERE u.active = TRUE
		ORDER BY u.id`), t.Policy.ID, base.Number, cur.Number)
	if err != nil {
		return fmt.Errorf("policies: open acknowledgements of %s: %w", t.Policy.Slug, err)
	}
	defer rows.Close()
	var (
		user   int64
		joined time.Time
		acks   []Acknowledgement // the current person's, reused
	)
	flush := func() error {
		if user == 0 {
			return nil
		}
		st := Evaluate(t, acks, joined, now)
		if st.State != AckPending && st.State != AckOverdue {
			return nil
		}
		return fn(OpenAck{UserID: user, Policy: &t.Policy, Base: st.Base, Current: st.Current, State: st.State, From: st.From, Due: st.Due})
	}
	for rows.Next() {
		var id int64
		var number int
		var hired, created, acked db.Time
		if err := rows.Scan(&id, &hired, &created, &number, &acked); err != nil {
			return fmt.Errorf("policies: open acknowledgements of %s: %w", t.Policy.Slug, err)
		}
		if id != user {
			if err := flush(); err != nil {
				return err
			}
			user, joined, acks = id, Joined(hired.Ptr(), created.Time), acks[:0]
		}
		if acked.Valid {
			acks = append(acks, Acknowledgement{UserID: id, PolicyID: t.Policy.ID, Number: number, AcknowledgedAt: acked.Time})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("policies: open acknowledgements of %s: %w", t.Policy.Slug, err)
	}
	return flush()
}

// AcknowledgedSince reports whether the person acknowledged the version
// with id base, or a later version of its policy, at or after since: a
// reminder of a round that began at since is then no longer wanted.
func AcknowledgedSince(ctx context.Context, q sqlx.ExtContext, base, userID int64, since time.Time) (bool, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*)
		FROM policy_acknowledgements a
		JOIN policy_versions v ON v.id = a.version_id
		JOIN policy_versions b ON b.id = ? AND b.policy_id = v.policy_id
		WHERE a.user_id = ? AND v.number >= b.number AND a.acknowledged_at >= ?`), base, userID, since); err != nil {
		return false, fmt.Errorf("policies: acknowledgement of version %d by %d: %w", base, userID, err)
	}
	return n > 0, nil
}
