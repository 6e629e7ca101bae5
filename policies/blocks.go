package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

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
	Kind     blockKind
	Level    int  // heading level, or the nesting depth of a list item
	Ordered  bool // a list item of a numbered list
	Text     string
	ID       string // a heading's id
	Explicit bool   // the author gave the heading's id ({#id})
}

// key is what makes two blocks the same to a reader.
func (b block) key() string {
	return fmt.Sprintf("%d %d %t %s", b.Kind, b.Level, b.Ordered, b.Text)
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
		b := block{Kind: kindHeading, Level: n.Level, Text: w.inline(n)}
		if id, ok := n.AttributeString("id"); ok {
			if v, ok := id.([]byte); ok {
				b.ID = string(v)
				b.Explicit = w.explicit[b.ID]
				w.out.ids[b.ID]++
			}
		}
		w.add(b)
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
		w.out.blocks = append(w.out.blocks, block{Kind: kindCode, Text: strings.ToValidUTF8(strings.TrimRight(b.String(), "\n"), "\uFFFD")})
	case *east.Table:
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
				cells = append(cells, w.inline(cell))
			}
			w.add(block{Kind: kindRow, Text: strings.Join(cells, " | ")})
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
			w.add(block{Kind: kind, Level: depth, Text: w.inline(n)})
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
			w.add(block{Kind: kindItem, Level: depth, Ordered: ordered, Text: w.inline(c)})
			continue
		}
		w.node(c, depth, quote)
	}
	if len(w.out.blocks) == start {
		// An empty item still shows its bullet.
		w.out.blocks = append(w.out.blocks, block{Kind: kindItem, Level: depth, Ordered: ordered})
	}
}

func (w *blockWalker) add(b block) {
	// Invalid bytes read as U+FFFD, as the word diff reads them.
	b.Text = strings.Join(strings.Fields(strings.ToValidUTF8(b.Text, "\uFFFD")), " ")
	if b.Text == "" && b.Kind != kindItem && b.Kind != kindHeading {
		return
	}
	w.out.blocks = append(w.out.blocks, b)
}

// inline is the text a reader sees of n's inline content.
func (w *blockWalker) inline(n ast.Node) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				v := c.Segment.Value(w.src)
				if !c.IsRaw() {
					// As goldmark's renderer writes it: \* is *, &amp; is &.
					v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
				}
				b.Write(v)
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.AutoLink:
				b.Write(c.URL(w.src))
			case *ast.RawHTML:
				// dropped by Render
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
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
