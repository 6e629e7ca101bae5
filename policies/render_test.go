package policies

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
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
	older := "# Privacy\n\n## Retention\n\nSupport conversations: **three years** after\nclosing.\n\n## Rights\n\nAsk us anything.\n\n- one\n- two\n\n## Cookies\n\nNone.\n"
	newer := "# Privacy\n\n## Retention\n\nSupport conversations: **18 months** after closing.\n\n## Rights\n\nAsk us anything.\n\n- one\n- two\n- three\n\n## AI features\n\nSuggestions <b>only</b> & \\<i\\>.\n"
	r := Compare(older, newer)
	// The text as it reads, reflowed: no Markdown, no line break of the source.
	if !strings.Contains(r.HTML, `<p class="changed">Support conversations: <del><strong>three years</strong></del><ins><strong>18 months</strong></ins> after closing.</p>`) {
		t.Errorf("want the two words replaced as whole words in the rendered paragraph, got:\n%s", r.HTML)
	}
	if strings.Contains(r.HTML, "**") || strings.Contains(r.HTML, "##") {
		t.Errorf("the redline shows Markdown source:\n%s", r.HTML)
	}
	if strings.Contains(r.HTML, "<b>") || strings.Contains(r.HTML, "<i>") || !strings.Contains(r.HTML, "&amp; &lt;i&gt;") {
		t.Errorf("body text must be escaped in the redline, raw HTML dropped as Render drops it:\n%s", r.HTML)
	}
	// Blocks added or removed show whole, marked as such; headings keep their level below the page's own.
	for _, want := range []string{
		`<h4 id="redline.ai-features" class="added"><ins>AI features</ins></h4>`,
		`<h4 id="redline.cookies" class="removed"><del>Cookies</del></h4>`,
		`<p class="removed"><del>None.</del></p>`,
		`<h4 id="redline.rights">Rights</h4>`,
		// An item added at the end of a list stays in the list, before the section removed after it.
		"<ul>\n<li>one</li>\n<li>two</li>\n<li class=\"added\"><ins>three</ins></li>\n</ul>\n<h4 id=\"redline.cookies\" class=\"removed\">",
		`<p class="added"><ins>Suggestions only &amp; &lt;i&gt;.</ins></p>`,
	} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("redline lacks %s:\n%s", want, r.HTML)
		}
	}
	// three years, Cookies, None; 18 months, three, AI features, Suggestions only i.
	if r.Deleted != 4 || r.Inserted != 8 {
		t.Errorf("counted %d deleted, %d inserted words, want 4 and 8", r.Deleted, r.Inserted)
	}
	want := []SectionChange{
		{Heading: "Retention", Change: "changed", Anchor: "redline.retention"},
		{Heading: "Rights", Change: "changed", Anchor: "redline.rights"},
		{Heading: "AI features", Change: "added", Anchor: "redline.ai-features"},
		{Heading: "Cookies", Change: "removed", Anchor: "redline.cookies"},
	}
	if fmt.Sprint(r.Sections) != fmt.Sprint(want) {
		t.Errorf("sections\n%v, want\n%v", r.Sections, want)
	}
	same := Compare(older, older)
	if strings.Contains(same.HTML, "<ins>") || strings.Contains(same.HTML, "<del>") || len(same.Sections) != 0 {
		t.Errorf("identical bodies show changes: %+v", same)
	}
}

