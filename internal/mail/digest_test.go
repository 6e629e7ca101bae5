package mail

import (
	htmltemplate "html/template"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// pieces are what random names, titles and URLs are made of: plain
// words, and what html/template escapes or refuses.
var pieces = []string{"Ada", "Lovelace", " ", "Course 1", "due by 5 Jun 2027.", "café", "Ünïcode", "O'Brien", "Rock & Roll",
	"<b>", "\"q\"", "+1", "\x00", "\t", "%41", "%zz", "(c)", "a,b;c", "/x/y", "?q=1", "#frag", "~u", "$5", "*", "@", "!", "=", ":", "\xff", "\u2028", "\ufdd0", "\x7f"}

func randomText(rng *rand.Rand, plain bool) string {
	var b strings.Builder
	for range 1 + rng.IntN(5) {
		p := pieces[rng.IntN(len(pieces))]
		if plain && !plainText(p) {
			continue
		}
		b.WriteString(p)
	}
	return b.String()
}

func randomURL(rng *rand.Rand) string {
	switch rng.IntN(8) {
	case 0:
		return ""
	case 1:
		return "javascript:alert(1)"
	case 2:
		return "mailto:a@b.example"
	}
	var b strings.Builder
	b.WriteString(testBase)
	for range rng.IntN(4) {
		b.WriteString(strings.ReplaceAll(pieces[rng.IntN(len(pieces))], " ", "/"))
	}
	return b.String()
}

func randomLines(rng *rand.Rand) []DigestLine {
	out := make([]DigestLine, rng.IntN(4))
	for i := range out {
		out[i] = DigestLine{Headline: randomText(rng, rng.IntN(3) > 0), Detail: randomText(rng, rng.IntN(3) > 0), URL: randomURL(rng)}
	}
	return out
}

// A digest written into its frames is, byte for byte, what executing the
// templates gives: for random digests, with names and lines that need
// escaping and lines that do not, under two brands.
func TestDigestFramesMatchTemplates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, brand := range []Brand{{}, {Name: "Acme & Co", Accent: "#123456", ContactEmail: "a@acme.example", LogoURL: testBase + "/logo.png", PoweredBy: true}} {
		r, err := NewRenderer(testBase)
		if err != nil {
			t.Fatal(err)
		}
		r.Brand = func() Brand { return brand }
		s, err := r.set()
		if err != nil {
			t.Fatal(err)
		}
		framed := 0
		for i := range 1000 {
			d := &Digest{Name: randomText(rng, i%4 > 0), Summary: strconv.Itoa(i) + " items for you",
				Own: randomLines(rng), Team: randomLines(rng), Also: randomLines(rng)}
			got, err := r.Digest(d)
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.digestByTemplate(s, d)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != want.Subject || got.Text != want.Text || got.HTML != want.HTML {
				t.Fatalf("digest %d (%#v):\n got %q\n%q\nwant %q\n%q", i, d, got.Text, got.HTML, want.Text, want.HTML)
			}
			if plainText(d.Name) {
				framed++
			}
		}
		if framed < 600 {
			t.Errorf("only %d of 1000 digests written into their frames", framed)
		}
	}
}

// plainText and plainURL only pass values that html/template writes as
// they are, in every place the digest's templates put them.
func TestPlainValuesAreWrittenAsTheyAre(t *testing.T) {
	text := htmltemplate.Must(htmltemplate.New("t").Parse(`<title>{{.}}</title><p title="{{.}}">{{.}}</p>`))
	href := htmltemplate.Must(htmltemplate.New("u").Parse(`<a href="{{.}}">x</a>`))
	rng := rand.New(rand.NewPCG(3, 4))
	plain, plainURLs := 0, 0
	for range 5000 {
		s := randomText(rng, false)
		if rng.IntN(2) == 0 {
			s = randomURL(rng)
		}
		var b strings.Builder
		if err := text.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
		if plainText(s) {
			plain++
			if want := "<title>" + s + "</title><p title=\"" + s + "\">" + s + "</p>"; b.String() != want {
				t.Errorf("plainText(%q), but html/template writes %q", s, b.String())
			}
		}
		b.Reset()
		if err := href.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
		if plainURL(s) {
			plainURLs++
			if want := `<a href="` + s + `">x</a>`; b.String() != want {
				t.Errorf("plainURL(%q), but html/template writes %q", s, b.String())
			}
		}
	}
	if plain < 500 || plainURLs < 200 {
		t.Errorf("too few plain values tried: %d texts, %d URLs", plain, plainURLs)
	}
	for _, s := range []string{"O'Brien", "a&b", "1+1", "<", `"`, "\x00"} {
		if plainText(s) {
			t.Errorf("plainText(%q)", s)
		}
	}
	for _, s := range []string{"javascript:x", testBase + "/a b", testBase + "/a&b", testBase + "/(c)", testBase + "/%41", "//x", ""} {
		if plainURL(s) {
			t.Errorf("plainURL(%q)", s)
		}
	}
}

// A template whose list items are not written one after the other cannot
// be cut into a frame: the renderer refuses it rather than guess.
func TestFrameOfAnUnevenListIsRefused(t *testing.T) {
	p := digestPlaceholders[:]
	if _, err := cutFrame("<ul><li>"+p[vOwn]+"</li></ul><p>"+p[vName]+"</p><ul><li>"+p[vOwn2]+"</li></ul>", p, true); err == nil {
		t.Error("a list split by a name was cut")
	}
	if _, err := cutFrame("<li>"+p[vOwn]+"</li>", p, true); err == nil {
		t.Error("a list of one item was cut")
	}
	f, err := cutFrame("Hi "+p[vName]+"<li>"+p[vTeam]+"</li><li>"+p[vTeam2]+"</li>.", p, true)
	if err != nil || len(f.holes) != 2 || f.holes[1].sep != "</li><li>" || strings.Join(f.lits, "|") != "Hi |<li>|</li>." {
		t.Errorf("frame %#v, %v", f, err)
	}
}

// Lines that need escaping are rendered once and kept, at most
// maxKeptLines of them.
func TestKeptLinesAreBounded(t *testing.T) {
	r, err := NewRenderer(testBase)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.set()
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxKeptLines + 10 {
		l := DigestLine{Headline: "O'Brien", Detail: "d", URL: testBase + "/" + strconv.Itoa(i)}
		h, err := r.lineByTemplate(s, l)
		if err != nil || !strings.Contains(string(h.html), l.URL) || !strings.Contains(string(h.html), "O&#39;Brien") || !strings.Contains(h.plain, l.URL) {
			t.Fatalf("line %d: %+v, %v", i, h, err)
		}
	}
	if n := len(s.lines.cur) + len(s.lines.prev); n > maxKeptLines {
		t.Errorf("%d lines kept, at most %d", n, maxKeptLines)
	}
}
