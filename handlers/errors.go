package handlers

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"steward/internal/people"
)

// statusOf maps domain errors to HTTP status codes and user-facing messages.
func statusOf(err error) (int, string) {
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe) && fe.Code == http.StatusNotFound && strings.HasPrefix(fe.Message, "Cannot "):
		// Fiber's router found no route for the path.
		return fe.Code, "There is no page at this address."
	case errors.As(err, &fe) && fe.Code == http.StatusMethodNotAllowed:
		return fe.Code, "This address does not take that kind of request."
	case errors.As(err, &fe):
		return fe.Code, fe.Message
	case errors.Is(err, people.ErrNotFound):
		return http.StatusNotFound, "We could not find that person."
	case errors.Is(err, people.ErrDuplicateEmail), errors.Is(err, people.ErrDuplicateTeam),
		errors.Is(err, people.ErrManagerCycle), errors.Is(err, people.ErrLastAdmin):
		return http.StatusConflict, capitalise(err)
	case errors.Is(err, people.ErrInvalid):
		return http.StatusUnprocessableEntity, capitalise(err)
	}
	return http.StatusInternalServerError, "Something went wrong on our side. It has been logged; please try again."
}

// capitalise turns "people: a team with this name already exists" into
// "A team with this name already exists."
func capitalise(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		msg = rest
	}
	r, size := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[size:] + "."
}

// handleError is Fiber's one error handler: it logs server errors with the
// request's fields and renders an error page, or JSON for the API.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	code, msg := statusOf(err)
	if code >= 500 {
		s.log.Error("request failed", "method", c.Method(), "path", loggedPath(c),
			"request_id", requestID(c), "err", err)
	}
	if code == fiber.StatusTooManyRequests && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		c.Set(fiber.HeaderRetryAfter, "60")
	}
	if isAPI(c) || (c.Get(fiber.HeaderAccept) == fiber.MIMEApplicationJSON) {
		return c.Status(code).JSON(fiber.Map{"error": msg, "status": code})
	}
	title := http.StatusText(code)
	if title == "" {
		title = "Error"
	}
	rerr := s.render(c, code, "errors/error", fiber.Map{"Title": title, "Status": code, "Message": msg})
	if rerr != nil {
		s.log.Error("render error page", "err", rerr)
		return c.Status(code).SendString(msg)
	}
	return nil
}
