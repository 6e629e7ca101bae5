package mail

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFoldedLinksRenderAsCalled: links folded into the templates at start
// give what the link calls give, and a base URL html/template would
// escape keeps its calls.
func TestFoldedLinksRenderAsCalled(t *testing.T) {
	exp := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	data := map[string]any{
		"invite":         map[string]any{"Name": "Ada <Admin>", "InvitedBy": "Grace", "Token": "tok123", "Expires": exp},
		"password_reset": map[string]any{"Name": "Ada", "Token": "tok456", "Expires": exp},
		KindDigest: &Digest{Name: `O'Brien "<b>"`, Summary: "1 item for you",
			Own:  []DigestLine{{"Rock & <Roll>", "Due by 5 Dec 2026.", "https://steward.example.com/courses/a b?x=1&y='2'"}},
			Also: []DigestLine{{"javascript", "x", "javascript:alert(1)"}}},
	}
	for _, base := range []string{"https://steward.example.com", "http://localhost:8080/steward/", "https://example.com/a+b'c"} {
		folded, err := NewRenderer(base)
		if err != nil {
			t.Fatal(err)
		}
		called, err := newRenderer(base, false)
		if err != nil {
			t.Fatal(err)
		}
		for kind, v := range data {
			for range 2 { // the second time from the kept lines
				got, err := folded.Render(kind, v)
				if err != nil {
					t.Fatal(err)
				}
				want, err := called.Render(kind, v)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %s:\n got %#v\nwant %#v", base, kind, got, want)
				}
			}
		}
		if tt := folded.html[KindDigest].Lookup("htmlLayout"); tt == nil {
			t.Fatal("no htmlLayout")
		}
	}
	if !keptAsIs("https://steward.example.com/home") || keptAsIs("https://example.com/a+b") || keptAsIs("https://x/{{.}}") {
		t.Error("keptAsIs")
	}
	if r, _ := NewRenderer("https://steward.example.com"); strings.Contains(r.foldLinks(`{{link "/"}} {{link "/x/" .T}}`), `{{link "/"}}`) ||
		!strings.Contains(r.foldLinks(`{{link "/x/" .T}}`), `{{link "/x/" .T}}`) {
		t.Error("foldLinks folds constant links only")
	}
}

// A digest renders from a Digest only: its HTML body ranges over lines
// the renderer made from one.
func TestDigestNeedsADigest(t *testing.T) {
	r, err := NewRenderer("https://steward.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Render(KindDigest, map[string]any{"Name": "x"}); err == nil {
		t.Error("a map rendered as a digest")
	}
	for i := range maxKeptLines + 10 {
		l := DigestLine{Headline: "H", Detail: "d", URL: "https://steward.example.com/" + strconv.Itoa(i)}
		h, err := r.digestLine(l)
		if err != nil || !strings.Contains(string(h.html), l.URL) || !strings.Contains(h.plain, l.URL) {
			t.Fatalf("line %d: %+v, %v", i, h, err)
		}
	}
	if n := len(r.lines.cur) + len(r.lines.prev); n > maxKeptLines {
		t.Errorf("%d lines kept, at most %d", n, maxKeptLines)
	}
}
