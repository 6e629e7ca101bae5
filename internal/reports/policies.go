package reports

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"steward/policies"
)

// timelines loads every staff policy that asks for acknowledgement with
// its published versions (without their bodies), by title, in one query.
func (s *Store) timelines(ctx context.Context) ([]*policies.Timeline, error) {
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
	err := s.q.selectAll(ctx, &rows, `SELECT p.id AS policy_id, p.slug, p.title, p.ack_within_days, p.reack_months,
			v.id AS version_id, v.number, v.change_kind, v.effective_at, v.published_at
		FROM policies p JOIN policy_versions v ON v.policy_id = p.id
		WHERE p.audience = 'staff' AND p.requires_ack = TRUE AND v.status = 'published'
		ORDER BY p.title, p.id, v.number`)
	if err != nil {
		return nil, fmt.Errorf("reports: policy timelines: %w", err)
	}
	var out []*policies.Timeline
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Policy.ID != r.PolicyID {
			out = append(out, &policies.Timeline{Policy: policies.Policy{ID: r.PolicyID, Slug: r.Slug, Title: r.Title,
				Audience: policies.Staff, RequiresAck: true, AckWithinDays: r.AckWithinDays, ReackMonths: r.ReackMonths}})
		}
		t := out[len(out)-1]
		t.Versions = append(t.Versions, policies.Version{ID: r.VersionID, PolicyID: r.PolicyID, Number: r.Number,
			ChangeKind: policies.ChangeKind(r.ChangeKind), EffectiveAt: r.EffectiveAt.UTC(), PublishedAt: r.PublishedAt.UTC()})
	}
	return out, nil
}

// lastAck is a person's latest acknowledgement of a policy, up to the
// version in effect at the report's moment.
type lastAck struct {
	UserID         int64     `db:"user_id"`
	PolicyID       int64     `db:"policy_id"`
	Number         int       `db:"number"`
	AcknowledgedAt time.Time `db:"acknowledged_at"`
}

// lastAcks loads, in one query, the latest acknowledgement made by at of
// each person in scope for each policy in effect, keyed by user and policy.
// Evaluate needs no more: later acknowledgements of the same policy count
// for earlier versions, and only the latest one is weighed. Versions
// before the last material one are left out: acknowledging them no longer
// counts, so Evaluate decides the same without them.
// The result is keyed by policy, then by person.
func (s *Store) lastAcks(ctx context.Context, sc scope, ts []*policies.Timeline, at time.Time) (map[int64]map[int64]lastAck, error) {
	type window struct {
		policy int64
		lo, hi int
	}
	var ws []window
	for _, t := range ts {
		if cur, ok := t.InEffect(at); ok {
			ws = append(ws, window{t.Policy.ID, baseNumber(t, cur), cur.Number})
		}
	}
	out := map[int64]map[int64]lastAck{}
	if len(ws) == 0 {
		return out, nil
	}
	// One row per person, two columns per policy: grouping by person alone
	// follows the index on acknowledgements by person, so nothing is sorted.
	// The latest acknowledgement is also the highest version acknowledged:
	// only the version in effect can be acknowledged, and versions take
	// effect in number order. So MAX of each gives the pair.
	pre, args := sc.prefix()
	from, cond := sc.from("policy_acknowledgements a", "a.user_id")
	var cols []string
	for _, w := range ws {
		in := `v.policy_id = ? AND v.number BETWEEN ? AND ?`
		cols = append(cols, `MAX(CASE WHEN `+in+` THEN v.number END)`, `MAX(CASE WHEN `+in+` THEN a.acknowledged_at END)`)
		args = append(args, w.policy, w.lo, w.hi, w.policy, w.lo, w.hi)
	}
	q := pre + `SELECT a.user_id, ` + strings.Join(cols, ", ") + `
		FROM ` + from + ` JOIN policy_versions v ON v.id = a.version_id
		WHERE a.acknowledged_at <= ?` + cond + `
		GROUP BY a.user_id`
	args = append(args, at.UTC())
	rows, err := s.q.rows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reports: acknowledgements: %w", err)
	}
	defer rows.Close()
	var user int64
	numbers := make([]sql.NullInt64, len(ws))
	times := make([]sqlTime, len(ws))
	dest := []any{&user}
	for i := range ws {
		dest = append(dest, &numbers[i], &times[i])
		out[ws[i].policy] = map[int64]lastAck{}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("reports: acknowledgements: %w", err)
		}
		for i, w := range ws {
			if numbers[i].Valid {
				out[w.policy][user] = lastAck{UserID: user, PolicyID: w.policy, Number: int(numbers[i].Int64), AcknowledgedAt: times[i].Time}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reports: acknowledgements: %w", err)
	}
	return out, nil
}

