package policies

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// deep is a 199 KB body of nested block quotes: goldmark's time grows with
// the square of the depth, and this one kept it busy for over a minute.
var deep = strings.Repeat(">", 199_000)

func TestDeeplyNestedDraftIsRefusedBeforeRendering(t *testing.T) {
	for name, body := range map[string]string{
		"block quotes":      deep,
		"ordered lists":     strings.Repeat("1. ", 66_000),
		"link destinations": strings.Repeat("[a](", 49_750),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := DraftInput{Body: body, Summary: "s", ChangeKind: Minor}.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(ve.Fields["body"], "is too deeply nested: line 1 nests") {
				t.Fatalf("Validate = %v", err)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Fatalf("refusing took %v", d)
			}
		})
	}
}

// BenchmarkDeepNesting compares refusing the 199 KB body with rendering
// one a tenth its size (the whole one takes over a minute to render).
func BenchmarkDeepNesting(b *testing.B) {
	b.Run("validate_199KB", func(b *testing.B) {
		for b.Loop() {
			if (DraftInput{Body: deep, Summary: "s", ChangeKind: Minor}).Validate() == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("render_20KB", func(b *testing.B) {
		for b.Loop() {
			if _, err := Render(deep[:20_000]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
