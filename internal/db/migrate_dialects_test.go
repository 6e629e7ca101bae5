package db_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

// unmigrated runs fn with an empty database: SQLite, and PostgreSQL when
// STEWARD_TEST_POSTGRES_URL is set.
func unmigrated(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	urls := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "new.db") },
		"postgres": func(t *testing.T) string { return dbtest.PostgresSchema(t) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			if name == "postgres" && dbtest.PostgresURL() == "" {
				t.Skip("STEWARD_TEST_POSTGRES_URL is not set")
			}
			d, err := db.Open(urls[name](t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			fn(t, d)
		})
	}
}

// migrations reads an in-test migration set, as if it were a dialect's
// folder of files.
func migrations(t *testing.T, d *db.DB, files map[string]string) []db.Migration {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	ms, err := db.ReadMigrations(fsys, string(d.Dialect))
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func tableExists(t *testing.T, d *db.DB, name string) bool {
	t.Helper()
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d.Dialect == db.Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	}
	var n int
	if err := d.Get(&n, d.Rebind(q), name); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A new database gets the baseline and records the SHA-256 of the very
// file applied; migrating again changes nothing.
func TestMigrateFreshDatabaseThenNothingMore(t *testing.T) {
	unmigrated(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ran, err := d.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ran) == 0 || ran[0] != 1 {
			t.Fatalf("first migrate ran %v, want the baseline (1) first", ran)
		}
		body, err := os.ReadFile(filepath.Join("migrations", string(d.Dialect), "0001_baseline.sql"))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		var recorded string
		if err := d.Get(&recorded, `SELECT checksum FROM schema_migrations WHERE version = 1`); err != nil {
			t.Fatal(err)
		}
		if recorded != hex.EncodeToString(sum[:]) {
			t.Errorf("recorded checksum %q, want the file's SHA-256 %x", recorded, sum)
		}
		if !tableExists(t, d, "users") || !tableExists(t, d, "person_standings") {
			t.Error("the baseline's tables are missing")
		}
		for range 2 {
			if ran, err := d.Migrate(ctx); err != nil || len(ran) != 0 {
				t.Fatalf("migrate again: ran %v, err %v; want nothing", ran, err)
			}
		}
	})
}

// Parallel work numbers its migrations from several ranges: whatever the
// gaps, they apply in order of number, and later ones join later.
func TestMigrateAppliesNumbersWithGapsInOrder(t *testing.T) {
	unmigrated(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		first := map[string]string{"0001_base.sql": `CREATE TABLE a (id INTEGER PRIMARY KEY)`}
		if ran, err := d.Apply(ctx, migrations(t, d, first)); err != nil || len(ran) != 1 {
			t.Fatalf("apply: ran %v, %v", ran, err)
		}
		later := map[string]string{
			"0001_base.sql": first["0001_base.sql"],
			// 0150 needs 0100's table, and 0009 arrives after 0001 ran.
			"0150_b_note.sql": `ALTER TABLE b ADD COLUMN note TEXT`,
			"0100_b.sql":      `CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id))`,
			"0009_c.sql":      `CREATE TABLE c (id INTEGER PRIMARY KEY)`,
		}
		ran, err := d.Apply(ctx, migrations(t, d, later))
		if err != nil {
			t.Fatal(err)
		}
		if len(ran) != 3 || ran[0] != 9 || ran[1] != 100 || ran[2] != 150 {
			t.Fatalf("ran %v, want [9 100 150]", ran)
		}
		if _, err := d.Exec(`INSERT INTO b (id, a_id, note) VALUES (1, NULL, 'x')`); err != nil {
			t.Fatalf("the later migrations' schema is not there: %v", err)
		}
	})
}