func TestCompareFollowsARewordedSection(t *testing.T) {
	older := "## Retention {#retention}\n\nWe keep tickets three years.\n\n## Contact\n\nWrite to us.\n"
	newer := "## How long we keep it {#retention}\n\nWe keep tickets three years.\n\n## Contact us\n\nWrite to us.\n"
	r := Compare(older, newer)
	want := []SectionChange{
		{Heading: "How long we keep it", Was: "Retention", Change: "changed", Anchor: "redline.retention"},
		// Reworded without an id of its own, over the same text: still the same section.
		{Heading: "Contact us", Was: "Contact", Change: "changed", Anchor: "redline.contact-us"},
	}
	if fmt.Sprint(r.Sections) != fmt.Sprint(want) {
		t.Errorf("sections\n%v, want\n%v", r.Sections, want)
	}
	// The heading that kept its id is one edited heading, not a removal and an addition.
	if !strings.Contains(r.HTML, `<h4 id="redline.retention" class="changed"><del>Retention</del><ins>How long we keep it</ins></h4>`) {
		t.Errorf("the reworded heading:\n%s", r.HTML)
	}
	// A section reworded over new text, without an id, is another section.
	other := Compare(older, strings.Replace(newer, "## Contact us\n\nWrite to us.", "## Contact us\n\nCall us.", 1))
	if got := fmt.Sprint(other.Sections[1:]); got != fmt.Sprint([]SectionChange{
		{Heading: "Contact us", Change: "added", Anchor: "redline.contact-us"},
		{Heading: "Contact", Change: "removed", Anchor: "redline.contact"},
	}) {
		t.Errorf("sections %s", got)
	}
}

func TestSectionHistories(t *testing.T) {
	vs := []Version{
		{Number: 1, BodyMD: "Intro.\n\n## Retention {#retention}\n\nThree years.\n\n## Cookies\n\nNone.\n"},
		{Number: 2, BodyMD: "Intro.\n\n## Retention {#retention}\n\nThree years.\n\n## Cookies\n\nNone at all.\n\n## AI\n\nNo.\n"},
		{Number: 3, BodyMD: "Intro, reworded.\n\n## How long we keep it {#retention}\n\nThree years.\n\n## AI\n\nNo.\n"},
		{Number: 4, BodyMD: "Intro, reworded.\n\n## How long we keep it {#retention}\n\n18 months.\n\n## AI\n\nNo.\n"},
	}
	got := SectionHistories(vs)
	want := []SectionHistory{
		{Heading: "Introduction", Added: 1, Changed: []int{3}},
		{Heading: "How long we keep it", ID: "retention", Added: 1, Changed: []int{3, 4}},
		{Heading: "AI", ID: "ai", Added: 2},
		{Heading: "Cookies", ID: "cookies", Added: 1, Changed: []int{2}, Removed: 3},
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("histories\n%+v, want\n%+v", got, want)
	}
}

func TestHeadingIDs(t *testing.T) {
	html, err := Render("# Privacy\n\n## How long we keep it {#retention}\n\nText.\n\n## Cookies\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h2 id="retention">How long we keep it</h2>`, `<h2 id="cookies">Cookies</h2>`} {
		if !strings.Contains(html, want) {
			t.Errorf("rendered HTML lacks %s:\n%s", want, html)
		}
	}
	linked := LinkHeadings(html, nil)
	if !strings.Contains(linked, `<div class="section-heading"><h2 id="retention">How long we keep it</h2><a class="section-link" href="#retention"><span aria-hidden="true">#</span><span class="visually-hidden">Link to the section How long we keep it</span></a></div>`) {
		t.Errorf("no link beside the heading:\n%s", linked)
	}
	for _, tc := range []struct{ body, want string }{
		{"## A {#retention}\n\n## B {#retention}\n", `"retention" is used by more than one heading`},
		{"## Retention\n\n## B {#retention}\n", `"retention" is used by more than one heading`},
		{"## A {#Retention}\n", "heading id {#Retention} must be lowercase"},
		{"## A {#a.b}\n", "heading id {#a.b} must be lowercase"},
		{"## A {#x" + strings.Repeat("y", 90) + "}\n", "at most 81 characters"},
	} {
		err := DraftInput{Body: tc.body, Summary: "s", ChangeKind: Minor}.Validate()
		var ve *ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Fields["body"], tc.want) {
			t.Errorf("%q: %v, want a body error with %q", tc.body, err, tc.want)
		}
	}
	if err := (DraftInput{Body: "## A {#a}\n\n## A\n\n## A\n", Summary: "s", ChangeKind: Minor}).Validate(); err != nil {
		t.Errorf("generated ids are made unique by themselves: %v", err)
	}
}

