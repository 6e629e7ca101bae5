package policies

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
)

// The remembered policy standings (policy_standings) are a cache of the
// acknowledgement rule: where each active person stands with each staff
// policy in effect, and the span of time over which that holds, so that
// reports read a status instead of evaluating it. A standing is used only
// when the moment asked about lies inside its span; the triggers of the
// baseline migration forget a person's standings as soon as an
// acknowledgement, a version or the person's joining date changes.
// reports.Store.Refresh decides when and for whom to remember them.

// Standing is a person's standing with the version of a staff policy in
// effect at a moment, and the span [From, Until), in Unix nanoseconds
// (db.Nanos), over which it holds.
type Standing struct {
	State       AckState
	Due, Last   time.Time // zero: none
	From, Until int64
}

// StandingAt evaluates one person against one policy at now, given every
// acknowledgement they made of it (later ones than now too: the moment
// each was made is an edge) and since, when they joined. The candidate
// edges are every instant at which a test in Evaluate can flip: a version
// taking effect, an acknowledgement, its renewal, and the end of each
// window to acknowledge in (overdue is strictly after the due moment).
func StandingAt(t *Timeline, acks []Acknowledgement, since, now time.Time) Standing {
	sp := db.SpanAround(now)
	within := time.Duration(t.Policy.AckWithinDays) * 24 * time.Hour
	late := func(due time.Time) { sp.Edge(due.Add(within + time.Nanosecond)) }
	for _, v := range t.Versions {
		sp.Edge(v.EffectiveAt)
		late(v.EffectiveAt)
	}
	late(since)
	// Acknowledgements made by now of the versions from the last material
	// one to the one in effect: those Evaluate weighs.
	lo, hi := 0, 0
	if cur, ok := t.InEffect(now); ok {
		lo, hi = t.Base(cur).Number, cur.Number
	}
	var made []Acknowledgement
	for _, a := range acks {
		sp.Edge(a.AcknowledgedAt)
		if t.Policy.ReackMonths > 0 {
			renew := a.AcknowledgedAt.AddDate(0, t.Policy.ReackMonths, 0)
			sp.Edge(renew)
			late(renew)
		}
		if !a.AcknowledgedAt.After(now) && a.Number >= lo && a.Number <= hi {
			made = append(made, a)
		}
	}
	st := Evaluate(t, made, since, now)
	out := Standing{State: st.State, Due: st.Due, From: sp.From, Until: sp.Until}
	if st.Last != nil {
		out.Last = st.Last.AcknowledgedAt
	}
	return out
}

// RememberStandings remembers, for the active people given and every
// staff policy of ts (AckTimelines) in effect at now, the standing that is
// missing or does not hold at now. It returns how many it wrote. Run it in
// the transaction that also writes what is derived from these standings,
// so that none is written without them.
func RememberStandings(ctx context.Context, tx *sqlx.Tx, ts []*Timeline, now time.Time, people []int64) (int, error) {
	if len(people) == 0 {
		return 0, nil
	}
	who := db.IDList(people)
	at := db.Nanos(now)
	type key struct{ user, policy int64 }
	valid := map[key]bool{}
	var held []struct {
		UserID   int64 `db:"user_id"`
		PolicyID int64 `db:"policy_id"`
	}
	if err := sqlx.SelectContext(ctx, tx, &held, tx.Rebind(`SELECT user_id, policy_id FROM policy_standings
		WHERE user_id IN (`+who+`) AND standing_from <= ? AND standing_until > ?`), at, at); err != nil {
		return 0, fmt.Errorf("policies: remember standings: %w", err)
	}
	for _, h := range held {
		valid[key{h.UserID, h.PolicyID}] = true
	}
	var joined []struct {
		ID        int64      `db:"id"`
		HiredOn   *time.Time `db:"hired_on"`
		CreatedAt time.Time  `db:"created_at"`
	}
	if err := sqlx.SelectContext(ctx, tx, &joined, `SELECT id, hired_on, created_at FROM users
		WHERE id IN (`+who+`) AND active = TRUE ORDER BY id`); err != nil {
		return 0, fmt.Errorf("policies: remember standings: %w", err)
	}
	var rows []struct {
		UserID         int64     `db:"user_id"`
		PolicyID       int64     `db:"policy_id"`
		Number         int       `db:"number"`
		AcknowledgedAt time.Time `db:"acknowledged_at"`
	}
	if err := sqlx.SelectContext(ctx, tx, &rows, `SELECT a.user_id, v.policy_id, v.number, a.acknowledged_at
		FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id
		WHERE a.user_id IN (`+who+`)`); err != nil {
		return 0, fmt.Errorf("policies: remember standings: %w", err)
	}
	acks := map[key][]Acknowledgement{}
	for _, r := range rows {
		k := key{r.UserID, r.PolicyID}
		acks[k] = append(acks[k], Acknowledgement{UserID: r.UserID, PolicyID: r.PolicyID, Number: r.Number, AcknowledgedAt: r.AcknowledgedAt.UTC()})
	}
	put, err := tx.PreparexContext(ctx, tx.Rebind(`INSERT INTO policy_standings
		(user_id, policy_id, version_id, status, due_at, last_at, standing_from, standing_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, policy_id) DO UPDATE SET version_id = excluded.version_id, status = excluded.status,
			due_at = excluded.due_at, last_at = excluded.last_at,
			standing_from = excluded.standing_from, standing_until = excluded.standing_until`))
	if err != nil {
		return 0, fmt.Errorf("policies: remember standings: %w", err)
	}
	defer put.Close()
	n := 0
	for _, t := range ts {
		cur, ok := t.InEffect(now)
		if !ok {
			continue
		}
		for _, p := range joined {
			k := key{p.ID, t.Policy.ID}
			if valid[k] {
				continue
			}
			st := StandingAt(t, acks[k], Joined(p.HiredOn, p.CreatedAt), now)
			if _, err := put.ExecContext(ctx, p.ID, t.Policy.ID, cur.ID, string(st.State), nullTime(st.Due), nullTime(st.Last), st.From, st.Until); err != nil {
				return 0, fmt.Errorf("policies: remember standings: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// ForgetLeaversStandings forgets the standings of people who have left:
// they are in no report of the present.
func ForgetLeaversStandings(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM policy_standings WHERE user_id IN (SELECT id FROM users WHERE active = FALSE)`); err != nil {
		return fmt.Errorf("policies: forget leavers' standings: %w", err)
	}
	return nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
