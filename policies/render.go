package policies

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

// markdown and sanitizer are configured once and only read afterwards;
// both are safe for concurrent use.
var (
	markdown = goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify, extension.DefinitionList),
		// {#id} after a heading gives it an id that survives rewording.
		goldmark.WithParserOptions(parser.WithAutoHeadingID(), parser.WithAttribute()),
	)
	sanitizer = newSanitizer()
)

func newSanitizer() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	// Heading ids make sections linkable (/policies/privacy#retention).
	p.AllowAttrs("id").Matching(headingIDRE).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.RequireNoFollowOnLinks(false)
	p.AllowURLSchemes("http", "https", "mailto")
	return p
}

// Render turns a Markdown body into sanitised HTML. Raw HTML in the body
// is dropped by goldmark and whatever remains is filtered by bluemonday,
// so no script, event handler, javascript: URL or frame survives.
func Render(body string) (string, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(body), &buf); err != nil {
		return "", fmt.Errorf("policies: render markdown: %w", err)
	}
	return sanitizer.SanitizeReader(&buf).String(), nil
}

// linkTarget is the href a link to dest gets: dest as the sanitiser lets
// it through Render (escaped for an attribute), or "" when Render would
// drop it (a javascript: or data: URL, say), so the text is no link.
func linkTarget(dest []byte) string {
	const head, tail = `<a href="`, `">x</a>`
	out := sanitizer.Sanitize(head + html.EscapeString(string(dest)) + tail)
	if !strings.HasPrefix(out, head) || !strings.HasSuffix(out, tail) {
		return ""
	}
	return out[len(head) : len(out)-len(tail)]
}

// Hash is the hex sha256 of a body as stored.
func Hash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}
