package handlers

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPI describes /api/v1: every endpoint, parameter and answer, errors
// included. TestAPIAnswersMatchTheContract checks every API answer against
// it, and CI lints it (.ci/run).
//
//go:embed openapi.json
var openAPI []byte

// apiOpenAPI serves the API's OpenAPI 3.1 description.
func (s *Server) apiOpenAPI(c *fiber.Ctx) error {
	return s.servePage(c, "openapi", "public, max-age=3600", func() (page, error) {
		return newPage(openAPI, mimeJSON), nil
	})
}
