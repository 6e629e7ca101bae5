package mail

import (
	"fmt"
	"strings"
)

// A frame is what a template wrote when executed with placeholders, cut
// where each placeholder went: the text between the holes, and the value
// that fills each hole.
type frame struct {
	lits  []string // len(holes)+1
	holes []hole
}

// hole is where a value goes; a list's hole knows what goes between two
// of its items.
type hole struct {
	value int
	sep   string
}

// cutFrame cuts out where each placeholder is. With lists, a list is
// executed with two items, placeholders[v] and placeholders[v+1] for
// v = vOwn, vTeam, vAlso; the text between them becomes the hole's sep.
func cutFrame(out string, placeholders []string, lists bool) (frame, error) {
	var f frame
	var found []int
	for {
		at, which := -1, -1
		for v, p := range placeholders {
			if i := strings.Index(out, p); i >= 0 && (at < 0 || i < at) {
				at, which = i, v
			}
		}
		if at < 0 {
			f.lits = append(f.lits, out)
			break
		}
		f.lits = append(f.lits, out[:at])
		found = append(found, which)
		out = out[at+len(placeholders[which]):]
	}
	if !lists {
		for _, v := range found {
			f.holes = append(f.holes, hole{value: v})
		}
		return f, nil
	}
	// Merge each list's two items into one hole.
	merged := frame{lits: []string{f.lits[0]}}
	for i := 0; i < len(found); i++ {
		v := found[i]
		if v < vOwn {
			merged.holes = append(merged.holes, hole{value: v})
			merged.lits = append(merged.lits, f.lits[i+1])
			continue
		}
		if (v-vOwn)%2 != 0 || i+1 == len(found) || found[i+1] != v+1 {
			return frame{}, fmt.Errorf("the items of a list are not written one after the other (at %q)", placeholders[v])
		}
		merged.holes = append(merged.holes, hole{value: v, sep: f.lits[i+1]})
		merged.lits = append(merged.lits, f.lits[i+2])
		i++
	}
	return merged, nil
}
