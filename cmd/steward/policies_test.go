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

// TestPolicyTranslationFilesRoundTrip publishes a policy with its German
// translation beside it, exports both, and publishes the export again:
// nothing changes, and the exported translation is the one published.
func TestPolicyTranslationFilesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DATABASE_URL": filepath.Join(dir, "steward.db")}
	if code, _, stderr := steward(t, env, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	en := write("privacy.md", "---\nslug: privacy\ntitle: Privacy policy\nchange: material\nsummary: First version.\n---\n\n# Privacy policy\n\nWe keep little.\n")
	// The English text is a draft one admin wrote and another approved.
	for _, who := range []string{"author", "approver"} {
		if code, _, stderr := steward(t, env, "a long enough password\n", "user", "add", "--email", who+"@example.com", "--name", who, "--role", "admin"); code != 0 {
			t.Fatalf("user add %s: %s", who, stderr)
		}
	}
	for _, args := range [][]string{
		{"policies", "draft", en, "--as", "author@example.com"},
		{"policies", "submit", "privacy", "--as", "author@example.com"},
		{"policies", "approve", "privacy", "--as", "approver@example.com"},
	} {
		if code, out, stderr := steward(t, env, "", args...); code != 0 {
			t.Fatalf("%v: %d %s%s", args, code, out, stderr)
		}
	}
	de := write("privacy.de.md", "---\ntitle: Datenschutzerklärung\nsummary: Erste Fassung.\nkey_points:\n  - Wenig Daten\n---\n\n# Datenschutzerklärung\n\nWir speichern wenig.\n")
	code, out, stderr := steward(t, env, "", "policies", "publish", de, en)
	if code != 0 || !strings.Contains(out, "published privacy version 1") || !strings.Contains(out, "published the de translation of privacy version 1") {
		t.Fatalf("publish: %d %q %q", code, out, stderr)
	}

	exported := filepath.Join(dir, "exported")
	if code, out, stderr := steward(t, env, "", "policies", "export", exported); code != 0 || !strings.Contains(out, "exported 2 files") {
		t.Fatalf("export: %d %q %q", code, out, stderr)
	}
	data, err := os.ReadFile(filepath.Join(exported, "privacy", "v1.de.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"slug: privacy\n", "language: de\n", "version: 1\n", "title: Datenschutzerklärung\n", "- Wenig Daten\n", "Wir speichern wenig.\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("exported translation lacks %q:\n%s", want, data)
		}
	}

	// The export published again changes nothing.
	code, out, stderr = steward(t, env, "", "policies", "publish",
		filepath.Join(exported, "privacy", "v1.md"), filepath.Join(exported, "privacy", "v1.de.md"))
	if code != 0 || !strings.Contains(out, "identical to privacy version 1") || !strings.Contains(out, "identical to the de translation of privacy version 1") {
		t.Fatalf("publishing the export: %d %q %q", code, out, stderr)
	}

	// A translation that cannot be placed is refused before anything is
	// published.
	lone := write("terms.fr.md", "---\ntitle: Conditions\n---\n\nTexte.\n")
	code, _, stderr = steward(t, env, "", "policies", "publish", lone)
	if code == 0 || !strings.Contains(stderr, "terms.fr.md: field slug") {
		t.Fatalf("a translation without its policy: %d %q", code, stderr)
	}
}
