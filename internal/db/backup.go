package db

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrBackupPostgres is returned by Backup for PostgreSQL, whose own tools
// (pg_dump) make consistent online backups.
var ErrBackupPostgres = errors.New("db: back up PostgreSQL with pg_dump; see the README")

// Backup writes a consistent copy of a SQLite database to path while the
// database keeps serving: VACUUM INTO reads one snapshot and writes a
// compact new file. It refuses to overwrite an existing file.
func (d *DB) Backup(ctx context.Context, path string) error {
	if d.Dialect != SQLite {
		return ErrBackupPostgres
	}
	// VACUUM INTO fills an empty file: creating it first gives the copy
	// of everyone's personal data its owner-only mode, and refuses an
	// existing file without a gap between looking and writing.
	created, err := createPrivate(path)
	if err != nil {
		return fmt.Errorf("db: backup: %w", err)
	}
	if !created {
		return fmt.Errorf("db: backup: %s already exists", path)
	}
	if _, err := d.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("db: backup to %s: %w", path, err)
	}
	return nil
}
