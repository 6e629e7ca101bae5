package policies

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// blockKind is what a block of text is, as a reader sees it.
type blockKind uint8

const (
	kindPara blockKind = iota
	kindHeading
	kindItem  // one paragraph of a list item
	kindQuote // a paragraph inside a block quote
	kindCode  // a code block, shown as written
	kindRow   // a table row, its cells separated by " | "
)

// block is one piece of a rendered policy: a heading, a paragraph, a list
// item. Its text is what a reader sees, with white space reflowed (code
// keeps its lines).
type block struct {
	Kind    blockKind
	Level   int  // heading level, or the nesting depth of a list item
	Ordered bool // a list item of a numbered list
	Text    string
	// Toks is Text as words, spaces and marks, each with the inline
	// formatting it is shown in (bold, a link); the redline compares and
	// writes these.
	Toks     []token
	ID       string // a heading's id
	Explicit bool   // the author gave the heading's id ({#id})
}

// key is what makes two blocks the same to a reader: their words and
// how they are shown.
func (b block) key() string {
	var k strings.Builder
	fmt.Fprintf(&k, "%d %d %t ", b.Kind, b.Level, b.Ordered)
	for _, t := range b.Toks {
		k.WriteString(t.key())
	}
	return k.String()
}

// parsed is a Markdown body read into blocks.
type parsed struct {
	blocks []block
	// ids counts the id of every heading, explicit or generated; an id
	// counted twice would make one of its links go to the wrong section.
	ids map[string]int
}

// recordIDs is goldmark's own id table, remembering which ids the
// author wrote: goldmark puts those, and generates the others.
type recordIDs struct {
	parser.IDs
	explicit map[string]bool
}

func (r *recordIDs) Put(value []byte) {
	r.explicit[string(value)] = true
	r.IDs.Put(value)
}

// parseBlocks reads a Markdown body the way Render does and lists its
// blocks in reading order.
func parseBlocks(body string) parsed {
	src := []byte(body)
	rec := &recordIDs{IDs: parser.NewContext().IDs(), explicit: map[string]bool{}}
	doc := markdown.Parser().Parse(text.NewReader(src), parser.WithContext(parser.NewContext(parser.WithIDs(rec))))
	w := blockWalker{src: src, explicit: rec.explicit, out: parsed{ids: map[string]int{}}}
	w.container(doc, 0, false)
	return w.out
}

type blockWalker struct {
	src      []byte
	explicit map[string]bool
	out      parsed
}

// container walks the children of a block that holds other blocks.
// depth is the list nesting depth; quote says whether it is inside a
// block quote.
func (w *blockWalker) container(n ast.Node, depth int, quote bool) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		w.node(c, depth, quote)
	}
}

func (w *blockWalker) node(n ast.Node, depth int, quote bool) {
	switch n := n.(type) {
	case *ast.Heading:
		b := block{Kind: kindHeading, Level: n.Level}
		if id, ok := n.AttributeString("id"); ok {
			if v, ok := id.([]byte); ok {
				b.ID = string(v)
				b.Explicit = w.explicit[b.ID]
				w.out.ids[b.ID]++
			}
		}
		w.add(b, w.inline(n))
	case *ast.List:
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			w.listItem(item, depth+1, n.IsOrdered(), quote)
		}
	case *ast.Blockquote:
		w.container(n, depth, true)
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		var b strings.Builder
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(w.src))
		}
		code := strings.ToValidUTF8(strings.TrimRight(b.String(), "\n"), "\uFFFD")
		w.out.blocks = append(w.out.blocks, block{Kind: kindCode, Text: code, Toks: styled(tokenize(code), style{})})
	case *east.Table:
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []token
			for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
				if cells != nil {
					cells = append(cells, token{text: " | "})
				}
				cells = append(cells, w.inline(cell)...)
			}
			w.add(block{Kind: kindRow}, cells)
		}
	case *ast.HTMLBlock, *ast.ThematicBreak:
		// Render drops raw HTML; a rule has no words.
	default:
		if n.Type() == ast.TypeBlock && n.FirstChild() != nil && n.FirstChild().Type() == ast.TypeInline {
			kind := kindPara
			switch {
			case depth > 0:
				kind = kindItem
			case quote:
				kind = kindQuote
			}
			w.add(block{Kind: kind, Level: depth}, w.inline(n))
			return
		}
		w.container(n, depth, quote)
	}
}

