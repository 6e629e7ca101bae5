package mail

import (
	"bytes"
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
	Name, Summary   string
	Own, Team, Also []htmltemplate.HTML
}

// Digest renders a digest. The caller adds the recipient, user, dedupe
// key and, for a manager's reminder, its own kind.
//
// On a busy day the sweep renders a digest for most of the organisation,
// and executing a template costs a reflective call for every field and
// every escaper. So the digest's templates are executed once per brand
// with placeholders (digestFrames), and a digest is written into that
// output: its name and lines go where the placeholders went, as they are
// when html/template would write them unchanged (plainText, plainURL).
// A digest whose name needs escaping is executed as a whole; a line that
// does is rendered by "htmlLine" and kept. Both ways give the same bytes
// (TestDigestFramesMatchTemplates).
func (r *Renderer) Digest(d *Digest) (Message, error) {
	s, err := r.set()
	if err != nil {
		return Message{}, err
	}
	if plainText(d.Name) && plainText(d.Summary) {
		return r.digestByFrame(s, d)
	}
	return r.digestByTemplate(s, d)
}

// digestByTemplate executes the digest's templates.
func (r *Renderer) digestByTemplate(s *templateSet, d *Digest) (Message, error) {
	t := digestText{Name: d.Name, Summary: d.Summary}
	h := digestHTML{Name: d.Name, Summary: d.Summary}
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
			rl, err := r.lineByTemplate(s, l)
			if err != nil {
				return Message{}, err
			}
			(*sec.html)[i] = rl.html
			if !sec.url {
				l.URL = ""
				if rl, err = r.lineByTemplate(s, l); err != nil {
					return Message{}, err
				}
			}
			(*sec.text)[i] = rl.plain
		}
	}
	return r.render(s, KindDigest, &t, &h)
}

// The values a digest's frames have holes for, and the placeholder each
// is executed with. A list (Own, Team, Also) is executed with two items,
// so that its frame knows what goes between two lines.
const (
	vName = iota
	vSummary
	vOwn
	vOwn2
	vTeam
	vTeam2
	vAlso
	vAlso2
	nDigestValues
)

// The values of a line's frames.
const (
	vHeadline = iota
	vDetail
	vURL
	nLineValues
)

var (
	digestPlaceholders = [nDigestValues]string{"zqxNAMExqz", "zqxSUMMARYxqz", "zqxOWNAxqz", "zqxOWNBxqz",
		"zqxTEAMAxqz", "zqxTEAMBxqz", "zqxALSOAxqz", "zqxALSOBxqz"}
	linePlaceholders = [nLineValues]string{"zqxHEADLINExqz", "zqxDETAILxqz", "zqxURLxqz"}
)

// Which sections a digest has, as bits of a frame's index.
const (
	hasOwn = 1 << iota
	hasTeam
	hasAlso
	nSectionSets
)

// digestFrames are the digest's templates as executed with placeholders:
// its bodies for each set of sections present, its subject, and a line's
// bodies (the plain one with and without its URL).
type digestFrames struct {
	html, text                         [nSectionSets]frame
	subject                            frame
	lineHTML, linePlain, linePlainBare frame
}

