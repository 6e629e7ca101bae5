package policies

import (
	"html"
	"regexp"
	"slices"
	"strings"
)

// introduction names the text before a body's first heading.
const introduction = "Introduction"

// section is a heading and the blocks up to the next heading.
type section struct {
	heading block // Kind is kindHeading unless this is the introduction
	keys    []string
}

func (s section) title() string {
	if s.heading.Kind != kindHeading {
		return introduction
	}
	return s.heading.Text
}

// splitSections splits blocks at every heading. Text before the first
// heading is the introduction, left out when there is none.
func splitSections(bs []block) []section {
	var out []section
	cur := section{}
	for _, b := range bs {
		if b.Kind == kindHeading {
			if cur.heading.Kind == kindHeading || len(cur.keys) > 0 {
				out = append(out, cur)
			}
			cur = section{heading: b}
			continue
		}
		cur.keys = append(cur.keys, b.key())
	}
	if cur.heading.Kind == kindHeading || len(cur.keys) > 0 {
		out = append(out, cur)
	}
	return out
}

// matchSections pairs each newer section with the older one it
// continues, or -1: first by an id the author gave (on either side), then
// by the heading's text, then the introductions.
func matchSections(older, newer []section) []int {
	match := make([]int, len(newer))
	used := make([]bool, len(older))
	for i := range match {
		match[i] = -1
	}
	pass := func(same func(a, b section) bool) {
		for i, n := range newer {
			if match[i] >= 0 {
				continue
			}
			for k, o := range older {
				if !used[k] && same(o, n) {
					match[i], used[k] = k, true
					break
				}
			}
		}
	}
	isHeading := func(s section) bool { return s.heading.Kind == kindHeading }
	pass(func(a, b section) bool {
		return isHeading(a) && isHeading(b) && (a.heading.Explicit || b.heading.Explicit) &&
			a.heading.ID != "" && a.heading.ID == b.heading.ID
	})
	pass(func(a, b section) bool {
		return isHeading(a) && isHeading(b) && a.heading.Text == b.heading.Text
	})
	// A heading reworded (and given an id) over mostly the same text.
	pass(func(a, b section) bool { return isHeading(a) && isHeading(b) && mostlySame(a.keys, b.keys) })
	pass(func(a, b section) bool { return !isHeading(a) && !isHeading(b) })
	return match
}

// mostlySame says whether at least half of the blocks of the longer
// list are in the other.
func mostlySame(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	in := map[string]int{}
	for _, k := range a {
		in[k]++
	}
	common := 0
	for _, k := range b {
		if in[k] > 0 {
			in[k]--
			common++
		}
	}
	return 2*common >= max(len(a), len(b))
}

// sectionChange is a SectionChange with the id of the heading it links to.
type sectionChange struct {
	SectionChange
	id string
}

// changedSections lists the newer text's sections that were added or
// changed, in order, then the older text's sections that were removed.
func changedSections(older, newer []section) []sectionChange {
	match := matchSections(older, newer)
	var out []sectionChange
	matched := make([]bool, len(older))
	for i, n := range newer {
		sc := sectionChange{SectionChange: SectionChange{Heading: n.title()}, id: n.heading.ID}
		if match[i] < 0 {
			sc.Change = "added"
			out = append(out, sc)
			continue
		}
		o := older[match[i]]
		matched[match[i]] = true
		if o.title() != n.title() {
			sc.Was = o.title()
		}
		if sc.Was != "" || !slices.Equal(o.keys, n.keys) {
			sc.Change = "changed"
			out = append(out, sc)
		}
	}
	for k, o := range older {
		if !matched[k] {
			out = append(out, sectionChange{SectionChange: SectionChange{Heading: o.title(), Change: "removed"}, id: o.heading.ID})
		}
	}
	return out
}

// SectionHistory is one section of a policy and the versions that
// changed it.
type SectionHistory struct {
	Heading string // as in the latest version, or the last that had it
	ID      string // its heading's id there
	Added   int    // the version that added it (1 for the first)
	Changed []int  // later versions that changed it
	Removed int    // the version that removed it, 0 while it is there
}