// A migration edited after a database applied it is refused, naming the
// file, and nothing after it is applied.
func TestMigrateRefusesAChangedFile(t *testing.T) {
	unmigrated(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		v1 := map[string]string{"0001_base.sql": `CREATE TABLE a (id INTEGER PRIMARY KEY)`}
		if _, err := d.Apply(ctx, migrations(t, d, v1)); err != nil {
			t.Fatal(err)
		}
		edited := map[string]string{
			"0001_base.sql": `CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)`,
			"0100_next.sql": `CREATE TABLE next (id INTEGER PRIMARY KEY)`,
		}
		ran, err := d.Apply(ctx, migrations(t, d, edited))
		if !errors.Is(err, db.ErrChanged) {
			t.Fatalf("apply an edited migration: ran %v, err %v; want ErrChanged", ran, err)
		}
		if want := string(d.Dialect) + "/0001_base.sql"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name the file %s", err, want)
		}
		if len(ran) != 0 || tableExists(t, d, "next") {
			t.Errorf("a migration after the changed one was applied (ran %v)", ran)
		}
		// A change of one byte is a change.
		spaced := map[string]string{"0001_base.sql": v1["0001_base.sql"] + "\n"}
		if _, err := d.Apply(ctx, migrations(t, d, spaced)); !errors.Is(err, db.ErrChanged) {
			t.Errorf("a trailing newline added: err %v, want ErrChanged", err)
		}
		if _, err := d.Apply(ctx, migrations(t, d, v1)); err != nil {
			t.Errorf("the file restored: %v", err)
		}
	})
}

// A database a newer binary migrated is refused by an older one, which
// names the migration it does not know.
func TestMigrateRefusesUnknownAppliedVersion(t *testing.T) {
	unmigrated(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		newer := map[string]string{
			"0001_base.sql":   `CREATE TABLE a (id INTEGER PRIMARY KEY)`,
			"0120_future.sql": `CREATE TABLE future (id INTEGER PRIMARY KEY)`,
		}
		if _, err := d.Apply(ctx, migrations(t, d, newer)); err != nil {
			t.Fatal(err)
		}
		older := map[string]string{"0001_base.sql": newer["0001_base.sql"]}
		_, err := d.Apply(ctx, migrations(t, d, older))
		if !errors.Is(err, db.ErrTooNew) {
			t.Fatalf("err %v, want ErrTooNew", err)
		}
		if !strings.Contains(err.Error(), "0120_future") {
			t.Errorf("error %q does not name the unknown migration", err)
		}
	})
}

