package subprocessors

import (
	"encoding/xml"
	"fmt"
	"html"
	"strings"
	"time"

	"steward/policies"
)

// Feed writes an Atom feed with one entry per published version of the
// register, newest first (vs as Versions returns them). baseURL has no
// trailing slash; org names the publisher.
func Feed(baseURL, org string, vs []Version) ([]byte, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	f := policies.AtomFeed{
		ID:    baseURL + "/subprocessors/feed.atom",
		Title: org + " subprocessor changes",
		Links: []policies.AtomLink{
			{Rel: "self", Type: "application/atom+xml", Href: baseURL + "/subprocessors/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: baseURL + "/subprocessors"},
		},
		Author:  policies.AtomPerson{Name: org},
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
	}
	if len(vs) > 0 {
		f.Updated = vs[0].PublishedAt.UTC().Format(time.RFC3339)
	}
	for i, v := range vs {
		url := fmt.Sprintf("%s/subprocessors/v/%d", baseURL, v.Number)
		var before []Entry
		if i+1 < len(vs) {
			before = vs[i+1].Entries
		}
		c := Diff(before, v.Entries)
		var b strings.Builder
		b.WriteString("<ul>")
		line := func(what string, e Entry) {
			fmt.Fprintf(&b, "<li>%s: %s (%s)</li>", what, html.EscapeString(e.Name), html.EscapeString(e.Locations))
		}
		for _, e := range c.Added {
			line("Added", e)
		}
		for _, ch := range c.Changed {
			line("Changed", ch.After)
		}
		for _, e := range c.Removed {
			line("Removed", e)
		}
		b.WriteString("</ul>")
		if v.ShortNoticeReason != "" {
			fmt.Fprintf(&b, "<p>Why the notice is shorter than usual: %s</p>", html.EscapeString(v.ShortNoticeReason))
		}
		e := policies.AtomEntry{
			ID:        url,
			Title:     fmt.Sprintf("Subprocessors: version %d, effective %s", v.Number, v.EffectiveAt.UTC().Format("2 January 2006")),
			Links:     []policies.AtomLink{{Rel: "alternate", Type: "text/html", Href: url}},
			Published: v.PublishedAt.UTC().Format(time.RFC3339),
			Updated:   v.PublishedAt.UTC().Format(time.RFC3339),
			Summary:   policies.AtomText{Type: "text", Body: v.Summary},
			Content:   policies.AtomText{Type: "html", Body: b.String()},
		}
		if v.Number > 1 {
			e.Links = append(e.Links, policies.AtomLink{Rel: "related", Type: "text/html",
				Href: fmt.Sprintf("%s/subprocessors/diff/%d/%d", baseURL, v.Number-1, v.Number)})
		}
		f.Entries = append(f.Entries, e)
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("subprocessors: feed: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
