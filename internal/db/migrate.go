package db

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one embedded, ordered schema change.
type Migration struct {
	Version int
	Name    string
	// File is the file's name in its dialect's folder, as errors name it:
	// "sqlite/0001_baseline.sql".
	File string
	SQL  string
	// Checksum is the SHA-256 of the file, in hex. The database records it
	// when it applies the migration and Migrate compares it at every start.
	Checksum string
}

// ErrTooNew means the database was migrated by a newer binary.
var ErrTooNew = errors.New("db: database schema is newer than this binary")

// ErrChanged means a migration file was edited after the database
// applied it: the schema the database has is not the one the file says.
var ErrChanged = errors.New("db: an applied migration has changed")

// ErrPreBaseline means the database was migrated before the migrations
// were squashed into 0001_baseline.
var ErrPreBaseline = errors.New("db: this database predates the baseline migration")

// preBaseline names the migrations of the unreleased versions before
// 0001_baseline, which their schema, after the last of them, equals.
var preBaseline = map[int]string{
	1: "people", 2: "installation_keys", 3: "sessions", 10: "policies",
	11: "subscription_confirmation_sent", 20: "courses", 21: "course_cycles",
	22: "attempt_titles", 23: "question_objectives", 30: "outbox",
	31: "outbox_claim", 32: "reminders", 33: "reminder_preferences",
	34: "reminder_events_outbox", 35: "outbox_claim_partial", 36: "outbox_secret",
	40: "audit", 41: "retention", 42: "keyed_address_hashes", 43: "retention_sessions",
	50: "reports", 51: "report_ack_indexes", 52: "report_trend_by_person",
	53: "report_cycle_indexes", 54: "report_standings", 55: "person_standings",
	56: "report_standings_hire_date", 57: "report_rule_version",
}

// Migrations lists the embedded migrations for a dialect in order.
func Migrations(d Dialect) ([]Migration, error) {
	sub, err := fs.Sub(migrationFS, path.Join("migrations", string(d)))
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	return ReadMigrations(sub, string(d))
}

// ReadMigrations lists the migrations in the top folder of fsys in order.
// File names are NNNN_name.sql; the number is the version, and numbers
// may have gaps. dir prefixes the file names that errors show.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || len(num) != 4 {
			return nil, fmt.Errorf("db: migration %s: name must be NNNN_name.sql", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("db: migrations %s and %s share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(rest, ".sql"), File: path.Join(dir, name),
			SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every embedded migration not yet applied. See Apply.
func (d *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := Migrations(d.Dialect)
	if err != nil {
		return nil, err
	}
	return d.Apply(ctx, ms)
}

// applied is one row of schema_migrations.
type applied struct {
	Version  int    `db:"version"`
	Name     string `db:"name"`
	Checksum string `db:"checksum"`
}

// Apply applies, in order of version, each of ms not yet applied, each in
// its own transaction, and records its checksum. Before anything, it
// refuses a database that predates the baseline (ErrPreBaseline), that
// has applied a migration ms does not hold (ErrTooNew), or one whose
// applied file has changed since (ErrChanged). It returns the versions it
// applied.
func (d *DB) Apply(ctx context.Context, ms []Migration) ([]int, error) {
	if len(ms) == 0 {
		return nil, errors.New("db: no migrations")
	}
	err := d.locked(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		checksum TEXT NOT NULL,
		applied_at TIMESTAMP NOT NULL)`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("db: create schema_migrations: %w", err)
	}
	done, err := d.checkApplied(ctx, ms)
	if err != nil {
		return nil, err
	}
	var ran []int
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		applied := false
		err := d.locked(ctx, func(tx *sqlx.Tx) error {
			// Another process starting at the same moment may have
			// applied it while this one waited for the lock.
			var n int
			if err := tx.GetContext(ctx, &n, d.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("db: migration %s: %w", m.File, err)
			}
			if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`),
				m.Version, m.Name, m.Checksum, time.Now().UTC()); err != nil {
				return fmt.Errorf("db: migration %s: record: %w", m.File, err)
			}
			applied = true
			return nil
		})
		if err != nil {
			return ran, err
		}
		if applied {
			ran = append(ran, m.Version)
		}
	}
	return ran, nil
}

