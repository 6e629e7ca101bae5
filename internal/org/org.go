// Package org owns the organisation's settings: the branding its customers
// see on every public page (name, logo, accent colour, contact address,
// footer links, a "powered by" line) and the company facts that course and
// policy text names with {{org.KEY}} placeholders (privacy contact, data
// protection officer, representatives, transfer mechanism, breach contact,
// processor notice period, complaints route).
//
// A setting is set by an admin (Store.Save) or fixed by the environment
// (STEWARD_ORG_*, ParseEnv); the environment wins.
package org

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FactName names a company fact that text can refer to as {{org.KEY}}.
type FactName string

// The company facts, in the order the settings page lists them.
const (
	Name              FactName = "name"
	PrivacyContact    FactName = "privacy_contact"
	DPO               FactName = "dpo"
	EURepresentative  FactName = "eu_representative"
	UKRepresentative  FactName = "uk_representative"
	TransferMechanism FactName = "transfer_mechanism"
	BreachContact     FactName = "breach_contact"
	ProcessorNotice   FactName = "processor_notice"
	Complaints        FactName = "complaints"
)

// Field is one setting: its storage key (also the form field), what the
// settings page calls it, the environment variable that can fix it, and
// whether text can name it as {{org.KEY}}.
type Field struct {
	Key   string
	Label string
	Hint  string
	Env   string
	Fact  bool // a company fact: {{org.<fact name>}} in course and policy text
	Max   int  // longest value in characters (text fields)
}

// Field keys that are not facts.
const (
	fieldContact   = "contact"
	fieldAccent    = "accent"
	fieldLinks     = "footer_links"
	fieldPoweredBy = "powered_by"
)

// Fields is the one list of settings. The facts among them (Fact true)
// are exactly the keys text may name.
var Fields = []Field{
	{Key: string(Name), Label: "Organisation name", Env: "STEWARD_ORG_NAME", Fact: true, Max: 100,
		Hint: "Shown on every page, in the feed, on certificates and in page titles."},
	{Key: fieldContact, Label: "Public contact address", Env: "STEWARD_ORG_CONTACT", Max: 254,
		Hint: "An email address customers can write to, shown in the footer."},
	{Key: fieldAccent, Label: "Accent colour", Env: "STEWARD_ORG_ACCENT", Max: 7,
		Hint: "A hex colour like #0b5e55 for the page header and main buttons, with white text on it: it must be dark enough for that text to read (WCAG AA, contrast 4.5:1)."},
	{Key: fieldLinks, Label: "Footer links", Env: "STEWARD_ORG_FOOTER_LINKS", Max: 2000,
		Hint: "Up to 6, one per line: a label, a space, a vertical bar, a space and an https address, like “Main site | https://example.com”."},
	{Key: fieldPoweredBy, Label: "Show “Powered by Steward” in the footer", Env: "STEWARD_ORG_POWERED_BY"},
	{Key: string(PrivacyContact), Label: "Privacy contact", Env: "STEWARD_ORG_PRIVACY_CONTACT", Fact: true, Max: 300,
		Hint: "Who staff and customers ask about personal data, like “privacy@example.com”."},
	{Key: string(DPO), Label: "Data protection officer", Env: "STEWARD_ORG_DPO", Fact: true, Max: 300,
		Hint: "Name and contact of the DPO, if you have one."},
	{Key: string(EURepresentative), Label: "EU representative", Env: "STEWARD_ORG_EU_REPRESENTATIVE", Fact: true, Max: 300,
		Hint: "Art. 27 GDPR representative in the EU, for an organisation outside it."},
	{Key: string(UKRepresentative), Label: "UK representative", Env: "STEWARD_ORG_UK_REPRESENTATIVE", Fact: true, Max: 300,
		Hint: "Art. 27 UK GDPR representative, for an organisation outside the UK."},
	{Key: string(TransferMechanism), Label: "Transfer mechanism", Env: "STEWARD_ORG_TRANSFER_MECHANISM", Fact: true, Max: 300,
		Hint: "How personal data leaves the UK/EEA lawfully, like “EU SCCs with the UK Addendum”."},
	{Key: string(BreachContact), Label: "Where to report a breach", Env: "STEWARD_ORG_BREACH_CONTACT", Fact: true, Max: 300,
		Hint: "Who staff tell at once about a suspected breach, like “security@example.com or ext. 999”."},
	{Key: string(ProcessorNotice), Label: "Processor notice period", Env: "STEWARD_ORG_PROCESSOR_NOTICE", Fact: true, Max: 100,
		Hint: "How soon you tell a client (the controller) about a breach of their data, like “24 hours”."},
	{Key: string(Complaints), Label: "Complaints route", Env: "STEWARD_ORG_COMPLAINTS", Fact: true, Max: 300,
		Hint: "How someone complains to you first, and which regulator they may go to, like “privacy@example.com, then the ICO”."},
}

