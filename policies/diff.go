package policies

import (
	"html"
	"regexp"
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Redline is the word-level comparison of two bodies.
type Redline struct {
	// HTML is the Markdown source, escaped, in paragraphs, with deleted
	// words in <del> and inserted words in <ins>.
	HTML     string
	Inserted int // words inserted
	Deleted  int // words deleted
	Sections []SectionChange
}

// SectionChange names a section (by heading) that differs between bodies.
type SectionChange struct {
	Heading string
	Change  string // "added", "removed" or "changed"
}

// Compare diffs two Markdown bodies: paragraphs are aligned first, then
// an edited paragraph is compared word by word with its new wording.
func Compare(older, newer string) Redline {
	pa, pb := paragraphs(older), paragraphs(newer)
	ra, rb, vocab := toRunes(pa, pb)
	dmp := diffmatchpatch.New()
	diffs := dmp.DiffMainRunes(ra, rb, false)
	r := Redline{Sections: changedSections(older, newer)}
	var b strings.Builder
	var dels, inss []string
	flush := func() {
		alignBlocks(&b, &r, dels, inss)
		dels, inss = nil, nil
	}
	for _, d := range diffs {
		for _, c := range d.Text {
			para := vocab[runeToken(c)]
			switch d.Type {
			case diffmatchpatch.DiffEqual:
				flush()
				writePara(&b, [][2]string{{"", para}})
			case diffmatchpatch.DiffDelete:
				dels = append(dels, para)
			case diffmatchpatch.DiffInsert:
				inss = append(inss, para)
			}
		}
	}
	flush()
	r.HTML = b.String()
	return r
}

var blankLineRE = regexp.MustCompile(`\n[ \t]*\n`)

// paragraphs splits a body at blank lines.
func paragraphs(body string) []string {
	var out []string
	for _, p := range blankLineRE.Split(strings.ReplaceAll(body, "\r\n", "\n"), -1) {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// alignBlocks writes a run of removed and added paragraphs. A removed
// paragraph that closely resembles a later added one is an edit and is
// shown word by word; the others are shown whole.
func alignBlocks(b *strings.Builder, r *Redline, dels, inss []string) {
	j := 0
	for _, d := range dels {
		best, bestScore := -1, 0.4
		for k := j; k < len(inss); k++ {
			if sc := similarity(d, inss[k]); sc >= bestScore {
				best, bestScore = k, sc
			}
		}
		if best < 0 {
			writePara(b, [][2]string{{"del", d}})
			r.Deleted += countWords(d)
			continue
		}
		for _, p := range inss[j:best] {
			writePara(b, [][2]string{{"ins", p}})
			r.Inserted += countWords(p)
		}
		writePara(b, wordDiff(r, d, inss[best]))
		j = best + 1
	}
	for _, p := range inss[j:] {
		writePara(b, [][2]string{{"ins", p}})
		r.Inserted += countWords(p)
	}
}

// wordDiff compares two paragraphs word by word.
func wordDiff(r *Redline, older, newer string) [][2]string {
	ra, rb, vocab := toRunes(tokenize(older), tokenize(newer))
	dmp := diffmatchpatch.New()
	diffs := dmp.DiffCleanupSemantic(dmp.DiffMainRunes(ra, rb, false))
	out := make([][2]string, 0, len(diffs))
	for _, d := range diffs {
		text := fromRunes(d.Text, vocab)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			out = append(out, [2]string{"", text})
		case diffmatchpatch.DiffInsert:
			out = append(out, [2]string{"ins", text})
			r.Inserted += countWords(text)
		case diffmatchpatch.DiffDelete:
			out = append(out, [2]string{"del", text})
			r.Deleted += countWords(text)
		}
	}
	return out
}

// similarity is the share of the longer paragraph's words found in both.
func similarity(a, b string) float64 {
	wa, wb := wordSet(a), wordSet(b)
	if len(wa) == 0 || len(wb) == 0 {
		return 0
	}
	common := 0
	for w := range wa {
		if wb[w] {
			common++
		}
	}
	return float64(common) / float64(max(len(wa), len(wb)))
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, t := range tokenize(strings.ToLower(s)) {
		if isWordRune([]rune(t)[0]) {
			m[t] = true
		}
	}
	return m
}

// writePara writes one paragraph of (tag, text) pieces, tag "" for
// unchanged text. Newlines inside become line breaks; a tag closes before
// a break and opens again after it, so the HTML stays well formed and the
// text wraps without any stylesheet.
func writePara(b *strings.Builder, pieces [][2]string) {
	b.WriteString("<p>")
	for _, pc := range pieces {
		for i, line := range strings.Split(pc[1], "\n") {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			if line == "" {
				continue
			}
			if pc[0] == "" {
				b.WriteString(html.EscapeString(line))
			} else {
				b.WriteString("<" + pc[0] + ">" + html.EscapeString(line) + "</" + pc[0] + ">")
			}
		}
	}
	b.WriteString("</p>\n")
}

// tokenize splits text into words, runs of white space and single
// punctuation marks, so that a diff moves whole words.
func tokenize(s string) []string {
	var toks []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i + 1
		switch {
		case isWordRune(rs[i]):
			for j < len(rs) && isWordRune(rs[j]) {
				j++
			}
		case unicode.IsSpace(rs[i]):
			for j < len(rs) && unicode.IsSpace(rs[j]) {
				j++
			}
		}
		toks = append(toks, string(rs[i:j]))
		i = j
	}
	return toks
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’'
}

func countWords(s string) int {
	n := 0
	for _, t := range tokenize(s) {
		if isWordRune([]rune(t)[0]) {
			n++
		}
	}
	return n
}

// toRunes gives every distinct token one rune, so the character diff of
// go-diff becomes a token diff (the same trick as its DiffLinesToRunes).
func toRunes(a, b []string) ([]rune, []rune, []string) {
	index := map[string]rune{}
	var vocab []string
	conv := func(toks []string) []rune {
		out := make([]rune, len(toks))
		for i, t := range toks {
			r, ok := index[t]
			if !ok {
				r = tokenRune(len(vocab))
				index[t] = r
				vocab = append(vocab, t)
			}
			out[i] = r
		}
		return out
	}
	// Both conversions must finish before vocab is read: in one return
	// statement Go leaves that order unspecified.
	ra, rb := conv(a), conv(b)
	return ra, rb, vocab
}

// tokenRune maps a token number to a valid rune, skipping surrogates.
func tokenRune(n int) rune {
	r := rune(n)
	if r >= 0xD800 {
		r += 0x800
	}
	return r
}

func runeToken(r rune) int {
	if r >= 0xE000 {
		r -= 0x800
	}
	return int(r)
}

func fromRunes(s string, vocab []string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(vocab[runeToken(r)])
	}
	return b.String()
}

