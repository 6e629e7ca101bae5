package courses

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"testing"
	"testing/fstest"
	"time"
)

// FuzzParseFolder feeds arbitrary course.yaml and module files to the
// course folder importer. A folder either parses into a course that passes
// Validate, or fails with a *ValidationError whose every problem names a
// file; the importer never panics.
func FuzzParseFolder(f *testing.F) {
	basics := os.DirFS("testdata/basics")
	courseYAML, err := fs.ReadFile(basics, "course.yaml")
	if err != nil {
		f.Fatal(err)
	}
	module1, _ := fs.ReadFile(basics, "01-collect-less.md")
	module2, _ := fs.ReadFile(basics, "02-share-carefully.md")
	starterYAML, _ := fs.ReadFile(Starter(), "course.yaml")
	f.Add(courseYAML, module1, module2)
	f.Add(starterYAML, module2, module1)
	f.Add([]byte(""), []byte(""), []byte(""))
	f.Add([]byte("slug: x\n"), []byte("---\n---\n"), []byte("---\nposition: 1\n"))
	f.Add([]byte("slug: [unclosed\n"), []byte("---\nposition: -1\ntitle: \"\"\nquiz: 7\n---\nbody\n"), []byte("no front matter"))
	f.Add([]byte("audience:\n  everyone: true\n  teams: [a]\n  roles: [king]\ndue_days: 99999999999999999999\npass_mark: -5\n"),
		[]byte("---\nposition: 1\ntitle: T\nquiz:\n  - kind: essay\n    text: Q\n    options: [{text: a, correct: true}]\n---\nB\n"),
		[]byte("---\r\nposition: 1\r\ntitle: T\r\nquiz:\r\n  - kind: truefalse\r\n    text: Q\r\n    answer: maybe\r\n---\r\nB\r\n"))
	f.Add([]byte("&a [*a, *a]\n"), []byte("---\n&x {a: *x}\n---\nB"), []byte("---\nposition: 1\ntitle: T\nquiz:\n  - kind: multiple\n    text: Q\n    options:\n      - text: A\n        correct: true\n      - text: A\n---\n\xff\xfe"))
	f.Fuzz(func(t *testing.T, course, m1, m2 []byte) {
		fsys := fstest.MapFS{
			"course.yaml":      {Data: course},
			"01-first.md":      {Data: m1},
			"02-second-one.md": {Data: m2},
		}
		c, err := parseWithin(t, fsys, 2*time.Second)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is %T, want *ValidationError: %v", err, err)
			}
			if !errors.Is(err, ErrInvalid) || len(ve.Problems) == 0 {
				t.Fatalf("validation error without problems: %v", err)
			}
			return
		}
		if len(c.Modules) != 2 {
			t.Fatalf("%d modules from two files", len(c.Modules))
		}
		if err := Validate(c); err != nil {
			t.Fatalf("a parsed course does not validate: %v", err)
		}
		// What was imported can be exported and read back the same.
		files, err := Folder(c)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		back := fstest.MapFS{}
		for _, fl := range files {
			back[fl.Name] = &fstest.MapFile{Data: fl.Data}
		}
		again, err := ParseFolder(back)
		if err != nil {
			t.Fatalf("the exported folder does not import: %v", err)
		}
		if hash(again) != hash(c) {
			t.Fatal("export and import changed the course")
		}
	})
}

// parseWithin parses fsys and fails the test, with every goroutine's stack,
// when parsing takes longer than limit: a folder that hangs the importer is
// a denial of service through the admin upload.
func parseWithin(t *testing.T, fsys fs.FS, limit time.Duration) (*Course, error) {
	type result struct {
		c   *Course
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ParseFolder(fsys)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		return r.c, r.err
	case <-time.After(limit):
		buf := make([]byte, 1<<16)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("ParseFolder did not return within %s:\n%s", limit, buf)
		return nil, nil
	}
}
