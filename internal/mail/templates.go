package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	texttemplate "text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// ErrUnknownKind is returned by Render for a kind without a template.
var ErrUnknownKind = errors.New("mail: no template for kind")

// Renderer turns a kind and its data into a Message's subject and bodies.
// Every kind is a file templates/<kind>.tmpl defining "subject",
// "plainBody" and "htmlBody"; templates/layout.tmpl wraps both bodies.
// Links are written with the link function and come out absolute from the
// base URL, because an email has no page to be relative to.
type Renderer struct {
	base *url.URL
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
	// bufs holds *buffers: the sweep renders an email for most of the
	// organisation on a busy day, and reuses them rather than grow new ones.
	bufs sync.Pool
	// noFold keeps every link a call, for the test of foldLinks.
	noFold bool
	lines  keptLines
}

// NewRenderer parses every embedded template once; a broken template
// fails here, at start, not when the first email of its kind is due.
func NewRenderer(baseURL string) (*Renderer, error) { return newRenderer(baseURL, true) }

func newRenderer(baseURL string, fold bool) (*Renderer, error) {
	base, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("mail: base URL %q must be absolute, like https://steward.example.com", baseURL)
	}
	r := &Renderer{base: base, text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}, noFold: !fold}
	layout, err := fs.ReadFile(templateFS, "templates/layout.tmpl")
	if err != nil {
		return nil, fmt.Errorf("mail: read layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	funcs := map[string]any{"link": r.Link}
	for _, f := range files {
		kind := strings.TrimSuffix(path.Base(f), ".tmpl")
		if kind == "layout" {
			continue
		}
		body, err := fs.ReadFile(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("mail: read %s: %w", f, err)
		}
		src := r.foldLinks(string(layout) + string(body))
		tt, err := texttemplate.New(kind).Funcs(funcs).Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, fmt.Errorf("mail: parse %s: %w", f, err)
		}
		ht, err := htmltemplate.New(kind).Funcs(funcs).Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, fmt.Errorf("mail: parse %s: %w", f, err)
		}
		for _, name := range []string{"subject", "plainBody", "htmlBody"} {
			if tt.Lookup(name) == nil {
				return nil, fmt.Errorf("mail: %s does not define %q", f, name)
			}
		}
		r.text[kind], r.html[kind] = tt, ht
	}
	return r, nil
}

// constantLink is a link action with one literal argument, such as the
// layout's {{link "/"}}.
var constantLink = regexp.MustCompile(`{{link "([^"{}]*)"}}`)

// foldLinks writes the links whose path is a constant into the template
// source as text, where html/template would write them unchanged: each
// is a function call through reflection at every execution otherwise,
// and the sweep executes the layout for most of the organisation on a
// busy day. TestFoldedLinksRenderAsCalled holds the two to the same
// output.
func (r *Renderer) foldLinks(src string) string {
	if r.noFold {
		return src
	}
	return constantLink.ReplaceAllStringFunc(src, func(action string) string {
		link := r.Link(constantLink.FindStringSubmatch(action)[1])
		if !keptAsIs(link) {
			return action
		}
		return link
	})
}

// keptAsIs reports whether html/template writes s unchanged as text and
// as a link in an attribute: the only places a link appears.
func keptAsIs(s string) bool {
	const probe = `<a href="{{.}}">{{.}}</a>`
	t, err := htmltemplate.New("probe").Parse(probe)
	if err != nil {
		return false
	}
	var b strings.Builder
	if err := t.Execute(&b, s); err != nil {
		return false
	}
	return b.String() == `<a href="`+s+`">`+s+`</a>` && !strings.ContainsAny(s, "{}")
}

// Link joins its parts into a path and makes it absolute from the base URL.
func (r *Renderer) Link(parts ...string) string {
	p := strings.Join(parts, "")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return r.base.String() + p
}

// Render fills the kind's templates with data. The caller adds the
// recipient, user and dedupe key before enqueueing. A digest renders
// from a Digest only (Renderer.Digest).
func (r *Renderer) Render(kind string, data any) (Message, error) {
	if kind == KindDigest {
		switch d := data.(type) {
		case *Digest:
			return r.Digest(d)
		case Digest:
			return r.Digest(&d)
		}
		return Message{}, fmt.Errorf("mail: a digest renders from a mail.Digest, not a %T", data)
	}
	return r.render(kind, data, data)
}

// render fills the kind's text templates with text and its HTML ones with
// html, which the caller has derived from the same data.
func (r *Renderer) render(kind string, text, html any) (Message, error) {
	tt, ok := r.text[kind]
	if !ok {
		return Message{}, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	b, _ := r.bufs.Get().(*buffers)
	if b == nil {
		b = new(buffers)
		// Sized for a typical digest.
		b.text.Grow(2 << 10)
		b.html.Grow(4 << 10)
	}
	defer r.bufs.Put(b)
	b.subject.Reset()
	b.text.Reset()
	b.html.Reset()
	if err := tt.ExecuteTemplate(&b.subject, "subject", text); err != nil {
		return Message{}, fmt.Errorf("mail: render %s subject: %w", kind, err)
	}
	if err := tt.ExecuteTemplate(&b.text, "plainLayout", text); err != nil {
		return Message{}, fmt.Errorf("mail: render %s text: %w", kind, err)
	}
	if err := r.html[kind].ExecuteTemplate(&b.html, "htmlLayout", html); err != nil {
		return Message{}, fmt.Errorf("mail: render %s html: %w", kind, err)
	}
	plain := bytes.TrimSpace(b.text.Bytes())
	return Message{
		Kind:    kind,
		Subject: strings.Join(strings.Fields(b.subject.String()), " "),
		Text:    string(append(plain, '\n')),
		HTML:    b.html.String(),
	}, nil
}

type buffers struct{ subject, text, html bytes.Buffer }
