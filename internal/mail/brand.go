package mail

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"steward/internal/org"
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

// OrgBrand is the organisation's brand as its emails show it, from its
// settings (internal/org): the name (the base URL's host until one is
// set), accent, contact address, logo and powered-by line. The pages show
// the same settings.
func OrgBrand(st *org.Settings, baseURL string) Brand {
	b := Brand{Name: st.Name(), Accent: st.Accent(), ContactEmail: st.Contact(), PoweredBy: st.PoweredBy}
	if b.Name == "" {
		b.Name = DefaultBrand(baseURL).Name
	}
	if p := st.Logo.Path(); p != "" {
		b.LogoURL = strings.TrimRight(baseURL, "/") + p
	}
	return b
}

// brandMaxAge is how long OrgBrandSource answers from what it read.
const brandMaxAge = time.Minute

// OrgBrandSource is a Renderer's Brand for a program without the web
// server's snapshot (the commands, the reminder sweep): the organisation's
// brand read from store, read again when it is older than a minute, so a
// long-running sweep follows an admin's change. It answers from memory;
// when the settings cannot be read it keeps what it had, or the default
// brand of baseURL.
func OrgBrandSource(store *org.Store, baseURL string) func() Brand {
	var (
		mu     sync.Mutex
		cur    = DefaultBrand(baseURL)
		readAt time.Time
	)
	return func() Brand {
		mu.Lock()
		defer mu.Unlock()
		if !readAt.IsZero() && time.Since(readAt) < brandMaxAge {
			return cur
		}
		readAt = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if st, err := store.Load(ctx); err == nil {
			cur = OrgBrand(st, baseURL)
		}
		return cur
	}
}

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
