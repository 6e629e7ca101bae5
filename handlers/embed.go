package handlers

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// embedCSP is the Content-Security-Policy of the embed pages: the
// site-wide one, except that the configured origins (STEWARD_EMBED_ORIGINS)
// may frame them. Every other page keeps frame-ancestors 'none'.
func embedCSP(origins []string) []byte {
	ancestors := "frame-ancestors 'self'"
	for _, o := range origins {
		ancestors += " " + o
	}
	csp := string(securityHeaderList[0][1]) // the site-wide CSP (middleware.go)
	return []byte(strings.Replace(csp, "frame-ancestors 'none'", ancestors, 1))
}

var frameOptionsKey = []byte("X-Frame-Options")

// policyEmbed serves the version in effect without the site's chrome, for
// the company's own site to show in an iframe; only the configured origins
// may frame it.
func (s *Server) policyEmbed(csp []byte) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.SetCanonical(cspKey, csp)
		h.DelBytes(frameOptionsKey)
		t, err := s.publicTimeline(c)
		if err != nil {
			return err
		}
		now := s.now()
		cur, ok := t.InEffect(now)
		if !ok {
			next, _ := t.Next(now)
			return fiber.NewError(fiber.StatusNotFound, fmt.Sprintf("%s takes effect on %s; there is nothing to show until then.",
				t.Policy.Title, next.EffectiveAt.Format("2 January 2006")))
		}
		key := pageKey(t, "embed", cur.Number)
		return s.servePage(c, key, maxAge(t, now), func() (page, error) {
			canonical := strings.TrimRight(s.cfg.BaseURL.String(), "/") + "/policies/" + t.Policy.Slug
			var buf bytes.Buffer
			err := s.views.Render(&buf, "policies/embed", fiber.Map{
				"Title": t.Policy.Title, "V": viewOf(t, cur, now), "Canonical": canonical}, "layouts/embed")
			if err != nil {
				return page{}, fmt.Errorf("handlers: render embed %s: %w", t.Policy.Slug, err)
			}
			return page{Body: buf.Bytes(), ContentType: mimeHTML}, nil
		})
	}
}
