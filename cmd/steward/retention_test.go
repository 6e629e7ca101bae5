package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/internal/config"
	"steward/internal/db"
	"steward/internal/retention"
	"steward/policies"
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
	in2040 := func() time.Time { return time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC) }
	code, out, stderr = stewardAt(t, in2040, env, "", "retention", "run", "--now", "2040-01-01T00:00:00Z")
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

// TestServeRunsRetentionOnceADay starts the scheduler serve starts and
// sees it run at once on a database that never ran retention, and not
// again the same day after a restart.
func TestServeRunsRetentionOnceADay(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "s.db")
	getenv := func(k string) string { return map[string]string{"STEWARD_DATABASE_URL": dbPath}[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{cfg: cfg, stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		now: func() time.Time { return time.Date(2027, 1, 1, 6, 0, 0, 0, time.UTC) }}
	d, err := e.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	runs := func() int {
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM retention_runs`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for restart := 0; restart < 2; restart++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			runRetentionDaily(ctx, e, d, retention.NewPolicy(cfg.RetentionDays, policies.PurgeUnconfirmed, policies.SubscribedAddresses))
			close(done)
		}()
		deadline := time.Now().Add(5 * time.Second)
		for runs() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if restart > 0 {
			time.Sleep(200 * time.Millisecond) // time enough to run again, if it wrongly would
		}
		cancel()
		<-done
		if n := runs(); n != 1 {
			t.Fatalf("after start %d: %d runs, want 1", restart+1, n)
		}
	}
	var detail string
	if err := d.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'retention.run'`); err != nil || !strings.HasPrefix(detail, "people_pseudonymised=0") {
		t.Fatalf("audit of the run: %q %v", detail, err)
	}
}

// A --now in the future writes nothing: a remind would email "54 days
// overdue" to people who are not, a retention run would pseudonymise people
// before their time. Only a dry run may look ahead.
func TestFutureNowRefusesToWriteWithoutDryRun(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "s.db")
	env := map[string]string{"STEWARD_DATABASE_URL": dbPath}
	if code, _, stderr := steward(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	state := func() string {
		d, err := db.Open(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var s string
		err = d.Get(&s, `SELECT (SELECT COUNT(*) FROM outbox) || '/' || (SELECT COUNT(*) FROM audit_log) || '/' ||
			(SELECT COUNT(*) FROM retention_runs) || '/' || (SELECT GROUP_CONCAT(name) FROM users WHERE active = FALSE)`)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := state()
	future := time.Now().UTC().AddDate(0, 0, 54).Format(time.RFC3339)
	for _, args := range [][]string{
		{"remind", "--now", future},
		{"retention", "run", "--now", future},
		{"retention", "run", "--now", "2040-01-01T00:00:00Z"},
	} {
		code, out, stderr := steward(t, env, "", args...)
		if code != 2 || !strings.Contains(stderr, "is in the future") || !strings.Contains(stderr, "--dry-run") {
			t.Errorf("%v: exit %d, %.200q %q; want 2 and a message naming --dry-run", args, code, out, stderr)
		}
	}
	if after := state(); after != before {
		t.Fatalf("a refused --now changed the database: %s, was %s", after, before)
	}

	for _, args := range [][]string{
		{"remind", "--dry-run", "--now", future},
		{"retention", "run", "--dry-run", "--now", future},
	} {
		if code, out, stderr := steward(t, env, "", args...); code != 0 || !strings.Contains(out, "dry run") {
			t.Errorf("%v: exit %d, %q %q", args, code, out, stderr)
		}
	}
	if after := state(); after != before {
		t.Fatalf("a dry run changed the database: %s, was %s", after, before)
	}

	// A few seconds ahead is a clock a little behind, not the future.
	soon := time.Now().UTC().Add(20 * time.Second).Format(time.RFC3339)
	if code, out, stderr := steward(t, env, "", "retention", "run", "--now", soon); code != 0 || strings.Contains(out, "dry run") {
		t.Errorf("--now %s: exit %d, %q %q", soon, code, out, stderr)
	}
}
