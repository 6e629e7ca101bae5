package handlers

import (
	"github.com/gofiber/fiber/v2"

	"steward/internal/people"
)

// layout is what the base layout and the navigation read on every page. A
// page's own data is a struct that embeds layout, so a template naming a
// field the page does not have fails (in pages_test.go), where a map
// would quietly print nothing. Small pages may still pass a fiber.Map.
type layout struct {
	Title string
	User  *people.User
	CSRF  string
	Flash string
	Path  string

	IsAdmin   bool
	IsAuditor bool
	IsManager bool

	// Feed is the Atom feed the page's head links for autodiscovery; nil
	// for pages without one (the public policy pages set it).
	Feed *feedLink

	// Lang is the language of the page's interface ("" for English), and
	// Alternates the same page in other languages (hreflang): set by the
	// public policy pages (policy_translations.go).
	Lang       string
	Alternates []altLink
}

// pageData is a page struct: anything that embeds layout (by value, passed
// by pointer so renderPage can fill it in).
type pageData interface{ base() *layout }

func (l *layout) base() *layout { return l }

// fill sets what the layout needs from the request.
func (s *Server) fill(c *fiber.Ctx, p *layout) {
	u := currentUser(c)
	p.User = u
	p.CSRF = s.csrfToken(c)
	p.Flash = s.takeFlash(c)
	p.Path = c.Path()
	if u != nil {
		p.IsAdmin = u.Role == people.RoleAdmin
		p.IsAuditor = u.Role == people.RoleAuditor
		p.IsManager = u.Role == people.RoleManager || p.IsAdmin
	}
}

// renderPage writes a typed page inside the base layout, which gets the
// current user, the CSRF token and the flash message in the embedded layout.
func (s *Server) renderPage(c *fiber.Ctx, status int, name string, data pageData) error {
	s.fill(c, data.base())
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Render(name, data, "layouts/base")
}
