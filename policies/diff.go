package policies

import (
	"html"
	"strconv"
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Redline is the comparison of two bodies as a reader sees them.
type Redline struct {
	// HTML is the text as rendered (headings, paragraphs, list items,
	// reflowed), escaped, with deleted words in <del> and inserted words
	// in <ins>. A block added or removed whole carries the class "added"
	// or "removed", an edited one "changed"; each heading has the id
	// AnchorPrefix + its section's id.
	HTML     string
	Inserted int // words inserted
	Deleted  int // words deleted
	Sections []SectionChange
}

// SectionChange names a section (by heading) that differs between bodies.
type SectionChange struct {
	Heading string
	Was     string // the older heading, when the section was reworded
	Change  string // "added", "removed" or "changed"
	Anchor  string // the id of its heading in the redline; "" when it has none
}

// AnchorPrefix starts the id of each heading in a redline. Authors' ids
// cannot contain a dot, so a redline shown beside the policy itself never
// repeats one of its ids.
const AnchorPrefix = "redline."

// op is one block of a redline.
type op struct {
	tag    string // "" unchanged, "ins" added, "del" removed, "edit" changed
	blk    block  // the newer block; the older one when removed
	pieces []piece
}

// piece is a run of a block's words, unchanged (tag "") or inserted or
// deleted ("ins", "del").
type piece struct {
	tag  string
	toks []token
}

// style is the inline formatting a word is shown in. A redline shows it
// as the policy page does: <strong>, <em>, <s>, <code> and links.
type style struct {
	strong, em, code, strike bool
	// href is a link's target, escaped for an attribute, as the
	// sanitiser lets it through (linkTarget); "" for no link.
	href string
}

// token is a word, a run of white space or a mark, with its formatting.
type token struct {
	text string
	st   style
}

// key tells tokens apart: a word made bold differs from the plain one.
func (t token) key() string {
	var flags byte
	for i, on := range []bool{t.st.strong, t.st.em, t.st.code, t.st.strike} {
		if on {
			flags |= 1 << i
		}
	}
	return t.text + "\x00" + string(rune('0'+flags)) + t.st.href + "\x00"
}

// styled gives each of words the style st.
func styled(words []string, st style) []token {
	out := make([]token, len(words))
	for i, w := range words {
		out[i] = token{text: w, st: st}
	}
	return out
}

// Compare diffs two Markdown bodies as rendered: blocks (headings,
// paragraphs, list items) are aligned first, then an edited block is
// compared word by word with its new wording.
func Compare(older, newer string) Redline {
	pa, pb := parseBlocks(older), parseBlocks(newer)
	r := Redline{}
	ops := diffBlocks(&r, pa.blocks, pb.blocks)
	var ids map[string]bool
	r.HTML, ids = writeRedline(ops)
	for _, sc := range changedSections(splitSections(pa.blocks), splitSections(pb.blocks)) {
		if ids[sc.id] {
			sc.Anchor = AnchorPrefix + sc.id
		}
		r.Sections = append(r.Sections, sc.SectionChange)
	}
	return r
}

// diffBlocks aligns the blocks of two texts: equal blocks first, then,
// within each run of removed and added blocks, a removed block that
// closely resembles a later added one of the same kind is an edit, shown
// word by word; the others are shown whole.
func diffBlocks(r *Redline, older, newer []block) []op {
	ka, kb := make([]string, len(older)), make([]string, len(newer))
	for i, b := range older {
		ka[i] = b.key()
	}
	for i, b := range newer {
		kb[i] = b.key()
	}
	ra, rb, _ := toRunes(ka, kb, func(k string) string { return k })
	diffs := diffmatchpatch.New().DiffMainRunes(ra, rb, false)
	var ops []op
	var dels, inss []block
	flush := func() {
		ops = alignRun(ops, r, dels, inss)
		dels, inss = nil, nil
	}
	i, j := 0, 0
	for _, d := range diffs {
		for range []rune(d.Text) {
			switch d.Type {
			case diffmatchpatch.DiffEqual:
				flush()
				ops = append(ops, op{blk: newer[j], pieces: []piece{{"", newer[j].Toks}}})
				i++
				j++
			case diffmatchpatch.DiffDelete:
				dels = append(dels, older[i])
				i++
			case diffmatchpatch.DiffInsert:
				inss = append(inss, newer[j])
				j++
			}
		}
	}
	flush()
	return ops
}

func alignRun(ops []op, r *Redline, dels, inss []block) []op {
	j := 0
	if len(dels) > 0 && dels[0].Kind == kindHeading {
		// The removed blocks start a section; added blocks before the
		// first added heading end the section before it, so they come
		// first (an item added to the end of a list stays in the list).
		for j < len(inss) && inss[j].Kind != kindHeading {
			ops = append(ops, op{tag: "ins", blk: inss[j], pieces: []piece{{"ins", inss[j].Toks}}})
			r.Inserted += countWords(inss[j].Text)
			j++
		}
	}
	for _, d := range dels {
		best, bestScore := -1, 0.4
		for k := j; k < len(inss); k++ {
			if !sameShape(d, inss[k]) {
				continue
			}
			sc := similarity(d.Text, inss[k].Text)
			if d.Kind == kindHeading {
				// A heading is edited only when it keeps the id its
				// author gave it: otherwise it starts another section.
				sc = 0
				if d.ID != "" && d.ID == inss[k].ID && (d.Explicit || inss[k].Explicit) {
					sc = 1
				}
			}
			if sc >= bestScore {
				best, bestScore = k, sc
			}
		}
		if best < 0 {
			ops = append(ops, op{tag: "del", blk: d, pieces: []piece{{"del", d.Toks}}})
			r.Deleted += countWords(d.Text)
			continue
		}
		for _, b := range inss[j:best] {
			ops = append(ops, op{tag: "ins", blk: b, pieces: []piece{{"ins", b.Toks}}})
			r.Inserted += countWords(b.Text)
		}
		ops = append(ops, op{tag: "edit", blk: inss[best], pieces: wordDiff(r, d.Toks, inss[best].Toks)})
		j = best + 1
	}
	for _, b := range inss[j:] {
		ops = append(ops, op{tag: "ins", blk: b, pieces: []piece{{"ins", b.Toks}}})
		r.Inserted += countWords(b.Text)
	}
	return ops
}

// sameShape says whether one block can be an edit of the other: a
// heading stays a heading, code stays code, and text stays text (a
// paragraph may become a list item).
func sameShape(a, b block) bool {
	shape := func(k blockKind) blockKind {
		if k == kindHeading || k == kindCode || k == kindRow {
			return k
		}
		return kindPara
	}
	return shape(a.Kind) == shape(b.Kind)
}

var opClass = map[string]string{"ins": "added", "del": "removed", "edit": "changed"}

// writeRedline writes the blocks as HTML; it returns the section ids its
// headings carry.
func writeRedline(ops []op) (string, map[string]bool) {
	var b strings.Builder
	ids := map[string]bool{}
	// Ids of the newer text first: a removed heading whose id a newer one
	// took goes without.
	for _, o := range ops {
		if o.tag != "del" && o.blk.Kind == kindHeading && o.blk.ID != "" {
			ids[o.blk.ID] = true
		}
	}
	list := "" // the list element open, "ul" or "ol"
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	for _, o := range ops {
		class := ""
		if c := opClass[o.tag]; c != "" {
			class = ` class="` + c + `"`
		}
		blk := o.blk
		if blk.Kind != kindItem {
			closeList()
		}
		switch blk.Kind {
		case kindHeading:
			level := strconv.Itoa(min(blk.Level+2, 6))
			id := ""
			if blk.ID != "" && (o.tag != "del" || !ids[blk.ID]) {
				id = ` id="` + html.EscapeString(AnchorPrefix+blk.ID) + `"`
				ids[blk.ID] = true
			}
			b.WriteString("<h" + level + id + class + ">")
			writePieces(&b, o.pieces)
			b.WriteString("</h" + level + ">\n")
		case kindItem:
			want := "ul"
			if blk.Ordered {
				want = "ol"
			}
			if list != want {
				closeList()
				b.WriteString("<" + want + ">\n")
				list = want
			}
			if blk.Level > 1 {
				class = ` class="` + strings.TrimSpace(opClass[o.tag]+" depth"+strconv.Itoa(min(blk.Level, 4))) + `"`
			}
			b.WriteString("<li" + class + ">")
			writePieces(&b, o.pieces)
			b.WriteString("</li>\n")
		case kindCode:
			b.WriteString("<pre" + class + ">")
			writePieces(&b, o.pieces)
			b.WriteString("</pre>\n")
		case kindQuote:
			b.WriteString("<blockquote" + class + "><p>")
			writePieces(&b, o.pieces)
			b.WriteString("</p></blockquote>\n")
		default:
			b.WriteString("<p" + class + ">")
			writePieces(&b, o.pieces)
			b.WriteString("</p>\n")
		}
	}
	closeList()
	return b.String(), ids
}

// writePieces writes pieces, each inserted or deleted one in <ins> or
// <del>, its words in their formatting.
func writePieces(b *strings.Builder, pieces []piece) {
	for _, pc := range pieces {
		if len(pc.toks) == 0 {
			continue
		}
		if pc.tag != "" {
			b.WriteString("<" + pc.tag + ">")
		}
		writeTokens(b, pc.toks)
		if pc.tag != "" {
			b.WriteString("</" + pc.tag + ">")
		}
	}
}

// writeTokens writes words escaped, each run of one style inside its
// elements: a link outermost, then <strong>, <em>, <s> and <code>.
func writeTokens(b *strings.Builder, toks []token) {
	for i := 0; i < len(toks); {
		st := toks[i].st
		var text strings.Builder
		for ; i < len(toks) && toks[i].st == st; i++ {
			text.WriteString(toks[i].text)
		}
		var closing []string
		open := func(on bool, tag, attrs string) {
			if on {
				b.WriteString("<" + tag + attrs + ">")
				closing = append(closing, "</"+tag+">")
			}
		}
		open(st.href != "", "a", ` href="`+st.href+`"`)
		open(st.strong, "strong", "")
		open(st.em, "em", "")
		open(st.strike, "s", "")
		open(st.code, "code", "")
		b.WriteString(html.EscapeString(text.String()))
		for k := len(closing) - 1; k >= 0; k-- {
			b.WriteString(closing[k])
		}
	}
}

// wordDiff compares two paragraphs word by word.
func wordDiff(r *Redline, older, newer []token) []piece {
	ra, rb, vocab := toRunes(older, newer, token.key)
	dmp := diffmatchpatch.New()
	diffs := dmp.DiffCleanupSemantic(dmp.DiffMainRunes(ra, rb, false))
	out := make([]piece, 0, len(diffs))
	for _, d := range diffs {
		toks := fromRunes(d.Text, vocab)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			out = append(out, piece{"", toks})
		case diffmatchpatch.DiffInsert:
			out = append(out, piece{"ins", toks})
			r.Inserted += countTokenWords(toks)
		case diffmatchpatch.DiffDelete:
			out = append(out, piece{"del", toks})
			r.Deleted += countTokenWords(toks)
		}
	}
	return out
}

