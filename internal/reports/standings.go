package reports

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/db"
	"steward/policies"
)

// Standings are where each person stands with each current course cycle
// and each staff policy, remembered together with the span of time,
// [from, until), over which that answer holds. A status is a step
// function of time: it changes only at the moments named in the records
// (a due date, an expiry, a completion, an acknowledgement, a version
// taking effect, ...), so the answer derived at one moment holds until
// the next of those moments.
//
// Reports take a remembered standing when the moment they report on
// falls inside its span, and otherwise derive the standing from the
// records exactly as before. A missing or outdated standing is therefore
// slower, never wrong. Triggers (migration 0001_baseline) forget a
// standing as soon as a record it came from changes, and Refresh, run by
// serve every minute and after the large demo is loaded, fills in
// what is missing.

// Refreshed counts the standings one Refresh wrote.
type Refreshed struct {
	Cycles   int // course cycles
	Policies int // people and staff policies
	People   int // summary rows
}

// Caches are what the reports remember and can always work out again
// from the records: the standings tables, and the standing columns of
// course_cycles. A copy of the database leaves them behind (db.Copy).
var Caches = db.Caches{
	Tables: []string{"policy_standings", "person_standings"},
	Forget: func(ctx context.Context, tx *sqlx.Tx) error { return forgetCourseStandings(ctx, tx) },
}

