package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/demo"
	"steward/internal/people"
)

// An installation moves from SQLite to PostgreSQL: every row arrives,
// people sign in with their passwords, and new rows get fresh ids.
func TestDBCopyMovesTheDemoFromSQLiteToPostgres(t *testing.T) {
	target := dbtest.PostgresSchema(t) // skips without STEWARD_TEST_POSTGRES_URL
	file := filepath.Join(t.TempDir(), "steward.db")
	env := map[string]string{"STEWARD_DATABASE_URL": file}
	if code, _, stderr := steward(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	if code, _, stderr := steward(t, env, "", "remind"); code != 0 {
		t.Fatalf("remind: exit %d: %s", code, stderr)
	}

	code, out, stderr := steward(t, env, "", "db", "copy", "--from", "sqlite:"+file, "--to", target)
	if code != 0 {
		t.Fatalf("db copy: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "every count matches") {
		t.Fatalf("db copy printed no verdict:\n%s", out)
	}

	src, err := db.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := db.Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var tables []string
	if err := src.Select(&tables, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^(\w+)\s+(\d+)\s+(\d+)\s*$`)
	printed := map[string]string{}
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		printed[m[1]] = m[2] + " " + m[3]
	}
	nonEmpty := 0
	for _, table := range tables {
		var a, b int
		if strings.HasSuffix(table, "_standings") {
			// The reports' standings stay behind, to be worked out again.
			if err := dst.Get(&b, `SELECT COUNT(*) FROM `+table); err != nil || b != 0 {
				t.Errorf("%s: %d rows copied (%v), want none", table, b, err)
			}
			continue
		}
		src.Get(&a, `SELECT COUNT(*) FROM `+table)
		if err := dst.Get(&b, `SELECT COUNT(*) FROM `+table); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if a != b {
			t.Errorf("%s: %d rows in SQLite, %d in PostgreSQL", table, a, b)
		}
		if a > 0 {
			nonEmpty++
		}
		if want := fmt.Sprintf("%d %d", a, a); printed[table] != want {
			t.Errorf("printed for %s: %q, want counts %d", table, printed[table], a)
		}
	}
	if nonEmpty < 10 {
		t.Fatalf("only %d tables had rows: the demo was not copied", nonEmpty)
	}

	ctx := context.Background()
	u, err := people.NewStore(dst).Authenticate(ctx, "manager@example.com", demo.Password)
	if err != nil {
		t.Fatalf("the demo manager cannot sign in on PostgreSQL: %v", err)
	}
	var reports int
	dst.Get(&reports, `SELECT COUNT(*) FROM users WHERE manager_id = $1`, u.ID)
	if reports == 0 {
		t.Error("the manager's reporting line was not copied")
	}

	pg := map[string]string{"STEWARD_DATABASE_URL": target}
	if code, _, stderr := steward(t, pg, "new password\n", "user", "add", "--email", "new.hire@example.com", "--name", "New Hire"); code != 0 {
		t.Fatalf("adding a person after the copy (identity sequences): exit %d: %s", code, stderr)
	}
	if code, _, stderr := steward(t, pg, "", "audit", "verify"); code != 0 {
		t.Fatalf("audit verify on the copy: exit %d: %s", code, stderr)
	}

	code, _, stderr = steward(t, env, "", "db", "copy", "--from", file, "--to", target)
	if code != 1 || !strings.Contains(stderr, "not empty") {
		t.Fatalf("a second copy into the same database: exit %d, %q; want a refusal", code, stderr)
	}
}

func TestDBCopyRefusesAMissingSourceAndANonPostgresTarget(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DATABASE_URL": filepath.Join(dir, "s.db")}
	if code, _, stderr := steward(t, env, "", "db", "copy", "--to", filepath.Join(dir, "other.db")); code != 2 || !strings.Contains(stderr, "PostgreSQL") {
		t.Fatalf("copy to a SQLite file: exit %d, %q", code, stderr)
	}
	code, _, stderr := steward(t, env, "", "db", "copy", "--from", filepath.Join(dir, "typo.db"), "--to", "postgres://steward@127.0.0.1:1/none")
	if code != 1 || !strings.Contains(stderr, "typo.db") {
		t.Fatalf("copy from a file that does not exist: exit %d, %q", code, stderr)
	}
}

// Steward refuses to start on a database whose applied migration is not
// the file this binary carries (as if the file had been edited since),
// and says which file, whether asked to serve or to migrate.
func TestStartRefusesAChangedMigration(t *testing.T) {
	file := filepath.Join(t.TempDir(), "steward.db")
	env := map[string]string{"STEWARD_DATABASE_URL": file, "STEWARD_ADDR": "127.0.0.1:8099"}
	if code, _, stderr := steward(t, env, "", "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	d, err := db.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`UPDATE schema_migrations SET checksum = 'a1b2c3' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	d.Close()
	for _, cmd := range []string{"migrate", "serve"} {
		// Were the database accepted, serve would stop after a while
		// rather than serve on.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var out, errOut bytes.Buffer
		code := run(ctx, []string{cmd}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		stderr := errOut.String()
		if code != 1 || !strings.Contains(stderr, "sqlite/0001_baseline.sql") || !strings.Contains(stderr, "changed") {
			t.Errorf("%s on a changed migration: exit %d, stderr %q; want 1 naming the file", cmd, code, stderr)
		}
	}
}
