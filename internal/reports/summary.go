package reports

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/db"
	"steward/policies"
)

// A summary row (person_standings) holds all of one person's standings:
// the status of each current course cycle and of each staff policy in
// effect, with the narrowest of their spans. Figures then add up one row
// per person instead of one per cycle and policy.
//
// The two lists are short text, written and read only here:
//
//	courses:  "3C,7O"      course 3 completed, course 7 overdue
//	policies: "2.14A,5.9O" policy 2 (version 14) acknowledged, policy 5 (version 9) overdue

// statusLetters name each status in a summary by one letter.
var statusLetters = map[string]byte{
	string(courses.StatusExempt): 'E', string(courses.StatusCompleted): 'C', string(courses.StatusLapsed): 'L',
	string(courses.StatusOverdue): 'O', string(courses.StatusDueSoon): 'S', string(courses.StatusInProgress): 'P',
	string(courses.StatusNotStarted): 'N', StatusAcknowledged: 'A', StatusPending: 'W',
}

// letterStatus is the status each letter names; a policy's 'O' is
// "overdue" too.
var letterStatus = func() [256]string {
	var out [256]string
	for s, l := range statusLetters {
		out[l] = s
	}
	return out
}()

// summaryEntry is one course or policy in a summary.
type summaryEntry struct {
	id, version int64 // version: policies only
	status      string
}

func encodeSummary(es []summaryEntry, withVersion bool) string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(e.id, 10))
		if withVersion {
			b.WriteByte('.')
			b.WriteString(strconv.FormatInt(e.version, 10))
		}
		b.WriteByte(statusLetters[e.status])
	}
	return b.String()
}

// eachEntry calls fn for every entry of an encoded summary, without
// allocating; it stops at anything it cannot read.
func eachEntry(s string, fn func(id, version int64, status string)) {
	var id, version int64
	cur := &id
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			*cur = *cur*10 + int64(c-'0')
		case c == '.':
			cur = &version
		case c == ',':
			id, version, cur = 0, 0, &id
		default:
			st := letterStatus[c]
			if st == "" {
				return
			}
			fn(id, version, st)
		}
	}
}

