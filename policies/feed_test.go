package policies

import (
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
)

func feedTimelines() []*Timeline {
	created := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	pub := Policy{ID: 1, Slug: "privacy", Title: "Privacy & you", Audience: Public, CreatedAt: created}
	cookies := Policy{ID: 3, Slug: "cookies", Title: "Cookies", Audience: Public, CreatedAt: created.AddDate(0, 2, 0)}
	staff := Policy{ID: 2, Slug: "internal", Title: "Internal", Audience: Staff, CreatedAt: created.AddDate(0, -1, 0)}
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	return []*Timeline{
		{Policy: pub, Versions: []Version{
			{ID: 1, Number: 1, Summary: "First", ChangeKind: Material, BodyHTML: "<p>one</p>", PublishedAt: at, EffectiveAt: at},
			{ID: 2, Number: 2, Summary: "Second <b>", ChangeKind: Minor, BodyHTML: "<p>two</p>", PublishedAt: at.AddDate(0, 1, 0), EffectiveAt: at.AddDate(0, 1, 0),
				KeyPoints: []string{"We keep tickets 18 months.", "No <script> & no selling."}},
		}},
		{Policy: staff, Versions: []Version{{ID: 3, Number: 1, Summary: "secret", PublishedAt: at, EffectiveAt: at}}},
		{Policy: cookies, Versions: []Version{{ID: 4, Number: 1, Summary: "Cookies first", ChangeKind: Material, BodyHTML: "<p>c</p>", PublishedAt: at.AddDate(0, 0, 10), EffectiveAt: at}}},
	}
}

// parseAtom reads a feed with a real feed parser, as a feed reader would.
func parseAtom(t *testing.T, out []byte) *atom.Feed {
	t.Helper()
	f, err := (&atom.Parser{}).Parse(strings.NewReader(string(out)))
	if err != nil {
		t.Fatalf("not an Atom feed: %v\n%s", err, out)
	}
	// The universal parser must recognise it as Atom too.
	if g, err := gofeed.NewParser().ParseString(string(out)); err != nil || g.FeedType != "atom" {
		t.Fatalf("gofeed: %v, type %q", err, g.FeedType)
	}
	return f
}

func TestFeedIsAtom(t *testing.T) {
	ts := feedTimelines()
	out, err := Feed("https://steward.example.com/", "Brightloop", ts)
	if err != nil {
		t.Fatal(err)
	}
	f := parseAtom(t, out)
	if f.ID != "tag:steward,2025-03-14:policies" || f.Title != "Brightloop policy changes" {
		t.Errorf("feed id %q title %q", f.ID, f.Title)
	}
	if len(f.Entries) != 3 {
		t.Fatalf("%d entries, want the 3 public publications:\n%s", len(f.Entries), out)
	}
	e := f.Entries[0]
	if e.ID != "tag:steward,2025-03-14:policy/privacy/v/2" || e.Title != "Privacy & you: version 2" ||
		e.Links[0].Href != "https://steward.example.com/policies/privacy/v/2" {
		t.Errorf("newest entry first: %+v", e)
	}
	if f.Entries[1].ID != "tag:steward,2025-05-14:policy/cookies/v/1" || f.Entries[2].ID != "tag:steward,2025-03-14:policy/privacy/v/1" {
		t.Errorf("entries in order of publication: %s, %s", f.Entries[1].ID, f.Entries[2].ID)
	}
	if f.Updated != e.Updated || f.Entries[2].Content.Value != "<p>one</p>" || f.Entries[2].Content.Type != "html" {
		t.Errorf("feed updated %q, first entry %+v", f.Updated, f.Entries[2].Content)
	}
	// The short layer leads the entry, escaped.
	want := "<p><strong>In short:</strong></p>\n<ul>\n<li>We keep tickets 18 months.</li>\n<li>No &lt;script&gt; &amp; no selling.</li>\n</ul>\n<p>two</p>"
	if e.Content.Value != want {
		t.Errorf("content\n%q, want\n%q", e.Content.Value, want)
	}
	if strings.Contains(string(out), "secret") {
		t.Error("a staff policy is in the public feed")
	}
}

func TestFeedIDsDoNotFollowTheBaseURL(t *testing.T) {
	ts := feedTimelines()
	ids := func(base string) []string {
		a, err := Feed(base, "Brightloop", ts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := PolicyFeed(base, "Brightloop", ts[0])
		if err != nil {
			t.Fatal(err)
		}
		fa, fb := parseAtom(t, a), parseAtom(t, b)
		out := []string{fa.ID, fb.ID}
		for _, e := range append(fa.Entries, fb.Entries...) {
			out = append(out, e.ID)
		}
		return out
	}
	before, after := ids("http://localhost:8080"), ids("https://policies.brightloop.example/")
	if strings.Join(before, " ") != strings.Join(after, " ") {
		t.Errorf("ids moved with the base URL:\n%v\n%v", before, after)
	}
	for _, id := range before {
		if !strings.HasPrefix(id, "tag:steward,2025-") {
			t.Errorf("id %q is not a tag: URI", id)
		}
	}
}

func TestPolicyFeed(t *testing.T) {
	ts := feedTimelines()
	out, err := PolicyFeed("https://steward.example.com", "Brightloop", ts[0])
	if err != nil {
		t.Fatal(err)
	}
	f := parseAtom(t, out)
	if f.ID != "tag:steward,2025-03-14:policy/privacy" || f.Title != "Privacy & you: changes" || len(f.Entries) != 2 {
		t.Fatalf("policy feed: %q %q, %d entries", f.ID, f.Title, len(f.Entries))
	}
	var self string
	for _, l := range f.Links {
		if l.Rel == "self" {
			self = l.Href
		}
	}
	if self != "https://steward.example.com/policies/privacy/feed.atom" {
		t.Errorf("self link %q", self)
	}
	if f.Entries[0].Summary != "Second <b> (minor change, effective 1 November 2026)" {
		t.Errorf("summary %+v", f.Entries[0].Summary)
	}
	staff, err := PolicyFeed("https://steward.example.com", "Brightloop", ts[1])
	if err != nil {
		t.Fatal(err)
	}
	if sf := parseAtom(t, staff); len(sf.Entries) != 0 {
		t.Errorf("a staff policy's feed has %d entries", len(sf.Entries))
	}
}
