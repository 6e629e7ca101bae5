package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/db"
)

// steward runs the command line in-process with its own environment.
func steward(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	keyFileFor(t, env)
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// stewardAt is steward on a day when the clock reads clock().
func stewardAt(t *testing.T, clock func() time.Time, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	keyFileFor(t, env)
	var out, errOut bytes.Buffer
	code := runWithClock(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut, clock)
	return code, out.String(), errOut.String()
}

// keyFileFor keeps the log key of a PostgreSQL test installation in the
// test's own folder (it would default to ./steward-log.key), once per
// environment, so that every command of one installation shares it.
func keyFileFor(t *testing.T, env map[string]string) {
	if env != nil && env["STEWARD_LOG_KEY_FILE"] == "" && strings.Contains(env["STEWARD_DATABASE_URL"], "://") {
		env["STEWARD_LOG_KEY_FILE"] = filepath.Join(t.TempDir(), "steward-log.key")
	}
}

func TestUsageAndConfigErrorsExitTwo(t *testing.T) {
	dbURL := filepath.Join(t.TempDir(), "s.db")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"bad port", map[string]string{"PORT": "http"}, []string{"migrate"}, "PORT must be a number"},
		{"demo in production", map[string]string{"STEWARD_ENV": "production", "STEWARD_SESSION_KEYS": strings.Repeat("a", 64), "STEWARD_DATABASE_URL": dbURL},
			[]string{"serve", "--demo"}, "refused with STEWARD_ENV=production"},
		{"import without a file", map[string]string{"STEWARD_DATABASE_URL": dbURL}, []string{"people", "import"}, "name one CSV file"},
		{"user add bad email", map[string]string{"STEWARD_DATABASE_URL": dbURL}, []string{"user", "add", "--email", "nope", "--name", "N"}, "--email must be"},
		{"unknown flag", map[string]string{"STEWARD_DATABASE_URL": dbURL}, []string{"serve", "--color"}, "flag provided but not defined"},
		{"unknown SMTP option", map[string]string{"STEWARD_DATABASE_URL": dbURL, "STEWARD_SMTP_URL": "smtp://u:pw@mail.example.com?tls=yes"},
			[]string{"serve"}, `STEWARD_SMTP_URL unknown option "tls"`},
		{"bad mail from", map[string]string{"STEWARD_DATABASE_URL": dbURL, "STEWARD_MAIL_FROM": "Steward Privacy Team"},
			[]string{"remind", "--dry-run"}, "STEWARD_MAIL_FROM must be one email address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := steward(t, tc.env, "", tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := steward(t, nil, "", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("--help does not mention %q", c.name)
		}
	}
}

