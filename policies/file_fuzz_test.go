package policies

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseFile feeds arbitrary bytes to the policy file parser (front
// matter and body). A file either parses into settings and a draft that
// pass their own validation, or fails with a *FileError naming the file
// and at least one field; the parser never panics.
func FuzzParseFile(f *testing.F) {
	for _, name := range []string{"demo/privacy/v1.md", "demo/privacy/v3.md", "demo/staff-privacy-notice/v1.md"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"",
		"---\n---\n",
		"---\nslug: x\n",
		"---\nslug: privacy\ntitle: T\nsummary: s\nchange: minor\n---\nBody\n",
		"\ufeff---\r\nslug: a\r\ntitle: T\r\nsummary: s\r\nchange: material\r\neffective: 2026-13-45\r\n---\r\nB",
		"---\nslug: ../../etc/passwd\ntitle: <script>alert(1)</script>\naudience: secret\nchange: huge\n---\nx",
		"---\nacknowledge: maybe\nacknowledge_within_days: -1\nreacknowledge_months: 99999999999999999999999\n---\nx",
		"---\nslug: [a, b]\ntitle: {x: 1}\nsummary: 1.5\nunknown: 1\n---\nx",
		"---\n&a [*a, *a]\n---\nx",
		"---\nslug: a\ntitle: T\naudience: staff\nacknowledge: true\nsummary: s\nchange: material\ncheck:\n  - section: a\n    question: Q?\n    choices: [x, y]\n    answer: 1\n---\n## A {#a}\n\nText\n",
		"---\ncheck:\n  - {section: [1], question: 2, choices: {a: b}, answer: -9}\n  - 7\n---\nx",
		"---\nslug: a\ntitle: \xff\xfe\nsummary: s\nchange: minor\n---\n\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile("fuzz.md", data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error is %T, want *FileError: %v", err, err)
			}
			if fe.File != "fuzz.md" || len(fe.Fields) == 0 {
				t.Fatalf("a FileError without file or fields: %+v", fe)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.md: ") {
				t.Fatalf("message does not name the file: %q", err.Error())
			}
			return
		}
		if file.Body != NormalizeBody(file.Body) {
			t.Fatal("the body is not in its normal form")
		}
		if err := (DraftInput{Body: file.Body, Summary: file.Summary, ChangeKind: file.Change}).Validate(); err != nil {
			t.Fatalf("accepted a draft that does not validate: %v", err)
		}
		if err := ValidateCheck(file.Check, file.Body); err != nil {
			t.Fatalf("accepted a check that does not validate: %v", err)
		}
		if len(file.Check) > 0 && file.Change != Material {
			t.Fatalf("accepted a check on a %s change", file.Change)
		}
		if file.Settings.AckWithinDays < 0 || file.Settings.ReackMonths < 0 {
			t.Fatalf("negative settings accepted: %+v", file.Settings)
		}
	})
}
