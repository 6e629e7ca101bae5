package policies

import (
	"encoding/xml"
	"fmt"
	"html"
	"sort"
	"strings"
	"time"
)

// AtomFeed and the types below are an Atom (RFC 4287) document as the
// policies' and the subprocessor register's feeds write it.
type AtomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []AtomLink  `xml:"link"`
	Author  AtomPerson  `xml:"author"`
	Entries []AtomEntry `xml:"entry"`
}

type AtomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type AtomPerson struct {
	Name string `xml:"name"`
}

type AtomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type AtomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Links     []AtomLink `xml:"link"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Summary   AtomText   `xml:"summary"`
	Content   AtomText   `xml:"content"`
}

// Feed entry and feed ids are tag: URIs (RFC 4151), not addresses, so a
// feed reader keeps them when the installation moves to another base URL:
//
//	tag:steward,DATE:policy/SLUG/v/N   a publication (DATE: when the policy was created)
//	tag:steward,DATE:policy/SLUG       the feed of one policy
//	tag:steward,DATE:policies          the feed of every public policy (DATE: the first public policy's)
//
// Published versions never change and a policy's slug and creation date
// neither, so the ids never change.
const tagAuthority = "tag:steward,"

func tagDate(t time.Time) string { return t.UTC().Format("2006-01-02") }

// EntryID is the Atom id of the publication of version n of p.
func EntryID(p Policy, n int) string {
	return fmt.Sprintf("%s%s:policy/%s/v/%d", tagAuthority, tagDate(p.CreatedAt), p.Slug, n)
}

// EntryTitle is the title of the feed entry of version n of p.
func EntryTitle(p Policy, n int) string { return fmt.Sprintf("%s: version %d", p.Title, n) }

// PolicyFeedID is the Atom id of the feed of p alone.
func PolicyFeedID(p Policy) string {
	return fmt.Sprintf("%s%s:policy/%s", tagAuthority, tagDate(p.CreatedAt), p.Slug)
}

type publication struct {
	p Policy
	v Version
	// In a feed in another language than the policy's (PolicyFeedIn):
	// the language, and the entry's title and summary in it.
	lang, title, summary string
}

// Feed writes an Atom feed with one entry per publication of the public
// policies among ts, newest first. baseURL has no trailing slash; org names
// the publisher.
func Feed(baseURL, org string, ts []*Timeline) ([]byte, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	var pubs []publication
	var first time.Time
	for _, t := range ts {
		if t.Policy.Audience != Public {
			continue
		}
		if first.IsZero() || t.Policy.CreatedAt.Before(first) {
			first = t.Policy.CreatedAt
		}
		for _, v := range t.Versions {
			pubs = append(pubs, publication{p: t.Policy, v: v})
		}
	}
	f := AtomFeed{
		ID:    tagAuthority + tagDate(first) + ":policies",
		Title: org + " policy changes",
		Links: []AtomLink{
			{Rel: "self", Type: "application/atom+xml", Href: baseURL + "/policies/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: baseURL + "/"},
		},
	}
	return writeFeed(f, baseURL, org, pubs)
}

// PolicyFeed writes the Atom feed of one public policy's publications,
// newest first.
func PolicyFeed(baseURL, org string, t *Timeline) ([]byte, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	pubs := make([]publication, 0, len(t.Versions))
	if t.Policy.Audience == Public {
		for _, v := range t.Versions {
			pubs = append(pubs, publication{p: t.Policy, v: v})
		}
	}
	f := AtomFeed{
		ID:    PolicyFeedID(t.Policy),
		Title: t.Policy.Title + ": changes",
		Links: []AtomLink{
			{Rel: "self", Type: "application/atom+xml", Href: baseURL + "/policies/" + t.Policy.Slug + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: baseURL + "/policies/" + t.Policy.Slug},
		},
	}
	return writeFeed(f, baseURL, org, pubs)
}

func writeFeed(f AtomFeed, baseURL, org string, pubs []publication) ([]byte, error) {
	sort.SliceStable(pubs, func(i, j int) bool {
		if !pubs[i].v.PublishedAt.Equal(pubs[j].v.PublishedAt) {
			return pubs[i].v.PublishedAt.After(pubs[j].v.PublishedAt)
		}
		return pubs[i].v.ID > pubs[j].v.ID
	})
	f.Author = AtomPerson{Name: org}
	// A feed with no entries still needs a stable updated time.
	f.Updated = time.Unix(0, 0).UTC().Format(time.RFC3339)
	if len(pubs) > 0 {
		f.Updated = pubs[0].v.PublishedAt.UTC().Format(time.RFC3339)
	}
	for _, p := range pubs {
		url := fmt.Sprintf("%s/policies/%s/v/%d", baseURL, p.p.Slug, p.v.Number)
		when := "effective " + p.v.EffectiveAt.UTC().Format("2 January 2006")
		e := AtomEntry{
			ID:        EntryID(p.p, p.v.Number),
			Title:     EntryTitle(p.p, p.v.Number),
			Links:     []AtomLink{{Rel: "alternate", Type: "text/html", Href: url}},
			Published: p.v.PublishedAt.UTC().Format(time.RFC3339),
			Updated:   p.v.PublishedAt.UTC().Format(time.RFC3339),
			Summary:   AtomText{Type: "text", Body: fmt.Sprintf("%s (%s change, %s)", p.v.Summary, p.v.ChangeKind, when)},
			Content:   AtomText{Type: "html", Body: keyPointsHTML(p.v.KeyPoints) + p.v.BodyHTML},
		}
		q := ""
		if p.lang != "" {
			q = "?lang=" + p.lang
			e.ID, e.Title, e.Summary.Body, e.Links[0].Href = e.ID+"/"+p.lang, p.title, p.summary, url+q
		}
		if p.v.Number > 1 {
			e.Links = append(e.Links, AtomLink{Rel: "related", Type: "text/html",
				Href: fmt.Sprintf("%s/policies/%s/diff/%d/%d%s", baseURL, p.p.Slug, p.v.Number-1, p.v.Number, q)})
		}
		f.Entries = append(f.Entries, e)
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("policies: feed: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// keyPointsHTML is the short layer above the text of a feed entry.
func keyPointsHTML(points []string) string {
	if len(points) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<p><strong>In short:</strong></p>\n<ul>\n")
	for _, p := range points {
		b.WriteString("<li>" + html.EscapeString(p) + "</li>\n")
	}
	b.WriteString("</ul>\n")
	return b.String()
}
