package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"steward/internal/validator"
	"steward/internal/webhooks"
)

// The webhook pages let admins register receivers for Steward's events,
// pause or remove them, send a test, and see each delivery's fate.

const webhookDeliveriesShown = 50

func (s *Server) webhookStore() *webhooks.Store {
	return webhooks.NewStore(s.db, s.cfg.Production())
}

// webhookForm is the add-an-endpoint form as the admin filled it in.
type webhookForm struct {
	validator.Validator
	URL    string
	Events map[string]bool
}

func (s *Server) webhooksPage(c *fiber.Ctx, status int, f webhookForm, secret string) error {
	list, err := s.webhookStore().List(c.UserContext())
	if err != nil {
		return err
	}
	if f.Events == nil {
		f.Events = map[string]bool{}
	}
	return s.render(c, status, "webhooks/list", fiber.Map{
		"Title": "Webhooks", "Endpoints": list, "Events": webhooks.Events, "Form": f,
		"Secret": secret, "Production": s.cfg.Production(),
	})
}

func (s *Server) webhooksList(c *fiber.Ctx) error {
	return s.webhooksPage(c, fiber.StatusOK, webhookForm{}, "")
}

func (s *Server) webhookCreate(c *fiber.Ctx) error {
	f := webhookForm{URL: c.FormValue("url"), Events: map[string]bool{}}
	var events []string
	for _, v := range c.Request().PostArgs().PeekMulti("events") {
		events = append(events, string(v))
		f.Events[string(v)] = true
	}
	_, secret, err := s.webhookStore().Create(c.UserContext(), f.URL, events, actorOf(c), s.now())
	var ve *webhooks.ValidationError
	if errors.As(err, &ve) {
		for k, msg := range ve.Fields {
			f.AddFieldError(k, msg)
		}
		return s.webhooksPage(c, fiber.StatusUnprocessableEntity, f, "")
	}
	if err != nil {
		return err
	}
	// The secret is shown on this response alone: it is not put in the
	// session or a redirect, and no page shows it again.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.webhooksPage(c, fiber.StatusCreated, webhookForm{}, secret)
}

func (s *Server) webhookEndpoint(c *fiber.Ctx) (webhooks.Endpoint, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return webhooks.Endpoint{}, fiber.NewError(fiber.StatusNotFound, "There is no such webhook endpoint.")
	}
	e, err := s.webhookStore().Get(c.UserContext(), id)
	if errors.Is(err, webhooks.ErrNotFound) {
		return e, fiber.NewError(fiber.StatusNotFound, "There is no such webhook endpoint.")
	}
	return e, err
}

func (s *Server) webhookShow(c *fiber.Ctx) error {
	e, err := s.webhookEndpoint(c)
	if err != nil {
		return err
	}
	ds, err := s.webhookStore().Recent(c.UserContext(), e.ID, webhookDeliveriesShown)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "webhooks/show", fiber.Map{
		"Title": "Webhook: " + e.URL, "Endpoint": e, "Deliveries": ds,
	})
}

// webhookAction runs one change on an endpoint and returns to its page.
func (s *Server) webhookAction(c *fiber.Ctx, do func(id int64) error, done string) error {
	e, err := s.webhookEndpoint(c)
	if err != nil {
		return err
	}
	if err := do(e.ID); errors.Is(err, webhooks.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "There is no such webhook endpoint.")
	} else if err != nil {
		return err
	}
	s.flash(c, done)
	return c.Redirect("/admin/webhooks/"+strconv.FormatInt(e.ID, 10), fiber.StatusSeeOther)
}

func (s *Server) webhookEnable(c *fiber.Ctx) error {
	return s.webhookAction(c, func(id int64) error {
		return s.webhookStore().SetEnabled(c.UserContext(), id, true, actorOf(c), s.now())
	}, "The endpoint is enabled: new events are queued for it, and waiting deliveries go out.")
}

func (s *Server) webhookDisable(c *fiber.Ctx) error {
	return s.webhookAction(c, func(id int64) error {
		return s.webhookStore().SetEnabled(c.UserContext(), id, false, actorOf(c), s.now())
	}, "The endpoint is disabled: no new events are queued for it, and waiting deliveries wait.")
}

func (s *Server) webhookTest(c *fiber.Ctx) error {
	return s.webhookAction(c, func(id int64) error {
		return s.webhookStore().SendTest(c.UserContext(), id, actorOf(c), s.now())
	}, "A test delivery is queued; it goes out within seconds if the endpoint is enabled.")
}

func (s *Server) webhookDelete(c *fiber.Ctx) error {
	e, err := s.webhookEndpoint(c)
	if err != nil {
		return err
	}
	err = s.webhookStore().Delete(c.UserContext(), e.ID, actorOf(c), s.now())
	if errors.Is(err, webhooks.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "There is no such webhook endpoint.")
	}
	if err != nil {
		return err
	}
	s.flash(c, "The endpoint and its deliveries are deleted.")
	return c.Redirect("/admin/webhooks", fiber.StatusSeeOther)
}
