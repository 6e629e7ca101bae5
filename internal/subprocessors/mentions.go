package subprocessors

import (
	"regexp"
	"strings"
)

// Document is a published text that may name subprocessors: a policy
// version in effect.
type Document struct {
	Slug, Title, Text string
}

// ShortName is the part of an entry's name a document is expected to
// use: the name up to its first parenthesis or comma, so that "Postmark
// (ActiveCampaign LLC)" is named by "Postmark".
func ShortName(name string) string {
	if i := strings.IndexAny(name, "(,"); i > 0 {
		name = name[:i]
	}
	return strings.TrimSpace(name)
}

// Mentions maps each entry's id to the documents that name it: its
// ShortName as whole words, ignoring case. This is the one rule for
// "which policies mention this subprocessor".
func Mentions(entries []Entry, docs []Document) map[int64][]Document {
	out := map[int64][]Document{}
	for _, e := range entries {
		short := ShortName(e.Name)
		if short == "" {
			continue
		}
		re, err := regexp.Compile(`(?i)(^|[^\pL\pN])` + regexp.QuoteMeta(short) + `($|[^\pL\pN])`)
		if err != nil {
			continue
		}
		for _, d := range docs {
			if re.MatchString(d.Text) {
				out[e.ID] = append(out[e.ID], d)
			}
		}
	}
	return out
}
