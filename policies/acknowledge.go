package policies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/webhooks"
)

// AckState is where a person stands with a staff policy.
type AckState string

const (
	AckNotRequired  AckState = "not required"
	AckAcknowledged AckState = "acknowledged"
	AckPending      AckState = "pending"
	AckOverdue      AckState = "overdue"
)

// Acknowledgement is one person confirming one version. It is never
// overwritten.
type Acknowledgement struct {
	UserID         int64     `db:"user_id"`
	VersionID      int64     `db:"version_id"`
	PolicyID       int64     `db:"policy_id"`
	Number         int       `db:"number"`
	AcknowledgedAt time.Time `db:"acknowledged_at"`
	// Language is the language the person was shown; "" for the policy's
	// own (acknowledgements made before translations existed).
	Language string `db:"language"`
	// How a change check was passed; nil columns when none was asked.
	CheckQuestions  *int `db:"check_questions"`
	CheckFirstScore *int `db:"check_first_score"`
	CheckAttempts   *int `db:"check_attempts"`
}

// Check is how the acknowledgement's change check was passed, nil when
// it asked none.
func (a Acknowledgement) Check() *CheckScore {
	return ScoreOf(a.CheckQuestions, a.CheckFirstScore, a.CheckAttempts)
}

// AckStatus is a person's standing with one policy at a moment.
type AckStatus struct {
	Policy  Policy
	Current Version // the version in effect
	State   AckState
	// Due is when a pending acknowledgement becomes overdue.
	Due time.Time
	// Last is the person's latest acknowledgement of this policy, if any.
	Last *Acknowledgement
	// Base is the version whose acknowledgement counts while Current is
	// in effect (Timeline.Base), and From when the person became pending
	// or overdue (zero otherwise).
	Base Version
	From time.Time
}

// Evaluate applies the acknowledgement rules to one person and one policy.
// since is when the person joined: nobody is due before they arrived. acks
// are the person's acknowledgements of this policy's versions.
//
// The rules: the first version and every material version after it need a
// fresh acknowledgement; minor versions do not. An acknowledgement of a
// later version counts for the earlier ones. With re-acknowledgement every
// N months, an acknowledgement older than N months is due again. Whoever
// is pending has AckWithinDays days from the moment they became pending.
func Evaluate(t *Timeline, acks []Acknowledgement, since, now time.Time) AckStatus {
	st := AckStatus{Policy: t.Policy, State: AckNotRequired}
	cur, ok := t.InEffect(now)
	if !ok {
		return st
	}
	st.Current = cur
	for i := range acks {
		a := acks[i]
		if a.Number <= cur.Number && (st.Last == nil || a.Number > st.Last.Number ||
			(a.Number == st.Last.Number && a.AcknowledgedAt.After(st.Last.AcknowledgedAt))) {
			st.Last = &a
		}
	}
	if !t.Policy.NeedsAck() {
		return st
	}
	base := t.Base(cur)
	st.Base = base
	within := time.Duration(t.Policy.AckWithinDays) * 24 * time.Hour
	var pendingFrom time.Time
	switch {
	case st.Last != nil && st.Last.Number >= base.Number:
		if t.Policy.ReackMonths <= 0 {
			st.State = AckAcknowledged
			return st
		}
		renew := st.Last.AcknowledgedAt.AddDate(0, t.Policy.ReackMonths, 0)
		if now.Before(renew) {
			st.State = AckAcknowledged
			st.Due = renew.Add(within)
			return st
		}
		pendingFrom = renew
	default:
		pendingFrom = base.EffectiveAt
		if since.After(pendingFrom) {
			pendingFrom = since
		}
	}
	st.From = pendingFrom
	st.Due = pendingFrom.Add(within)
	st.State = AckPending
	if now.After(st.Due) {
		st.State = AckOverdue
	}
	return st
}

