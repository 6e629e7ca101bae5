// Package db opens Steward's database and applies its embedded migrations.
//
// SQLite (mattn/go-sqlite3) is the embedded default; PostgreSQL is reached
// through the pgx stdlib driver. Stores write their queries with `?` bind
// variables and call DB.Rebind, so the same SQL serves both.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, for several instances on one database
	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the embedded default database
)

// Dialect names the SQL flavour behind a connection.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an sqlx handle that knows its dialect.
type DB struct {
	*sqlx.DB
	Dialect Dialect
}

// ErrUnsupported is returned for a database URL whose scheme Steward cannot open.
var ErrUnsupported = errors.New("db: unsupported database URL")

// Open connects to the database named by url: a path or sqlite: URL for
// SQLite, postgres:// for PostgreSQL.
func Open(rawURL string) (*DB, error) {
	switch {
	case IsPostgresURL(rawURL):
		d, err := openPostgres(rawURL)
		return d, hidePassword(err, rawURL)
	default:
		return openSQLite(rawURL)
	}
}

// IsPostgresURL reports whether rawURL names a PostgreSQL database.
func IsPostgresURL(rawURL string) bool {
	return strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://")
}

func openPostgres(rawURL string) (*DB, error) {
	x, err := sqlx.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	x.SetMaxOpenConns(20)
	x.SetMaxIdleConns(10)
	x.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("db: ping postgres: %w", err)
	}
	return &DB{DB: x, Dialect: Postgres}, nil
}

// SQLitePath turns "sqlite:steward.db", "file:steward.db" or "steward.db"
// into a file path.
func SQLitePath(raw string) string {
	for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(raw, p) {
			raw = strings.TrimPrefix(raw, p)
			break
		}
	}
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	return raw
}

func openSQLite(raw string) (*DB, error) {
	path := SQLitePath(raw)
	if path == "" {
		return nil, fmt.Errorf("%w: empty SQLite path", ErrUnsupported)
	}
	created, err := createPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("db: create %s: %w", path, err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	x, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	// One writer at a time is SQLite's rule; a small pool serves readers
	// under WAL while writes queue on the busy timeout.
	x.SetMaxOpenConns(8)
	x.SetMaxIdleConns(8)
	x.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("db: ping %s: %w", path, err)
	}
	if created {
		// SQLite gives the WAL and shared-memory files its database's mode;
		// this says so even if a later SQLite forgets.
		for _, f := range []string{path + "-wal", path + "-shm"} {
			if err := os.Chmod(f, PrivateMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
				x.Close()
				return nil, fmt.Errorf("db: %w", err)
			}
		}
	}
	return &DB{DB: x, Dialect: SQLite}, nil
}

// PrivateMode is the mode of every file Steward creates that holds
// personal data or keys: the database, its WAL, backups. The session keys
// live in the database.
const PrivateMode fs.FileMode = 0o600

// createPrivate creates the empty file path readable and writable by its
// owner only, whatever the umask, unless it exists already (an existing
// database keeps the mode its administrator gave it). It reports whether it
// created the file.
func createPrivate(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, PrivateMode)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// The umask could have taken the owner's bits away too.
	err = f.Chmod(PrivateMode)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return false, err
	}
	return true, nil
}

// Tx runs fn inside a transaction, committing when fn returns nil.
func (d *DB) Tx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return InTx(ctx, d, fn)
}

// Beginner starts transactions: a *DB, or one connection of it (*sqlx.Conn).
type Beginner interface {
	BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error)
}

// InTx runs fn inside a transaction begun on b, committing when fn
// returns nil and rolling back otherwise.
func InTx(ctx context.Context, b Beginner, fn func(tx *sqlx.Tx) error) error {
	tx, err := b.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a UNIQUE constraint failure.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}