func countTokenWords(toks []token) int {
	n := 0
	for _, t := range toks {
		if isWordRune([]rune(t.text)[0]) {
			n++
		}
	}
	return n
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
// Tokens are the same when their keys are.
func toRunes[T any](a, b []T, key func(T) string) ([]rune, []rune, []T) {
	index := map[string]rune{}
	var vocab []T
	conv := func(toks []T) []rune {
		out := make([]rune, len(toks))
		for i, t := range toks {
			k := key(t)
			r, ok := index[k]
			if !ok {
				r = tokenRune(len(vocab))
				index[k] = r
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

func fromRunes[T any](s string, vocab []T) []T {
	var out []T
	for _, r := range s {
		out = append(out, vocab[runeToken(r)])
	}
	return out
}

// CompareChanged is Compare showing only the sections that differ: what
// a person who read the older text needs to read of the newer.
func CompareChanged(older, newer string) Redline {
	pa, pb := parseBlocks(older), parseBlocks(newer)
	r := Redline{}
	ops := diffBlocks(&r, pa.blocks, pb.blocks)
	var kept, group []op
	changed := false
	flush := func() {
		if changed {
			kept = append(kept, group...)
		}
		group, changed = nil, false
	}
	for _, o := range ops {
		if o.blk.Kind == kindHeading {
			flush()
		}
		group = append(group, o)
		changed = changed || o.tag != ""
	}
	flush()
	var ids map[string]bool
	r.HTML, ids = writeRedline(kept)
	for _, sc := range changedSections(splitSections(pa.blocks), splitSections(pb.blocks)) {
		if ids[sc.id] {
			sc.Anchor = AnchorPrefix + sc.id
		}
		r.Sections = append(r.Sections, sc.SectionChange)
	}
	return r
}