func TestPeopleImportAndUsers(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DATABASE_URL": filepath.Join(dir, "s.db")}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("email,name,team,manager_email,role,hired_on\n,No Email,,,,\nb@example.com,B,,,wizard,\n"), 0o644)
	code, _, stderr := steward(t, env, "", "people", "import", bad)
	if code != 1 || !strings.Contains(stderr, "line 2: email is missing") || !strings.Contains(stderr, "line 3: unknown role") {
		t.Fatalf("bad roster: exit %d, %s", code, stderr)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("email,name,team,manager_email,role,hired_on\nboss@example.com,Bea,Ops,,manager,2024-01-01\nann@example.com,Ann,Ops,boss@example.com,,\n"), 0o644)
	for i, want := range []string{"2 added, 0 updated, 0 unchanged, 1 new teams", "0 added, 0 updated, 2 unchanged, 0 new teams"} {
		code, out, stderr := steward(t, env, "", "people", "import", good)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("import %d: exit %d, %q %q", i+1, code, out, stderr)
		}
	}
	code, out, stderr := steward(t, env, "a long enough password\n", "user", "add", "--email", "Ops@Example.com", "--name", "Ops Person", "--role", "admin", "--team", "Ops", "--manager", "boss@example.com")
	if code != 0 || !strings.Contains(out, "added Ops Person <ops@example.com> as admin") {
		t.Fatalf("user add: %d %q %q", code, out, stderr)
	}
	for _, c := range []struct{ password, want string }{
		{"short", "12 to 72"},
		{"Password1234", "leaked in breaches"},
		{"ops.person99", "own email or name"},
	} {
		if code, _, stderr := steward(t, env, c.password+"\n", "user", "passwd", "ops@example.com"); code != 2 || !strings.Contains(stderr, c.want) {
			t.Fatalf("user passwd %q: %d %q", c.password, code, stderr)
		}
	}
	code, _, stderr = steward(t, env, "iloveyou1234\n", "user", "add", "--email", "new@example.com", "--name", "New Person", "--team", "Brand New Team")
	if code != 2 || !strings.Contains(stderr, "leaked in breaches") {
		t.Fatalf("user add with a breached password: %d %q", code, stderr)
	}
	if code, out, _ := steward(t, env, "", "user", "add", "--email", "x@example.com", "--name", "X", "--team", "brand new team"); code != 2 || strings.Contains(out, "added") {
		t.Fatalf("user add without a password: %d", code)
	}
	if n := countRows(t, env["STEWARD_DATABASE_URL"], `SELECT COUNT(*) FROM teams WHERE name LIKE 'Brand New%'`); n != 0 {
		t.Fatalf("a refused user add created its team (%d)", n)
	}
	if code, out, _ := steward(t, env, "a long enough password\n", "user", "add", "--email", "other@example.com", "--name", "Other", "--team", "Ops"); code != 0 || !strings.Contains(out, "added Other") {
		t.Fatalf("user add: %d %q", code, out)
	}
	if code, _, stderr := steward(t, env, "another long password\n", "user", "passwd", "ghost@example.com"); code != 1 || !strings.Contains(stderr, "nobody has the email") {
		t.Fatalf("unknown person: %d %q", code, stderr)
	}
	if code, out, _ := steward(t, env, "", "migrate"); code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("migrate: %d %q", code, out)
	}
}

func TestDemoOnlyLoadsIntoAnEmptyDatabase(t *testing.T) {
	env := map[string]string{"STEWARD_DATABASE_URL": filepath.Join(t.TempDir(), "s.db")}
	code, out, stderr := steward(t, env, "", "demo")
	if code != 0 || !strings.Contains(out, "demo organisation loaded") {
		t.Fatalf("demo: %d %q %q", code, out, stderr)
	}
	code, _, stderr = steward(t, env, "", "demo")
	if code != 1 || !strings.Contains(stderr, "already has people") {
		t.Fatalf("second demo: %d %q", code, stderr)
	}
}

// TestCommandHelp: every command answers --help, -h and "steward help
// COMMAND" on stdout with its arguments and flags and exit 0, before the
// environment is read, so a broken configuration does not hide the help.
func TestCommandHelp(t *testing.T) {
	bogus := map[string]string{"STEWARD_DATABASE_URL": "bogus://", "PORT": "http", "STEWARD_ENV": "nonsense"}
	for _, c := range commands() {
		words := strings.Fields(c.name)
		for _, args := range [][]string{
			append(slices.Clone(words), "--help"),
			append(slices.Clone(words), "-h"),
			append([]string{"help"}, words...),
			append(slices.Clone(words), "--to", "x", "-h"),
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, stderr := steward(t, bogus, "", args...)
				if code != 0 || stderr != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
				}
				if want := strings.TrimSpace("Usage: steward " + c.name + " " + c.args); !strings.Contains(out, want) {
					t.Errorf("stdout %q does not contain %q", out, want)
				}
				if !strings.Contains(out, "Flags:") && !strings.Contains(out, "no flags") {
					t.Errorf("stdout %q does not list the flags", out)
				}
			})
		}
	}
	code, out, _ := steward(t, bogus, "", "serve", "--help")
	if code != 0 || !strings.Contains(out, "-demo") {
		t.Errorf("serve --help: exit %d, %q; want its --demo flag", code, out)
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		if code, out, _ := steward(t, bogus, "", args...); code != 0 || !strings.Contains(out, "Usage: steward COMMAND") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

func TestHelpForAnUnknownCommand(t *testing.T) {
	code, _, stderr := steward(t, nil, "", "help", "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Fatalf("exit %d, stderr %q; want 2 and the unknown command named", code, stderr)
	}
}

// countRows answers a COUNT query on the SQLite database at path.
func countRows(t *testing.T, path, query string) int {
	t.Helper()
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.Get(&n, query); err != nil {
		t.Fatal(err)
	}
	return n
}
