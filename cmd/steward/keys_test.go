package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/internal/db"
	"steward/internal/keys"
)

func TestKeysRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	env := map[string]string{"STEWARD_DATABASE_URL": path}
	if code, _, stderr := steward(t, env, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	before, err := keys.Load(ctx, d, keys.Session, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := steward(t, env, "", "keys", "rotate")
	if code != 0 || !strings.Contains(out, "generation 2 signs new sessions") {
		t.Fatalf("keys rotate: exit %d\n%s%s", code, out, stderr)
	}
	after, err := keys.Load(ctx, d, keys.Session, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if after.Generation != 2 || bytes.Equal(after.Keys[0], before.Keys[0]) || !bytes.Equal(after.Keys[1], before.Keys[0]) {
		t.Fatalf("after rotation: generation %d", after.Generation)
	}
	// Keys from the environment are rotated there, not here.
	env["STEWARD_SESSION_KEYS"] = strings.Repeat("ab", 32)
	if code, _, stderr := steward(t, env, "", "keys", "rotate"); code != 2 || !strings.Contains(stderr, "STEWARD_SESSION_KEYS") {
		t.Fatalf("keys rotate with configured keys: exit %d %s", code, stderr)
	}
}

func TestVersionNeedsNoConfiguration(t *testing.T) {
	code, out, stderr := steward(t, map[string]string{"STEWARD_DATABASE_URL": "bogus://", "PORT": "http"}, "", "version")
	if code != 0 || !strings.HasPrefix(out, "steward ") || !strings.Contains(out, "built with go1.") || !strings.Contains(out, "database schema ") {
		t.Fatalf("steward version: exit %d\n%s%s", code, out, stderr)
	}
}
