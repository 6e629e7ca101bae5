package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/internal/db"
)

func TestCoursesImportExport(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DATABASE_URL": filepath.Join(dir, "s.db")}
	src := "../../courses/starter/responsible-use-of-customer-data"

	// A broken copy: every problem named with file and line, nothing imported.
	broken := filepath.Join(dir, "broken")
	os.MkdirAll(broken, 0o755)
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(src, e.Name()))
		if e.Name() == "course.yaml" {
			b = []byte(strings.Replace(string(b), "pass_mark:", "passmark: 80\npass_mark:", 1))
		}
		os.WriteFile(filepath.Join(broken, e.Name()), b, 0o644)
	}
	code, _, stderr := steward(t, env, "", "courses", "import", broken)
	if code != 1 || !strings.Contains(stderr, "course.yaml:") || !strings.Contains(stderr, `unknown key "passmark"`) || !strings.Contains(stderr, "nothing was imported") {
		t.Fatalf("broken import: exit %d\n%s", code, stderr)
	}

	code, out, stderr := steward(t, env, "", "courses", "import", src)
	if code != 0 || !strings.Contains(out, "imported responsible-use-of-customer-data: new course at revision 1") {
		t.Fatalf("import: exit %d %q %q", code, out, stderr)
	}
	code, out, _ = steward(t, env, "", "courses", "import", src)
	if code != 0 || !strings.Contains(out, "unchanged at revision 1") {
		t.Fatalf("re-import: exit %d %q", code, out)
	}

	exported := filepath.Join(dir, "exported")
	code, out, stderr = steward(t, env, "", "courses", "export", "responsible-use-of-customer-data", exported)
	// As many files as the folder it was imported from.
	if want := fmt.Sprintf("%d files", countFiles(t, src)); code != 0 || !strings.Contains(out, want) {
		t.Fatalf("export: exit %d %q %q", code, out, stderr)
	}
	code, out, _ = steward(t, env, "", "courses", "import", exported)
	if code != 0 || !strings.Contains(out, "unchanged at revision 1") {
		t.Fatalf("importing the export: exit %d %q", code, out)
	}
	if code, out, _ := steward(t, env, "", "audit", "verify"); code != 0 || !strings.Contains(out, "entries") {
		t.Fatalf("audit verify after import and export: exit %d %q", code, out)
	}
	d, err := db.Open(env["STEWARD_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var exports int
	d.Get(&exports, `SELECT COUNT(*) FROM audit_log WHERE action = 'course.export' AND actor = 'cli'`)
	if exports != 1 {
		t.Fatalf("course exports audited: %d, want 1", exports)
	}
	var imports int
	d.Get(&imports, `SELECT COUNT(*) FROM audit_log WHERE action = 'course.create' AND actor = 'cli' AND actor_id IS NULL`)
	if imports != 1 {
		t.Fatalf("course imports audited as the command line: %d, want 1", imports)
	}
	if code, _, stderr := steward(t, env, "", "courses", "export", "no-such-course", filepath.Join(dir, "x")); code != 1 || !strings.Contains(stderr, "no course has the slug") {
		t.Fatalf("unknown slug: exit %d %q", code, stderr)
	}
	if code, _, stderr := steward(t, env, "", "courses", "import"); code != 2 || !strings.Contains(stderr, "name one course folder") {
		t.Fatalf("no folder: exit %d %q", code, stderr)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
