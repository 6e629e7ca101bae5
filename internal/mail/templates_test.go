package mail

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

const testBase = "https://policies.acme.example"

var acme = Brand{Name: "Acme & Söhne Ltd", Accent: "#aa3300", ContactEmail: "privacy@acme.example"}

// everyKind is one email of each kind, with a name html/template must
// escape.
func everyKind() []struct {
	kind, subject, link string
	data                any
} {
	exp := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	return []struct {
		kind, subject, link string
		data                any
	}{
		{"invite", "You are invited to Acme & Söhne Ltd", testBase + "/invite/tok123",
			map[string]any{"Name": "Ada <Admin>", "InvitedBy": "Grace", "Token": "tok123", "Expires": exp, "Lifetime": "7 days"}},
		{"password_reset", "Reset your password for Acme & Söhne Ltd", testBase + "/password/reset/tok456",
			map[string]any{"Name": "Ada <Admin>", "Token": "tok456", "Expires": exp}},
		{"subscribe_confirm", "Confirm your subscription to Acme & Söhne Ltd's policy changes", testBase + "/subscribe/confirm/tok789",
			struct{ Token string }{"tok789"}},
		{"policy_notice", "Acme & Söhne Ltd: Privacy <policy>, version 3", testBase + "/policies/privacy/v/3",
			struct {
				Title, Slug, Summary, NumberText, Previous, Token string
				Number                                            int
				Effective                                         time.Time
			}{"Privacy <policy>", "privacy", "Ada <Admin> rewrote it.", "3", "2", "tokU", 3, exp}},
		{KindDigest, "Acme & Söhne Ltd: 2 open items", testBase + "/policies/privacy/v/3",
			Digest{Name: "Ada <Admin>", Summary: "2 open items",
				Own:  []DigestLine{{"Acknowledge the Privacy policy, version 3", "Due by 5 Dec 2026.", testBase + "/policies/privacy/v/3"}},
				Team: []DigestLine{{"Bob has not completed Data basics", "12 days overdue.", testBase + "/team"}}}},
	}
}