// Keys lists the company facts text can name, in the order of Fields.
func Keys() []FactName {
	var ks []FactName
	for _, f := range Fields {
		if f.Fact {
			ks = append(ks, FactName(f.Key))
		}
	}
	return ks
}

// FieldOf returns the setting a key names.
func FieldOf(key string) (Field, bool) {
	for _, f := range Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Label is what the settings page calls a fact, in lower case for use in
// a sentence.
func (k FactName) Label() string {
	f, _ := FieldOf(string(k))
	if k == DPO {
		return "data protection officer"
	}
	if k == EURepresentative || k == UKRepresentative {
		return f.Label[:2] + strings.ToLower(f.Label[2:])
	}
	return strings.ToLower(f.Label)
}

// Link is one footer link.
type Link struct {
	Label string
	URL   string
}

// MaxLinks is the most footer links the footer shows.
const MaxLinks = 6

// Settings is the organisation's settings as in force: the stored ones
// with the environment's on top.
type Settings struct {
	Values    map[string]string // by Field.Key, only those set
	Links     []Link            // footer_links, parsed
	PoweredBy bool
	Logo      LogoRef
	FromEnv   map[string]bool // keys fixed by the environment
	Version   string          // changes whenever anything here does
}

// LogoRef describes the stored logo without its bytes.
type LogoRef struct {
	ContentType string
	SHA256      string
	Width       int
	Height      int
}

// Set reports whether a logo is stored.
func (l LogoRef) Set() bool { return l.SHA256 != "" }

// Path is where pages and emails fetch the logo: its address carries the
// logo's hash, so an answer to it can be cached for a year. "" when no
// logo is stored.
func (l LogoRef) Path() string {
	if len(l.SHA256) < 16 {
		return ""
	}
	return "/org/logo?v=" + l.SHA256[:16]
}

// Get returns a setting's value, "" when unset.
func (s *Settings) Get(key string) string { return s.Values[key] }

// Fact returns the value of a company fact, "" when unset.
func (s *Settings) Fact(k FactName) string { return s.Values[string(k)] }

// Name is the organisation's name, "" when unset.
func (s *Settings) Name() string { return s.Values[string(Name)] }

// Contact is the public contact address, "" when unset.
func (s *Settings) Contact() string { return s.Values[fieldContact] }

// Accent is the accent colour as #rrggbb, "" when unset.
func (s *Settings) Accent() string { return s.Values[fieldAccent] }

// ValidationError names each bad setting and what is wrong with it.
type ValidationError struct {
	Fields map[string]string // by Field.Key (or "logo")
}

func (e *ValidationError) Error() string {
	var parts []string
	for _, f := range Fields {
		if msg, ok := e.Fields[f.Key]; ok {
			parts = append(parts, f.Label+": "+msg)
		}
	}
	if msg, ok := e.Fields["logo"]; ok {
		parts = append(parts, "Logo: "+msg)
	}
	return "org: " + strings.Join(parts, "; ")
}

// ErrNoLogo means no logo is stored.
var ErrNoLogo = errors.New("org: no logo")

// Clean checks raw values (from the form or the environment) and returns
// them in their stored form: trimmed, empty ones dropped, footer links and
// the powered-by switch normalised. Keys not in Fields are refused.
func Clean(raw map[string]string) (map[string]string, error) {
	out := map[string]string{}
	bad := map[string]string{}
	for k, v := range raw {
		f, ok := FieldOf(k)
		if !ok {
			bad[k] = "is not a setting"
			continue
		}
		v, msg := cleanValue(f, v)
		if msg != "" {
			bad[k] = msg
			continue
		}
		if v != "" {
			out[k] = v
		}
	}
	if len(bad) > 0 {
		return nil, &ValidationError{Fields: bad}
	}
	return out, nil
}

func cleanValue(f Field, v string) (string, string) {
	if f.Key == fieldLinks {
		links, msg := ParseLinks(v)
		if msg != "" {
			return "", msg
		}
		return FormatLinks(links), ""
	}
	v = strings.TrimSpace(v)
	if msg := checkText(v, f.Max); msg != "" {
		return "", msg
	}
	switch f.Key {
	case fieldPoweredBy:
		switch strings.ToLower(v) {
		case "", "false", "off", "no", "0":
			return "", ""
		case "true", "on", "yes", "1":
			return "true", ""
		}
		return "", "must be on or off (true or false)"
	case fieldAccent:
		if v == "" {
			return "", ""
		}
		return checkAccent(v)
	case fieldContact:
		if v != "" && !plausibleEmail(v) {
			return "", "must be an email address, like privacy@example.com"
		}
	}
	return v, ""
}

// checkText refuses what no setting may hold: invalid UTF-8, control
// characters (a line break included), markup and placeholder braces, and
// more than max characters.
func checkText(v string, max int) string {
	switch {
	case !utf8.ValidString(v):
		return "is not valid UTF-8 text"
	case max > 0 && utf8.RuneCountInString(v) > max:
		return fmt.Sprintf("must be at most %d characters", max)
	case strings.ContainsAny(v, "<>"):
		return "must not contain < or >: it is plain text, not markup"
	case strings.Contains(v, "{{") || strings.Contains(v, "}}"):
		return "must not contain {{ or }}"
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return "must be one line of text without control characters"
		}
	}
	return ""
}

