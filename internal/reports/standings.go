package reports

import (
	"context"
	"errors"
	"fmt"
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

// Caches are what the reports' refresh remembers and can always work out
// again from the records: the policy standings (policies'), the people's
// summaries (the reports' own) and the standing columns of course_cycles
// (courses'). A copy of the database leaves them behind (db.Copy).
var Caches = db.Caches{
	Tables: []string{"policy_standings", "person_standings"},
	Forget: courses.ForgetStandings,
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
	at := db.Nanos(now)
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
		if err := policies.ForgetLeaversStandings(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM person_standings WHERE user_id IN (SELECT id FROM users WHERE active = FALSE)`); err != nil {
			return fmt.Errorf("reports: refresh standings: %w", err)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	for start := 0; start < len(ids); start += refreshChunk {
		who := ids[start:min(len(ids), start+refreshChunk)]
		var r Refreshed
		err := s.lockedTx(ctx, func(tx *sqlx.Tx) error {
			// The policies as they are now, under the lock: a change
			// committed before it forgot the standings this chunk writes.
			ts, err := s.on(tx).timelines(ctx)
			if err != nil {
				return err
			}
			r = Refreshed{}
			if r.Cycles, err = courses.RememberStandings(ctx, tx, now, who); err != nil {
				return err
			}
			if r.Policies, err = policies.RememberStandings(ctx, tx, ts, now, who); err != nil {
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
			if err := courses.ForgetStandings(ctx, tx); err != nil {
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
