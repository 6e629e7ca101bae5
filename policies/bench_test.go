package policies

import (
	"testing"
)

func BenchmarkRender(b *testing.B) {
	body := demoBody(b, "demo/privacy/v3.md")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Render(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	older, newer := demoBody(b, "demo/privacy/v1.md"), demoBody(b, "demo/privacy/v3.md")
	b.SetBytes(int64(len(older) + len(newer)))
	for b.Loop() {
		Compare(older, newer)
	}
}

func demoBody(b *testing.B, name string) string {
	data, err := DemoFS.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	f, err := ParseFile(name, data)
	if err != nil {
		b.Fatal(err)
	}
	return f.Body
}