func plausibleEmail(v string) bool {
	at := strings.LastIndexByte(v, '@')
	return at > 0 && at < len(v)-1 && !strings.ContainsAny(v, " ,;\"'") &&
		strings.Contains(v[at+1:], ".") && !strings.HasSuffix(v, ".")
}

// MinContrast is the contrast the accent colour must reach against white,
// the colour of the text on it: WCAG 2 AA for normal text.
const MinContrast = 4.5

func checkAccent(v string) (string, string) {
	v = strings.ToLower(v)
	if len(v) != 7 || v[0] != '#' {
		return "", "must be a hex colour like #0b5e55"
	}
	if _, err := strconv.ParseUint(v[1:], 16, 32); err != nil {
		return "", "must be a hex colour like #0b5e55"
	}
	if c := Contrast(v, "#ffffff"); c < MinContrast {
		return "", fmt.Sprintf("is too light: white text on it has a contrast of %.2f:1, and pages need at least %.1f:1 to stay readable (WCAG AA). Choose a darker shade.", math.Floor(c*100)/100, MinContrast)
	}
	return v, ""
}

// Contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	n, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	ch := func(shift uint) float64 {
		c := float64((n>>shift)&0xff) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(16) + 0.7152*ch(8) + 0.0722*ch(0)
}

// ParseLinks reads footer links, one per line as "Label | https://…". It
// returns a message saying what is wrong, or "".
func ParseLinks(v string) ([]Link, string) {
	var links []Link
	for i, line := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n := i + 1
		label, raw, ok := strings.Cut(line, "|")
		label, raw = strings.TrimSpace(label), strings.TrimSpace(raw)
		if !ok || label == "" || raw == "" {
			return nil, fmt.Sprintf("line %d must be a label, a vertical bar and an address, like “Main site | https://example.com”", n)
		}
		if msg := checkText(label, 60); msg != "" {
			return nil, fmt.Sprintf("line %d: the label %s", n, msg)
		}
		if msg := checkText(raw, 500); msg != "" {
			return nil, fmt.Sprintf("line %d: the address %s", n, msg)
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return nil, fmt.Sprintf("line %d: the address must be an https address like https://example.com, not %q", n, raw)
		}
		links = append(links, Link{Label: label, URL: u.String()})
		if len(links) > MaxLinks {
			return nil, fmt.Sprintf("has more than %d links", MaxLinks)
		}
	}
	return links, ""
}

// FormatLinks writes links as ParseLinks reads them.
func FormatLinks(links []Link) string {
	lines := make([]string, len(links))
	for i, l := range links {
		lines[i] = l.Label + " | " + l.URL
	}
	return strings.Join(lines, "\n")
}

// ParseEnv reads the settings the environment fixes (the Env of each
// Field), through getenv, checked as the form checks them. Unset or empty
// variables fix nothing.
func ParseEnv(getenv func(string) string) (map[string]string, []string) {
	raw := map[string]string{}
	var problems []string
	for _, f := range Fields {
		v := getenv(f.Env)
		if strings.TrimSpace(v) == "" {
			continue
		}
		if f.Key == fieldLinks {
			// One line per link does not fit an environment variable
			// well; a semicolon separates links there.
			v = strings.ReplaceAll(v, ";", "\n")
		}
		raw[f.Key] = v
	}
	clean, err := Clean(raw)
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, f := range Fields {
			if msg, ok := ve.Fields[f.Key]; ok {
				problems = append(problems, f.Env+" "+msg)
			}
		}
		return nil, problems
	}
	if f, ok := FieldOf(fieldPoweredBy); ok {
		// "false" fixes the switch off, which Clean stores as no value.
		if v := strings.TrimSpace(getenv(f.Env)); v != "" {
			if _, set := clean[fieldPoweredBy]; !set {
				clean[fieldPoweredBy] = ""
			}
		}
	}
	return clean, nil
}
