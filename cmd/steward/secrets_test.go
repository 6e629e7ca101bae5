package main

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"steward/internal/db/dbtest"
)

// A postgres:// password reaches neither a log line nor a message: not
// when the database cannot be reached, not in migrate's answer, not in the
// line serve logs at start.
func TestDatabasePasswordIsNeverShown(t *testing.T) {
	unreachable := "postgres://steward:hunter2-secret@127.0.0.1:1/steward?connect_timeout=2"
	for _, args := range [][]string{{"migrate"}, {"serve"}, {"backup", "x.db"}} {
		code, out, stderr := steward(t, map[string]string{"STEWARD_DATABASE_URL": unreachable}, "", args...)
		if code == 0 || strings.Contains(out+stderr, "hunter2") {
			t.Errorf("%s on an unreachable database: exit %d, shows the password: %q %q", args[0], code, out, stderr)
		}
	}

	dbURL := dbtest.PostgresSchema(t) // skips without STEWARD_TEST_POSTGRES_URL
	u, _ := url.Parse(dbURL)
	password, ok := u.User.Password()
	if !ok || password == "" {
		t.Skip("STEWARD_TEST_POSTGRES_URL has no password to hide")
	}
	// The test server's password may equal its user name: look for the
	// user's colon form rather than the bare word.
	shown := u.User.Username() + ":" + password + "@"
	env := map[string]string{"STEWARD_DATABASE_URL": dbURL, "STEWARD_SESSION_KEYS": strings.Repeat("5a", 32)}
	code, out, stderr := steward(t, env, "", "migrate")
	if code != 0 || strings.Contains(out+stderr, shown) || !strings.Contains(out, u.User.Username()+":xxxxx@") {
		t.Fatalf("migrate: exit %d, %q %q", code, out, stderr)
	}

	env["STEWARD_ADDR"] = freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &logs)
	}()
	waitReady(t, env["STEWARD_ADDR"])
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("serve: exit %d: %s", code, logs.String())
	}
	if strings.Contains(logs.String(), shown) || !strings.Contains(logs.String(), "xxxxx@") {
		t.Fatalf("serve logged the database password:\n%s", logs.String())
	}
}
