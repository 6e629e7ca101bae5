package reminders

import (
	"bytes"
	"strings"
	"sync"

	"steward/internal/mail"
)

// digestRenderer writes a digest's email straight into byte buffers, the
// same bytes mail.Renderer produces from templates/layout.tmpl and
// templates/reminders.tmpl. On the first day of a large organisation the
// sweep renders an email for nearly everyone, and html/template spends
// most of that time calling its escapers through reflection; here the
// text is copied as it is.
//
// It only does so when escaping would change nothing: every string the
// HTML body shows is free of the characters html/template escapes, and
// every link is one its URL filter and normaliser keep as it is. Any
// other digest (a name with an apostrophe, say) goes through the
// templates, so the output is the templates' output either way.
// TestDigestRendererMatchesTemplates compares the two for every shape of
// digest: a change to either template must be made here too.
type digestRenderer struct {
	mail *mail.Renderer
	// root and home are the layout's links, absolute from the base URL.
	root, home string
	ok         bool // root and home are safe to write as they are
	bufs       sync.Pool
}

func newDigestRenderer(r *mail.Renderer) *digestRenderer {
	d := &digestRenderer{mail: r, root: r.Link("/"), home: r.Link("/home")}
	d.ok = safeURL(d.root) && safeURL(d.home)
	d.bufs.New = func() any { return new(digestBuffers) }
	return d
}

type digestBuffers struct{ text, html bytes.Buffer }

// render returns the digest's message without recipient, user and dedupe
// key, as mail.Renderer.Render does.
func (d *digestRenderer) render(v *digestData) (mail.Message, error) {
	if !d.ok || !v.safe() {
		return d.mail.Render(MailKind, *v)
	}
	b := d.bufs.Get().(*digestBuffers)
	defer d.bufs.Put(b)
	b.text.Reset()
	b.html.Reset()
	subject := "Steward: " + v.Summary
	d.writeText(&b.text, v)
	d.writeHTML(&b.html, v)
	return mail.Message{
		Kind:    MailKind,
		Subject: strings.Join(strings.Fields(subject), " "),
		Text:    b.text.String(),
		HTML:    b.html.String(),
	}, nil
}

// writeText is the "plainLayout" of the digest, trimmed as Render trims it.
func (d *digestRenderer) writeText(w *bytes.Buffer, v *digestData) {
	w.WriteString("Hello ")
	w.WriteString(v.Name)
	w.WriteString(",\n")
	section := func(title string, lines []Line, urls bool) {
		if len(lines) == 0 {
			return
		}
		w.WriteString("\n")
		w.WriteString(title)
		w.WriteString(":\n")
		for i := range lines {
			l := &lines[i]
			w.WriteString("\n- ")
			w.WriteString(l.Headline)
			w.WriteString("\n  ")
			w.WriteString(l.Detail)
			w.WriteString("\n")
			if urls {
				w.WriteString("  ")
				w.WriteString(l.URL)
				w.WriteString("\n")
			}
		}
	}
	section("Waiting for you", v.Own, true)
	section("In your reporting line", v.Team, true)
	section("Also open", v.Also, false)
	w.WriteString("\nEverything open for you is always listed on your home page:\n")
	w.WriteString(d.home)
	w.WriteString("\n\nSteward keeps only what it needs to remind you: your name, your email\naddress and your open items.\n\n\n--\nSent by Steward: ")
	w.WriteString(d.root)
	w.WriteString("\n")
}

const (
	htmlHead      = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta name=\"viewport\" content=\"width=device-width\">\n</head>\n"
	htmlBodyStart = "<body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1d1d1f;" +
		"max-width:40em;margin:0 auto;padding:1em\">\n<p>Hello "
	htmlFootStart = "<p>Everything open for you is always listed on <a href=\""
	htmlFootMid   = "\">your home page</a>.</p>\n<p style=\"font-size:.85em;color:#555\">Steward keeps only what it " +
		"needs to remind you: your name, your email address and your open items.</p>\n\n" +
		"<p style=\"font-size:.85em;color:#555;border-top:1px solid #ccc;margin-top:2em;padding-top:1em\">Sent by Steward: <a href=\""
)

// writeHTML is the "htmlLayout" of the digest.
func (d *digestRenderer) writeHTML(w *bytes.Buffer, v *digestData) {
	w.WriteString(htmlHead)
	w.WriteString(htmlBodyStart)
	w.WriteString(v.Name)
	w.WriteString(",</p>\n")
	section := func(title string, lines []Line) {
		if len(lines) > 0 {
			w.WriteString("<h2 style=\"font-size:1.1em\">")
			w.WriteString(title)
			w.WriteString("</h2>\n<ul>\n")
			for i := range lines {
				l := &lines[i]
				w.WriteString("<li><a href=\"")
				w.WriteString(l.URL)
				w.WriteString("\">")
				w.WriteString(l.Headline)
				w.WriteString("</a><br>")
				w.WriteString(l.Detail)
				w.WriteString("</li>\n")
			}
			w.WriteString("</ul>")
		}
		w.WriteString("\n")
	}
	section("Waiting for you", v.Own)
	section("In your reporting line", v.Team)
	section("Also open", v.Also)
	w.WriteString(htmlFootStart)
	w.WriteString(d.home)
	w.WriteString(htmlFootMid)
	w.WriteString(d.root)
	w.WriteString("\">")
	w.WriteString(d.root)
	w.WriteString("</a></p>\n</body>\n</html>\n")
}

// safe reports whether html/template would write every string of the
// digest unchanged.
func (v *digestData) safe() bool {
	if !safeText(v.Name) {
		return false
	}
	for _, ls := range [...][]Line{v.Own, v.Team, v.Also} {
		for i := range ls {
			if !safeText(ls[i].Headline) || !safeText(ls[i].Detail) || !safeURL(ls[i].URL) {
				return false
			}
		}
	}
	return true
}

// safeText: html/template's HTML and RCDATA escapers replace only these
// bytes (and the plain-text template needs no escaping at all).
func safeText(s string) bool { return !strings.ContainsAny(s, "\x00\"&'+<>") }

// safeURL: a link html/template writes into an href unchanged has an
// http, https or no scheme, and only bytes its normaliser keeps and the
// attribute escaper does not touch.
func safeURL(s string) bool {
	if proto, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(proto, "/") &&
		!strings.EqualFold(proto, "http") && !strings.EqualFold(proto, "https") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$*,/:;=?@[]-._~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
