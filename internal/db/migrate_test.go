package db

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

func TestForeignKeysAreEnforced(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "fk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = d.Exec(`INSERT INTO users (email, name, role, manager_id, created_at, updated_at)
		VALUES ('a@example.com', 'A', 'employee', 424242, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`)
	if err == nil {
		t.Fatal("a user with a manager that does not exist was inserted")
	}
}

func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			n++
			d.Exec(`INSERT INTO teams (name, created_at) VALUES (?, CURRENT_TIMESTAMP)`, "team-"+strconv.Itoa(n))
		}
	}()
	backup := filepath.Join(dir, "backup.db")
	err = d.Backup(ctx, backup)
	close(stop)
	written := <-done
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var teams int
	if err := b.Get(&teams, `SELECT COUNT(*) FROM teams`); err != nil {
		t.Fatal(err)
	}
	if teams > written {
		t.Fatalf("backup has %d teams, only %d were written", teams, written)
	}
	if _, err := b.Migrate(ctx); err != nil {
		t.Fatalf("the backup is not a usable Steward database: %v", err)
	}
	if err := d.Backup(ctx, backup); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
}
