package courses

import (
	"bytes"
	"fmt"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	markdown  = goldmark.New(goldmark.WithExtensions(extension.GFM, extension.Typographer))
	sanitizer = bluemonday.UGCPolicy()
)

// RenderMarkdown turns a module body into sanitised HTML, safe to put on a
// page as is.
func RenderMarkdown(src string) (string, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("courses: render markdown: %w", err)
	}
	return sanitizer.Sanitize(buf.String()), nil
}
