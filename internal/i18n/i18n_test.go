package i18n

import (
	"testing"
	"time"
)

func TestDatesInEachLanguage(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, time.March, 2, 14, 5, 0, 0, time.UTC)
	for _, tc := range []struct{ lang, date, datetime string }{
		{"en", "2 March 2026", "2 March 2026, 14:05 UTC"},
		{"de", "2. März 2026", "2. März 2026, 14:05 Uhr UTC"},
		{"de-AT", "2. März 2026", "2. März 2026, 14:05 Uhr UTC"},
		{"fr", "2 March 2026", "2 March 2026, 14:05 UTC"}, // no French interface: English
	} {
		if got := c.Date(tc.lang, day); got != tc.date {
			t.Errorf("Date(%s) = %q, want %q", tc.lang, got, tc.date)
		}
		if got := c.DateTime(tc.lang, day); got != tc.datetime {
			t.Errorf("DateTime(%s) = %q, want %q", tc.lang, got, tc.datetime)
		}
	}
}

func TestMessagesFillInAndFallBack(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("de", "policy.read_version", "N", 4); got != "Version 4 lesen" {
		t.Errorf("German = %q", got)
	}
	if got := c.T("en", "policy.read_version", "N", 4); got != "Read version 4" {
		t.Errorf("English = %q", got)
	}
	if got := c.T("de", "no.such_message"); got != "no.such_message" {
		t.Errorf("a missing message = %q, want its id", got)
	}
}

func TestMatchNegotiatesAmongTheAvailable(t *testing.T) {
	for _, tc := range []struct {
		accept    string
		available []string
		want      string
	}{
		{"de-DE,de;q=0.9,en;q=0.8", []string{"en", "de"}, "de"},
		{"de-CH", []string{"en", "de"}, "de"},
		{"fr-FR,fr;q=0.9", []string{"en", "de"}, "en"},
		{"fr;q=0.9,de;q=0.5", []string{"en", "de"}, "de"},
		{"", []string{"en", "de"}, "en"},
		{"de", []string{"en"}, "en"},
		{"en-GB,en;q=0.9,de;q=0.8", []string{"de", "en"}, "en"},
		{";;;garbage", []string{"en", "de"}, "en"},
	} {
		if got := Match(tc.accept, tc.available); got != tc.want {
			t.Errorf("Match(%q, %v) = %q, want %q", tc.accept, tc.available, got, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	if got := Name("de", ""); got != "Deutsch" {
		t.Errorf("German in itself = %q", got)
	}
	if got := Name("de", "en"); got != "German" {
		t.Errorf("German in English = %q", got)
	}
	if got := Name("en", "de"); got != "Englisch" {
		t.Errorf("English in German = %q", got)
	}
}
