package courses

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
)

// folder copies testdata/basics into a MapFS with edits applied.
func folder(t *testing.T, edit func(files map[string]string)) fstest.MapFS {
	t.Helper()
	files := map[string]string{}
	for _, name := range []string{"course.yaml", "01-collect-less.md", "02-share-carefully.md"} {
		b, err := fsReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	if edit != nil {
		edit(files)
	}
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

func fsReadFile(name string) ([]byte, error) { return fs.ReadFile(basics, name) }

// lineOf is the 1-based line of the first line containing s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not found", s)
	return 0
}

func TestParseReportsEveryProblemWithFileAndLine(t *testing.T) {
	var want []string
	bad := folder(t, func(f map[string]string) {
		// course.yaml: an unknown key and a bad slug.
		f["course.yaml"] = strings.Replace(f["course.yaml"], "shuffle: true", "shuffle: true\ncolour: blue", 1)
		f["course.yaml"] = strings.Replace(f["course.yaml"], "slug: basics", "slug: Basics Course", 1)
		want = append(want,
			fmt.Sprintf("course.yaml:%d: unknown key \"colour\"", lineOf(t, f["course.yaml"], "colour")),
			fmt.Sprintf("course.yaml:%d: slug \"Basics Course\"", lineOf(t, f["course.yaml"], "slug:")))

		m1 := f["01-collect-less.md"]
		// A single-choice question with two correct options.
		m1 = strings.Replace(m1, "      - text: Keep it in case it is useful later.", "      - text: Keep it in case it is useful later.\n        correct: true", 1)
		// A multiple-choice question with no correct option.
		m1 = strings.Replace(m1, "      - text: An email address.\n        correct: true", "      - text: An email address.", 1)
		m1 = strings.Replace(m1, "      - text: A device identifier.\n        correct: true", "      - text: A device identifier.", 1)
		// Empty question text, and an unknown key in a question.
		m1 = strings.Replace(m1, "    text: Keeping raw logs forever is fine if they are encrypted.", "    text: \"\"\n    hint: think", 1)
		f["01-collect-less.md"] = m1
		want = append(want,
			fmt.Sprintf("01-collect-less.md:%d: question 1: a single-choice question has exactly one correct option", lineOf(t, m1, "options:")),
			fmt.Sprintf("01-collect-less.md:%d: question 2: no option is marked correct", lineOf(t, m1, "Which of these are personal data?")+2),
			fmt.Sprintf("01-collect-less.md:%d: question 4: text is empty", lineOf(t, m1, `text: ""`)),
			fmt.Sprintf("01-collect-less.md:%d: unknown key \"hint\" in question 4", lineOf(t, m1, "hint: think")))

		// A duplicate position and an empty body.
		m2 := strings.Replace(f["02-share-carefully.md"], "position: 2", "position: 1", 1)
		m2 = m2[:strings.LastIndex(m2, "---\n")+4] + "\n"
		f["02-share-carefully.md"] = m2
		want = append(want,
			fmt.Sprintf("02-share-carefully.md:%d: position 1 is also used by 01-collect-less.md", lineOf(t, m2, "position: 1")),
			"02-share-carefully.md:",
			"the module body is empty")
	})
	_, err := ParseFolder(bad)
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("errors do not mention %q:\n%s", w, msg)
		}
	}
}

func TestParseTrueFalseRules(t *testing.T) {
	bad := folder(t, func(f map[string]string) {
		f["02-share-carefully.md"] = strings.Replace(f["02-share-carefully.md"], "    answer: true\n", "    options:\n      - text: Yes\n        correct: true\n      - text: No\n", 1)
	})
	_, err := ParseFolder(bad)
	if err == nil || !strings.Contains(err.Error(), "02-share-carefully.md:") || !strings.Contains(err.Error(), "uses answer: true or false, not options") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseBrokenYAML(t *testing.T) {
	bad := folder(t, func(f map[string]string) {
		f["course.yaml"] = strings.Replace(f["course.yaml"], "due_days: 30", "due_days: [30", 1)
	})
	_, err := ParseFolder(bad)
	if err == nil || !strings.Contains(err.Error(), "course.yaml:") || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("err = %v", err)
	}
}