// Every email, as a mail client shows it: the organisation's name and
// not Steward's, a title, its look inline on the elements (no <style>),
// every link absolute to the site (or the organisation's contact), the
// recipient's name escaped in the HTML and as it is in the text.
func TestEveryEmailIsBrandedAndReadsWellInMailClients(t *testing.T) {
	r, err := NewRenderer(testBase + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Brand = func() Brand { return acme }
	for _, tt := range everyKind() {
		t.Run(tt.kind, func(t *testing.T) {
			m, err := r.Render(tt.kind, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tt.kind || m.Subject != tt.subject {
				t.Errorf("kind %q subject %q, want %q", m.Kind, m.Subject, tt.subject)
			}
			for part, body := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
				if strings.Contains(body, "Steward") {
					t.Errorf("the %s says Steward:\n%s", part, body)
				}
			}
			if !strings.Contains(m.Text, "Acme & Söhne Ltd") || !strings.Contains(m.Text, tt.link) {
				t.Errorf("the text names neither the organisation nor the link %s:\n%s", tt.link, m.Text)
			}
			if strings.Contains(m.Text, "Ada") && !strings.Contains(m.Text, "Ada <Admin>") {
				t.Errorf("the text must show names as they are:\n%s", m.Text)
			}
			if strings.Contains(m.HTML, "<Admin>") {
				t.Errorf("the HTML shows a name unescaped:\n%s", m.HTML)
			}
			checkEmailHTML(t, m, tt.link, "Acme &amp; Söhne Ltd")
		})
	}
	if _, err := r.Render("no_such_kind", nil); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := r.Render("invite", map[string]any{"Name": "x"}); err == nil {
		t.Error("missing data should fail, not render a half-empty email")
	}
	if _, err := r.Render(KindDigest, map[string]any{"Name": "x"}); err == nil {
		t.Error("a map rendered as a digest")
	}
	if _, err := NewRenderer("steward.example.com"); err == nil {
		t.Error("a relative base URL must be refused")
	}
}

// checkEmailHTML parses m's HTML and checks what a mail client needs.
func checkEmailHTML(t *testing.T, m Message, link, escapedName string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(m.HTML))
	if err != nil {
		t.Fatal(err)
	}
	var title string
	links := map[string]bool{}
	var body *html.Node
	styled, framed := 0, false
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Title:
			if n.FirstChild != nil {
				title = n.FirstChild.Data
			}
		case atom.Style, atom.Link, atom.Script:
			t.Errorf("<%s> in an email: clients drop it", n.Data)
		case atom.Body:
			body = n
		case atom.A:
			href := attr(n, "href")
			links[href] = true
			if !strings.HasPrefix(href, testBase+"/") && href != "mailto:"+acme.ContactEmail {
				t.Errorf("link %q is not absolute to %s", href, testBase)
			}
		}
		if st := attr(n, "style"); st != "" {
			styled++
			if strings.Contains(st, "font-family:") && strings.Contains(st, "border-top:4px solid "+acme.Accent) {
				framed = true
			}
		}
	}
	if title != m.Subject {
		t.Errorf("<title> %q, want the subject %q", title, m.Subject)
	}
	if !links[link] {
		t.Errorf("no link to %s in %v", link, links)
	}
	if body == nil || attr(body, "style") != "" {
		t.Error("the body must carry no style of its own: clients drop it")
	}
	if styled < 3 || !framed {
		t.Errorf("%d elements styled inline; want the text's font and the accent's rule on an element inside <body>", styled)
	}
	if !strings.Contains(m.HTML, ">"+escapedName+"<") {
		t.Errorf("the HTML does not name %s:\n%s", escapedName, m.HTML)
	}
	if !strings.Contains(m.HTML, "mailto:"+acme.ContactEmail) {
		t.Errorf("no contact address:\n%s", m.HTML)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// A brand set by an admin is shown as text, never as markup or style;
// what an email cannot show safely is left out; "Powered by Steward"
// appears only when asked for; a change of brand shows in the next email.
func TestBrandIsShownSafely(t *testing.T) {
	r, err := NewRenderer(testBase)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := r.Render("password_reset", map[string]any{"Name": "Ada", "Token": "t", "Expires": time.Now()}); err != nil ||
		m.Subject != "Reset your password for policies.acme.example" {
		t.Errorf("without a brand, the site's host names it: %q, %v", m.Subject, err)
	}
	brand := Brand{Name: "<script>alert(1)</script>\x07 Evil\nCorp", Accent: "red;background:url(https://evil.example/x)",
		ContactEmail: `x@y.example" onclick="alert(1)`, LogoURL: "javascript:alert(1)"}
	r.Brand = func() Brand { return brand }
	for _, tt := range everyKind() {
		m, err := r.Render(tt.kind, tt.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script>", "evil.example", "onclick", "javascript:", "\x07", "Powered by"} {
			if strings.Contains(m.HTML, bad) || (bad != "<script>" && strings.Contains(m.Text, bad)) {
				t.Errorf("%s shows %q:\n%s\n%s", tt.kind, bad, m.Text, m.HTML)
			}
		}
		if !strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt; Evil Corp") || !strings.Contains(m.HTML, defaultAccent) {
			t.Errorf("%s: the name is not shown as text, or the accent is not the default:\n%s", tt.kind, m.HTML)
		}
	}
	brand = Brand{Name: "Acme", LogoURL: "https://cdn.acme.example/logo.png", PoweredBy: true}
	m, err := r.Render(KindDigest, Digest{Name: "Ada", Summary: "1 item for you",
		Own: []DigestLine{{"Read Privacy", "Due soon.", testBase + "/policies/privacy"}}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Acme: 1 item for you" || !strings.Contains(m.HTML, `<img src="https://cdn.acme.example/logo.png" alt="Acme"`) ||
		!strings.Contains(m.HTML, "Powered by Steward") || !strings.Contains(m.Text, "Powered by Steward") {
		t.Errorf("the new brand, its logo and the powered-by line:\n%s\n%s\n%s", m.Subject, m.Text, m.HTML)
	}
}

// A renderer asks its Brand for each email, so a change of brand shows
// in the next one; without one it names the base URL's host.
func TestRendererAsksItsBrandForEachEmail(t *testing.T) {
	name := "Acme Ltd"
	r, err := NewRenderer(testBase)
	if err != nil {
		t.Fatal(err)
	}
	r.Brand = func() Brand { return Brand{Name: name} }
	plain, err := NewRenderer(testBase)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"Name": "Ada", "Token": "t", "Expires": time.Now()}
	for _, want := range []string{"Acme Ltd", "Acme Group"} {
		name = want
		if m, err := r.Render("password_reset", data); err != nil || m.Subject != "Reset your password for "+want {
			t.Errorf("subject %q, %v; want it to name %s", m.Subject, err, want)
		}
	}
	if m, err := plain.Render("password_reset", data); err != nil || m.Subject != "Reset your password for policies.acme.example" {
		t.Errorf("subject %q, %v; want the host's name", m.Subject, err)
	}
}
