package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