func TestImportIsAllOrNothingAndIdempotent(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		now := date(2026, 3, 1)

		first := mustImport(t, s, basics, now)
		if !first.Created || !first.Changed || first.Revision != 1 {
			t.Fatalf("first import = %+v", first)
		}
		again := mustImport(t, s, basics, now.Add(time.Hour))
		if again.Changed || again.Revision != 1 {
			t.Fatalf("re-import of the same folder = %+v, want a no-op", again)
		}
		c, _ := s.Course(ctx, "basics")
		if !c.UpdatedAt.Equal(now) {
			t.Errorf("re-import touched the course: updated %s", c.UpdatedAt)
		}

		// A broken folder changes nothing, even its valid parts.
		broken := folder(t, func(f map[string]string) {
			f["course.yaml"] = strings.Replace(f["course.yaml"], "title: Data basics", "title: Renamed", 1)
			f["02-share-carefully.md"] = strings.Replace(f["02-share-carefully.md"], "kind: single", "kind: essay", 1)
		})
		if _, err := s.Import(ctx, broken, audit.Actor{Label: "test"}, now); !errors.Is(err, ErrInvalid) {
			t.Fatalf("broken import err = %v", err)
		}
		c, _ = s.Course(ctx, "basics")
		if c.Title != "Data basics" || c.Revision != 1 {
			t.Errorf("after a failed import: title %q revision %d", c.Title, c.Revision)
		}

		// A changed folder bumps the revision.
		changed := folder(t, func(f map[string]string) {
			f["02-share-carefully.md"] = strings.Replace(f["02-share-carefully.md"], "send the minimum.", "send the minimum, and write down what you sent.", 1)
		})
		res, err := s.Import(ctx, changed, audit.Actor{Label: "test"}, now)
		if err != nil || !res.Changed || res.Revision != 2 {
			t.Fatalf("changed import = %+v, %v", res, err)
		}
		c, _ = s.Course(ctx, "basics")
		if !strings.Contains(c.Modules[1].Body, "write down what you sent") {
			t.Errorf("body not updated: %q", c.Modules[1].Body)
		}
	})
}

func TestExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		for _, src := range []fs.FS{basics, Starter()} {
			res := mustImport(t, s, src, date(2026, 3, 1))
			files, err := s.Export(ctx, res.Slug)
			if err != nil {
				t.Fatal(err)
			}
			m := fstest.MapFS{}
			for _, f := range files {
				m[f.Name] = &fstest.MapFile{Data: f.Data}
			}
			again, err := s.Import(ctx, m, audit.Actor{Label: "test"}, date(2026, 3, 2))
			if err != nil {
				t.Fatalf("%s: re-import of the export: %v", res.Slug, err)
			}
			if again.Changed {
				t.Errorf("%s: importing the export changed the course", res.Slug)
			}
		}
	})
}

func TestStarterCourse(t *testing.T) {
	c, err := ParseFolder(Starter())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Modules) != 12 {
		t.Errorf("starter has %d modules, want 12", len(c.Modules))
	}
	pooled := 0
	for _, m := range c.Modules {
		if shown := Drawn(&m, 1); len(shown.Questions) < 4 {
			t.Errorf("module %d %q shows %d questions, want at least 4", m.Position, m.Title, len(shown.Questions))
		}
		variants := map[string]int{}
		for _, q := range m.Questions {
			if q.Objective != "" {
				variants[q.Objective]++
			}
		}
		for obj, n := range variants {
			if n < 2 {
				t.Errorf("module %d: objective %q has one question; an objective is worth naming when it has variants", m.Position, obj)
			}
		}
		if len(variants) > 0 {
			pooled++
		}
	}
	if pooled == 0 {
		t.Error("no module of the starter course has question variants")
	}
}