// digestFrames executes the digest's templates of s with placeholders.
func (r *Renderer) digestFrames(s *templateSet) (*digestFrames, error) {
	f := &digestFrames{}
	tt, ht := s.text[KindDigest], s.html[KindDigest]
	if tt == nil {
		return nil, fmt.Errorf("mail: no template for the digest (%s)", KindDigest)
	}
	p := digestPlaceholders
	var b bytes.Buffer
	exec := func(run func() error) (string, error) {
		b.Reset()
		err := run()
		return b.String(), err
	}
	var err error
	for set := range nSectionSets {
		t := digestText{Name: p[vName], Summary: p[vSummary]}
		h := digestHTML{Name: p[vName], Summary: p[vSummary]}
		for _, sec := range []struct {
			bit   int
			first int
			text  *[]string
			html  *[]htmltemplate.HTML
		}{{hasOwn, vOwn, &t.Own, &h.Own}, {hasTeam, vTeam, &t.Team, &h.Team}, {hasAlso, vAlso, &t.Also, &h.Also}} {
			if set&sec.bit != 0 {
				*sec.text = []string{p[sec.first], p[sec.first+1]}
				*sec.html = []htmltemplate.HTML{htmltemplate.HTML(p[sec.first]), htmltemplate.HTML(p[sec.first+1])}
			}
		}
		out, err := exec(func() error { return tt.ExecuteTemplate(&b, "plainLayout", &t) })
		if err == nil {
			f.text[set], err = cutFrame(out, p[:], true)
		}
		if err != nil {
			return nil, fmt.Errorf("mail: digest frame: %w", err)
		}
		out, err = exec(func() error { return ht.ExecuteTemplate(&b, "htmlLayout", &h) })
		if err == nil {
			f.html[set], err = cutFrame(out, p[:], true)
		}
		if err != nil {
			return nil, fmt.Errorf("mail: digest frame: %w", err)
		}
	}
	out, err := exec(func() error {
		return tt.ExecuteTemplate(&b, "subject", &digestText{Name: p[vName], Summary: p[vSummary]})
	})
	if err == nil {
		f.subject, err = cutFrame(out, p[:], true)
	}
	if err != nil {
		return nil, fmt.Errorf("mail: digest subject frame: %w", err)
	}
	lp := linePlaceholders
	line := DigestLine{Headline: lp[vHeadline], Detail: lp[vDetail], URL: lp[vURL]}
	bare := line
	bare.URL = ""
	for _, fr := range []struct {
		f    *frame
		run  func() error
		what string
	}{
		{&f.lineHTML, func() error { return ht.ExecuteTemplate(&b, "htmlLine", line) }, "htmlLine"},
		{&f.linePlain, func() error { return tt.ExecuteTemplate(&b, "plainLine", line) }, "plainLine"},
		{&f.linePlainBare, func() error { return tt.ExecuteTemplate(&b, "plainLine", bare) }, "plainLine"},
	} {
		out, err := exec(fr.run)
		if err == nil {
			*fr.f, err = cutFrame(out, lp[:], false)
		}
		if err != nil {
			return nil, fmt.Errorf("mail: %s frame: %w", fr.what, err)
		}
	}
	return f, nil
}

// checkFrames renders sample digests, every set of sections with one
// line and with three, both ways, and refuses frames that differ from
// the templates: a template that writes its lines unalike, or puts a
// value where html/template would escape it otherwise.
func (r *Renderer) checkFrames(s *templateSet) error {
	lines := func(n int, what string) []DigestLine {
		out := make([]DigestLine, n)
		for i := range out {
			out[i] = DigestLine{Headline: fmt.Sprintf("%s line %d", what, i), Detail: "Due by 5 Jun 2027, in 3 days.",
				URL: r.Link(fmt.Sprintf("/courses/c%d", i))}
		}
		if n > 2 {
			out[1] = DigestLine{Headline: `Rock & "Roll" <b>`, Detail: "O'Brien + 1", URL: r.Link("/a b?x=1&y=2")}
		}
		return out
	}
	for set := range nSectionSets {
		for _, n := range []int{1, 3} {
			d := &Digest{Name: "Ada Lovelace", Summary: "2 items for you"}
			if set&hasOwn != 0 {
				d.Own = lines(n, "own")
			}
			if set&hasTeam != 0 {
				d.Team = lines(n, "team")
			}
			if set&hasAlso != 0 {
				d.Also = lines(n, "also")
			}
			byFrame, err := r.digestByFrame(s, d)
			if err != nil {
				return err
			}
			byTemplate, err := r.digestByTemplate(s, d)
			if err != nil {
				return err
			}
			if byFrame.Subject != byTemplate.Subject || byFrame.Text != byTemplate.Text || byFrame.HTML != byTemplate.HTML {
				return fmt.Errorf("mail: %s.tmpl: a digest written into its frame differs from its templates (sections %03b, %d lines): every line must render alike", KindDigest, set, n)
			}
		}
	}
	return nil
}

// digestByFrame writes a digest whose name and summary are plainText
// into the frames.
func (r *Renderer) digestByFrame(s *templateSet, d *Digest) (Message, error) {
	f := s.digest
	set := 0
	if len(d.Own) > 0 {
		set |= hasOwn
	}
	if len(d.Team) > 0 {
		set |= hasTeam
	}
	if len(d.Also) > 0 {
		set |= hasAlso
	}
	b := r.buffers()
	defer r.bufs.Put(b)
	if err := r.writeDigest(&b.subject, s, &f.subject, d, false); err != nil {
		return Message{}, err
	}
	if err := r.writeDigest(&b.text, s, &f.text[set], d, false); err != nil {
		return Message{}, err
	}
	if err := r.writeDigest(&b.html, s, &f.html[set], d, true); err != nil {
		return Message{}, err
	}
	return b.message(KindDigest), nil
}

