package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPoliciesPublishFromFiles: `steward policies publish` applies a
// changed title with an unchanged body, refuses a date in the past and a
// material change to a public policy with less notice than
// STEWARD_POLICY_NOTICE_DAYS, naming the file and the field.
func TestPoliciesPublishFromFiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"STEWARD_DATABASE_URL":       filepath.Join(dir, "steward.db"),
		"STEWARD_BASE_URL":           "https://steward.example.com",
		"STEWARD_POLICY_NOTICE_DAYS": "10",
	}
	day := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return day }
	if code, _, errOut := stewardAt(t, clock, env, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	// Two admins: one writes each file's draft, the other approves it.
	for _, who := range []string{"author", "approver"} {
		if code, _, errOut := stewardAt(t, clock, env, "a long enough password\n", "user", "add", "--email", who+"@example.com", "--name", who, "--role", "admin"); code != 0 {
			t.Fatalf("user add %s: %s", who, errOut)
		}
	}
	approve := func(file string) {
		t.Helper()
		for _, args := range [][]string{
			{"policies", "draft", file, "--as", "author@example.com"},
			{"policies", "submit", "cookies", "--as", "author@example.com"},
			{"policies", "approve", "cookies", "--as", "approver@example.com"},
		} {
			if code, out, errOut := stewardAt(t, clock, env, "", args...); code != 0 {
				t.Fatalf("%v: %d %s%s", args, code, out, errOut)
			}
		}
	}
	write := func(name, front, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("---\nslug: cookies\naudience: public\nsummary: s\n"+front+"---\n"+body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := write("v1.md", "title: Cookies\nchange: material\n", "# Cookies\n\nOne cookie.\n")
	approve(v1)
	if code, out, errOut := stewardAt(t, clock, env, "", "policies", "publish", v1); code != 0 || !strings.Contains(out, "published cookies version 1") {
		t.Fatalf("v1: %d %s%s", code, out, errOut)
	}
	retitled := write("retitled.md", "title: Cookie policy\nchange: material\n", "# Cookies\n\nOne cookie.\n")
	code, out, errOut := stewardAt(t, clock, env, "", "policies", "publish", retitled)
	if code != 0 || !strings.Contains(out, `no new version, title "Cookie policy" updated`) {
		t.Fatalf("retitle: %d %s%s", code, out, errOut)
	}
	past := write("past.md", "title: Cookie policy\nchange: minor\neffective: 2026-05-01\n", "# Cookies\n\nTwo cookies.\n")
	approve(past)
	if code, _, errOut := stewardAt(t, clock, env, "", "policies", "publish", past); code == 0 ||
		!strings.Contains(errOut, "past.md: field effective: 2026-05-01T00:00:00Z is in the past") {
		t.Errorf("a past date: %d %s", code, errOut)
	}
	soon := write("soon.md", "title: Cookie policy\nchange: material\neffective: 2026-06-10\n", "# Cookies\n\nTwo cookies.\n")
	if code, _, errOut := stewardAt(t, clock, env, "", "policies", "publish", soon); code == 0 ||
		!strings.Contains(errOut, "soon.md: field effective: readers are owed 10 days' notice of a material change: choose 2026-06-11 or later") {
		t.Errorf("short notice: %d %s", code, errOut)
	}
	ok := write("ok.md", "title: Cookie policy\nchange: material\neffective: 2026-06-11\n", "# Cookies\n\nTwo cookies.\n")
	if code, out, errOut := stewardAt(t, clock, env, "", "policies", "publish", ok); code != 0 || !strings.Contains(out, "scheduled: takes effect 2026-06-11T00:00:00Z") {
		t.Errorf("full notice: %d %s%s", code, out, errOut)
	}
}