// listItem adds the paragraphs of one item; an item's later paragraphs
// and nested lists follow it.
func (w *blockWalker) listItem(item ast.Node, depth int, ordered, quote bool) {
	start := len(w.out.blocks)
	for c := item.FirstChild(); c != nil; c = c.NextSibling() {
		if _, ok := c.(*ast.List); ok {
			w.node(c, depth, quote)
			continue
		}
		if c.Type() == ast.TypeBlock && c.FirstChild() != nil && c.FirstChild().Type() == ast.TypeInline {
			w.add(block{Kind: kindItem, Level: depth, Ordered: ordered}, w.inline(c))
			continue
		}
		w.node(c, depth, quote)
	}
	if len(w.out.blocks) == start {
		// An empty item still shows its bullet.
		w.out.blocks = append(w.out.blocks, block{Kind: kindItem, Level: depth, Ordered: ordered})
	}
}

// add adds a block of the inline runs given, reflowed: white space
// squashed to one space and trimmed at both ends.
func (w *blockWalker) add(b block, runs []token) {
	var text strings.Builder
	for _, r := range runs {
		// Invalid bytes read as U+FFFD, as the word diff reads them.
		for _, t := range tokenize(strings.ToValidUTF8(r.text, "\uFFFD")) {
			if unicode.IsSpace([]rune(t)[0]) {
				if len(b.Toks) == 0 || b.Toks[len(b.Toks)-1].text == " " {
					continue
				}
				t = " "
			}
			b.Toks = append(b.Toks, token{text: t, st: r.st})
		}
	}
	if n := len(b.Toks); n > 0 && b.Toks[n-1].text == " " {
		b.Toks = b.Toks[:n-1]
	}
	for _, t := range b.Toks {
		text.WriteString(t.text)
	}
	b.Text = text.String()
	if b.Text == "" && b.Kind != kindItem && b.Kind != kindHeading {
		return
	}
	w.out.blocks = append(w.out.blocks, b)
}

// inline is the text a reader sees of n's inline content, in runs of one
// formatting each (not yet reflowed).
func (w *blockWalker) inline(n ast.Node) []token {
	var runs []token
	var walk func(ast.Node, style)
	walk = func(n ast.Node, st style) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				v := c.Segment.Value(w.src)
				if !c.IsRaw() {
					// As goldmark's renderer writes it: \* is *, &amp; is &.
					v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
				}
				runs = append(runs, token{text: string(v), st: st})
				if c.SoftLineBreak() || c.HardLineBreak() {
					runs = append(runs, token{text: " ", st: st})
				}
			case *ast.String:
				runs = append(runs, token{text: string(c.Value), st: st})
			case *ast.AutoLink:
				url := c.URL(w.src)
				if c.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(url), []byte("mailto:")) {
					url = append([]byte("mailto:"), url...)
				}
				linked := st
				linked.href = linkTarget(util.URLEscape(url, false))
				runs = append(runs, token{text: string(c.Label(w.src)), st: linked})
			case *ast.Link:
				linked := st
				linked.href = linkTarget(util.URLEscape(c.Destination, true))
				walk(c, linked)
			case *ast.Emphasis:
				em := st
				if c.Level >= 2 {
					em.strong = true
				} else {
					em.em = true
				}
				walk(c, em)
			case *ast.CodeSpan:
				code := st
				code.code = true
				walk(c, code)
			case *east.Strikethrough:
				struck := st
				struck.strike = true
				walk(c, struck)
			case *ast.RawHTML:
				// dropped by Render
			default:
				walk(c, st)
			}
		}
	}
	walk(n, style{})
	return runs
}

// headingIDRE is the form of a heading id the sanitiser keeps, and so the
// form an author's {#id} must have.
var headingIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,80}$`)

// checkHeadingIDs says what is wrong with the body's heading ids: an
// author's id of the wrong form, or two headings with one id.
func checkHeadingIDs(body string) string {
	p := parseBlocks(body)
	var bad, dup []string
	for _, b := range p.blocks {
		if b.Kind != kindHeading || b.ID == "" {
			continue
		}
		if b.Explicit && !headingIDRE.MatchString(b.ID) {
			bad = append(bad, fmt.Sprintf("{#%s}", b.ID))
		}
		if p.ids[b.ID] > 1 && !slices.Contains(dup, b.ID) {
			dup = append(dup, b.ID)
		}
	}
	var msgs []string
	if len(bad) > 0 {
		msgs = append(msgs, fmt.Sprintf("heading id %s must be lowercase letters, digits, hyphens and underscores, starting with a letter or digit, at most 81 characters", strings.Join(bad, ", ")))
	}
	if len(dup) > 0 {
		msgs = append(msgs, fmt.Sprintf("heading id %q is used by more than one heading; each section needs its own", strings.Join(dup, `", "`)))
	}
	return strings.Join(msgs, "; ")
}
