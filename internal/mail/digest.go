package mail

import (
	"fmt"
	htmltemplate "html/template"
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
	mu        sync.RWMutex
	cur, prev map[DigestLine]renderedLine
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
	if rl, ok := r.lines.get(l); ok {
		return rl, nil
	}
	b, _ := r.bufs.Get().(*buffers)
	if b == nil {
		b = new(buffers)
	}
	defer r.bufs.Put(b)
	b.text.Reset()
	b.html.Reset()
	if err := r.text[KindDigest].ExecuteTemplate(&b.text, "plainLine", l); err != nil {
		return renderedLine{}, fmt.Errorf("mail: render a digest line: %w", err)
	}
	if err := r.html[KindDigest].ExecuteTemplate(&b.html, "htmlLine", l); err != nil {
		return renderedLine{}, fmt.Errorf("mail: render a digest line: %w", err)
	}
	rl := renderedLine{plain: b.text.String(), html: htmltemplate.HTML(b.html.String())}
	r.lines.put(l, rl)
	return rl, nil
}

// get looks a line up in the current generation, then in the previous
// one, whose lines still in use move to the current: the lines most
// digests share stay kept while a manager's lines about their own
// people come and go.
func (k *keptLines) get(l DigestLine) (renderedLine, bool) {
	k.mu.RLock()
	rl, ok := k.cur[l]
	old := false
	if !ok {
		rl, ok = k.prev[l]
		old = ok
	}
	k.mu.RUnlock()
	if old {
		k.put(l, rl)
	}
	return rl, ok
}

func (k *keptLines) put(l DigestLine, rl renderedLine) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cur == nil || len(k.cur) >= maxKeptLines/2 {
		k.prev, k.cur = k.cur, make(map[DigestLine]renderedLine)
	}
	k.cur[l] = rl
}
