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
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	texttemplate "text/template"
	"time"

	"steward/internal/i18n"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// ErrUnknownKind is returned by Render for a kind without a template.
var ErrUnknownKind = errors.New("mail: no template for kind")

// Renderer turns a kind and its data into a Message's subject and bodies.
// Every kind is a file templates/<kind>.tmpl defining "subject",
// "plainBody" and "htmlBody"; templates/layout.tmpl wraps both bodies and
// gives the HTML a <title> (the subject). Links are written with the link
// function and come out absolute from the base URL, because an email has
// no page to be relative to; the organisation's brand is the brand
// function. The emails the public receives are written in the language
// their data's Lang field names, from internal/i18n's catalogues: the t
// function (t .Lang "mail.id" "Name" value…), the date function and,
// in the layout, the lang function, which is "en" for data without a
// Lang. Styles are inline on the elements: mail clients drop <head>
// styles and <body> attributes.
type Renderer struct {
	base *url.URL
	cat  *i18n.Catalogue
	// fallback is the brand when Brand is nil: DefaultBrand(base).
	fallback Brand
	// Brand is whose name this renderer's emails carry, asked for each
	// email (so it must answer from memory): the server's snapshot of the
	// organisation (handlers), or OrgBrandSource in the commands. Nil
	// means DefaultBrand of the base URL. Set it before the first email
	// renders.
	Brand func() Brand

	mu  sync.Mutex // held while a new brand's templates are made
	cur atomic.Pointer[templateSet]
	// bufs holds *buffers: the sweep renders an email for most of the
	// organisation on a busy day, and reuses them rather than grow new ones.
	bufs sync.Pool
}

// templateSet is every template parsed for one brand, and what the digest
// keeps (frames, lines) for it. The brand is a constant in its templates:
// a change of brand makes a new set.
type templateSet struct {
	raw, brand Brand // as set, and as cleaned for display
	text       map[string]*texttemplate.Template
	html       map[string]*htmltemplate.Template
	digest     *digestFrames
	lines      keptLines
}

// NewRenderer parses every embedded template once; a broken template
// fails here, at start, not when the first email of its kind is due.
func NewRenderer(baseURL string) (*Renderer, error) {
	base, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("mail: base URL %q must be absolute, like https://steward.example.com", baseURL)
	}
	cat, err := i18n.New()
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	r := &Renderer{base: base, cat: cat, fallback: DefaultBrand(base.String())}
	if _, err := r.set(); err != nil {
		return nil, err
	}
	return r, nil
}

// set returns the templates of the current brand, made on first use.
func (r *Renderer) set() (*templateSet, error) {
	b := r.fallback
	if r.Brand != nil {
		b = r.Brand()
	}
	if s := r.cur.Load(); s != nil && s.raw == b {
		return s, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.cur.Load(); s != nil && s.raw == b {
		return s, nil
	}
	s, err := r.parse(b)
	if err != nil {
		return nil, err
	}
	r.cur.Store(s)
	return s, nil
}

// parse makes the template set of brand b.
func (r *Renderer) parse(b Brand) (*templateSet, error) {
	s := &templateSet{raw: b, brand: b.clean(r.base.Hostname()),
		text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	layout, err := fs.ReadFile(templateFS, "templates/layout.tmpl")
	if err != nil {
		return nil, fmt.Errorf("mail: read layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	brand := s.brand
	funcs := map[string]any{"link": r.Link, "brand": func() Brand { return brand },
		"t": r.cat.T, "date": func(lang string, t time.Time) string { return r.cat.Date(lang, t) }, "lang": langOf}
	for _, f := range files {
		kind := strings.TrimSuffix(path.Base(f), ".tmpl")
		if kind == "layout" {
			continue
		}
		body, err := fs.ReadFile(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("mail: read %s: %w", f, err)
		}
		src := string(layout) + string(body)
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
		s.text[kind], s.html[kind] = tt, ht
	}
	if s.digest, err = r.digestFrames(s); err != nil {
		return nil, err
	}
	if err := r.checkFrames(s); err != nil {
		return nil, err
	}
	return s, nil
}

// langOf is the language an email's data asks for: its Lang field or
// key, else i18n.Default.
func langOf(data any) string {
	v := reflect.Indirect(reflect.ValueOf(data))
	var l reflect.Value
	switch v.Kind() {
	case reflect.Struct:
		l = v.FieldByName("Lang")
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String {
			l = v.MapIndex(reflect.ValueOf("Lang"))
		}
	}
	if l.IsValid() && l.Kind() == reflect.Interface {
		l = l.Elem()
	}
	if l.IsValid() && l.Kind() == reflect.String && l.String() != "" {
		return l.String()
	}
	return i18n.Default
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
	s, err := r.set()
	if err != nil {
		return Message{}, err
	}
	return r.render(s, kind, data, data)
}

// render fills the kind's text templates with text and its HTML ones with
// html, which the caller has derived from the same data.
func (r *Renderer) render(s *templateSet, kind string, text, html any) (Message, error) {
	tt, ok := s.text[kind]
	if !ok {
		return Message{}, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	b := r.buffers()
	defer r.bufs.Put(b)
	if err := tt.ExecuteTemplate(&b.subject, "subject", text); err != nil {
		return Message{}, fmt.Errorf("mail: render %s subject: %w", kind, err)
	}
	if err := tt.ExecuteTemplate(&b.text, "plainLayout", text); err != nil {
		return Message{}, fmt.Errorf("mail: render %s text: %w", kind, err)
	}
	if err := s.html[kind].ExecuteTemplate(&b.html, "htmlLayout", html); err != nil {
		return Message{}, fmt.Errorf("mail: render %s html: %w", kind, err)
	}
	return b.message(kind), nil
}

type buffers struct{ subject, text, html bytes.Buffer }

// buffers returns emptied buffers from the pool; the caller puts them back.
func (r *Renderer) buffers() *buffers {
	b, _ := r.bufs.Get().(*buffers)
	if b == nil {
		b = new(buffers)
		// Sized for a typical digest.
		b.text.Grow(2 << 10)
		b.html.Grow(6 << 10)
	}
	b.subject.Reset()
	b.text.Reset()
	b.html.Reset()
	return b
}

// message is what the buffers hold: the subject on one line, the text
// without surrounding blank lines.
func (b *buffers) message(kind string) Message {
	plain := bytes.TrimSpace(b.text.Bytes())
	subject := b.subject.String()
	if needsFolding(subject) {
		subject = strings.Join(strings.Fields(subject), " ")
	}
	return Message{
		Kind:    kind,
		Subject: subject,
		Text:    string(append(plain, '\n')),
		HTML:    b.html.String(),
	}
}

// needsFolding reports whether s has a space other than single ' '
// between words, which a subject's one line does not keep.
func needsFolding(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s != ""
	}
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' && prev == ' ', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f', c >= 0x80:
			// Non-ASCII may be a Unicode space: strings.Fields decides.
			return true
		}
		prev = c
	}
	return false
}
