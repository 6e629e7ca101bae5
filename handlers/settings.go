package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/reminders"
)

// settingsForm shows a manager's email preferences.
func (s *Server) settingsForm(c *fiber.Ctx) error {
	on, err := reminders.TeamWeekly(c.UserContext(), s.db, currentUser(c).ID)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "account/settings", fiber.Map{"Title": "Email settings", "TeamWeekly": on})
}

// saveSettings records the choice, audited in the same transaction.
func (s *Server) saveSettings(c *fiber.Ctx) error {
	// The form always says which: the checkbox sends "on" and a hidden
	// field after it sends "off", so the first value is the choice. A post
	// that says neither changes nothing.
	var on bool
	switch c.FormValue("team_weekly") {
	case "on":
		on = true
	case "off":
	default:
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Say whether you want the weekly summary: tick the box or leave it empty, then save.")
	}
	me := currentUser(c)
	now := s.now()
	err := s.db.Tx(c.UserContext(), func(tx *sqlx.Tx) error {
		if err := reminders.SetTeamWeekly(c.UserContext(), tx, me.ID, on, now); err != nil {
			return err
		}
		return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(now, "settings.team_weekly",
			"user:"+strconv.FormatInt(me.ID, 10), strconv.FormatBool(on)))
	})
	if err != nil {
		return err
	}
	if on {
		s.flash(c, "You will get a summary of your team every Monday.")
	} else {
		s.flash(c, "You will no longer get the weekly summary of your team.")
	}
	return c.Redirect("/account/settings", fiber.StatusSeeOther)
}
