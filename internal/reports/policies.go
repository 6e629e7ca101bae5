package reports

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
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
// version in effect at the report's moment. Number 0 means none.
type lastAck struct {
	UserID         int64     `db:"user_id"`
	PolicyID       int64     `db:"policy_id"`
	Number         int       `db:"number"`
	AcknowledgedAt time.Time `db:"acknowledged_at"`
}

// ackWindow is a policy in effect and the versions whose acknowledgement
// counts for it.
type ackWindow struct {
	t        *policies.Timeline
	cur      policies.Version
	versions []policies.Version // base to cur, by number
	// timed asks for the time of the latest acknowledgement: it decides
	// the standing when the policy asks for renewal, and is shown when
	// acknowledged people are listed. Otherwise it is left out.
	timed bool
}

// ackWindows lists the policies in effect at at, in timeline order.
func ackWindows(ts []*policies.Timeline, at time.Time, listAcked bool) []ackWindow {
	var ws []ackWindow
	for _, t := range ts {
		cur, ok := t.InEffect(at)
		if !ok {
			continue
		}
		lo := baseNumber(t, cur)
		w := ackWindow{t: t, cur: cur, timed: listAcked || t.Policy.ReackMonths > 0}
		for _, v := range t.Versions {
			if v.Number >= lo && v.Number <= cur.Number {
				w.versions = append(w.versions, v)
			}
		}
		ws = append(ws, w)
	}
	return ws
}

// lastAcks loads, in one query, the latest acknowledgement made by at of
// each person in scope for each policy window: for window i, person with
// index k (idx maps user ids to indexes) has hers at out[i][k].
// Evaluate needs no more: later acknowledgements of the same policy count
// for earlier versions, and only the latest one is weighed. Versions
// before the last material one are left out: acknowledging them no longer
// counts, so Evaluate decides the same without them.
func (s *Store) lastAcks(ctx context.Context, sc scope, ws []ackWindow, idx map[int64]int32, n int, at time.Time) ([][]lastAck, error) {
	out := make([][]lastAck, len(ws))
	for i := range out {
		out[i] = make([]lastAck, n)
	}
	if len(ws) == 0 || n == 0 {
		return out, nil
	}
	// One row per person: grouping by person alone follows the index on
	// acknowledgements by person, so nothing is sorted, and the version
	// ids (known from the timelines) spare a join. A person acknowledges a
	// version at most once, so a sum of one bit per version is the set of
	// versions they acknowledged, 62 versions to a column. The latest
	// acknowledgement is the highest version acknowledged: only the
	// version in effect can be acknowledged, and versions take effect in
	// number order. So the highest bit gives the number, and MAX of the
	// times its time.
	pre, args := sc.prefix()
	from, cond := sc.from("policy_acknowledgements a", "a.user_id")
	type slot struct{ col, bit int }
	slots := make([][]slot, len(ws)) // by window, then version
	var sums [][]string
	var all, times []string
	for i, w := range ws {
		var ids []string
		for _, v := range w.versions {
			if len(sums) == 0 || len(sums[len(sums)-1]) == 62 {
				sums = append(sums, nil)
			}
			g := len(sums) - 1
			id := strconv.FormatInt(v.ID, 10)
			slots[i] = append(slots[i], slot{g, len(sums[g])})
			sums[g] = append(sums[g], ` WHEN `+id+` THEN `+strconv.FormatInt(int64(1)<<len(sums[g]), 10))
			ids = append(ids, id)
		}
		all = append(all, ids...)
		if w.timed && len(ids) > 0 {
			times = append(times, `MAX(CASE WHEN a.version_id IN (`+strings.Join(ids, ", ")+`) THEN a.acknowledged_at END)`)
		}
	}
	if len(all) == 0 {
		return out, nil
	}
	var cols []string
	for _, g := range sums {
		cols = append(cols, `CAST(SUM(CASE a.version_id`+strings.Join(g, "")+` END) AS BIGINT)`)
	}
	cols = append(cols, times...)
	q := pre + `SELECT a.user_id, ` + strings.Join(cols, ", ") + `
		FROM ` + from + `
		WHERE a.acknowledged_at <= ? AND a.version_id IN (` + strings.Join(all, ", ") + `)` + cond + `
		GROUP BY a.user_id`
	args = append(args, at.UTC())
	rows, err := s.q.rows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reports: acknowledgements: %w", err)
	}
	defer rows.Close()
	var user int64
	bits := make([]sql.NullInt64, len(sums))
	ts := make([]sqlTime, len(ws))
	dest := []any{&user}
	for g := range bits {
		dest = append(dest, &bits[g])
	}
	for i, w := range ws {
		if w.timed && len(w.versions) > 0 {
			dest = append(dest, &ts[i])
		}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("reports: acknowledgements: %w", err)
		}
		k, ok := idx[user]
		if !ok {
			continue // not in scope: inactive, or in another team
		}
		for i, w := range ws {
			for j := len(w.versions) - 1; j >= 0; j-- {
				sl := slots[i][j]
				if bits[sl.col].Int64&(int64(1)<<sl.bit) != 0 {
					out[i][k] = lastAck{UserID: user, PolicyID: w.t.Policy.ID, Number: w.versions[j].Number, AcknowledgedAt: ts[i].Time}
					break
				}
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

// evaluate applies policies.Evaluate to one person and one policy; buf
// holds the acknowledgement so that no slice is made per person.
func evaluate(t *policies.Timeline, a *lastAck, buf *[1]policies.Acknowledgement, since, at time.Time) policies.AckStatus {
	var acks []policies.Acknowledgement
	if a.Number != 0 {
		buf[0] = policies.Acknowledgement{UserID: a.UserID, PolicyID: a.PolicyID, Number: a.Number, AcknowledgedAt: a.AcknowledgedAt}
		acks = buf[:]
	}
	return policies.Evaluate(t, acks, since, at)
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
func (s *Store) policyFigures(ctx context.Context, sc scope, f Filter, ppl []person, now time.Time,
	withItems bool, tally func(p *person, status string)) ([]PolicyFigures, []Item, error) {
	ts, err := s.timelines(ctx)
	if err != nil {
		return nil, nil, err
	}
	ws := ackWindows(ts, now, withItems && f.wantPolicy(StatusAcknowledged))
	idx := make(map[int64]int32, len(ppl))
	for k := range ppl {
		idx[ppl[k].ID] = int32(k)
	}
	last, err := s.lastAcks(ctx, sc, ws, idx, len(ppl), now)
	if err != nil {
		return nil, nil, err
	}
	var figs []PolicyFigures
	var items []Item
	var buf [1]policies.Acknowledgement
	for i, w := range ws {
		t, cur := w.t, w.cur
		pf := PolicyFigures{ID: t.Policy.ID, Slug: t.Policy.Slug, Title: t.Policy.Title, Version: cur.Number}
		title := fmt.Sprintf("%s (version %d)", t.Policy.Title, cur.Number)
		mine := last[i]
		for k := range ppl {
			p := &ppl[k]
			st := evaluate(t, &mine[k], &buf, p.CreatedAt, now)
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
			it := Item{UserID: p.ID, Name: p.Name, Email: p.Email, Team: p.Team, Kind: "policy", Slug: t.Policy.Slug,
				Title: title, Status: status, Due: st.Due}
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
