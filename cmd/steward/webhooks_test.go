package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/webhooks"
)

// TestServeDeliversWebhooks starts serve and checks that its worker posts
// a queued delivery to the receiver.
func TestServeDeliversWebhooks(t *testing.T) {
	got := make(chan string, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Steward-Event")
	}))
	defer recv.Close()
	env := map[string]string{
		"STEWARD_DATABASE_URL": filepath.Join(t.TempDir(), "steward.db"),
		"STEWARD_SESSION_KEYS": strings.Repeat("5a", 32),
		"STEWARD_ADDR":         freeAddr(t),
	}
	if code, _, stderr := steward(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	d, err := db.Open(env["STEWARD_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := webhooks.NewStore(d, false)
	e, _, err := s.Create(context.Background(), recv.URL+"/in", []string{webhooks.PolicyPublished}, audit.Actor{Label: "test"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendTest(context.Background(), e.ID, audit.Actor{Label: "test"}, time.Now()); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan int)
	var errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &errOut)
	}()
	select {
	case ev := <-got:
		if ev != webhooks.TestEvent {
			t.Errorf("Steward-Event = %q", ev)
		}
	case <-time.After(60 * time.Second):
		t.Error("serve delivered no webhook within a minute")
	}
	stop()
	if code := <-done; code != 0 {
		t.Errorf("serve: exit %d\n%s", code, errOut.String())
	}
}
