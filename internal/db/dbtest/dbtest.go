// Package dbtest gives tests a fresh, migrated database: SQLite always, and
// PostgreSQL when STEWARD_TEST_POSTGRES_URL names a server (each test then
// gets a schema of its own, dropped when it ends).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"steward/internal/db"
)

// PostgresURL is the test server's URL, or "" when PostgreSQL tests are off.
func PostgresURL() string { return os.Getenv("STEWARD_TEST_POSTGRES_URL") }

// Open returns a migrated SQLite database in t.TempDir(), closed when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// Dialects runs fn once per database the suite tests against: SQLite, and
// PostgreSQL when STEWARD_TEST_POSTGRES_URL is set.
func Dialects(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, Open(t)) })
	if PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, OpenPostgres(t)) })
	}
}

// OpenPostgres returns a migrated PostgreSQL database in a new schema,
// dropped when the test ends. It skips the test when no server is configured.
func OpenPostgres(t testing.TB) *db.DB {
	t.Helper()
	base := PostgresURL()
	if base == "" {
		t.Skip("STEWARD_TEST_POSTGRES_URL is not set")
	}
	admin, err := db.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	d, err := db.Open(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		if a, err := db.Open(base); err == nil {
			a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			a.Close()
		}
	})
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}