// SectionHistories follows every section through a policy's published
// versions, matched from one version to the next by the author's id or
// else by heading: the sections of the latest version in order, then the
// sections removed along the way.
func SectionHistories(versions []Version) []SectionHistory {
	var cur []section
	var hist []*SectionHistory // parallel to cur
	var removed []SectionHistory
	for _, v := range versions {
		next := splitSections(parseBlocks(v.BodyMD).blocks)
		match := matchSections(cur, next)
		nextHist := make([]*SectionHistory, len(next))
		kept := make([]bool, len(cur))
		for i, n := range next {
			if match[i] < 0 {
				nextHist[i] = &SectionHistory{Added: v.Number}
			} else {
				o := cur[match[i]]
				h := hist[match[i]]
				kept[match[i]] = true
				if o.title() != n.title() || !slices.Equal(o.keys, n.keys) {
					h.Changed = append(h.Changed, v.Number)
				}
				nextHist[i] = h
			}
			nextHist[i].Heading, nextHist[i].ID = n.title(), n.heading.ID
		}
		for k := range cur {
			if !kept[k] {
				h := *hist[k]
				h.Removed = v.Number
				removed = append(removed, h)
			}
		}
		cur, hist = next, nextHist
	}
	out := make([]SectionHistory, 0, len(hist)+len(removed))
	for _, h := range hist {
		out = append(out, *h)
	}
	return append(out, removed...)
}

// FormerIDs says, for version n among a policy's published versions (in
// order), which other ids each of its sections' headings had in earlier
// versions: a heading id -> the former ids, which no heading of version n
// uses. A link made to an earlier version's heading keeps landing on its
// section after the heading is reworded or given an id of its own.
func FormerIDs(versions []Version, n int) map[string][]string {
	var cur []section
	var seen [][]string // parallel to cur: every id its section's heading had
	for _, v := range versions {
		if v.Number > n {
			break
		}
		next := splitSections(parseBlocks(v.BodyMD).blocks)
		match := matchSections(cur, next)
		nextSeen := make([][]string, len(next))
		for i, s := range next {
			if match[i] >= 0 {
				nextSeen[i] = seen[match[i]]
			}
			if id := s.heading.ID; id != "" && !slices.Contains(nextSeen[i], id) {
				nextSeen[i] = append(slices.Clip(nextSeen[i]), id)
			}
		}
		cur, seen = next, nextSeen
	}
	used := map[string]bool{}
	for _, s := range cur {
		used[s.heading.ID] = true
	}
	out := map[string][]string{}
	for i, s := range cur {
		if s.heading.ID == "" {
			continue
		}
		for _, id := range seen[i] {
			if !used[id] && headingIDRE.MatchString(id) {
				used[id] = true
				out[s.heading.ID] = append(out[s.heading.ID], id)
			}
		}
	}
	return out
}

// headingRE finds the headings of sanitised HTML, which Render writes as
// <hN id="...">...</hN>.
var headingRE = regexp.MustCompile(`(?s)<h([1-6]) id="([a-z0-9][a-z0-9_-]{0,80})">(.*?)</h[1-6]>`)

var tagRE = regexp.MustCompile(`<[^>]*>`)

// LinkHeadings gives every heading with an id of rendered HTML a link to
// itself, beside it rather than inside it, so that the heading's own
// name stays its text; a heading also answers to its former ids (from
// FormerIDs), through empty elements inside it.
func LinkHeadings(body string, former map[string][]string) string {
	return headingRE.ReplaceAllStringFunc(body, func(h string) string {
		m := headingRE.FindStringSubmatch(h)
		name := strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(m[3], ""))), " ")
		if ids := former[m[2]]; len(ids) > 0 {
			var aliases strings.Builder
			for _, id := range ids {
				aliases.WriteString(`<span id="` + id + `"></span>`)
			}
			h = `<h` + m[1] + ` id="` + m[2] + `">` + aliases.String() + m[3] + `</h` + m[1] + `>`
		}
		return `<div class="section-heading">` + h + `<a class="section-link" href="#` + m[2] +
			`"><span aria-hidden="true">#</span><span class="visually-hidden">Link to the section ` +
			html.EscapeString(name) + `</span></a></div>`
	})
}
