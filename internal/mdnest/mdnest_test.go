package mdnest

import (
	"errors"
	"strings"
	"testing"
)

func nestedList(levels int) string {
	var b strings.Builder
	for i := range levels {
		b.WriteString(strings.Repeat("  ", i) + "- item\n")
	}
	return b.String()
}

// pathological are inputs of about 199 KB on which goldmark spent tens of
// seconds before this check.
var pathological = map[string]string{
	"block quotes":      strings.Repeat(">", 199_000),
	"spaced quotes":     strings.Repeat("> ", 99_500),
	"ordered lists":     strings.Repeat("1. ", 66_333),
	"bullet lists":      strings.Repeat("- ", 99_500),
	"indented lists":    nestedList(400),
	"link destinations": strings.Repeat("[a](", 49_750),
	"brackets":          strings.Repeat("[", 199_000),
	"image brackets":    strings.Repeat("![", 99_500),
	"parentheses":       strings.Repeat("(", 199_000),
}

func TestCheckRefusesDeepNesting(t *testing.T) {
	for name, src := range pathological {
		t.Run(name, func(t *testing.T) {
			var e *Error
			if err := Check(src); !errors.As(err, &e) || e.Line < 1 || e.Depth <= MaxDepth {
				t.Fatalf("Check = %v", err)
			}
		})
	}
	if err := Check("ok\n\n" + strings.Repeat(">", 40)); err == nil || err.Error() != "line 3 nests block quotes and lists more than 32 deep; simplify it" {
		t.Fatalf("message: %v", err)
	}
}

func TestCheckAcceptsRealMarkdown(t *testing.T) {
	ok := []string{
		"# Privacy policy\n\nWe keep your data ([see below](#retention)) safe.\n\n> A quote\n> > nested\n\n- a\n  - b\n    1. c\n",
		nestedList(MaxDepth),
		strings.Repeat(">", MaxDepth) + " deep but allowed",
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
		// Brackets close across lines and reset at a blank line.
		strings.Repeat("[a](b) (c) ", 10_000),
		strings.Repeat(strings.Repeat("(", 20)+"\n\n", 100),
		// Escaped and fenced text is not nesting.
		strings.Repeat(`\[`, 100),
		"```\n" + strings.Repeat("((((((((((", 10) + "\n" + strings.Repeat(">", 100) + "\n```\n",
		"* * *\n---\n" + strings.Repeat("1234567890. not a list\n", 5),
	}
	for i, src := range ok {
		if err := Check(src); err != nil {
			t.Errorf("%d: %v", i, err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	for name, src := range pathological {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if Check(src) == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
	real := strings.Repeat("## Section\n\nSome text with a [link](https://example.com) (and an aside).\n\n- one\n- two\n  - three\n\n", 2000)
	b.Run("real_policy", func(b *testing.B) {
		b.SetBytes(int64(len(real)))
		for b.Loop() {
			if err := Check(real); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func FuzzCheck(f *testing.F) {
	f.Add("> > - 1. [a](b)")
	f.Add(strings.Repeat(">", 40))
	f.Fuzz(func(t *testing.T, src string) {
		err := Check(src)
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Depth <= MaxDepth) {
			t.Fatalf("Check(%q) = %v", src, err)
		}
	})
}
