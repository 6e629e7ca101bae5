package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestApprovalFromTheCommandLine: a file is published only once a second
// admin has approved the very same content, as the CLI names who acts.
func TestApprovalFromTheCommandLine(t *testing.T) {
	env, _ := demoInstall(t)
	file := filepath.Join(t.TempDir(), "cookies.md")
	write := func(body string) {
		t.Helper()
		src := "---\nslug: cookies\ntitle: Cookie policy\nchange: material\nsummary: Our first cookie policy.\n---\n\n# Cookie policy\n\n" + body + "\n"
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("We set one cookie, to keep you signed in.")
	expect := func(wantCode int, want string, args ...string) {
		t.Helper()
		code, out, stderr := steward(t, env, "", args...)
		if code != wantCode || !strings.Contains(out+stderr, want) {
			t.Fatalf("%v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", args, code, wantCode, want, out, stderr)
		}
	}
	expect(1, "cookies.md: policies: no approved draft is identical to the file", "policies", "publish", file)
	expect(2, "--as EMAIL", "policies", "draft", file)
	expect(1, "not an active admin", "policies", "draft", file, "--as", "employee@example.com")
	expect(0, "saved as the draft of cookies", "policies", "draft", file, "--as", "admin@example.com")
	expect(1, "is not submitted", "policies", "approve", "cookies", "--as", "privacy.lead@example.com")
	expect(0, "submitted for approval", "policies", "submit", "cookies", "--as", "admin@example.com")
	expect(1, "another approver must approve it", "policies", "approve", "cookies", "--as", "admin@example.com")
	expect(1, "comment: is required", "policies", "reject", "cookies", "--as", "privacy.lead@example.com")
	expect(0, "sent back", "policies", "reject", "cookies", "--as", "privacy.lead@example.com", "--comment", "Name the cookie.")
	write("We set one cookie, steward_session, to keep you signed in.")
	expect(0, "saved as the draft", "policies", "draft", file, "--as", "admin@example.com")
	expect(0, "submitted", "policies", "submit", "cookies", "--as", "admin@example.com")
	expect(0, "draft approved", "policies", "approve", "cookies", "--as", "privacy.lead@example.com", "--comment", "Good.")
	// The file must be the approved content, word for word.
	write("We set two cookies.")
	expect(1, "no approved draft is identical", "policies", "publish", file)
	write("We set one cookie, steward_session, to keep you signed in.")
	expect(0, "published cookies version 1", "policies", "publish", file)

	expect(0, "reviewed, no change: recorded", "policies", "review", "cookies", "--as", "privacy.lead@example.com", "--note", "Still one cookie.")
	expect(1, "no policy has the slug nope", "policies", "review", "nope", "--as", "admin@example.com")
	code, out, _ := steward(t, env, "", "audit", "verify")
	if code != 0 {
		t.Fatalf("audit verify: %d %s", code, out)
	}
	expect(0, "approve a submitted draft as EMAIL", "--help")
}