// baseNumber is the version whose acknowledgement counts while cur is in
// effect: the last material version up to cur, or version 1.
func baseNumber(t *policies.Timeline, cur policies.Version) int {
	base := 1
	for _, v := range t.Versions {
		if v.Number <= cur.Number && (v.ChangeKind == policies.Material || v.Number == 1) {
			base = v.Number
		}
	}
	return base
}

// evaluate applies policies.Evaluate to one person and one policy.
func evaluate(t *policies.Timeline, last map[int64]lastAck, userID int64, since, at time.Time) policies.AckStatus {
	var acks []policies.Acknowledgement
	if a, ok := last[userID]; ok {
		acks = []policies.Acknowledgement{{UserID: userID, PolicyID: a.PolicyID, Number: a.Number, AcknowledgedAt: a.AcknowledgedAt.UTC()}}
	}
	return policies.Evaluate(t, acks, since.UTC(), at)
}

// ackStatus maps a policy state to a report status.
func ackStatus(st policies.AckState) string {
	switch st {
	case policies.AckAcknowledged:
		return StatusAcknowledged
	case policies.AckOverdue:
		return "overdue"
	default:
		return StatusPending
	}
}

// policyFigures evaluates every person in scope against every policy in
// effect; tally, when not nil, sees each person's standing.
func (s *Store) policyFigures(ctx context.Context, sc scope, f Filter, ppl map[int64]person, now time.Time,
	withItems bool, tally func(p person, status string)) ([]PolicyFigures, []Item, error) {
	ts, err := s.timelines(ctx)
	if err != nil {
		return nil, nil, err
	}
	last, err := s.lastAcks(ctx, sc, ts, now)
	if err != nil {
		return nil, nil, err
	}
	var figs []PolicyFigures
	var items []Item
	for _, t := range ts {
		cur, ok := t.InEffect(now)
		if !ok {
			continue
		}
		pf := PolicyFigures{ID: t.Policy.ID, Slug: t.Policy.Slug, Title: t.Policy.Title, Version: cur.Number}
		mine := last[t.Policy.ID]
		for id, p := range ppl {
			st := evaluate(t, mine, id, p.CreatedAt, now)
			pf.Required++
			status := ackStatus(st.State)
			if tally != nil {
				tally(p, status)
			}
			switch status {
			case StatusAcknowledged:
				pf.Acknowledged++
			case StatusPending:
				pf.Pending++
			default:
				pf.Overdue++
			}
			if !withItems || !f.wantPolicy(status) {
				continue
			}
			it := Item{UserID: id, Name: p.Name, Email: p.Email, Team: p.Team, Kind: "policy", Slug: t.Policy.Slug,
				Title: fmt.Sprintf("%s (version %d)", t.Policy.Title, cur.Number), Status: status, Due: st.Due}
			if st.Last != nil {
				at := st.Last.AcknowledgedAt
				it.Done = &at
			}
			if status == "overdue" {
				it.DaysOverdue = daysBetween(st.Due, now)
			}
			items = append(items, it)
		}
		figs = append(figs, pf)
	}
	return figs, items, nil
}
