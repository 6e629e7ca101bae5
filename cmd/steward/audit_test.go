package main

import (
	"path/filepath"
	"strings"
	"testing"

	"steward/internal/db"
)

func TestAuditVerifyFindsAnEditedEntry(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "s.db")
	env := map[string]string{"STEWARD_DATABASE_URL": dbPath}
	if code, _, stderr := steward(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	code, out, stderr := steward(t, env, "", "audit", "verify")
	if code != 0 || !strings.Contains(out, "audit log intact:") || !strings.Contains(out, "head hash") {
		t.Fatalf("verify on a clean log: exit %d, %q %q", code, out, stderr)
	}

	// An attacker with the database file: drop the trigger, rewrite a role change.
	d, err := db.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET actor = 'cli' WHERE id = 5`} {
		if _, err := d.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()

	code, out, stderr = steward(t, env, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "audit log BROKEN at entry 5: contents do not match its hash (edited)") ||
		!strings.Contains(out, "the 4 entries before it are intact") {
		t.Fatalf("verify after an edit: exit %d, %q %q", code, out, stderr)
	}
	if code, _, stderr := steward(t, env, "", "audit", "verify", "extra"); code != 2 || !strings.Contains(stderr, "unexpected argument") {
		t.Fatalf("extra argument: %d %q", code, stderr)
	}
}