// checkApplied compares what the database has applied with ms and
// returns the versions applied.
func (d *DB) checkApplied(ctx context.Context, ms []Migration) (map[int]bool, error) {
	// Version and name first: a database from before the baseline has no
	// checksum column.
	var rows []applied
	if err := d.SelectContext(ctx, &rows, `SELECT version, name FROM schema_migrations ORDER BY version`); err != nil {
		return nil, fmt.Errorf("db: read schema_migrations: %w", err)
	}
	for _, r := range rows {
		if old, ok := preBaseline[r.Version]; ok && old == r.Name {
			return nil, fmt.Errorf("%w: it records migration %04d_%s, one of those squashed into 0001_baseline before "+
				"Steward's first release. Start again with an empty database, or copy this one into an empty "+
				"PostgreSQL database with `steward db copy --from <this database> --to <the new one>` "+
				"(it reads a database that has every migration up to 0057) and use that", ErrPreBaseline, r.Version, r.Name)
		}
	}
	done := map[int]bool{}
	if len(rows) == 0 {
		return done, nil
	}
	if err := d.SelectContext(ctx, &rows, `SELECT version, name, checksum FROM schema_migrations ORDER BY version`); err != nil {
		return nil, fmt.Errorf("db: read schema_migrations: %w", err)
	}
	known := map[int]Migration{}
	for _, m := range ms {
		known[m.Version] = m
	}
	for _, r := range rows {
		m, ok := known[r.Version]
		if !ok {
			return nil, fmt.Errorf("%w: it has applied migration %04d_%s, which this binary does not have (it knows up to %s): "+
				"run a Steward at least as new as the one that migrated it", ErrTooNew, r.Version, r.Name, ms[len(ms)-1].File)
		}
		if r.Checksum != m.Checksum {
			return nil, fmt.Errorf("%w: %s is not the file this database applied (SHA-256 %s, the file's is %s): "+
				"a migration is never edited once merged; restore the file and make the change in a new migration",
				ErrChanged, m.File, short(r.Checksum), short(m.Checksum))
		}
		done[r.Version] = true
	}
	return done, nil
}

// wholePreBaseline reports whether the database records exactly the
// migrations squashed into 0001_baseline, all of them: its schema is then
// the baseline's, and Copy may read it.
func (d *DB) wholePreBaseline(ctx context.Context) (bool, error) {
	var rows []applied
	if err := d.SelectContext(ctx, &rows, `SELECT version, name FROM schema_migrations`); err != nil {
		return false, fmt.Errorf("db: read schema_migrations: %w", err)
	}
	if len(rows) != len(preBaseline) {
		return false, nil
	}
	for _, r := range rows {
		if preBaseline[r.Version] != r.Name {
			return false, nil
		}
	}
	return true, nil
}

// short abbreviates a checksum for a message, as git abbreviates a commit.
func short(sum string) string {
	if sum == "" {
		return "none recorded"
	}
	return sum[:min(12, len(sum))]
}

// migrationLock is the PostgreSQL advisory lock key that keeps processes
// starting together from migrating at the same time.
const migrationLock = 0x57_4d_49_47 // "WMIG"

// locked runs fn in a transaction that no other process's Migrate runs
// beside. SQLite needs nothing more: Steward's SQLite transactions begin
// IMMEDIATE and so hold the write lock already. PostgreSQL takes a
// transaction-scoped advisory lock, released at commit.
func (d *DB) locked(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return d.Tx(ctx, func(tx *sqlx.Tx) error {
		if d.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				return fmt.Errorf("db: lock migrations: %w", err)
			}
		}
		return fn(tx)
	})
}
