package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/people"
)

// accountSessions lists the signed-in person's live sessions, this
// browser's marked, with a button that ends them all.
func (s *Server) accountSessions(c *fiber.Ctx) error {
	u := currentUser(c)
	list, err := s.people.Sessions(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.renderPage(c, fiber.StatusOK, "account/sessions", &sessionsPage{
		layout: layout{Title: "Where you are signed in"}, Sessions: list, Current: s.currentSessionHash(c)})
}

// sessionsPage is the data of account/sessions.html.
type sessionsPage struct {
	layout
	Sessions []people.Session
	Current  string // this browser's session, as its IDHash
}

// endMySessions signs the person out everywhere, this browser included.
func (s *Server) endMySessions(c *fiber.Ctx) error {
	u := currentUser(c)
	n, err := s.people.EndSessions(c.UserContext(), u.ID, people.EndedEverywhere, audit.UserActor(u.ID), s.wall())
	if err != nil {
		return err
	}
	if err := s.endSession(c, people.EndedEverywhere); err != nil {
		return err
	}
	s.flash(c, "You have signed out everywhere ("+plural(n, "session")+" ended).")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// adminEndSessions ends every session of one person, audited as the
// admin's act: for a lost laptop, or someone who must leave at once.
func (s *Server) adminEndSessions(c *fiber.Ctx) error {
	p, err := s.personByParam(c)
	if err != nil {
		return err
	}
	me := currentUser(c)
	n, err := s.people.EndSessions(c.UserContext(), p.ID, people.EndedAdmin, audit.UserActor(me.ID), s.wall())
	if err != nil {
		return err
	}
	if p.ID == me.ID {
		if err := s.endSession(c, people.EndedAdmin); err != nil {
			return err
		}
		s.flash(c, "You ended all your sessions, this one too.")
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	s.flash(c, "Ended "+plural(n, "session")+" of "+p.Name+".")
	return c.Redirect("/admin/people/"+strconv.FormatInt(p.ID, 10), fiber.StatusSeeOther)
}

// plural writes "1 session", "3 sessions".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
