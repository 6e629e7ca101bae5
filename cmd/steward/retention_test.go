package main

import (
	"path/filepath"
	"strings"
	"testing"

	"steward/internal/db"
)

func TestRetentionRunOnTheDemoWithAFarFutureClock(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "s.db")
	env := map[string]string{"STEWARD_DATABASE_URL": dbPath}
	if code, _, stderr := steward(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	names := func() string {
		d, err := db.Open(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var all []string
		if err := d.Select(&all, `SELECT name FROM users WHERE active = FALSE ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		return strings.Join(all, ", ")
	}
	leavers := names()
	if leavers == "" || strings.Contains(leavers, "Former staff member") {
		t.Fatalf("the demo has no named leavers: %q", leavers)
	}

	code, out, stderr := steward(t, env, "", "retention", "run", "--dry-run", "--now", "2040-01-01T00:00:00Z")
	if code != 0 || !strings.Contains(out, "dry run, nothing changed") || strings.Contains(out, " 0 people") {
		t.Fatalf("dry run: exit %d, %q %q", code, out, stderr)
	}
	if names() != leavers {
		t.Fatal("the dry run changed names")
	}
	code, out, stderr = steward(t, env, "", "retention", "run", "--now", "2040-01-01T00:00:00Z")
	if code != 0 || !strings.Contains(out, "people deactivated more than 365 days ago pseudonymised") {
		t.Fatalf("run: exit %d, %q %q", code, out, stderr)
	}
	if got := names(); strings.Contains(got, leavers) || !strings.Contains(got, "Former staff member") {
		t.Fatalf("leavers after retention: %q", got)
	}
	if code, out, _ := steward(t, env, "", "audit", "verify"); code != 0 {
		t.Fatalf("the audit chain broke: %q", out)
	}
	for _, bad := range [][]string{{"--now", "tomorrow"}, {"--mail-days", "0"}, {"extra"}} {
		if code, _, stderr := steward(t, env, "", append([]string{"retention", "run"}, bad...)...); code != 2 {
			t.Fatalf("%v: exit %d %q", bad, code, stderr)
		}
	}
}
