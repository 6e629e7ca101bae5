// Package mdnest refuses Markdown nested deeper than any real document
// before a parser sees it. goldmark takes time quadratic in the depth of
// nested block quotes and lists and of unclosed link brackets and
// parentheses: 199 KB of ">" or of "1. " or of "[a](" kept it busy for
// tens of seconds. One linear pass over the text is enough to refuse it.
package mdnest

import (
	"fmt"
	"strings"
)

// MaxDepth is the deepest nesting accepted, of block containers (block
// quotes and lists, counting two columns of indentation as a level) on a
// line, and of unclosed [ brackets or ( parentheses within a paragraph.
// Real policies and lessons stay below five.
const MaxDepth = 32

// Error says where the text nests too deeply and in what.
type Error struct {
	Line  int    // 1-based
	Depth int    // how deep it got before the check stopped
	What  string // "block quotes and lists", "[ brackets", "( parentheses"
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d nests %s more than %d deep; simplify it", e.Line, e.What, MaxDepth)
}

// Check returns an *Error when src nests deeper than MaxDepth.
func Check(src string) error {
	var fence string // the open code fence's marker, if any
	brackets, parens := 0, 0
	for n := 1; src != ""; n++ {
		var line string
		line, src, _ = strings.Cut(src, "\n")
		trimmed := strings.TrimLeft(line, " \t")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		if strings.TrimSpace(line) == "" {
			brackets, parens = 0, 0 // brackets do not span paragraphs
			continue
		}
		if d := blockDepth(line); d > MaxDepth {
			return &Error{Line: n, Depth: d, What: "block quotes and lists"}
		}
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++ // an escaped character is text
			case '[':
				if brackets++; brackets > MaxDepth {
					return &Error{Line: n, Depth: brackets, What: "unclosed [ brackets"}
				}
			case ']':
				brackets = max(brackets-1, 0)
			case '(':
				if parens++; parens > MaxDepth {
					return &Error{Line: n, Depth: parens, What: "unclosed ( parentheses"}
				}
			case ')':
				parens = max(parens-1, 0)
			}
		}
	}
	return nil
}

// blockDepth counts the containers a line opens or continues: its
// indentation (two columns a level), then each block quote marker and
// list marker in front of its text. It stops counting past MaxDepth.
func blockDepth(line string) int {
	col, i := 0, 0
	for ; i < len(line) && (line[i] == ' ' || line[i] == '\t'); i++ {
		if line[i] == '\t' {
			col += 4 - col%4
		} else {
			col++
		}
	}
	depth := col / 2
	for i < len(line) && depth <= MaxDepth {
		next := marker(line, i)
		if next == i {
			break
		}
		depth++
		for i = next; i < len(line) && (line[i] == ' ' || line[i] == '\t'); i++ {
		}
	}
	return depth
}

// marker returns the index after a block quote or list marker at i, or i
// when there is none.
func marker(line string, i int) int {
	spaceOrEnd := func(j int) bool { return j >= len(line) || line[j] == ' ' || line[j] == '\t' }
	switch c := line[i]; {
	case c == '>':
		return i + 1
	case (c == '-' || c == '+' || c == '*') && spaceOrEnd(i+1):
		return i + 1
	case c >= '0' && c <= '9':
		j := i
		for j < len(line) && j-i < 10 && line[j] >= '0' && line[j] <= '9' {
			j++
		}
		if j-i <= 9 && j < len(line) && (line[j] == '.' || line[j] == ')') && spaceOrEnd(j+1) {
			return j + 1
		}
	}
	return i
}