// oldHistory makes d look like a database migrated before the squash: the
// baseline's schema (which equals the old chain's) and the old chain's
// bookkeeping, which had no checksums.
func oldHistory(t *testing.T, d *db.DB, upTo int) {
	t.Helper()
	ms, err := db.Migrations(d.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ms[0].SQL); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	old := []string{"0001_people", "0002_installation_keys", "0003_sessions", "0010_policies",
		"0011_subscription_confirmation_sent", "0020_courses", "0021_course_cycles", "0022_attempt_titles",
		"0023_question_objectives", "0030_outbox", "0031_outbox_claim", "0032_reminders",
		"0033_reminder_preferences", "0034_reminder_events_outbox", "0035_outbox_claim_partial",
		"0036_outbox_secret", "0040_audit", "0041_retention", "0042_keyed_address_hashes",
		"0043_retention_sessions", "0050_reports", "0051_report_ack_indexes", "0052_report_trend_by_person",
		"0053_report_cycle_indexes", "0054_report_standings", "0055_person_standings",
		"0056_report_standings_hire_date", "0057_report_rule_version"}
	for _, m := range old {
		num, name, _ := strings.Cut(m, "_")
		v := 0
		for _, c := range num {
			v = v*10 + int(c-'0')
		}
		if v > upTo {
			break
		}
		if _, err := d.Exec(d.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)`), v, name); err != nil {
			t.Fatal(err)
		}
	}
}

// A database that carries the history from before the baseline is
// refused with the way forward, and left as it was.
func TestMigrateRefusesADatabaseFromBeforeTheBaseline(t *testing.T) {
	for _, upTo := range []int{1, 22, 57} {
		t.Run(fmt.Sprintf("up to %04d", upTo), func(t *testing.T) {
			unmigrated(t, func(t *testing.T, d *db.DB) {
				oldHistory(t, d, upTo)
				ran, err := d.Migrate(context.Background())
				if !errors.Is(err, db.ErrPreBaseline) {
					t.Fatalf("ran %v, err %v; want ErrPreBaseline", ran, err)
				}
				for _, want := range []string{"predates the baseline", "steward db copy", "empty database"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				var n int
				if err := d.Get(&n, `SELECT COUNT(*) FROM schema_migrations WHERE version = 1 AND name = 'baseline'`); err != nil || n != 0 {
					t.Errorf("the refused database was recorded as migrated (%d, %v)", n, err)
				}
			})
		})
	}
}

// `db copy` is the way forward from before the baseline: it reads a
// database that had every migration the baseline replaced.
func TestCopyReadsADatabaseFromBeforeTheBaseline(t *testing.T) {
	target, err := db.Open(dbtest.PostgresSchema(t)) // skips without STEWARD_TEST_POSTGRES_URL
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	ctx := context.Background()
	for _, upTo := range []int{57, 56} {
		src, err := db.Open(filepath.Join(t.TempDir(), "old.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		oldHistory(t, src, upTo)
		if _, err := src.Exec(`INSERT INTO teams (id, name, created_at) VALUES (7, 'Ops', CURRENT_TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		_, err = db.Copy(ctx, src, target, db.Caches{})
		if upTo < 57 {
			if !errors.Is(err, db.ErrPreBaseline) {
				t.Fatalf("copy from a database stopped at %d: err %v, want ErrPreBaseline", upTo, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("copy from a database at 0057: %v", err)
		}
		var name string
		if err := target.Get(&name, `SELECT name FROM teams WHERE id = 7`); err != nil || name != "Ops" {
			t.Fatalf("the copied team: %q, %v", name, err)
		}
	}
}

// Every table, column, trigger and index the documentation names in
// backticks (snake_case names, and table.column) exists in both
// databases' schema, so that the docs and the baseline cannot drift apart.
func TestDocumentedSchemaNamesExist(t *testing.T) {
	// Backticked snake_case words in docs/ that are not schema objects.
	notSchema := map[string]bool{
		"password_reset": true, "subscribe_confirm": true, // outbox kinds
		"pg_advisory_xact_lock": true, "pg_dump": true, // PostgreSQL's
		"generated_at": true, "generated_by": true, "as_of": true, // export fields
		"steward.db": true, "course.yaml": true, "s.pages": true, // files, Go
	}
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs found: %v", err)
	}
	names := map[string]string{} // name -> the doc naming it
	ident := regexp.MustCompile("`([a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\\.[a-z_]+\\*?)?|[a-z][a-z0-9_]*\\.[a-z][a-z_]*\\*?)`")
	for _, f := range docs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ident.FindAllStringSubmatch(string(b), -1) {
			if !notSchema[m[1]] && !strings.Contains(m[1], ".go") && !isFileName(m[1]) {
				names[m[1]] = filepath.Base(f)
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("the docs name no schema object: the pattern is wrong")
	}
	unmigrated(t, func(t *testing.T, d *db.DB) {
		if _, err := d.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		objects, columns := schema(t, d)
		for name, doc := range names {
			table, col, dotted := strings.Cut(name, ".")
			switch {
			case !dotted && !objects[name] && !columns[name]:
				t.Errorf("%s names `%s`: no table, index, trigger or column has that name", doc, name)
			case dotted && !objects[table]:
				// Not a table's column: an audit action (`organisation.update`)
				// or a Go name.
			case dotted && strings.HasSuffix(col, "*"):
				if !columns[table+"."+strings.TrimSuffix(col, "*")+"*"] {
					t.Errorf("%s names `%s`: %s has no such column", doc, name, table)
				}
			case dotted && !columns[name]:
				t.Errorf("%s names `%s`: no such column", doc, name)
			}
		}
	})
}

// schema lists the names of d's tables, indexes and triggers, and its
// columns both bare and as table.column (and every prefix of that, with a
// star, for docs that write table.prefix*).
func schema(t *testing.T, d *db.DB) (objects, columns map[string]bool) {
	t.Helper()
	var names []string
	var cols []struct {
		Table  string `db:"t"`
		Column string `db:"c"`
	}
	var err error
	if d.Dialect == db.SQLite {
		err = d.Select(&names, `SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`)
		if err == nil {
			err = d.Select(&cols, `SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`)
		}
	} else {
		err = d.Select(&names, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
			UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()
			UNION SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = current_schema()`)
		if err == nil {
			err = d.Select(&cols, `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema()`)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	objects, columns = map[string]bool{}, map[string]bool{}
	for _, n := range names {
		objects[n] = true
	}
	for _, c := range cols {
		columns[c.Column] = true
		columns[c.Table+"."+c.Column] = true
		for i := 1; i <= len(c.Column); i++ {
			columns[c.Table+"."+c.Column[:i]+"*"] = true
		}
	}
	return objects, columns
}

// isFileName tells a file the docs name (`verify.html`, `controls.json`)
// from a table.column.
func isFileName(s string) bool {
	for _, ext := range []string{".md", ".html", ".json", ".csv", ".zip", ".txt", ".yaml", ".sql", ".key", ".ics", ".atom", ".css", ".js"} {
		if strings.HasSuffix(s, ext) {
			return true
		}
	}
	return false
}
