package archtest

import (
	"strings"
	"testing"
)

// plantedDoc is a small architecture page in the real one's shape.
const plantedDoc = "# A\n\n### Import layers\n\n1. `handlers`\n2. `internal/reports`, `internal/reminders`\n3. `internal/people`, `courses`\n\n" +
	"### Tables and their owners\n\n| table | owner | rules |\n|---|---|---|\n| `users` | `internal/people` | |\n| `course_cycles` | `courses` | |\n\n" +
	"| table | columns | kept by | why |\n|---|---|---|---|\n| `course_cycles` | `standing`, `standing_from` | `internal/reports` | a cache |\n\n" +
	"### Allowed reads of another owner's table\n\n| reader | table | why |\n|---|---|---|\n| `internal/reports` | `users` | read model |\n"

// TestCheckerFindsPlantedViolations: each kind of violation, planted in
// a source of its own, is found, and the allowed forms are not.
func TestCheckerFindsPlantedViolations(t *testing.T) {
	for _, c := range []struct {
		name, path, src, want string
	}{
		{"an import against the layers", "internal/people/x.go",
			"package people\nimport _ \"steward/internal/reports\"\n", "against the import layers"},
		{"an import of the same layer", "internal/reports/x.go",
			"package reports\nimport _ \"steward/internal/reminders\"\n", "against the import layers"},
		{"a package in no layer", "internal/stray/x.go", "package stray\n", "in no import layer"},
		{"an insert by another package", "internal/reminders/x.go",
			"package reminders\nconst q = `INSERT INTO users (id) VALUES (?)`\n", "writes users"},
		{"an upsert by another package", "internal/reports/x.go",
			"package reports\nconst q = `INSERT INTO course_cycles (id) VALUES (?) ON CONFLICT (id) DO NOTHING`\n", "writes course_cycles"},
		{"an update by another package", "internal/reminders/x.go",
			"package reminders\nconst q = `UPDATE users SET name = ? WHERE id = ?`\n", "writes users"},
		{"a delete by another package", "handlers/x.go",
			"package handlers\nvar q = \"DELETE FROM course_cycles WHERE id = \" + \"?\"\n", "writes course_cycles"},
		{"an update of columns not kept", "internal/reports/x.go",
			"package reports\nconst q = `UPDATE course_cycles SET standing = NULL, closed_at = ? WHERE id = ?`\n", "writes course_cycles"},
		{"a write to a table named at run time", "internal/reminders/x.go",
			"package reminders\nfunc q(table string) string { return \"INSERT INTO \" + table }\n", "named at run time"},
		{"a read not allowed", "internal/reminders/x.go",
			"package reminders\nconst q = `SELECT c.id FROM course_cycles c WHERE c.user_id = ?`\n", "reads course_cycles"},
		{"a join not allowed", "internal/reports/x.go",
			"package reports\nconst q = `SELECT u.id FROM users u JOIN course_cycles c ON c.user_id = u.id`\n", "reads course_cycles"},
		{"a table handed to a query builder", "internal/reminders/x.go",
			"package reminders\nvar from = build(\"users u\", \"u.id\")\n", "reads users"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := parseModel(plantedDoc)
			if err != nil {
				t.Fatal(err)
			}
			bad := m.check([]source{{c.path, c.src}})
			if len(bad) != 1 || !strings.Contains(bad[0], c.want) {
				t.Errorf("found %q, want one finding saying %q", bad, c.want)
			}
		})
	}
}

// TestCheckerAllowsWhatThePageAllows: the owner's writes, a kept
// column's update, an allowed read, a downward import and words that
// only look like SQL pass.
func TestCheckerAllowsWhatThePageAllows(t *testing.T) {
	m, err := parseModel(plantedDoc)
	if err != nil {
		t.Fatal(err)
	}
	bad := m.check([]source{
		{"internal/people/x.go", "package people\nconst q = `UPDATE users SET name = ? WHERE id = ?`\nconst r = `DELETE FROM users WHERE id = ?`\n"},
		{"courses/x.go", "package courses\nconst q = `INSERT INTO course_cycles (id) VALUES (?)`\n"},
		{"internal/reports/x.go", "package reports\nimport _ \"steward/courses\"\n" +
			"const q = `UPDATE course_cycles SET standing = ?, standing_from = ? WHERE id = ?`\n" +
			"const r = `SELECT u.name FROM users u`\nconst e = \"reports: read users from the line\"\n"},
		{"handlers/x.go", "package handlers\nimport _ \"steward/internal/reports\"\nconst s = \"people from users\"\n"},
	})
	if len(bad) != 0 {
		t.Errorf("allowed forms reported: %q", bad)
	}
	if !m.used[[2]string{"internal/reports", "users"}] {
		t.Error("the allowed read was not seen")
	}
}