// forgetCourseStandings forgets the standings remembered on course cycles.
func forgetCourseStandings(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE course_cycles SET standing = NULL, standing_from = NULL, standing_until = NULL,
		standing_due = NULL WHERE standing IS NOT NULL`)
	return err
}

// standingTables are the tables a refresh reads and writes. On
// PostgreSQL each chunk of a refresh locks them against writers while it
// runs, so that no change can land between reading a record and
// remembering what it implies; readers go on. SQLite's write transaction
// does the same.
var standingTables = []string{"users", "policies", "policy_versions", "policy_acknowledgements", "course_cycles",
	"policy_standings", "person_standings"}

// refreshChunk is how many people one transaction of a refresh covers:
// a refresh of a large organisation holds the write lock for a moment at
// a time, never for the whole run.
var refreshChunk = 1000 // a variable so that tests can make chunks small

// Refresh derives, at now, every standing of active people that is
// missing or whose span does not cover now, and remembers it, a chunk of
// people per transaction. It also computes the compliance trend of any
// month that has ended since the last refresh.
//
// Everyone whose summary row holds has nothing to refresh, so when that
// is everyone it returns after one read, without taking the write lock.
func (s *Store) Refresh(ctx context.Context, now time.Time) (Refreshed, error) {
	now = now.UTC()
	var out Refreshed
	if err := s.followRule(ctx); err != nil {
		return out, err
	}
	// The trend's ended months too: computed here when a month ends, not
	// on the first page view after it.
	moments := trendMoments(now)
	if err := s.ensureMonths(ctx, moments[:len(moments)-1]); err != nil {
		return out, err
	}
	at := nanos(now)
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(`SELECT u.id FROM users u WHERE u.active = TRUE
		AND NOT EXISTS (SELECT 1 FROM person_standings p WHERE p.user_id = u.id AND p.standing_from <= ? AND p.standing_until > ?)
		ORDER BY u.id`), at, at); err != nil {
		return out, fmt.Errorf("reports: refresh standings: %w", err)
	}
	if len(ids) == 0 {
		return out, nil
	}
	if testHookRefreshPlanned != nil {
		testHookRefreshPlanned()
	}
	// Leavers are in no report of the present; their standings go.
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		for _, q := range []string{
			`DELETE FROM policy_standings WHERE user_id IN (SELECT id FROM users WHERE active = FALSE)`,
			`DELETE FROM person_standings WHERE user_id IN (SELECT id FROM users WHERE active = FALSE)`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("reports: refresh standings: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	for start := 0; start < len(ids); start += refreshChunk {
		who := idList(ids[start:min(len(ids), start+refreshChunk)])
		var r Refreshed
		err := s.lockedTx(ctx, func(tx *sqlx.Tx) error {
			// The policies as they are now, under the lock: a change
			// committed before it forgot the standings this chunk writes.
			ts, err := s.on(tx).timelines(ctx)
			if err != nil {
				return err
			}
			r = Refreshed{}
			if r.Cycles, err = refreshCycles(ctx, tx, now, who, s.db.Dialect == db.Postgres); err != nil {
				return err
			}
			if r.Policies, err = refreshPolicies(ctx, tx, ts, now, who); err != nil {
				return err
			}
			r.People, err = refreshSummaries(ctx, tx, now, ts, who)
			return err
		})
		if err != nil {
			return out, err
		}
		out.Cycles, out.Policies, out.People = out.Cycles+r.Cycles, out.Policies+r.Policies, out.People+r.People
	}
	return out, nil
}

// followRule forgets every remembered course standing and summary when
// they were derived with another version of the course-status rule than
// the running one (courses.RuleVersion), as after a change of the
// due-soon window. It reads once per store. The trend's ended months are
// kept: they say what was reported then.
func (s *Store) followRule(ctx context.Context) error {
	if s.ruleChecked.Load() {
		return nil
	}
	var held []string
	if err := s.db.SelectContext(ctx, &held, `SELECT version FROM report_rule_version`); err != nil {
		return fmt.Errorf("reports: rule version: %w", err)
	}
	if len(held) != 1 || held[0] != courses.RuleVersion {
		err := s.lockedTx(ctx, func(tx *sqlx.Tx) error {
			if err := forgetCourseStandings(ctx, tx); err != nil {
				return fmt.Errorf("reports: forget answers of another rule: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM person_standings`); err != nil {
				return fmt.Errorf("reports: forget answers of another rule: %w", err)
			}
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO report_rule_version (id, version) VALUES (1, ?)
				ON CONFLICT (id) DO UPDATE SET version = excluded.version`), courses.RuleVersion)
			return err
		})
		if err != nil {
			return fmt.Errorf("reports: rule version: %w", err)
		}
	}
	s.ruleChecked.Store(true)
	return nil
}

// testHookRefreshPlanned, when set by a test, runs once Refresh knows
// whom it will refresh and before it writes: a change made there must
// still be seen by the refresh.
var testHookRefreshPlanned func()

// errBusyTables means a writer held a table a refresh must lock.
var errBusyTables = errors.New("reports: tables busy")

// lockedTx runs fn in a transaction that no write to the standings'
// tables can interleave with. On SQLite that is any write transaction.
// On PostgreSQL it locks the tables in SHARE ROW EXCLUSIVE mode (readers
// go on; writers and another refresh wait), without waiting for a lock
// while holding others (NOWAIT), so a refresh can never be half of a
// deadlock with a request; when a table is busy it tries again shortly.
func (s *Store) lockedTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if s.db.Dialect != db.Postgres {
		return s.db.Tx(ctx, fn)
	}
	for attempt := 0; ; attempt++ {
		err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE `+strings.Join(standingTables, ", ")+` IN SHARE ROW EXCLUSIVE MODE NOWAIT`); err != nil {
				if strings.Contains(err.Error(), "SQLSTATE 55P03") {
					return errBusyTables
				}
				return fmt.Errorf("reports: refresh standings: %w", err)
			}
			return fn(tx)
		})
		if !errors.Is(err, errBusyTables) || attempt == 50 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(20+attempt*10) * time.Millisecond):
		}
	}
}

// idList is ids for an IN (...) list: numbers from the database itself,
// written inline so that a chunk needs no bind variables.
func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// cycleTimes are the parts of a course cycle its status depends on.
type cycleTimes struct {
	ID int64 `db:"id"`
	courses.Dates
}

// standing is the cycle's status at the moment and the span over which
// it holds: from the last of the rule's change points at or before the
// moment until the first after it.
func (c *cycleTimes) standing(at time.Time) (courses.Status, int64, int64) {
	var sp span
	sp.start(at)
	for t := range c.ChangePoints() {
		sp.edge(t)
	}
	return c.StatusAt(at), sp.from, sp.until
}