// summaries adds up, through count, the summary rows of the people in
// scope that hold at now, and says how many people they cover. With
// shows not nil, it also notes there every summed person, and whether
// the listing shows any of their standings: a course status the filter
// wants (wantCourse) or a policy in effect with a status among wanted. A
// summary that holds says every status at now (the triggers forget it
// when anything it was derived from changes), so the listing need not
// read the records of a summed person it shows nothing of.
func (s *Store) summaries(ctx context.Context, sc scope, f Filter, now time.Time, cs []CourseFigures, ws []ackWindow,
	byTeam bool, count tally, wanted []string, shows map[int64]bool) (int, error) {
	pre, args := sc.prefix()
	from, cond := sc.from("person_standings p", "p.user_id")
	q := pre + `SELECT p.user_id, p.team_id, p.courses, p.policies FROM ` + from + `
		WHERE p.standing_from <= ? AND p.standing_until > ?` + cond
	at := db.Nanos(now)
	args = append(args, at, at)
	if f.TeamID != 0 {
		q += ` AND p.team_id = ?`
		args = append(args, f.TeamID)
	}
	rows, err := s.q.rows(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("reports: summaries: %w", err)
	}
	defer rows.Close()
	// Counts gather here by course or policy, status and team, and go to
	// count once at the end: one call per group, not per person.
	type group struct {
		kind   string
		i      int
		team   int64 // -1: no team
		status string
	}
	groups := map[group]int{}
	course := map[int64]int{}
	for i := range cs {
		course[cs[i].ID] = i
	}
	policy := map[[2]int64]int{} // policy id and version in effect
	for i, w := range ws {
		policy[[2]int64{w.t.Policy.ID, w.cur.ID}] = i
	}
	people := 0
	var userID int64
	var teamID *int64
	var cl, pl []byte
	for rows.Next() {
		if err := rows.Scan(&userID, &teamID, &cl, &pl); err != nil {
			return 0, fmt.Errorf("reports: summaries: %w", err)
		}
		people++
		team := int64(-1)
		if byTeam && teamID != nil {
			team = *teamID
		}
		shown := false
		eachEntry(string(cl), func(id, _ int64, status string) {
			if i, ok := course[id]; ok {
				groups[group{"course", i, team, status}]++
				shown = shown || f.wantCourse(status)
			}
		})
		if len(ws) > 0 {
			eachEntry(string(pl), func(id, version int64, status string) {
				if status == string(courses.StatusOverdue) || status == StatusAcknowledged || status == StatusPending {
					if i, ok := policy[[2]int64{id, version}]; ok {
						groups[group{"policy", i, team, status}]++
						shown = shown || slices.Contains(wanted, status)
					}
				}
			})
		}
		if shows != nil {
			shows[userID] = shown
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reports: summaries: %w", err)
	}
	for g, n := range groups {
		var tid *int64
		if g.team >= 0 {
			t := g.team
			tid = &t
		}
		count(g.kind, g.i, tid, g.status, n)
	}
	return people, nil
}

// refreshSummaries writes a summary row for each active person of people, from their standings, which Refresh has just brought up to
// date; a person whose standings do not all hold is left without one.
// Their old rows go first, whatever moments they held for: a summary is
// only ever derived from the cycle standings that stand beside it, so
// that every current cycle of a person with a summary has a standing
// that holds wherever the summary does (the team page relies on it).
// Every staff policy version's taking effect also bounds each span: a
// policy's first version changes everyone's summary although no
// standing of theirs says so.
func refreshSummaries(ctx context.Context, tx *sqlx.Tx, now time.Time, ts []*policies.Timeline, people []int64) (int, error) {
	who := db.IDList(people)
	at := db.Nanos(now)
	type person struct {
		team     *int64
		sp       db.Span
		complete bool
		cs, ps   []summaryEntry
	}
	byID := map[int64]*person{}
	var ids []struct {
		ID     int64  `db:"id"`
		TeamID *int64 `db:"team_id"`
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM person_standings WHERE user_id IN (`+who+`)`); err != nil {
		return 0, fmt.Errorf("reports: refresh summaries: %w", err)
	}
	if err := sqlx.SelectContext(ctx, tx, &ids, `SELECT u.id, u.team_id FROM users u WHERE u.id IN (`+who+`) AND u.active = TRUE`); err != nil {
		return 0, fmt.Errorf("reports: refresh summaries: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	for _, r := range ids {
		p := &person{team: r.TeamID, complete: true}
		p.sp = db.SpanAround(now)
		for _, t := range ts {
			for _, v := range t.Versions {
				p.sp.Edge(v.EffectiveAt)
			}
		}
		byID[r.ID] = p
	}
	narrow := func(p *person, from, until *int64) {
		if from == nil || until == nil || *from > at || *until <= at {
			p.complete = false
			return
		}
		p.sp.From, p.sp.Until = max(p.sp.From, *from), min(p.sp.Until, *until)
	}
	var cycles []struct {
		UserID   int64   `db:"user_id"`
		CourseID int64   `db:"course_id"`
		Standing *string `db:"standing"`
		From     *int64  `db:"standing_from"`
		Until    *int64  `db:"standing_until"`
	}
	if err := sqlx.SelectContext(ctx, tx, &cycles, `SELECT user_id, course_id, standing, standing_from, standing_until
		FROM course_cycles WHERE closed_at IS NULL AND user_id IN (`+who+`) ORDER BY user_id, course_id`); err != nil {
		return 0, fmt.Errorf("reports: refresh summaries: %w", err)
	}
	for _, c := range cycles {
		p := byID[c.UserID]
		if p == nil {
			continue
		}
		narrow(p, c.From, c.Until)
		if c.Standing != nil {
			p.cs = append(p.cs, summaryEntry{id: c.CourseID, status: *c.Standing})
		}
	}
	var held []struct {
		UserID    int64  `db:"user_id"`
		PolicyID  int64  `db:"policy_id"`
		VersionID int64  `db:"version_id"`
		Status    string `db:"status"`
		From      int64  `db:"standing_from"`
		Until     int64  `db:"standing_until"`
	}
	if err := sqlx.SelectContext(ctx, tx, &held, `SELECT user_id, policy_id, version_id, status, standing_from, standing_until
		FROM policy_standings WHERE user_id IN (`+who+`) ORDER BY user_id, policy_id`); err != nil {
		return 0, fmt.Errorf("reports: refresh summaries: %w", err)
	}
	inEffect := map[int64]int64{} // policy id: version id
	for _, w := range ackWindows(ts, now, false) {
		inEffect[w.t.Policy.ID] = w.cur.ID
	}
	for _, h := range held {
		p := byID[h.UserID]
		if p == nil || inEffect[h.PolicyID] != h.VersionID {
			continue
		}
		narrow(p, &h.From, &h.Until)
		p.ps = append(p.ps, summaryEntry{id: h.PolicyID, version: h.VersionID, status: h.Status})
	}
	put, err := tx.PreparexContext(ctx, tx.Rebind(`INSERT INTO person_standings (user_id, team_id, standing_from, standing_until, courses, policies)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET team_id = excluded.team_id, standing_from = excluded.standing_from,
			standing_until = excluded.standing_until, courses = excluded.courses, policies = excluded.policies`))
	if err != nil {
		return 0, fmt.Errorf("reports: refresh summaries: %w", err)
	}
	defer put.Close()
	n := 0
	for _, r := range ids {
		p := byID[r.ID]
		if !p.complete || len(p.ps) != len(inEffect) {
			continue
		}
		if _, err := put.ExecContext(ctx, r.ID, p.team, p.sp.From, p.sp.Until, encodeSummary(p.cs, false), encodeSummary(p.ps, true)); err != nil {
			return 0, fmt.Errorf("reports: refresh summaries: %w", err)
		}
		n++
	}
	return n, nil
}
