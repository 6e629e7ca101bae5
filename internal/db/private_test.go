//go:build unix

package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// withUmask runs the test body under umask, as a service started with a
// careless umask would; the mode Steward sets must not depend on it.
func withUmask(t *testing.T, umask int) {
	old := syscall.Umask(umask)
	t.Cleanup(func() { syscall.Umask(old) })
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", filepath.Base(path), got, want)
	}
}

func TestNewSQLiteDatabaseIsReadableByItsOwnerOnly(t *testing.T) {
	for _, umask := range []int{0o022, 0o000, 0o277} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			withUmask(t, umask)
			path := filepath.Join(t.TempDir(), "s.db")
			d, err := Open("sqlite:" + path)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := d.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				wantMode(t, f, 0o600)
			}
		})
	}
}

func TestExistingSQLiteDatabaseKeepsItsMode(t *testing.T) {
	withUmask(t, 0o022)
	path := filepath.Join(t.TempDir(), "s.db")
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	wantMode(t, path, 0o640)
}

func TestBackupIsReadableByItsOwnerOnly(t *testing.T) {
	withUmask(t, 0o022)
	dir := t.TempDir()
	d, err := Open(filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "copy.db")
	if err := d.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	wantMode(t, backup, 0o600)
	if fi, _ := os.Stat(backup); fi.Size() == 0 {
		t.Fatal("the backup is empty")
	}

	// An existing file is refused and left as it was.
	other := filepath.Join(dir, "other.db")
	os.WriteFile(other, []byte("keep me"), 0o644)
	if err := d.Backup(ctx, other); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	if b, _ := os.ReadFile(other); string(b) != "keep me" {
		t.Fatalf("the existing file changed: %q", b)
	}
	// A failed backup leaves no empty file behind.
	missing := filepath.Join(dir, "no-such-dir", "copy.db")
	if err := d.Backup(ctx, missing); err == nil {
		t.Fatal("backup into a missing folder succeeded")
	}
}
