package org

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
)

// factRef matches a fact reference, {{org.KEY}}, with optional spaces inside the braces.
// KEY is matched loosely so that a misspelt key is found and named.
var factRef = regexp.MustCompile(`\{\{\s*org\.([A-Za-z0-9_.-]*)\s*\}\}`)

// UnknownKeysError names fact references that name no company fact.
type UnknownKeysError struct{ Keys []string }

func (e *UnknownKeysError) Error() string {
	quoted := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		quoted[i] = "{{org." + k + "}}"
	}
	known := make([]string, 0, len(Fields))
	for _, k := range Keys() {
		known = append(known, string(k))
	}
	return fmt.Sprintf("names %s, which is not an organisation setting (known: %s)",
		strings.Join(quoted, ", "), strings.Join(known, ", "))
}

// Check refuses text whose fact references name an unknown key.
func Check(text string) error {
	var unknown []string
	for _, m := range factRef.FindAllStringSubmatch(text, -1) {
		if !known(m[1]) && !slices.Contains(unknown, m[1]) {
			unknown = append(unknown, m[1])
		}
	}
	if len(unknown) > 0 {
		return &UnknownKeysError{Keys: unknown}
	}
	return nil
}

func known(k string) bool { return slices.Contains(Keys(), FactName(k)) }

// Used lists the known facts text names, each once, in the order of Keys.
func Used(text string) []FactName {
	var used []FactName
	for _, m := range factRef.FindAllStringSubmatch(text, -1) {
		if known(m[1]) && !slices.Contains(used, FactName(m[1])) {
			used = append(used, FactName(m[1]))
		}
	}
	slices.SortFunc(used, func(a, b FactName) int { return slices.Index(Keys(), a) - slices.Index(Keys(), b) })
	return used
}

// Missing lists the facts text names that s leaves unset.
func Missing(text string, s *Settings) []FactName {
	var missing []FactName
	for _, k := range Used(text) {
		if s == nil || s.Fact(k) == "" {
			missing = append(missing, k)
		}
	}
	return missing
}

// MissingError is a text that cannot be frozen while facts it names are
// unset.
type MissingError struct{ Keys []FactName }

func (e *MissingError) Error() string {
	labels := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		labels[i] = k.Label()
	}
	return "names organisation settings that are not set yet: " + strings.Join(labels, ", ") +
		". Set them in Organisation settings first"
}

// FillHTML replaces the fact references in rendered, sanitised HTML: a set
// fact becomes its value, HTML-escaped; an unset one a visible mark
// saying what to set, so an adopting organisation sees what to fill in.
// Unknown keys are left as written (Check refuses them on save).
func FillHTML(src string, s *Settings) string {
	return factRef.ReplaceAllStringFunc(src, func(m string) string {
		k := FactName(factRef.FindStringSubmatch(m)[1])
		if !known(string(k)) {
			return m
		}
		if s != nil && s.Fact(k) != "" {
			return html.EscapeString(s.Fact(k))
		}
		return `<mark class="placeholder">[` + html.EscapeString(k.Label()) + ` — set in Organisation settings]</mark>`
	})
}

// FillMarkdown replaces the fact references in Markdown source with the facts'
// values, escaped so that Markdown reads them as plain text. Text that
// names an unset fact is refused with a *MissingError: frozen text (a
// published policy) must not hold a fact reference.
func FillMarkdown(src string, s *Settings) (string, error) {
	if missing := Missing(src, s); len(missing) > 0 {
		return "", &MissingError{Keys: missing}
	}
	return factRef.ReplaceAllStringFunc(src, func(m string) string {
		k := factRef.FindStringSubmatch(m)[1]
		if !known(k) {
			return m
		}
		return markdownEscaper.Replace(s.Fact(FactName(k)))
	}), nil
}

// markdownEscaper backslash-escapes the ASCII punctuation that could
// start Markdown syntax; CommonMark shows an escaped character as itself.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `#`, `\#`,
	`!`, `\!`, `|`, `\|`, `~`, `\~`, `&`, `\&`, `<`, `\<`, `>`, `\>`,
)
