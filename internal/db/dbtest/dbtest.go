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
	"sync"
	"testing"

	"steward/internal/db"
)

// PostgresURL is the test server's URL, or "" when PostgreSQL tests are off.
func PostgresURL() string { return os.Getenv("STEWARD_TEST_POSTGRES_URL") }

// urls remembers where each test database lives, so Reopen can connect a
// second handle, as a second process would.
var urls sync.Map // *db.DB -> string

// Open returns a migrated SQLite database in t.TempDir(), closed when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	d := open(t, path)
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
	d := open(t, PostgresSchema(t))
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// PostgresSchema creates an empty schema, dropped when the test ends, and
// returns a URL whose connections use it. It skips the test when no server
// is configured.
func PostgresSchema(t testing.TB) string {
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
	t.Cleanup(func() {
		if a, err := db.Open(base); err == nil {
			a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Reopen connects a second handle to the database behind d, as another
// Steward process on the same database would.
func Reopen(t testing.TB, d *db.DB) *db.DB {
	t.Helper()
	u, ok := urls.Load(d)
	if !ok {
		t.Fatal("dbtest: Reopen needs a database from dbtest")
	}
	return open(t, u.(string))
}

// open connects to rawURL and closes the handle when the test ends; the
// cleanup runs before PostgresSchema's, so the schema drops without waiting.
func open(t testing.TB, rawURL string) *db.DB {
	t.Helper()
	d, err := db.Open(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	urls.Store(d, rawURL)
	t.Cleanup(func() {
		urls.Delete(d)
		d.Close()
	})
	return d
}