// span narrows [from, until) around a moment to the instants nearest it
// at which something changes.
type span struct {
	at          int64
	from, until int64
}

func (sp *span) start(at time.Time) {
	sp.at, sp.from, sp.until = nanos(at), math.MinInt64, math.MaxInt64
}

func (sp *span) edge(t time.Time) {
	n := nanos(t)
	if n <= sp.at {
		sp.from = max(sp.from, n)
	} else {
		sp.until = min(sp.until, n)
	}
}

// nanos is t in Unix nanoseconds, held to the range int64 can count
// (the years 1678 to 2262), which only moves an edge outside it further
// away than any report looks.
func nanos(t time.Time) int64 {
	switch {
	case t.Year() < 1700:
		return math.MinInt64 + 1
	case t.Year() > 2200:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// refreshCycles remembers the standing of every current cycle of the
// people who (an id list) whose standing is missing or outdated at now,
// and with withDue the due date shown with it (standing_due, which only
// PostgreSQL's team page reads).
func refreshCycles(ctx context.Context, tx *sqlx.Tx, now time.Time, who string, withDue bool) (int, error) {
	at := nanos(now)
	var stale []cycleTimes
	if err := sqlx.SelectContext(ctx, tx, &stale, tx.Rebind(`SELECT c.id, c.exempt, c.exempt_at, c.completed_at,
			c.expires_at, c.lapses_at, c.due_at, c.started_at
		FROM course_cycles c JOIN users u ON u.id = c.user_id
		WHERE c.user_id IN (`+who+`) AND c.closed_at IS NULL AND u.active = TRUE
			AND (c.standing IS NULL OR c.standing_from > ? OR c.standing_until <= ?)`), at, at); err != nil {
		return 0, fmt.Errorf("reports: refresh course standings: %w", err)
	}
	if len(stale) == 0 {
		return 0, nil
	}
	q := `UPDATE course_cycles SET standing = ?, standing_from = ?, standing_until = ? WHERE id = ?`
	if withDue {
		q = `UPDATE course_cycles SET standing = ?, standing_from = ?, standing_until = ?, standing_due = ? WHERE id = ?`
	}
	st, err := tx.PreparexContext(ctx, tx.Rebind(q))
	if err != nil {
		return 0, fmt.Errorf("reports: refresh course standings: %w", err)
	}
	defer st.Close()
	for i := range stale {
		status, from, until := stale[i].standing(now)
		args := []any{string(status), from, until}
		if withDue {
			args = append(args, stale[i].DueShown(status).UTC())
		}
		if _, err := st.ExecContext(ctx, append(args, stale[i].ID)...); err != nil {
			return 0, fmt.Errorf("reports: refresh course standings: %w", err)
		}
	}
	return len(stale), nil
}

// policyStanding is a person's standing with the version of a staff
// policy in effect, and the span over which it holds.
type policyStanding struct {
	status      string
	due, last   time.Time // zero: none
	from, until int64
}

// standingOf evaluates one person against one policy at now, given every
// acknowledgement they made of it (later ones than now too: the moment
// each was made is an edge). The candidate edges are every
// instant at which a test in policies.Evaluate can flip: a version taking
// effect, an acknowledgement, its renewal, and the end of each window to
// acknowledge in (overdue is strictly after the due moment).
func standingOf(t *policies.Timeline, acks []policies.Acknowledgement, since, now time.Time) policyStanding {
	var sp span
	sp.start(now)
	within := time.Duration(t.Policy.AckWithinDays) * 24 * time.Hour
	late := func(due time.Time) { sp.edge(due.Add(within + time.Nanosecond)) }
	for _, v := range t.Versions {
		sp.edge(v.EffectiveAt)
		late(v.EffectiveAt)
	}
	late(since)
	// As the reports weigh them (see lastAcks): acknowledgements made by
	// now of the versions from the last material one to the one in effect.
	lo, hi := 0, 0
	if cur, ok := t.InEffect(now); ok {
		lo, hi = baseNumber(t, cur), cur.Number
	}
	var made []policies.Acknowledgement
	for _, a := range acks {
		sp.edge(a.AcknowledgedAt)
		if t.Policy.ReackMonths > 0 {
			renew := a.AcknowledgedAt.AddDate(0, t.Policy.ReackMonths, 0)
			sp.edge(renew)
			late(renew)
		}
		if !a.AcknowledgedAt.After(now) && a.Number >= lo && a.Number <= hi {
			made = append(made, a)
		}
	}
	st := policies.Evaluate(t, made, since, now)
	out := policyStanding{status: ackStatus(st.State), due: st.Due, from: sp.from, until: sp.until}
	if st.Last != nil {
		out.last = st.Last.AcknowledgedAt
	}
	return out
}

// refreshPolicies remembers, for the active people who (an id list) and
// every staff policy in effect at now, the standing that is missing or
// outdated.
func refreshPolicies(ctx context.Context, tx *sqlx.Tx, ts []*policies.Timeline, now time.Time, who string) (int, error) {
	at := nanos(now)
	type key struct{ user, policy int64 }
	valid := map[key]bool{}
	var held []struct {
		UserID   int64 `db:"user_id"`
		PolicyID int64 `db:"policy_id"`
	}
	if err := sqlx.SelectContext(ctx, tx, &held, tx.Rebind(`SELECT user_id, policy_id FROM policy_standings
		WHERE user_id IN (`+who+`) AND standing_from <= ? AND standing_until > ?`), at, at); err != nil {
		return 0, fmt.Errorf("reports: refresh policy standings: %w", err)
	}
	for _, h := range held {
		valid[key{h.UserID, h.PolicyID}] = true
	}
	var people []struct {
		ID        int64      `db:"id"`
		HiredOn   *time.Time `db:"hired_on"`
		CreatedAt time.Time  `db:"created_at"`
	}
	if err := sqlx.SelectContext(ctx, tx, &people, `SELECT id, hired_on, created_at FROM users
		WHERE id IN (`+who+`) AND active = TRUE ORDER BY id`); err != nil {
		return 0, fmt.Errorf("reports: refresh policy standings: %w", err)
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
		return 0, fmt.Errorf("reports: refresh policy standings: %w", err)
	}
	acks := map[key][]policies.Acknowledgement{}
	for _, r := range rows {
		k := key{r.UserID, r.PolicyID}
		acks[k] = append(acks[k], policies.Acknowledgement{UserID: r.UserID, PolicyID: r.PolicyID, Number: r.Number, AcknowledgedAt: r.AcknowledgedAt.UTC()})
	}
	put, err := tx.PreparexContext(ctx, tx.Rebind(`INSERT INTO policy_standings
		(user_id, policy_id, version_id, status, due_at, last_at, standing_from, standing_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, policy_id) DO UPDATE SET version_id = excluded.version_id, status = excluded.status,
			due_at = excluded.due_at, last_at = excluded.last_at,
			standing_from = excluded.standing_from, standing_until = excluded.standing_until`))
	if err != nil {
		return 0, fmt.Errorf("reports: refresh policy standings: %w", err)
	}
	defer put.Close()
	n := 0
	for _, t := range ts {
		cur, ok := t.InEffect(now)
		if !ok {
			continue
		}
		for _, p := range people {
			k := key{p.ID, t.Policy.ID}
			if valid[k] {
				continue
			}
			st := standingOf(t, acks[k], policies.Joined(p.HiredOn, p.CreatedAt), now)
			if _, err := put.ExecContext(ctx, p.ID, t.Policy.ID, cur.ID, st.status, nullTime(st.due), nullTime(st.last), st.from, st.until); err != nil {
				return 0, fmt.Errorf("reports: refresh policy standings: %w", err)
			}
			n++
		}
	}
	return n, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
