package db_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"path/filepath"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"sync"
)

// Every schema change must exist for both databases under the same
// version, or one of them would be missing a table after an upgrade.
func TestEveryMigrationHasATwinInTheOtherDialect(t *testing.T) {
	byDialect := map[db.Dialect]map[int]string{}
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		ms, err := db.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		byDialect[d] = map[int]string{}
		for _, m := range ms {
			byDialect[d][m.Version] = m.Name
		}
	}
	for _, pair := range [][2]db.Dialect{{db.SQLite, db.Postgres}, {db.Postgres, db.SQLite}} {
		from, to := pair[0], pair[1]
		for v, name := range byDialect[from] {
			other, ok := byDialect[to][v]
			switch {
			case !ok:
				t.Errorf("migrations/%s/%04d_%s.sql has no twin in migrations/%s", from, v, name, to)
			case other != name:
				t.Errorf("migration %04d is %q for %s but %q for %s", v, name, from, other, to)
			}
		}
	}
}

func TestPostgresSchemaMigratesEndToEnd(t *testing.T) {
	d := dbtest.OpenPostgres(t) // skips without STEWARD_TEST_POSTGRES_URL
	ctx := context.Background()
	ms, err := db.Migrations(db.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	if err := d.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if len(versions) != len(ms) || versions[len(versions)-1] != ms[len(ms)-1].Version {
		t.Fatalf("schema_migrations holds %v, want all %d migrations", versions, len(ms))
	}
	if ran, err := d.Migrate(ctx); err != nil || len(ran) != 0 {
		t.Fatalf("second migrate: ran %v, err %v", ran, err)
	}

	// The tables of every area exist and the same rows fit in both.
	sqliteTables := tables(t, dbtest.Open(t))
	pgTables := tables(t, d)
	if strings.Join(sqliteTables, ",") != strings.Join(pgTables, ",") {
		t.Fatalf("tables differ:\n sqlite   %v\n postgres %v", sqliteTables, pgTables)
	}

	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	var uid int64
	if err := d.GetContext(ctx, &uid, `INSERT INTO users (email, name, role, created_at, updated_at)
		VALUES ('ada@example.com', 'Ada', 'admin', $1, $1) RETURNING id`, now); err != nil {
		t.Fatal(err)
	}
	var pid, vid int64
	if err := d.GetContext(ctx, &pid, `INSERT INTO policies (slug, title, audience, created_at, updated_at)
		VALUES ('privacy', 'Privacy', 'public', $1, $1) RETURNING id`, now); err != nil {
		t.Fatal(err)
	}
	if err := d.GetContext(ctx, &vid, `INSERT INTO policy_versions (policy_id, status, body_md, created_by, created_at, updated_at)
		VALUES ($1, 'draft', 'first', $2, $3, $3) RETURNING id`, pid, uid, now); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE policy_versions SET body_md = 'edited draft' WHERE id = $1`, vid); err != nil {
		t.Fatalf("a draft could not be edited: %v", err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE policy_versions SET status = 'published', number = 1, sha256 = 'x',
		published_by = $2, published_at = $3, effective_at = $3 WHERE id = $1`, vid, uid, now); err != nil {
		t.Fatalf("a draft could not be published: %v", err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE policy_versions SET body_md = 'rewritten history' WHERE id = $1`, vid); err == nil ||
		!strings.Contains(err.Error(), "immutable") {
		t.Fatalf("a published version was edited: err = %v", err)
	}
	if _, err := d.ExecContext(ctx, `DELETE FROM policy_versions WHERE id = $1`, vid); err == nil {
		t.Fatal("a published version was deleted")
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO policy_acknowledgements (user_id, version_id, acknowledged_at) VALUES ($1, $2, $3)`,
		uid, vid, now); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE policy_acknowledgements SET acknowledged_at = $1`, now.Add(time.Hour)); err == nil {
		t.Fatal("an acknowledgement was overwritten")
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO audit_log (id, at, action, prev_hash, hash) VALUES (1, $1, 'login', '', 'h1')`, now); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `DELETE FROM audit_log`); err == nil {
		t.Fatal("an audit entry was deleted")
	}
	if _, err := d.ExecContext(ctx, `UPDATE users SET pseudonymised_at = $1 WHERE id = $2`, now, uid); err != nil {
		t.Fatalf("retention column: %v", err)
	}
	_, err = d.ExecContext(ctx, `INSERT INTO users (email, name, role, manager_id, created_at, updated_at)
		VALUES ('b@example.com', 'B', 'employee', 424242, $1, $1)`, now)
	if err == nil {
		t.Fatal("a user with a manager that does not exist was inserted")
	}
}

// tables lists the database's tables, without the migrations' own.
func tables(t *testing.T, d *db.DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if d.Dialect == db.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	var names []string
	if err := d.Select(&names, q); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names) // the two databases collate names differently
	return names
}

func TestResetSequencesAfterExplicitIDs(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO teams (id, name, created_at) VALUES (1, 'Ops', ?), (2, 'Sales', ?)`), now, now); err != nil {
			t.Fatal(err)
		}
		if err := d.ResetSequences(ctx); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := d.GetContext(ctx, &id, d.Rebind(`INSERT INTO teams (name, created_at) VALUES ('Support', ?) RETURNING id`), now); err != nil {
			t.Fatalf("a new team after rows with explicit ids: %v", err)
		}
		if id != 3 {
			t.Fatalf("new team id %d, want 3", id)
		}
	})
}

// Several instances started together on a new database all come up: one
// applies each migration, the others find it applied.
func TestProcessesStartingTogetherMigrateOnce(t *testing.T) {
	urls := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "new.db") },
		"postgres": func(t *testing.T) string { return dbtest.PostgresSchema(t) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			u := urls[name](t)
			ms, err := db.Migrations(db.Dialect(name))
			if err != nil {
				t.Fatal(err)
			}
			const processes = 4
			ran := make(chan int, processes)
			var wg sync.WaitGroup
			for range processes {
				d, err := db.Open(u)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				wg.Add(1)
				go func() {
					defer wg.Done()
					vs, err := d.Migrate(context.Background())
					if err != nil {
						t.Errorf("migrate: %v", err)
					}
					ran <- len(vs)
				}()
			}
			wg.Wait()
			close(ran)
			total := 0
			for n := range ran {
				total += n
			}
			if total != len(ms) {
				t.Fatalf("%d migrations applied in all, want each of the %d once", total, len(ms))
			}
		})
	}
}

func TestExclusiveRunsOneAtATimeAcrossConnections(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		var mu sync.Mutex
		inside, most := 0, 0
		var wg sync.WaitGroup
		for i := range 4 {
			h := d
			if i%2 == 1 {
				h = dbtest.Reopen(t, d) // another process
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := h.Exclusive(context.Background(), "test", func() error {
					mu.Lock()
					inside++
					most = max(most, inside)
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
					mu.Lock()
					inside--
					mu.Unlock()
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if d.Dialect == db.Postgres && most != 1 {
			t.Fatalf("%d callers ran at once", most)
		}
	})
}
