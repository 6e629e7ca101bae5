package handlers

import (
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"steward/internal/people"
	"steward/internal/scim"
)

// Request bodies are streamed (fiber.Config StreamRequestBody): fasthttp
// reads the headers and at most 8 KB of the body before the middleware
// runs, and limitBody decides, knowing who is asking and where, how much
// more it reads. Without this, fasthttp read every body up to the one
// 10 MB BodyLimit before any handler could refuse it, and anonymous posts
// were enough to fill memory.
const (
	// anonymousBodyLimit covers every form of someone not signed in
	// (sign-in, password reset, invitation, subscription).
	anonymousBodyLimit = 64 << 10
	// signedInBodyLimit covers the forms of signed-in people who are not
	// admins: acknowledgements, quiz answers, settings.
	signedInBodyLimit = 64 << 10
	// adminBodyLimit covers the editors: a policy body of up to
	// policies.MaxBody bytes, percent-encoded (up to three bytes a byte).
	adminBodyLimit = 1 << 20
	// uploadBodyLimit is for an admin's file on the upload routes.
	uploadBodyLimit = 10 << 20
	// drainLimit is how much of a refused signed-in body is read and
	// dropped, so that the browser sees the 413 page rather than a reset
	// connection; anonymous bodies are not read at all.
	drainLimit = 32 << 20
)

// uploadRoutes are the routes that take a large file, and only from
// admins. The logo upload (/admin/organisation/logo) takes a small one,
// within adminBodyLimit.
var uploadRoutes = map[string]bool{
	"/admin/people/import":  true,
	"/admin/courses/upload": true,
}

// bodyLimit is the largest body this request may send.
func bodyLimit(c *fiber.Ctx) (int, string) {
	u := currentUser(c)
	switch {
	case strings.HasPrefix(c.Path(), scim.Prefix+"/"):
		// A directory's requests: a group with thousands of members
		// is larger than a form.
		return adminBodyLimit, "A SCIM request may send at most 1 MB."
	case u == nil:
		return anonymousBodyLimit, "Please sign in first: without signing in, a form may send at most 64 KB."
	case u.Role != people.RoleAdmin:
		return signedInBodyLimit, "This form sent more than 64 KB, which is more than any of this site's forms needs."
	case c.Method() == fiber.MethodPost && uploadRoutes[c.Path()]:
		return uploadBodyLimit, "The file is larger than 10 MB. Steward takes rosters and course zips of up to 10 MB."
	case c.Path() == "/admin/organisation/logo":
		return adminBodyLimit, "The file is larger than 1 MB; a logo may be at most 256 KB."
	default:
		return adminBodyLimit, "This form sent more than 1 MB. Files go through the import and upload pages, which take up to 10 MB."
	}
}

// limitBody reads the request's body into memory if it is within the
// limit for this person and route, and refuses it with 413 otherwise. It
// runs after the session is loaded and before anything parses a form.
func (s *Server) limitBody(c *fiber.Ctx) error {
	req := c.Request()
	stream := req.BodyStream()
	if stream == nil {
		return c.Next()
	}
	limit, msg := bodyLimit(c)
	n := req.Header.ContentLength()
	switch {
	case n > limit:
		return s.refuseBody(c, stream, msg)
	case n >= 0:
		// Known and small enough: fasthttp reads exactly n bytes into
		// its pooled buffer.
		req.Body()
	default:
		// Chunked: the length is only known at the end.
		body, err := io.ReadAll(io.LimitReader(stream, int64(limit)+1))
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The request body could not be read: %v.", err))
		}
		if len(body) > limit {
			return s.refuseBody(c, stream, msg)
		}
		req.SetBody(body)
		req.Header.SetContentLength(len(body))
	}
	return c.Next()
}

// refuseBody answers 413 and closes the connection, whose unread body
// would otherwise be taken for the next request.
func (s *Server) refuseBody(c *fiber.Ctx, stream io.Reader, msg string) error {
	if currentUser(c) != nil {
		_, _ = io.CopyN(io.Discard, stream, drainLimit)
	}
	c.Context().SetConnectionClose()
	return fiber.NewError(fiber.StatusRequestEntityTooLarge, msg)
}