func TestFormerIDsKeepOldLinksLanding(t *testing.T) {
	vs := []Version{
		{Number: 1, BodyMD: "## How long we keep it\n\nThree years.\n\n## Cookies\n\nNone.\n"},
		// Given an id of its own while reworded: the generated id becomes a former one.
		{Number: 2, BodyMD: "## Retention {#retention}\n\nThree years.\n\n## Cookies\n\nNone.\n"},
		// Reworded again; a new section takes the old generated id of another.
		{Number: 3, BodyMD: "## Retention periods {#retention}\n\nThree years.\n\n## Cookie use\n\nNone.\n\n## Cookies\n\nSome.\n"},
	}
	if got := FormerIDs(vs, 1); len(got) != 0 {
		t.Errorf("version 1 has no former ids: %v", got)
	}
	if got := fmt.Sprint(FormerIDs(vs, 2)); got != "map[retention:[how-long-we-keep-it]]" {
		t.Errorf("version 2: %s", got)
	}
	// "cookies" is a heading of version 3 itself, so "Cookie use" cannot answer to it.
	if got := fmt.Sprint(FormerIDs(vs, 3)); got != "map[retention:[how-long-we-keep-it]]" {
		t.Errorf("version 3: %s", got)
	}
	html, err := Render(vs[1].BodyMD)
	if err != nil {
		t.Fatal(err)
	}
	if linked := LinkHeadings(html, FormerIDs(vs, 2)); !strings.Contains(linked,
		`<h2 id="retention"><span id="how-long-we-keep-it"></span>Retention</h2><a class="section-link" href="#retention">`) {
		t.Errorf("the heading does not answer to its former id:\n%s", linked)
	}
}

// The redline shows a policy's words as its page does: bold, italics,
// code and links, inside the marks of what was inserted and deleted.
func TestRedlineShowsInlineFormatting(t *testing.T) {
	older := "Write to **our team** at [the help page](https://example.com/help?a=1&b=2) or `ops`.\n\nKeep it *three* years.\n"
	newer := "Write to **our privacy team** at [the help page](https://example.com/help?a=1&b=2) or `ops`.\n\nKeep it three years.\n"
	r := Compare(older, newer)
	for _, want := range []string{
		// An edit inside bold text: the bold runs on around the inserted word.
		`<p class="changed">Write to <strong>our </strong><ins><strong>privacy </strong></ins><strong>team</strong> at ` +
			`<a href="https://example.com/help?a=1&amp;b=2">the help page</a> or <code>ops</code>.</p>`,
		// Only the emphasis went: the word shows deleted in italics, inserted plain.
		`<p class="changed">Keep it <del><em>three</em></del><ins>three</ins> years.</p>`,
	} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("redline lacks\n%s\ngot:\n%s", want, r.HTML)
		}
	}
	if r.Inserted != 2 || r.Deleted != 1 {
		t.Errorf("counted %d inserted, %d deleted words, want 2 and 1", r.Inserted, r.Deleted)
	}
}

// A link Render would not keep is no link in the redline either: its text
// shows, escaped, and nothing runs when it is clicked.
func TestRedlineDropsHostileLinks(t *testing.T) {
	hostile := "[one](javascript:alert(1)) [two](JaVaScRiPt:alert(2)) [three](javascript&#58;alert(3)) " +
		"[four](data:text/html,<script>alert(4)</script>) [five](vbscript:msgbox) <javascript:alert(6)> " +
		"[seven](<\" onmouseover=\"alert(7)>) [eight](java&#09;script:alert(8))"
	r := Compare("Links.\n", "Links.\n\n"+hostile+"\n")
	// The seventh's quotes stay inside its (relative, harmless) address,
	// as on the policy page.
	want := `<p class="added"><ins>one two three four five javascript:alert(6) ` +
		`<a href="%22%20onmouseover=%22alert(7)">seven</a> eight</ins></p>`
	if !strings.Contains(r.HTML, want) {
		t.Errorf("redline lacks\n%s\ngot:\n%s", want, r.HTML)
	}
	page, err := Render(hostile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(page, "<a "); got != 1 || !strings.Contains(page, `<a href="%22%20onmouseover=%22alert(7)">seven</a>`) {
		t.Errorf("the policy page links otherwise than the redline: %s", page)
	}
}
