package org_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"steward/internal/org"
)

// unescapeMarkdown undoes CommonMark backslash escapes of ASCII punctuation.
var unescapeMarkdown = regexp.MustCompile("\\\\([!-/:-@\\[-`{-~])")

// FuzzFill checks that whatever a setting accepts comes out of a
// placeholder as the same text and nothing more: HTML-escaped in a course,
// Markdown-escaped in a policy.
func FuzzFill(f *testing.F) {
	for _, seed := range []string{"Hannah Okafor", `Tom & "Jerry" <b>`, "a_b*c* [x](y) `z` #1 | ~ !", "\\*", "&amp;", "line\nbreak", "\u202e"} {
		f.Add("dpo", seed)
		f.Add("footer_links", "A | https://a.example/"+seed)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		clean, err := org.Clean(map[string]string{key: value})
		if err != nil {
			return
		}
		v := clean[key]
		if strings.ContainsAny(v, "<>") || strings.Contains(v, "{{") {
			t.Fatalf("%s accepted %q", key, v)
		}
		fact, _ := org.FieldOf(key)
		if !fact.Fact || v == "" {
			return
		}
		s := &org.Settings{Values: clean}
		text := "[{{org." + key + "}}]"
		if got, want := org.FillHTML(text, s), "["+html.EscapeString(v)+"]"; got != want {
			t.Fatalf("FillHTML = %q, want %q", got, want)
		}
		md, err := org.FillMarkdown(text, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := unescapeMarkdown.ReplaceAllString(md[1:len(md)-1], "$1"); got != v {
			t.Fatalf("FillMarkdown = %q, which reads as %q, want %q", md, got, v)
		}
	})
}