// Base is the version whose acknowledgement counts while cur is in
// effect: the last material version up to cur, or version 1. An
// acknowledgement of Base or of a later version up to cur satisfies the
// rule; one of an earlier version does not.
func (t *Timeline) Base(cur Version) Version {
	base := cur
	for i := len(t.Versions) - 1; i >= 0; i-- {
		v := t.Versions[i]
		if v.Number > cur.Number {
			continue
		}
		base = v
		if v.ChangeKind == Material || v.Number == 1 {
			break
		}
	}
	return base
}

// Joined is when a person joined, as the acknowledgement rules count it:
// the day they were hired, or, without a hire date, when their account was
// made. When a row was inserted says nothing about when someone started
// (a roster is often loaded years after), so the hire date wins.
func Joined(hiredOn *time.Time, createdAt time.Time) time.Time {
	if hiredOn != nil && !hiredOn.IsZero() {
		return hiredOn.UTC()
	}
	return createdAt.UTC()
}

type person struct {
	ID        int64      `db:"id"`
	Active    bool       `db:"active"`
	HiredOn   *time.Time `db:"hired_on"`
	CreatedAt time.Time  `db:"created_at"`
}

func (p person) joined() time.Time { return Joined(p.HiredOn, p.CreatedAt) }

func personByID(ctx context.Context, q sqlx.ExtContext, id int64) (person, error) {
	var p person
	err := sqlx.GetContext(ctx, q, &p, q.Rebind(`SELECT id, active, hired_on, created_at FROM users WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return person{}, ErrNotInScope
	}
	if err != nil {
		return person{}, fmt.Errorf("policies: read user %d: %w", id, err)
	}
	return p, nil
}

const ackCols = `a.user_id, a.version_id, v.policy_id, v.number, a.acknowledged_at, a.language, a.check_questions, a.check_first_score, a.check_attempts`

// Acknowledge records that userID acknowledged version number of the
// policy at now. Only the version in effect of a staff policy that needs
// acknowledging can be acknowledged, by an active person; a version whose
// change check the person has not passed is refused with
// ErrCheckRequired (AnswerCheck acknowledges). A repeated acknowledgement
// changes nothing and reports false.
func (s *Store) Acknowledge(ctx context.Context, userID int64, slug string, number int, now time.Time) (bool, error) {
	return s.AcknowledgeIn(ctx, userID, slug, number, "", now)
}

// AcknowledgeIn is Acknowledge recording the language the person was
// shown: "" or the policy's own language, or that of a translation of the
// version (Timeline.TranslationOf); a lagging translation is never what
// is acknowledged.
func (s *Store) AcknowledgeIn(ctx context.Context, userID int64, slug string, number int, lang string, now time.Time) (bool, error) {
	now = now.UTC().Truncate(time.Microsecond)
	created := false
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		who, p, t, v, err := ackTarget(ctx, tx, userID, slug, number, now)
		if err != nil {
			return err
		}
		c, _, err := checkFor(ctx, tx, t, v, userID)
		if err != nil {
			return err
		}
		if c.Asks() && !c.Passed {
			return ErrCheckRequired
		}
		if lang, err = shownLanguage(ctx, tx, t, v, lang); err != nil {
			return err
		}
		created, err = recordAck(ctx, tx, who, p, v, nil, lang, now)
		return err
	})
	return created, err
}

// ackTarget finds what a person may acknowledge: the version number of
// the policy, in effect at now, of a staff policy that needs
// acknowledging, for an active person.
func ackTarget(ctx context.Context, tx *sqlx.Tx, userID int64, slug string, number int, now time.Time) (person, Policy, *Timeline, Version, error) {
	who, err := personByID(ctx, tx, userID)
	if err != nil {
		return person{}, Policy{}, nil, Version{}, err
	}
	p, err := policyBySlug(ctx, tx, slug)
	if err != nil {
		return person{}, Policy{}, nil, Version{}, err
	}
	if !who.Active || p.Audience != Staff {
		return person{}, Policy{}, nil, Version{}, ErrNotInScope
	}
	if !p.NeedsAck() {
		return person{}, Policy{}, nil, Version{}, ErrAckNotNeeded
	}
	vs, err := versionsOf(ctx, tx, p.ID, true)
	if err != nil {
		return person{}, Policy{}, nil, Version{}, err
	}
	t := &Timeline{Policy: p, Versions: vs}
	v, ok := t.Version(number)
	if !ok {
		return person{}, Policy{}, nil, Version{}, ErrNotFound
	}
	if cur, ok := t.InEffect(now); !ok || cur.Number != v.Number {
		return person{}, Policy{}, nil, Version{}, ErrNotInEffect
	}
	return who, p, t, v, nil
}

// recordAck writes an acknowledgement, with how its check was passed
// when one was asked, its webhook event and its audit entry. A repeated
// one changes nothing and reports false.
func recordAck(ctx context.Context, tx *sqlx.Tx, who person, p Policy, v Version, check *CheckScore, lang string, now time.Time) (bool, error) {
	var questions, first, attempts *int
	detail := ""
	if check != nil {
		questions, first, attempts = &check.Questions, &check.FirstScore, &check.Attempts
		detail = "check: " + check.String()
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_acknowledgements
		(user_id, version_id, acknowledged_at, language, check_questions, check_first_score, check_attempts)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, version_id) DO NOTHING`), who.ID, v.ID, now, lang, questions, first, attempts)
	if err != nil {
		return false, fmt.Errorf("policies: acknowledge %s v%d: %w", p.Slug, v.Number, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("policies: acknowledge %s v%d: %w", p.Slug, v.Number, err)
	}
	if n == 0 {
		return false, nil
	}
	if err := webhooks.Enqueue(ctx, tx, webhooks.PolicyAcknowledged, acknowledgedEvent(who.ID, p, v, now), now); err != nil {
		return false, err
	}
	return true, audit.Record(ctx, tx, audit.UserActor(who.ID).Entry(now, "policy.acknowledge",
		fmt.Sprintf("policy:%s/v%d", p.Slug, v.Number), detail))
}

// ByNeed splits statuses into the policies to acknowledge and those only
// to read, each in the order given.
func ByNeed(sts []AckStatus) (toAck, toRead []AckStatus) {
	for _, st := range sts {
		if st.Policy.NeedsAck() {
			toAck = append(toAck, st)
		} else {
			toRead = append(toRead, st)
		}
	}
	return toAck, toRead
}

// Acknowledgements lists a person's acknowledgements, oldest first.
func (s *Store) Acknowledgements(ctx context.Context, userID int64) ([]Acknowledgement, error) {
	var out []Acknowledgement
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT `+ackCols+`
		FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id
		WHERE a.user_id = ? ORDER BY a.acknowledged_at, a.id`), userID)
	if err != nil {
		return nil, fmt.Errorf("policies: acknowledgements of %d: %w", userID, err)
	}
	return out, nil
}

// StatusFor returns a person's standing with every staff policy that has a
// version in effect, by title.
func (s *Store) StatusFor(ctx context.Context, userID int64, now time.Time) ([]AckStatus, error) {
	who, err := personByID(ctx, s.db, userID)
	if err != nil {
		return nil, err
	}
	ts, err := s.Timelines(ctx, Staff)
	if err != nil {
		return nil, err
	}
	acks, err := s.Acknowledgements(ctx, userID)
	if err != nil {
		return nil, err
	}
	return statuses(ts, acks, who, now), nil
}

func statuses(ts []*Timeline, acks []Acknowledgement, who person, now time.Time) []AckStatus {
	var out []AckStatus
	if !who.Active {
		return out
	}
	for _, t := range ts {
		if _, ok := t.InEffect(now); !ok {
			continue
		}
		var mine []Acknowledgement
		for _, a := range acks {
			if a.PolicyID == t.Policy.ID {
				mine = append(mine, a)
			}
		}
		out = append(out, Evaluate(t, mine, who.joined(), now))
	}
	return out
}
