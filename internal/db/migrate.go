package db

import (
	"context"
	"embed"
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
	SQL     string
}

// ErrTooNew means the database was migrated by a newer binary.
var ErrTooNew = fmt.Errorf("db: database schema is newer than this binary")

// Migrations lists the embedded migrations for a dialect in order.
// File names are NNNN_name.sql; the number is the version.
func Migrations(d Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
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
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("db: migration %s: name must be NNNN_name.sql", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("db: migrations %s and %s share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(rest, ".sql"), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every embedded migration not yet applied, each in its own
// transaction, and refuses a database that knows a version this binary does
// not. It returns the versions it applied.
func (d *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := Migrations(d.Dialect)
	if err != nil {
		return nil, err
	}
	err = d.locked(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TIMESTAMP NOT NULL)`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("db: create schema_migrations: %w", err)
	}
	var applied []int
	if err := d.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		return nil, fmt.Errorf("db: read schema_migrations: %w", err)
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.Version] = true
	}
	done := map[int]bool{}
	for _, v := range applied {
		if !known[v] {
			return nil, fmt.Errorf("%w: it has migration %d, this binary knows up to %d", ErrTooNew, v, ms[len(ms)-1].Version)
		}
		done[v] = true
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
				return fmt.Errorf("db: migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.Version, m.Name, time.Now().UTC()); err != nil {
				return fmt.Errorf("db: migration %d: record: %w", m.Version, err)
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
