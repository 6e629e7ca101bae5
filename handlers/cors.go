package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The JSON API and the feeds are public, the same for everyone and sent
// without credentials, so any site may read them from a browser: they
// answer every origin with "*", which browsers refuse to combine with
// cookies, so no signed-in answer can leak through them. The headers do
// not depend on the request's Origin, so responses need no Vary: Origin
// and shared caches keep one copy.
var corsHeaders = [][2][]byte{
	{[]byte("Access-Control-Allow-Origin"), []byte("*")},
	// ETag lets a page on another site revalidate with If-None-Match.
	{[]byte("Access-Control-Expose-Headers"), []byte("ETag, X-Request-Id")},
}

var preflightHeaders = [][2][]byte{
	{[]byte("Access-Control-Allow-Methods"), []byte("GET, HEAD, OPTIONS")},
	{[]byte("Access-Control-Allow-Headers"), []byte("Accept, Accept-Language, If-None-Match, If-Modified-Since")},
	{[]byte("Access-Control-Max-Age"), []byte("86400")},
}

// crossOrigin reports whether path is a public resource other sites may
// read: the JSON API and the Atom feeds (policies, subprocessors). Nothing a signed-in person sees
// lives under these.
func crossOrigin(path string) bool {
	return strings.HasPrefix(path, "/api/v1/") || strings.HasSuffix(path, ".atom")
}

// preflight answers a browser's CORS preflight (OPTIONS) for a
// cross-origin path: GET and HEAD, with the conditional request headers.
func (s *Server) preflight(c *fiber.Ctx) error {
	h := &c.Response().Header
	for _, kv := range preflightHeaders {
		h.SetCanonical(kv[0], kv[1])
	}
	c.Set(fiber.HeaderAllow, "GET, HEAD, OPTIONS")
	return c.SendStatus(fiber.StatusNoContent)
}