// writeDigest writes d into one of its frames: its HTML body if html.
func (r *Renderer) writeDigest(w *bytes.Buffer, s *templateSet, fr *frame, d *Digest, html bool) error {
	f := s.digest
	for i, h := range fr.holes {
		w.WriteString(fr.lits[i])
		var lines []DigestLine
		url := true
		switch h.value {
		case vName:
			w.WriteString(d.Name)
			continue
		case vSummary:
			w.WriteString(d.Summary)
			continue
		case vOwn:
			lines = d.Own
		case vTeam:
			lines = d.Team
		case vAlso:
			lines, url = d.Also, false
		}
		for j := range lines {
			l := &lines[j]
			if j > 0 {
				w.WriteString(h.sep)
			}
			switch {
			case !html && url && l.URL != "":
				f.linePlain.writeLine(w, l)
			case !html:
				f.linePlainBare.writeLine(w, l)
			case plainText(l.Headline) && plainText(l.Detail) && plainURL(l.URL):
				f.lineHTML.writeLine(w, l)
			default:
				rl, err := r.lineByTemplate(s, *l)
				if err != nil {
					return err
				}
				w.WriteString(string(rl.html))
			}
		}
	}
	w.WriteString(fr.lits[len(fr.lits)-1])
	return nil
}

// writeLine writes l into a line's frame.
func (f *frame) writeLine(w *bytes.Buffer, l *DigestLine) {
	for i, h := range f.holes {
		w.WriteString(f.lits[i])
		switch h.value {
		case vHeadline:
			w.WriteString(l.Headline)
		case vDetail:
			w.WriteString(l.Detail)
		case vURL:
			w.WriteString(l.URL)
		}
	}
	w.WriteString(f.lits[len(f.lits)-1])
}

// plainText reports whether html/template writes s unchanged in text,
// in RCDATA (a <title>) and in a quoted attribute: s has none of the
// characters its escapers there replace (NUL " & ' + < >).
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0, '"', '&', '\'', '+', '<', '>':
			return false
		}
	}
	return true
}

// plainURL reports whether html/template writes s unchanged in an href:
// an absolute http(s) URL of characters its URL filter, its URL
// normaliser and its attribute escaper all keep.
func plainURL(s string) bool {
	var rest string
	switch {
	case len(s) > 8 && s[:8] == "https://":
		rest = s[8:]
	case len(s) > 7 && s[:7] == "http://":
		rest = s[7:]
	default:
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '!', c == '#', c == '$', c == '*', c == ',',
			c == '/', c == ':', c == ';', c == '=', c == '?', c == '@':
		default:
			return false
		}
	}
	return true
}

// maxKeptLines bounds the lines a template set keeps rendered: the lines
// that need escaping (a course called "Health & Safety" is in many
// digests; a manager's line about O'Brien in one).
const maxKeptLines = 20_000

// keptLines are digest lines rendered by "plainLine" and "htmlLine", in
// two generations: the lines many digests share stay kept while a
// manager's lines about their own people come and go.
type keptLines struct {
	mu        sync.RWMutex
	cur, prev map[DigestLine]renderedLine
}

type renderedLine struct {
	plain string
	html  htmltemplate.HTML
}

// lineByTemplate renders a line, or returns it as rendered before.
func (r *Renderer) lineByTemplate(s *templateSet, l DigestLine) (renderedLine, error) {
	if rl, ok := s.lines.get(l); ok {
		return rl, nil
	}
	var text, html bytes.Buffer
	if err := s.text[KindDigest].ExecuteTemplate(&text, "plainLine", l); err != nil {
		return renderedLine{}, fmt.Errorf("mail: render a digest line: %w", err)
	}
	if err := s.html[KindDigest].ExecuteTemplate(&html, "htmlLine", l); err != nil {
		return renderedLine{}, fmt.Errorf("mail: render a digest line: %w", err)
	}
	rl := renderedLine{plain: text.String(), html: htmltemplate.HTML(html.String())}
	s.lines.put(l, rl)
	return rl, nil
}

// get looks a line up in the current generation, then in the previous
// one, whose lines still in use move to the current.
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
