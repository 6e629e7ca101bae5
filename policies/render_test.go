package policies

import (
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRenderDropsXSS(t *testing.T) {
	payloads := []struct {
		name, body string
	}{
		{"script tag", "Hello <script>alert(1)</script> world"},
		{"script block", "<script>\nalert(document.cookie)\n</script>"},
		{"img onerror", `<img src="x" onerror="alert(1)">`},
		{"svg onload", `<svg onload=alert(1)>`},
		{"body onload", `<body onload="alert(1)">`},
		{"inline handler on link", `<a href="https://example.com" onclick="alert(1)">x</a>`},
		{"javascript link", `[click me](javascript:alert(1))`},
		{"javascript link encoded", `[click me](jAvAsCrIpT:alert(1))`},
		{"javascript autolink", `<javascript:alert(1)>`},
		{"javascript html link", `<a href="javascript:alert(1)">x</a>`},
		{"data link", `[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`},
		{"iframe", `<iframe src="https://evil.example"></iframe>`},
		{"object", `<object data="https://evil.example/x.swf"></object>`},
		{"embed", `<embed src="https://evil.example/x.swf">`},
		{"style expression", `<div style="background:url(javascript:alert(1))">x</div>`},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.example">`},
		{"form", `<form action="https://evil.example"><input name=p></form>`},
		{"image javascript", `![x](javascript:alert(1))`},
		{"heading with html", "# Title <img src=x onerror=alert(1)>"},
	}
	banned := []string{"<script", "<iframe", "<object", "<embed", "<meta", "<form", "<input", "style=",
		"<svg", "<body"}
	// Text that merely mentions javascript: is harmless; a handler attribute
	// or a link or source with a dangerous scheme is not.
	dangerous := regexp.MustCompile(`(?i)(\son[a-z]+\s*=|(href|src|action)\s*=\s*["']?\s*(javascript|data|vbscript):)`)
	for _, p := range payloads {
		t.Run(p.name, func(t *testing.T) {
			out, err := Render("# Policy\n\n" + p.body + "\n\nAfter.")
			if err != nil {
				t.Fatal(err)
			}
			low := strings.ToLower(out)
			for _, b := range banned {
				if strings.Contains(low, b) {
					t.Errorf("rendered HTML contains %q:\n%s", b, out)
				}
			}
			if m := dangerous.FindString(out); m != "" {
				t.Errorf("rendered HTML contains %q:\n%s", m, out)
			}
			if !strings.Contains(out, "After.") {
				t.Errorf("text after the payload is lost:\n%s", out)
			}
		})
	}
}

func TestRenderKeepsPolicyMarkup(t *testing.T) {
	out, err := Render("# Privacy policy\n\n## How long we keep it\n\n- **Billing:** seven years\n\n| Data | Kept |\n|---|---|\n| Logs | 13 months |\n\nWrite to [us](mailto:privacy@example.com) or see <https://example.com/subprocessors>.\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h2 id="how-long-we-keep-it">How long we keep it</h2>`, "<strong>Billing:</strong>",
		"<table>", "<td>13 months</td>", `href="mailto:privacy@example.com"`, `href="https://example.com/subprocessors"`} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered HTML lacks %s:\n%s", want, out)
		}
	}
}

func TestCompareWordLevel(t *testing.T) {
	older := "# Privacy\n\n## Retention\n\nSupport conversations: three years after closing.\n\n## Rights\n\nAsk us anything.\n\n## Cookies\n\nNone.\n"
	newer := "# Privacy\n\n## Retention\n\nSupport conversations: 18 months after closing.\n\n## Rights\n\nAsk us anything.\n\n## AI features\n\nSuggestions <b>only</b>.\n"
	r := Compare(older, newer)
	if !strings.Contains(r.HTML, "<del>three years</del><ins>18 months</ins>") {
		t.Errorf("want the two words replaced as whole words, got:\n%s", r.HTML)
	}
	if strings.Contains(r.HTML, "<b>") || !strings.Contains(r.HTML, "&lt;b&gt;only&lt;/b&gt;") {
		t.Errorf("body text must be escaped in the redline:\n%s", r.HTML)
	}
	// A section added or removed shows whole, in its own paragraphs.
	for _, want := range []string{"<p><ins>## AI features</ins></p>", "<p><del>## Cookies</del></p>", "<p>## Rights</p>"} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("redline lacks %s:\n%s", want, r.HTML)
		}
	}
	for _, tag := range []string{"p", "ins", "del"} {
		if strings.Count(r.HTML, "<"+tag+">") != strings.Count(r.HTML, "</"+tag+">") {
			t.Errorf("unbalanced <%s> in:\n%s", tag, r.HTML)
		}
	}
	if r.Deleted < 2 || r.Inserted < 2 {
		t.Errorf("counted %d deleted, %d inserted words", r.Deleted, r.Inserted)
	}
	got := map[string]string{}
	for _, s := range r.Sections {
		got[s.Heading] = s.Change
	}
	want := map[string]string{"Retention": "changed", "AI features": "added", "Cookies": "removed"}
	if len(got) != len(want) {
		t.Errorf("sections %v, want %v", got, want)
	}
	for h, c := range want {
		if got[h] != c {
			t.Errorf("section %q: %q, want %q", h, got[h], c)
		}
	}
	same := Compare(older, older)
	if strings.Contains(same.HTML, "<ins>") || strings.Contains(same.HTML, "<del>") || len(same.Sections) != 0 {
		t.Errorf("identical bodies show changes: %+v", same)
	}
}

func TestFeedIsAtom(t *testing.T) {
	pub := Policy{ID: 1, Slug: "privacy", Title: "Privacy & you", Audience: Public}
	staff := Policy{ID: 2, Slug: "internal", Title: "Internal", Audience: Staff}
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	ts := []*Timeline{
		{Policy: pub, Versions: []Version{
			{ID: 1, Number: 1, Summary: "First", ChangeKind: Material, BodyHTML: "<p>one</p>", PublishedAt: at, EffectiveAt: at},
			{ID: 2, Number: 2, Summary: "Second <b>", ChangeKind: Minor, BodyHTML: "<p>two</p>", PublishedAt: at.AddDate(0, 1, 0), EffectiveAt: at.AddDate(0, 1, 0)},
		}},
		{Policy: staff, Versions: []Version{{ID: 3, Number: 1, Summary: "secret", PublishedAt: at, EffectiveAt: at}}},
	}
	out, err := Feed("https://steward.example.com/", "Brightloop", ts)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		XMLName xml.Name
		ID      string `xml:"id"`
		Updated string `xml:"updated"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Content struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(out, &f); err != nil {
		t.Fatalf("feed is not XML: %v\n%s", err, out)
	}
	if f.XMLName.Space != "http://www.w3.org/2005/Atom" || f.XMLName.Local != "feed" {
		t.Errorf("root %v", f.XMLName)
	}
	if len(f.Entries) != 2 {
		t.Fatalf("%d entries, want the 2 public publications:\n%s", len(f.Entries), out)
	}
	if f.Entries[0].ID != "https://steward.example.com/policies/privacy/v/2" || f.Entries[0].Title != "Privacy & you: version 2" {
		t.Errorf("newest entry first: %+v", f.Entries[0])
	}
	if f.Updated != f.Entries[0].Updated || f.Entries[1].Content.Body != "<p>one</p>" || f.Entries[1].Content.Type != "html" {
		t.Errorf("feed %+v", f)
	}
	if strings.Contains(string(out), "secret") {
		t.Error("a staff policy is in the public feed")
	}
}
