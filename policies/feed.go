package policies

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"time"
)

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Links     []atomLink `xml:"link"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Summary   atomText   `xml:"summary"`
	Content   atomText   `xml:"content"`
}

// Feed writes an Atom feed with one entry per publication of the public
// policies among ts, newest first. baseURL has no trailing slash; org names
// the publisher.
func Feed(baseURL, org string, ts []*Timeline) ([]byte, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	type pub struct {
		p Policy
		v Version
	}
	var pubs []pub
	for _, t := range ts {
		if t.Policy.Audience != Public {
			continue
		}
		for _, v := range t.Versions {
			pubs = append(pubs, pub{t.Policy, v})
		}
	}
	sort.SliceStable(pubs, func(i, j int) bool {
		if !pubs[i].v.PublishedAt.Equal(pubs[j].v.PublishedAt) {
			return pubs[i].v.PublishedAt.After(pubs[j].v.PublishedAt)
		}
		return pubs[i].v.ID > pubs[j].v.ID
	})
	f := atomFeed{
		ID:    baseURL + "/policies/feed.atom",
		Title: org + " policy changes",
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: baseURL + "/policies/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: baseURL + "/"},
		},
		Author: atomPerson{Name: org},
		// A feed with no entries still needs a stable updated time.
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
	}
	if len(pubs) > 0 {
		f.Updated = pubs[0].v.PublishedAt.UTC().Format(time.RFC3339)
	}
	for _, p := range pubs {
		url := fmt.Sprintf("%s/policies/%s/v/%d", baseURL, p.p.Slug, p.v.Number)
		when := "effective " + p.v.EffectiveAt.UTC().Format("2 January 2006")
		e := atomEntry{
			ID:        url,
			Title:     fmt.Sprintf("%s: version %d", p.p.Title, p.v.Number),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: url}},
			Published: p.v.PublishedAt.UTC().Format(time.RFC3339),
			Updated:   p.v.PublishedAt.UTC().Format(time.RFC3339),
			Summary:   atomText{Type: "text", Body: fmt.Sprintf("%s (%s change, %s)", p.v.Summary, p.v.ChangeKind, when)},
			Content:   atomText{Type: "html", Body: p.v.BodyHTML},
		}
		if p.v.Number > 1 {
			e.Links = append(e.Links, atomLink{Rel: "related", Type: "text/html",
				Href: fmt.Sprintf("%s/policies/%s/diff/%d/%d", baseURL, p.p.Slug, p.v.Number-1, p.v.Number)})
		}
		f.Entries = append(f.Entries, e)
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("policies: feed: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
