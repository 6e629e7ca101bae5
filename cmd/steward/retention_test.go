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
			runRetentionDaily(ctx, e, d, retention.NewPolicy(cfg.RetentionDays))
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
