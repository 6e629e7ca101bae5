package db

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedactHidesThePostgresPassword(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://steward:s3cret@db.example.com:5432/steward", "postgres://steward:xxxxx@db.example.com:5432/steward"},
		{"postgresql://steward:p%40ss@db/steward?sslmode=require", "postgresql://steward:xxxxx@db/steward?sslmode=require"},
		{"postgres://steward@db/steward?password=s3cret&sslmode=disable", "postgres://steward@db/steward?password=xxxxx&sslmode=disable"},
		{"postgres://db/steward", "postgres://db/steward"},
		{"postgres://steward:s3cret@[::1/steward", "postgres://(a URL that does not parse, hidden as it may hold a password)"},
		{"sqlite:steward.db", "sqlite:steward.db"},
		{"/var/lib/steward/steward.db", "/var/lib/steward/steward.db"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHidePasswordInDriverErrors(t *testing.T) {
	cause := errors.New("refused")
	for _, raw := range []string{
		"postgres://steward:hunter2-secret@db:5432/steward",
		"postgres://steward:hunter2%2Dsecret@db:5432/steward",
		"postgres://steward@db/steward?password=hunter2-secret",
		"postgres://steward:hunter2-secret@db:bad-port/steward",
	} {
		// A driver that quoted the whole URL it was given, as some do.
		err := hidePassword(fmt.Errorf("cannot connect to %s: %w", raw, cause), raw)
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the password shows: %v", err)
		}
		if !errors.Is(err, cause) {
			t.Errorf("%v no longer wraps its cause", err)
		}
	}
}

func TestOpenPostgresErrorHasNoPassword(t *testing.T) {
	for _, raw := range []string{
		"postgres://steward:hunter2-secret@127.0.0.1:1/steward",
		"postgres://steward:hunter2-secret@127.0.0.1:bad/steward",
		"postgres://steward@127.0.0.1:1/steward?password=hunter2-secret&sslmode=bogus",
	} {
		_, err := Open(raw)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q): %v", Redact(raw), err)
		}
	}
}
