// Package dbtest gives tests a fresh, migrated database.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"

	"steward/internal/db"
)

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
