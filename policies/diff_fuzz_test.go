package policies

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// redlineElements are the only elements a redline may contain (true for
// the blocks, false for the inline ones, which a browser runs on without a
// break), and redlineClasses the only classes. A link's target must be
// one of the schemes Render lets through, or relative.
var (
	redlineElements = map[string]bool{"h3": true, "h4": true, "h5": true, "h6": true, "p": true, "ul": true, "ol": true,
		"li": true, "pre": true, "blockquote": true, "ins": false, "del": false,
		"strong": false, "em": false, "s": false, "code": false, "a": false}
	redlineClasses = regexp.MustCompile(`^((added|removed|changed) ?)?(depth[234])?$`)
	safeHref       = regexp.MustCompile(`^(?i:https?:|mailto:|[^:/?#]*([/?#]|$)|//)`)
)

// readSides reads a redline as a browser would and returns what it says
// of the newer text (without the deletions) and of the older one
// (without the insertions), white space squashed, or the first element
// or attribute it should not have.
func readSides(t *testing.T, redline string) (newer, older string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(redline))
	var nb, ob strings.Builder
	inIns, inDel := 0, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(nb.String()), " "), strings.Join(strings.Fields(ob.String()), " ")
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			block, known := redlineElements[tok.Data]
			if !known {
				t.Fatalf("the redline has an element of its own making, <%s>: %q", tok.Data, redline)
			}
			if tok.Data == "a" && (len(tok.Attr) != 1 || tok.Attr[0].Key != "href") {
				t.Fatalf("a link without its one href: %q", redline)
			}
			for _, a := range tok.Attr {
				switch {
				case a.Key == "id" && strings.HasPrefix(a.Val, AnchorPrefix) && strings.HasPrefix(tok.Data, "h"):
				case a.Key == "class" && redlineClasses.MatchString(a.Val):
				case a.Key == "href" && tok.Data == "a" && safeHref.MatchString(a.Val):
				default:
					t.Fatalf("the redline has an attribute of its own making, %s=%q on <%s>: %q", a.Key, a.Val, tok.Data, redline)
				}
			}
			switch tok.Data {
			case "ins":
				inIns++
			case "del":
				inDel++
			}
			if block {
				nb.WriteByte(' ')
				ob.WriteByte(' ')
			}
		case html.EndTagToken:
			name := z.Token().Data
			switch name {
			case "ins":
				inIns--
			case "del":
				inDel--
			}
			if redlineElements[name] {
				nb.WriteByte(' ')
				ob.WriteByte(' ')
			}
		case html.TextToken:
			text := string(z.Text())
			if inDel == 0 {
				nb.WriteString(text)
			}
			if inIns == 0 {
				ob.WriteString(text)
			}
		}
	}
}

// FuzzCompare diffs arbitrary pairs of bodies. The redline must be safe
// HTML made only of its own elements; read without its deletions it must
// say what the newer text says on its own, and without its insertions
// what the older one says; comparing a text with itself shows no change.
func FuzzCompare(f *testing.F) {
	v1, err := os.ReadFile("demo/privacy/v1.md")
	if err != nil {
		f.Fatal(err)
	}
	v2, _ := os.ReadFile("demo/privacy/v2.md")
	f.Add(string(v1), string(v2))
	f.Add("", "")
	f.Add("one two three", "one 2 three")
	f.Add("# A\n\npara\n\n# B\n\nold", "# B\n\nnew\n\n# A\n\npara")
	f.Add("<script>alert(1)</script>", "&lt;b&gt; & \"quotes\" 'single'")
	f.Add("line\r\nbreak\n\n\n\n   \n\nx", "line\nbreak\rx")
	f.Add("\xff\xfe invalid \x00", "valid é ’ 中文 \U0001F600")
	f.Add("```\n# not a heading\n```\n# real", "~~~\n# real\n~~~")
	f.Add("Write to [us](mailto:a@example.com) or **see** _this_ `code`", "Write to [us](javascript:alert(1)) or see **_this_** ~~code~~")
	f.Add("[x](JaVaScRiPt:alert(1)) [y](data:text/html,<script>) <javascript:alert(1)> [z](java&#09;script:x)", "[x](https://example.com/?a=1&b=\"2\") www.example.com a@example.com")
	f.Add("**bold [link](/p \"t\") bold**", "**bold [link](/q) bold** [a](<\" onmouseover=\"x>)")
	f.Add("## Keep {#retention}\n\n- a\n  - b\n\n> quoted", "## How long {#retention}\n\n1. a\n\n| x | y |\n|---|---|\n| 1 | 2 |")
	f.Fuzz(func(t *testing.T, older, newer string) {
		r := Compare(older, newer)
		if r.Inserted < 0 || r.Deleted < 0 {
			t.Fatalf("negative counts %d/%d", r.Inserted, r.Deleted)
		}
		newSide, oldSide := readSides(t, r.HTML)
		sameNew, sameNew2 := readSides(t, Compare(newer, newer).HTML)
		sameOld, _ := readSides(t, Compare(older, older).HTML)
		if sameNew != sameNew2 {
			t.Fatalf("a text compared with itself reads two ways: %q, %q", sameNew, sameNew2)
		}
		if newSide != sameNew {
			t.Fatalf("the new side reads %q, want %q", newSide, sameNew)
		}
		if oldSide != sameOld {
			t.Fatalf("the old side reads %q, want %q", oldSide, sameOld)
		}
		if same := Compare(newer, newer); same.Inserted != 0 || same.Deleted != 0 || len(same.Sections) != 0 ||
			strings.Contains(same.HTML, "<ins>") || strings.Contains(same.HTML, "<del>") {
			t.Fatalf("a text compared with itself changed: %+v", same)
		}
	})
}

// TestCompareShowsTheWordsOfOneEditedParagraph is the first input
// FuzzCompare found: an edit inside a single paragraph came out as two
// empty paragraphs, and some inputs crashed the runtime, because toRunes
// read its vocabulary in the same return statement as the calls that fill
// it, an order Go leaves unspecified.
func TestCompareShowsTheWordsOfOneEditedParagraph(t *testing.T) {
	for _, tc := range []struct{ older, newer, want string }{
		{"one two three", "one 2 three", "<p class=\"changed\">one <del>two</del><ins>2</ins> three</p>\n"},
		{"a b", "a c", "<p class=\"changed\">a <del>b</del><ins>c</ins></p>\n"},
		{"```\n# not a heading\n```\n# real", "~~~\n# real\n~~~", ""},
	} {
		r := Compare(tc.older, tc.newer)
		if tc.want != "" && r.HTML != tc.want {
			t.Errorf("Compare(%q, %q) = %q, want %q", tc.older, tc.newer, r.HTML, tc.want)
		}
	}
}
