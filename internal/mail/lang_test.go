package mail

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type noticeChange struct{ Name, Purpose, Locations string }

// publicEmails are the emails the public receives, in lang, with names
// html/template must escape and a brand with a plus sign and an apostrophe.
func publicEmails(lang string) []struct {
	kind string
	data any
} {
	eff := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	type changed struct{ After noticeChange }
	return []struct {
		kind string
		data any
	}{
		{"subscribe_confirm", struct{ Token, Lang string }{"tok789", lang}},
		{"policy_notice", struct {
			Title, Slug, Summary, NumberText, Previous, Token, Lang string
			Number                                                  int
			Effective                                               time.Time
		}{"Privacy <policy>", "privacy", "Ada's <b>new</b> rules + more.", "3", "2", "tokU", lang, 3, eff}},
		{"subprocessor_notice", struct {
			Number, Previous int
			Summary, Reason  string
			Effective        time.Time
			Changes          struct {
				Added, Removed []noticeChange
				Changed        []changed
			}
			Token, Lang string
		}{2, 1, "One <new> host.", "A breach + urgency", eff, struct {
			Added, Removed []noticeChange
			Changed        []changed
		}{[]noticeChange{{"Hosty & Co", "hosting", "EU"}}, []noticeChange{{"Oldco", "mail", "US"}},
			[]changed{{noticeChange{Name: "Mailer's Inc"}}}}, "tokS", lang}},
	}
}

// The emails the public receives, in English and in German, are what the
// golden files in testdata hold, byte for byte.
func TestPublicEmailsMatchTheirGoldenFiles(t *testing.T) {
	r, err := NewRenderer(testBase + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Brand = func() Brand {
		return Brand{Name: "Acme's A+B & Söhne", Accent: "#aa3300", ContactEmail: "privacy@acme.example", PoweredBy: true}
	}
	for _, lang := range []string{"en", "de"} {
		for _, e := range publicEmails(lang) {
			m, err := r.Render(e.kind, e.data)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, e.kind, err)
			}
			got := "Subject: " + m.Subject + "\n\n" + m.Text + "\n----\n" + m.HTML
			file := filepath.Join("testdata", e.kind+"."+lang+".golden")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s %s differs from %s:\n%s", lang, e.kind, file, got)
			}
		}
	}
}

// A German subscriber reads German all through: subject, text, HTML,
// footer and dates; data without a language reads English.
func TestPublicEmailsInGerman(t *testing.T) {
	r, err := NewRenderer(testBase + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Brand = func() Brand { return acme }
	want := map[string][]string{
		"subscribe_confirm":   {"Bestätigen Sie Ihre Anmeldung für Änderungen der Richtlinien von Acme & Söhne Ltd", "Guten Tag,", "„Meine Anmeldung bestätigen“"},
		"policy_notice":       {"Acme & Söhne Ltd: Privacy <policy>, Version 3", "gültig ab 2. März 2026.", "Mit einem Klick abbestellen:"},
		"subprocessor_notice": {"Änderungen bei den Unterauftragsverarbeitern ab 2. März 2026", "Neu: Hosty & Co", "Entfernt: Oldco"},
	}
	for _, e := range publicEmails("de") {
		m, err := r.Render(e.kind, e.data)
		if err != nil {
			t.Fatal(err)
		}
		w := want[e.kind]
		if m.Subject != w[0] {
			t.Errorf("%s subject = %q, want %q", e.kind, m.Subject, w[0])
		}
		for _, s := range append(w[1:], "Gesendet von Acme & Söhne Ltd", "Fragen: privacy@acme.example") {
			if !strings.Contains(m.Text, s) {
				t.Errorf("%s text lacks %q:\n%s", e.kind, s, m.Text)
			}
		}
		for _, s := range []string{`<html lang="de">`, "Gesendet von <a", "Fragen: <a"} {
			if !strings.Contains(m.HTML, s) {
				t.Errorf("%s HTML lacks %q", e.kind, s)
			}
		}
		if strings.Contains(m.Text, "Sent by") || strings.Contains(m.HTML, "March") {
			t.Errorf("%s has English in it:\n%s", e.kind, m.Text)
		}
	}
	en := publicEmails("")[0]
	m, err := r.Render(en.kind, en.data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Confirm your subscription to Acme & Söhne Ltd's policy changes" || !strings.Contains(m.HTML, `<html lang="en">`) {
		t.Errorf("no language: subject %q", m.Subject)
	}
}