func TestRequiresRetrainingOpensNewCycles(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		a := addPerson(t, d, person{email: "a@example.com"})
		b := addPerson(t, d, person{email: "b@example.com"})
		mustImport(t, s, basics, date(2026, 1, 5))
		mustSync(t, s, date(2026, 1, 5))
		take(t, s, a, "basics", 1, true, date(2026, 1, 6))
		take(t, s, a, "basics", 2, true, date(2026, 1, 6))

		// A minor revision keeps the completion.
		minor := folder(t, func(f map[string]string) {
			f["02-share-carefully.md"] += "\nAsk the privacy team when unsure.\n"
		})
		if _, err := s.Import(ctx, minor, audit.Actor{Label: "test"}, date(2026, 2, 1)); err != nil {
			t.Fatal(err)
		}
		c, _ := s.Course(ctx, "basics")
		cy, _ := s.CurrentCycle(ctx, a, c.ID)
		if cy.Status(date(2026, 2, 1)) != StatusCompleted {
			t.Fatalf("a minor revision changed a's status to %s", cy.Status(date(2026, 2, 1)))
		}

		retrain := folder(t, func(f map[string]string) {
			f["course.yaml"] = strings.Replace(f["course.yaml"], "requires_retraining: false", "requires_retraining: true", 1)
			f["02-share-carefully.md"] += "\nNew rule: vendors must pass a security review.\n"
		})
		res, err := s.Import(ctx, retrain, audit.Actor{Label: "test"}, date(2026, 3, 1))
		if err != nil {
			t.Fatal(err)
		}
		if res.Retrained != 2 || res.Revision != 3 {
			t.Errorf("retraining import = %+v, want 2 cycles reopened at revision 3", res)
		}
		for _, uid := range []int64{a, b} {
			cycles := cyclesOf(t, s, uid, c.ID)
			if len(cycles) != 2 {
				t.Fatalf("user %d has %d cycles, want 2", uid, len(cycles))
			}
			if st := cycles[0].Status(date(2026, 3, 1)); st != StatusNotStarted {
				t.Errorf("user %d new cycle status %s", uid, st)
			}
			if got := cycles[0].DueAt.Format(time.DateOnly); got != "2026-03-31" {
				t.Errorf("user %d new cycle due %s, want 2026-03-31", uid, got)
			}
		}
		old := cyclesOf(t, s, a, c.ID)
		if old[1].CompletedAt == nil {
			t.Error("a's old completion was not kept as evidence")
		}

		// A later edit in the web editor is a new revision, not a new retraining.
		c, _ = s.Course(ctx, "basics")
		m := c.Modules[1]
		m.Body += "\nOne more line."
		edit, err := s.SaveModule(ctx, "basics", m.Position, m, audit.Actor{Label: "test"}, date(2026, 3, 5))
		if err != nil {
			t.Fatal(err)
		}
		if edit.Revision != 4 || edit.Retrained != 0 {
			t.Errorf("module edit = %+v, want revision 4 and no retraining", edit)
		}
		if cycles := cyclesOf(t, s, a, c.ID); len(cycles) != 2 {
			t.Errorf("a has %d cycles after a module edit, want still 2", len(cycles))
		}
	})
}

func TestParseRefusesDeeplyNestedMarkdown(t *testing.T) {
	bad := folder(t, func(f map[string]string) {
		f["02-share-carefully.md"] += "\n" + strings.Repeat("> ", 50_000) + "deep\n"
	})
	start := time.Now()
	_, err := ParseFolder(bad)
	if err == nil || !strings.Contains(err.Error(), "02-share-carefully.md:") || !strings.Contains(err.Error(), "the body is too deeply nested: it nests block quotes and lists more than 32 deep") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("refusing took %v", d)
	}
}
