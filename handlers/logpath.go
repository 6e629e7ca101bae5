package handlers

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// tokenParam is the route parameter of every path whose segment is a
// one-time secret: an invitation, a password reset, a subscription
// confirmation or unsubscribe link.
const tokenParam = "token"

// tokenPrefixes are the paths those secrets follow. They are checked as
// well as the matched route, so that a mistyped or extended link that
// matches no route (a 404) is not logged whole either.
var tokenPrefixes = []string{"/invite/", "/password/reset/", "/subscribe/confirm/", "/unsubscribe/", "/calendar/"}

// redacted stands for a secret in a logged path.
const redacted = "[redacted]"

// loggedPath is the request's path as a log line may hold it: a link's
// token is a password for as long as it works, and logs are read by more
// people, and kept longer, than the outbox.
func loggedPath(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && slices.Contains(r.Params, tokenParam) {
		return strings.Replace(r.Path, ":"+tokenParam, redacted, 1)
	}
	return redactTokenPath(c.Path())
}

// redactTokenPath cuts everything after a token path's prefix. Routing
// ignores case, so the comparison does too.
func redactTokenPath(path string) string {
	lower := strings.ToLower(path)
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(lower, p) && len(path) > len(p) {
			return path[:len(p)] + redacted
		}
	}
	return path
}
