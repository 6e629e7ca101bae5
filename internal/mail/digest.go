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

// digestHTML is what the digest's HTML body shows: its lines as
// "htmlLine" renders them.
type digestHTML struct {
	Name            string
	Own, Team, Also []htmltemplate.HTML
}

// maxKeptLines bounds the lines a Renderer keeps rendered. A busy day's
// digests share a few thousand lines (a course assigned to everyone,
// a policy's notice); a manager's lines about their people are their own.
const maxKeptLines = 20_000

// keptLines are digest lines rendered by "htmlLine". On a busy day the
// sweep renders an email for most of the organisation, most of whose
// lines are the same for many people, and html/template calls every
// escaper of a line through reflection: rendering each distinct line
// once makes the digest's HTML about as cheap as its text.
// BenchmarkRenderDigest and BenchmarkSweep100kPeople measure it.
type keptLines struct {
	mu sync.RWMutex
	m  map[DigestLine]htmltemplate.HTML
}

// Digest renders a digest. The caller adds the recipient, user, dedupe
// key and, for a manager's reminder, its own kind.
func (r *Renderer) Digest(d *Digest) (Message, error) {
	v := digestHTML{Name: d.Name}
	var err error
	if v.Own, err = r.digestLines(d.Own); err != nil {
		return Message{}, err
	}
	if v.Team, err = r.digestLines(d.Team); err != nil {
		return Message{}, err
	}
	if v.Also, err = r.digestLines(d.Also); err != nil {
		return Message{}, err
	}
	return r.render(KindDigest, d, &v)
}

func (r *Renderer) digestLines(ls []DigestLine) ([]htmltemplate.HTML, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	out := make([]htmltemplate.HTML, len(ls))
	for i, l := range ls {
		h, err := r.digestLine(l)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func (r *Renderer) digestLine(l DigestLine) (htmltemplate.HTML, error) {
	r.lines.mu.RLock()
	h, ok := r.lines.m[l]
	r.lines.mu.RUnlock()
	if ok {
		return h, nil
	}
	var b strings.Builder
	if err := r.html[KindDigest].ExecuteTemplate(&b, "htmlLine", l); err != nil {
		return "", fmt.Errorf("mail: render a digest line: %w", err)
	}
	h = htmltemplate.HTML(b.String())
	r.lines.mu.Lock()
	if r.lines.m == nil || len(r.lines.m) >= maxKeptLines {
		r.lines.m = make(map[DigestLine]htmltemplate.HTML)
	}
	r.lines.m[l] = h
	r.lines.mu.Unlock()
	return h, nil
}
