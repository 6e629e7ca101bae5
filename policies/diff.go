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
	// HTML is the newer body's Markdown source, escaped, with deleted words
	// in <del> and inserted words in <ins>. Show it with white-space
	// preserved.
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

// Compare diffs two Markdown bodies word by word.
func Compare(older, newer string) Redline {
	a, b := tokenize(older), tokenize(newer)
	ra, rb, vocab := toRunes(a, b)
	dmp := diffmatchpatch.New()
	diffs := dmp.DiffMainRunes(ra, rb, false)
	diffs = dmp.DiffCleanupSemantic(diffs)
	var out strings.Builder
	r := Redline{Sections: changedSections(older, newer)}
	for _, d := range diffs {
		text := fromRunes(d.Text, vocab)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			out.WriteString(html.EscapeString(text))
		case diffmatchpatch.DiffInsert:
			out.WriteString("<ins>" + html.EscapeString(text) + "</ins>")
			r.Inserted += countWords(text)
		case diffmatchpatch.DiffDelete:
			out.WriteString("<del>" + html.EscapeString(text) + "</del>")
			r.Deleted += countWords(text)
		}
	}
	r.HTML = out.String()
	return r
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
	return conv(a), conv(b), vocab
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
