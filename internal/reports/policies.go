package reports

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/db"
	"steward/policies"
)

// timelines loads every staff policy that asks for acknowledgement with
// its published versions (policies.AckTimelines), in one query.
func (s *Store) timelines(ctx context.Context) ([]*policies.Timeline, error) {
	s.q.n.Add(1)
	return policies.AckTimelines(ctx, s.q.on)
}

// lastAck is a person's latest acknowledgement of a policy, up to the
// version in effect at the report's moment. Number 0 means none.
type lastAck struct {
	UserID         int64     `db:"user_id"`
	PolicyID       int64     `db:"policy_id"`
	Number         int       `db:"number"`
	AcknowledgedAt time.Time `db:"acknowledged_at"`
	// How its change check was passed (the evidence export reads them;
	// nil when none was asked or the query did not select them).
	CheckQuestions  *int `db:"check_questions"`
	CheckFirstScore *int `db:"check_first_score"`
	CheckAttempts   *int `db:"check_attempts"`
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
	ts := make([]db.Time, len(ws))
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

// baseNumber is the number of the version whose acknowledgement counts
// while cur is in effect (policies.Timeline.Base).
func baseNumber(t *policies.Timeline, cur policies.Version) int {
	return t.Base(cur).Number
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

// policyRest counts where the people in scope (people of them) stand with
// every staff policy in effect: from their policy standings that hold at
// now, and for whoever has none, with policies.Evaluate over their
// acknowledgements. Those evaluated whose status is wanted are listed;
// the rest of the listing is heldItems'.
func (s *Store) policyRest(ctx context.Context, sc scope, f Filter, people int, ws []ackWindow, now time.Time,
	wanted []string, byTeam bool, count tally) ([]Item, error) {
	window := windowIndex(ws)
	held, err := s.heldCounts(ctx, sc, f, ws, now, byTeam)
	if err != nil {
		return nil, err
	}
	counted := 0
	for _, h := range held {
		if i, ok := window[h.PolicyID]; ok {
			count("policy", i, h.TeamID, h.Status, h.N)
			counted += h.N
		}
	}
	if counted >= people*len(ws) {
		return nil, nil
	}
	return s.evaluateRest(ctx, sc, f, ws, now, wanted, count)
}

// windowIndex maps policy ids to their index in ws.
func windowIndex(ws []ackWindow) map[int64]int {
	m := make(map[int64]int, len(ws))
	for i, w := range ws {
		m[w.t.Policy.ID] = i
	}
	return m
}

// add counts n people with a status.
func (f *PolicyFigures) add(status string, n int) {
	f.Required += n
	switch status {
	case StatusAcknowledged:
		f.Acknowledged += n
	case StatusPending:
		f.Pending += n
	default:
		f.Overdue += n
	}
}

// heldWhere ties policy_standings s to the people u in scope, to the
// versions in effect and to standings that hold at now.
func heldWhere(ws []ackWindow) string {
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = strconv.FormatInt(w.cur.ID, 10)
	}
	return ` AND s.version_id IN (` + strings.Join(ids, ", ") + `) AND s.standing_from <= ? AND s.standing_until > ?`
}

type heldCount struct {
	PolicyID int64  `db:"policy_id"`
	TeamID   *int64 `db:"team_id"`
	Status   string `db:"status"`
	N        int    `db:"n"`
}

// heldCounts counts the remembered standings that hold at now by policy,
// status and, with byTeam, team.
func (s *Store) heldCounts(ctx context.Context, sc scope, f Filter, ws []ackWindow, now time.Time, byTeam bool) ([]heldCount, error) {
	pre, args := sc.prefix()
	from, cond := sc.from("users u", "u.id")
	team, group := "NULL", ""
	if byTeam {
		team, group = "u.team_id", ", u.team_id"
	}
	q := pre + `SELECT s.policy_id, ` + team + ` AS team_id, s.status, COUNT(*) AS n
		FROM ` + from + ` JOIN policy_standings s ON s.user_id = u.id
		WHERE u.active = TRUE` + cond + heldWhere(ws)
	at := db.Nanos(now)
	args = append(args, at, at)
	if f.TeamID != 0 {
		q += ` AND u.team_id = ?`
		args = append(args, f.TeamID)
	}
	q += ` GROUP BY s.policy_id, s.status` + group
	var out []heldCount
	if err := s.q.selectAll(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("reports: policy standings: %w", err)
	}
	return out, nil
}

// policyItem is one person's line for one policy.
func policyItem(p *person, w ackWindow, status string, due time.Time, done *time.Time, now time.Time) Item {
	it := Item{UserID: p.ID, Name: p.Name, Email: p.Email, Team: p.Team, Kind: "policy", Slug: w.t.Policy.Slug,
		Title: fmt.Sprintf("%s (version %d)", w.t.Policy.Title, w.cur.Number), Status: status, Due: due, Done: done}
	if status == "overdue" {
		it.DaysOverdue = daysBetween(due, now)
	}
	return it
}

// evaluateRest finds the people in scope with no standing that holds at
// now for a policy, and evaluates them against it from their
// acknowledgements; count sees each result, and those with a wanted
// status are listed.
func (s *Store) evaluateRest(ctx context.Context, sc scope, f Filter, ws []ackWindow, now time.Time, wanted []string,
	count tally) ([]Item, error) {
	pre, args := sc.prefix()
	from, cond := sc.from("users u", "u.id")
	vals := make([]string, len(ws))
	for i, w := range ws {
		vals[i] = "(" + strconv.Itoa(i) + ", " + strconv.FormatInt(w.t.Policy.ID, 10) + ", " + strconv.FormatInt(w.cur.ID, 10) + ")"
	}
	named := len(wanted) > 0
	cols := `'' AS name, '' AS email, '' AS team`
	teams := ""
	if named {
		cols = `u.name, u.email, COALESCE(t.name, '') AS team`
		teams = ` LEFT JOIN teams t ON t.id = u.team_id`
	}
	q := pre + `SELECT u.id, ` + cols + `, u.team_id, u.hired_on, u.created_at, w.column1 AS w_index
		FROM ` + from + ` CROSS JOIN (VALUES ` + strings.Join(vals, ", ") + `) w` + teams + `
		WHERE u.active = TRUE` + cond + ` AND NOT EXISTS (SELECT 1 FROM policy_standings s
			WHERE s.user_id = u.id AND s.policy_id = w.column2 AND s.version_id = w.column3
				AND s.standing_from <= ? AND s.standing_until > ?)`
	at := db.Nanos(now)
	args = append(args, at, at)
	if f.TeamID != 0 {
		q += ` AND u.team_id = ?`
		args = append(args, f.TeamID)
	}
	rows, err := s.q.rows(ctx, q+` ORDER BY u.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reports: people to evaluate: %w", err)
	}
	var ppl []person
	var pairs [][2]int32 // person index, window
	for rows.Next() {
		var p person
		var w int32
		var hired *time.Time
		var created time.Time
		if err := rows.Scan(&p.ID, &p.Name, &p.Email, &p.Team, &p.TeamID, &hired, &created, &w); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reports: people to evaluate: %w", err)
		}
		if n := len(ppl); n == 0 || ppl[n-1].ID != p.ID {
			p.Joined = policies.Joined(hired, created)
			ppl = append(ppl, p)
		}
		pairs = append(pairs, [2]int32{int32(len(ppl) - 1), w})
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("reports: people to evaluate: %w", err)
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	idx := make(map[int64]int32, len(ppl))
	for k := range ppl {
		idx[ppl[k].ID] = int32(k)
	}
	last, err := s.lastAcks(ctx, sc, ws, idx, len(ppl), now)
	if err != nil {
		return nil, err
	}
	var items []Item
	var buf [1]policies.Acknowledgement
	for _, pr := range pairs {
		k, i := pr[0], int(pr[1])
		p, w := &ppl[k], ws[i]
		st := evaluate(w.t, &last[i][k], &buf, p.Joined, now)
		status := ackStatus(st.State)
		count("policy", i, p.TeamID, status, 1)
		if !slices.Contains(wanted, status) {
			continue
		}
		var done *time.Time
		if st.Last != nil && !st.Last.AcknowledgedAt.IsZero() {
			at := st.Last.AcknowledgedAt
			done = &at
		}
		items = append(items, policyItem(p, w, status, st.Due, done, now))
	}
	return items, nil
}
