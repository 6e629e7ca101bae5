package mail

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
)

// KindDigest is the kind of a reminder digest (templates/reminders.tmpl).
const KindDigest = "reminders"

// Digest is what templates/reminders.tmpl shows: the reminder sweep's
// daily digest, and a manager's reminder, which is a digest of one line.
type Digest struct {
	Name, Summary   string
	Own, Team, Also []DigestLine
}

// DigestLine is one item of a digest; URL is absolute (Renderer.Link).
type DigestLine struct {
	Headline, Detail, URL string
}

// digestText and digestHTML are what the digest's bodies show: its lines
// as "plainLine" and "htmlLine" render them.
type digestText struct {
	Name, Summary   string
	Own, Team, Also []string
}

type digestHTML struct {
	Name            string
	Own, Team, Also []htmltemplate.HTML
}

// maxKeptLines bounds the lines a Renderer keeps rendered. A busy day's
// digests share a few thousand lines (a course assigned to everyone,
// a policy's notice); a manager's lines about their people are their own.
const maxKeptLines = 20_000

// keptLines are digest lines rendered by "plainLine" and "htmlLine". On
// a busy day the sweep renders an email for most of the organisation,
// most of whose lines are the same for many people, and the templates
// evaluate every field of a line, and html/template calls every escaper,
// through reflection: rendering each distinct line once makes a digest
// several times cheaper. BenchmarkRenderDigest and
// BenchmarkSweep100kPeople measure it.
type keptLines struct {
	mu sync.RWMutex
	m  map[DigestLine]renderedLine
}

type renderedLine struct {
	plain string
	html  htmltemplate.HTML
}

// Digest renders a digest. The caller adds the recipient, user, dedupe
// key and, for a manager's reminder, its own kind.
func (r *Renderer) Digest(d *Digest) (Message, error) {
	t := digestText{Name: d.Name, Summary: d.Summary}
	h := digestHTML{Name: d.Name}
	for _, sec := range []struct {
		lines []DigestLine
		text  *[]string
		html  *[]htmltemplate.HTML
		url   bool // the plain line shows the URL
	}{{d.Own, &t.Own, &h.Own, true}, {d.Team, &t.Team, &h.Team, true}, {d.Also, &t.Also, &h.Also, false}} {
		if len(sec.lines) == 0 {
			continue
		}
		*sec.text = make([]string, len(sec.lines))
		*sec.html = make([]htmltemplate.HTML, len(sec.lines))
		for i, l := range sec.lines {
			rl, err := r.digestLine(l)
			if err != nil {
				return Message{}, err
			}
			(*sec.html)[i] = rl.html
			if !sec.url {
				l.URL = ""
				if rl, err = r.digestLine(l); err != nil {
					return Message{}, err
				}
			}
			(*sec.text)[i] = rl.plain
		}
	}
	return r.render(KindDigest, &t, &h)
}

// digestLine renders a line, or returns it as rendered before.
func (r *Renderer) digestLine(l DigestLine) (renderedLine, error) {
	r.lines.mu.RLock()
	rl, ok := r.lines.m[l]
	r.lines.mu.RUnlock()
	if ok {
		return rl, nil
	}
	var plain, html strings.Builder
	if err := r.text[KindDigest].ExecuteTemplate(&plain, "plainLine", l); err != nil {
		return rl, fmt.Errorf("mail: render a digest line: %w", err)
	}
	if err := r.html[KindDigest].ExecuteTemplate(&html, "htmlLine", l); err != nil {
		return rl, fmt.Errorf("mail: render a digest line: %w", err)
	}
	rl = renderedLine{plain: plain.String(), html: htmltemplate.HTML(html.String())}
	r.lines.mu.Lock()
	if r.lines.m == nil || len(r.lines.m) >= maxKeptLines {
		r.lines.m = make(map[DigestLine]renderedLine)
	}
	r.lines.m[l] = rl
	r.lines.mu.Unlock()
	return rl, nil
}