var headingRE = regexp.MustCompile(`^#{1,6}[ \t]+(.+?)[ \t#]*$`)

type section struct {
	heading string
	body    string
}

// sections splits a Markdown body at its ATX headings, skipping fenced
// code. Text before the first heading is the "Introduction".
func sections(body string) []section {
	var out []section
	cur := section{heading: "Introduction"}
	var buf strings.Builder
	fenced := false
	for _, line := range strings.Split(body, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			fenced = !fenced
		}
		if m := headingRE.FindStringSubmatch(line); m != nil && !fenced {
			cur.body = buf.String()
			if cur.heading != "Introduction" || strings.TrimSpace(cur.body) != "" {
				out = append(out, cur)
			}
			cur, buf = section{heading: m[1]}, strings.Builder{}
			continue
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	cur.body = buf.String()
	if cur.heading != "Introduction" || strings.TrimSpace(cur.body) != "" {
		out = append(out, cur)
	}
	return out
}

func changedSections(older, newer string) []SectionChange {
	squash := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	old := map[string]string{}
	for _, s := range sections(older) {
		if _, dup := old[s.heading]; !dup {
			old[s.heading] = squash(s.body)
		}
	}
	var out []SectionChange
	seen := map[string]bool{}
	for _, s := range sections(newer) {
		if seen[s.heading] {
			continue
		}
		seen[s.heading] = true
		prev, ok := old[s.heading]
		switch {
		case !ok:
			out = append(out, SectionChange{Heading: s.heading, Change: "added"})
		case prev != squash(s.body):
			out = append(out, SectionChange{Heading: s.heading, Change: "changed"})
		}
	}
	for _, s := range sections(older) {
		if !seen[s.heading] {
			seen[s.heading] = true
			out = append(out, SectionChange{Heading: s.heading, Change: "removed"})
		}
	}
	return out
}
