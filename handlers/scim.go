package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"steward/internal/audit"
	"steward/internal/people"
	"steward/internal/scim"
)

// provisioning is the access rule of /scim/v2: public as a route, because
// a directory has no session; the service itself answers only a live
// provisioning token (internal/scim), and a bearer token in a header is
// not something a browser sends on its own, so there is no CSRF to check.
var provisioning = access{public: true, noCSRF: true}

// scimRoutes mounts the SCIM service. Where people do not come from the
// directory it answers every request with a SCIM error saying so.
func (s *Server) scimRoutes() error {
	var h fiber.Handler
	if s.cfg.SCIM() {
		svc, err := scim.New(s.people, s.now, s.cfg.BaseURL.String(), s.log)
		if err != nil {
			return err
		}
		h = adaptor.HTTPHandler(svc)
	} else {
		h = func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, "application/scim+json")
			return c.Status(fiber.StatusNotFound).JSON(fiber.Map{
				"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
				"status":  "404",
				"detail":  "SCIM provisioning is off: people come from Steward's own forms and roster import. Set STEWARD_PEOPLE_SOURCE=scim to let the company directory provision them.",
			}, "application/scim+json")
		}
	}
	for _, m := range []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete} {
		s.route(m, scim.Prefix+"/*", provisioning, h)
	}
	return nil
}

// provisioningPage shows where people come from and the provisioning
// tokens; token is a token just created, shown this once.
func (s *Server) provisioningPage(c *fiber.Ctx, status int, token, problem string) error {
	tokens, err := s.people.SCIMTokens(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, status, "people/provisioning", fiber.Map{
		"Title": "Provisioning", "SCIM": s.cfg.SCIM(), "Endpoint": strings.TrimRight(s.cfg.BaseURL.String(), "/") + scim.Prefix,
		"Tokens": tokens, "NewToken": token, "Problem": problem,
	})
}

func (s *Server) provisioningForm(c *fiber.Ctx) error {
	return s.provisioningPage(c, fiber.StatusOK, "", "")
}

func (s *Server) scimTokenCreate(c *fiber.Ctx) error {
	name := strings.TrimSpace(c.FormValue("name"))
	token, err := s.people.CreateSCIMToken(c.UserContext(), name, audit.UserActor(currentUser(c).ID), s.now())
	if errors.Is(err, people.ErrInvalid) {
		return s.provisioningPage(c, fiber.StatusUnprocessableEntity, "", "Give the token a name of 1 to 100 characters, such as the directory it is for (“Entra ID”).")
	}
	if err != nil {
		return err
	}
	// Rendered, not redirected: the token must not travel in a flash
	// cookie, and this page is never cached (noStoreWhenSignedIn).
	return s.provisioningPage(c, fiber.StatusCreated, token, "")
}

func (s *Server) scimTokenRevoke(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.NewError(fiber.StatusNotFound, "We could not find that token.")
	}
	err = s.people.RevokeSCIMToken(c.UserContext(), id, audit.UserActor(currentUser(c).ID), s.now())
	if errors.Is(err, people.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "We could not find that token, or it was already revoked.")
	}
	if err != nil {
		return err
	}
	s.flash(c, "The token is revoked: the directory using it can no longer change people.")
	return c.Redirect("/admin/provisioning", fiber.StatusSeeOther)
}
