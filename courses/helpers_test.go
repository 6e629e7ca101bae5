package courses

import (
	"context"
	"io/fs"
	"os"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
)

// newTestStore opens a migrated SQLite database in a temporary directory.
func newTestStore(t testing.TB) (*Store, *db.DB) {
	t.Helper()
	d := dbtest.Open(t)
	return NewStore(d), d
}

// dialects runs fn on SQLite, and on PostgreSQL when
// STEWARD_TEST_POSTGRES_URL is set.
func dialects(t *testing.T, fn func(t *testing.T, s *Store, d *db.DB)) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) { fn(t, NewStore(d), d) })
}

type person struct {
	email, role, team string
	hiredOn           *time.Time
}

// addPerson inserts a user (and their team) and returns the id.
func addPerson(t testing.TB, d *db.DB, p person) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var teamID *int64
	if p.team != "" {
		var id int64
		err := d.GetContext(ctx, &id, d.Rebind(`SELECT id FROM teams WHERE name = ?`), p.team)
		if err != nil {
			if err := d.GetContext(ctx, &id, d.Rebind(`INSERT INTO teams (name, created_at) VALUES (?, ?) RETURNING id`), p.team, now); err != nil {
				t.Fatal(err)
			}
		}
		teamID = &id
	}
	if p.role == "" {
		p.role = "employee"
	}
	var hired any
	if p.hiredOn != nil {
		hired = p.hiredOn.Format("2006-01-02")
	}
	var id int64
	if err := d.GetContext(ctx, &id, d.Rebind(`INSERT INTO users (email, name, role, team_id, hired_on, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, TRUE, ?, ?) RETURNING id`), p.email, "Name of "+p.email, p.role, teamID, hired, now, now); err != nil {
		t.Fatal(err)
	}
	return id
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }

func mustImport(t testing.TB, s *Store, dir fs.FS, now time.Time) ImportResult {
	t.Helper()
	res, err := s.Import(context.Background(), dir, audit.Actor{Label: "test"}, now)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mustSync(t testing.TB, s *Store, now time.Time) SyncResult {
	t.Helper()
	res, err := s.Sync(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// take answers every question of module position rightly or wrongly.
func take(t testing.TB, s *Store, userID int64, slug string, position int, right bool, now time.Time) *Submission {
	t.Helper()
	q, err := s.StartAttempt(context.Background(), userID, slug, position, now)
	if err != nil {
		t.Fatalf("start module %d at %s: %v", position, now.Format(time.DateOnly), err)
	}
	sub, err := s.Submit(context.Background(), userID, q.Attempt.Token, AnswerAll(&q.Module, right), now)
	if err != nil {
		t.Fatalf("submit module %d at %s: %v", position, now.Format(time.DateOnly), err)
	}
	return sub
}

var basics = os.DirFS("testdata/basics")

// cyclesOf returns every cycle of userID for courseID, newest first.
func cyclesOf(t testing.TB, s *Store, userID, courseID int64) []Cycle {
	t.Helper()
	var out []Cycle
	if err := s.db.Select(&out, s.db.Rebind(`SELECT `+cycleColumns+` FROM course_cycles
		WHERE user_id = ? AND course_id = ? ORDER BY seq DESC`), userID, courseID); err != nil {
		t.Fatal(err)
	}
	return out
}
