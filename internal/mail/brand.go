package mail

import (
	"net/url"
	"regexp"
	"strings"
)

// Brand is whose name an email carries: the organisation's name, accent
// colour, contact address and logo, and whether a small "Powered by
// Steward" line is wanted. A customer or a member of staff reads the
// organisation's name, never "Steward", unless PoweredBy asks for it.
type Brand struct {
	Name         string // shown in the header, the footer and some subjects
	Accent       string // #rrggbb: links and the header's rule
	ContactEmail string // the footer's "Questions:" address, if any
	LogoURL      string // an absolute http(s) image URL shown above the text, if any
	PoweredBy    bool   // a "Powered by Steward" line in the footer
}

// defaultAccent colours links when the brand names no accent of its own.
const defaultAccent = "#1d4ed8"

var (
	hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	// plainEmail is an address the footer can show and link to as is.
	plainEmail = regexp.MustCompile(`^[A-Za-z0-9._%-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$`)
)

// DefaultBrand is the brand of an installation that names no organisation
// yet: the host of its base URL, which is the name its people know it by.
func DefaultBrand(baseURL string) Brand {
	name := baseURL
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		name = u.Hostname()
	}
	return Brand{Name: name, Accent: defaultAccent}
}

// clean returns b with what an email cannot show safely left out: a name
// of control characters or none at all becomes fallback, an accent that
// is not #rrggbb the default one, a logo that is not an absolute http(s)
// URL and a contact that is not a plain address dropped.
func (b Brand) clean(fallback string) Brand {
	b.Name = strings.Join(strings.FieldsFunc(b.Name, func(r rune) bool { return r < ' ' || r == 0x7f || r == ' ' }), " ")
	if b.Name == "" {
		b.Name = fallback
	}
	if !hexColour.MatchString(b.Accent) {
		b.Accent = defaultAccent
	}
	if u, err := url.Parse(b.LogoURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		b.LogoURL = ""
	}
	if !plainEmail.MatchString(b.ContactEmail) {
		b.ContactEmail = ""
	}
	return b
}
