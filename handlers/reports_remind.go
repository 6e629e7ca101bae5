package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/reminders"
	"steward/internal/reports"
)

// remindTarget is the reminder a row of the report offers: a course
// overdue or lapsed, a policy pending or overdue; ok is false for
// anything else.
func remindTarget(it reports.Item) (reminders.Target, bool) {
	switch {
	case it.Kind == "course" && (it.Status == "overdue" || it.Status == "lapsed"):
		return reminders.Target{UserID: it.UserID, Type: reminders.ItemCourse, Slug: it.Slug}, true
	case it.Kind == "policy" && (it.Status == reports.StatusPending || it.Status == "overdue"):
		return reminders.Target{UserID: it.UserID, Type: reminders.ItemPolicy, Slug: it.Slug}, true
	}
	return reminders.Target{}, false
}

// remindedText says when a manager last reminded someone: today's time,
// or the day.
func remindedText(at, now time.Time) string {
	if at.UTC().Format(time.DateOnly) == now.UTC().Format(time.DateOnly) {
		return "today at " + at.UTC().Format("15:04 UTC")
	}
	return at.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// withReminders sets each row's reminder choice and when its person was
// last reminded of its item.
func (s *Server) withReminders(c *fiber.Ctx, rows []itemRow, items []reports.Item) error {
	var ids []int64
	seen := map[int64]bool{}
	for _, it := range items {
		if !seen[it.UserID] {
			seen[it.UserID] = true
			ids = append(ids, it.UserID)
		}
	}
	last, err := reminders.LastReminded(c.UserContext(), s.db, ids)
	if err != nil {
		return err
	}
	now := s.now()
	for i, it := range items {
		t, ok := remindTarget(it)
		if !ok {
			t = reminders.Target{UserID: it.UserID, Type: it.Kind, Slug: it.Slug}
		} else {
			rows[i].RemindKey = t.Key()
		}
		if l, ok := last[t]; ok {
			rows[i].Reminded = remindedText(l.At, now)
		}
	}
	return nil
}

// remindMany sends reminders to the people chosen in the team report, or
// with scope=all to everyone the report's filters list who can be
// reminded; the rule is reminders.Remind's.
func (s *Server) remindMany(c *fiber.Ctx) error {
	var targets []reminders.Target
	switch c.FormValue("scope") {
	case "all":
		l, _, _, _, err := s.teamReportData(c, 0)
		if err != nil {
			return err
		}
		for _, it := range l.Items {
			if t, ok := remindTarget(it); ok {
				targets = append(targets, t)
			}
		}
		if len(targets) == 0 {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "Nobody in this list is overdue or has a policy to acknowledge, so there is nobody to remind.")
		}
	case "selected":
		for _, v := range c.Request().PostArgs().PeekMulti("item") {
			t, err := reminders.ParseTarget(string(v))
			if err != nil {
				return fiber.NewError(fiber.StatusBadRequest, "Steward could not read the people chosen; nothing was sent. Reload the report and choose again.")
			}
			targets = append(targets, t)
		}
	default:
		return fiber.NewError(fiber.StatusBadRequest, "Choose whether to remind the people selected or everyone in the list; nothing was sent.")
	}
	me := currentUser(c)
	res, err := reminders.Remind(c.UserContext(), s.db, s.mailer, me.ID, targets, s.now())
	switch {
	case errors.Is(err, reminders.ErrNothingChosen):
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Select at least one person to remind, or remind everyone in the list.")
	case errors.Is(err, reminders.ErrBadTarget):
		return fiber.NewError(fiber.StatusBadRequest, "Steward could not read the people chosen; nothing was sent. Reload the report and choose again.")
	case errors.Is(err, reminders.ErrTooMany):
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("Steward reminds at most %d at once; narrow the list with the filters. Nothing was sent.", reminders.MaxTargets))
	case errors.Is(err, reminders.ErrNotInLine):
		s.log.Warn("reminder for someone out of scope", "user_id", me.ID, "path", c.Path())
		if err := s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
			return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(s.now(), "access.denied", "reminders", c.Method()+" "+c.Path()))
		}); err != nil {
			s.log.Error("audit denied access", "err", err)
		}
		return fiber.NewError(fiber.StatusForbidden, "You can remind only people in your reporting line; nothing was sent.")
	case err != nil:
		return err
	}
	s.flash(c, remindMessage(res))
	back := "/team/report"
	if q, err := url.ParseQuery(string(c.Request().URI().QueryString())); err == nil && len(q) > 0 {
		back += "?" + q.Encode()
	}
	return c.Redirect(back+"#people", fiber.StatusSeeOther)
}

// remindMessage tells what a request to remind people did, every count of
// it.
func remindMessage(r reminders.Result) string {
	people := map[int64]bool{}
	for _, o := range r.Outcomes {
		if o.Result == reminders.Sent {
			people[o.UserID] = true
		}
	}
	var parts []string
	sent := r.Count(reminders.Sent)
	if sent == 0 {
		parts = append(parts, "No reminder sent.")
	} else if sent == 1 {
		for _, o := range r.Outcomes {
			if o.Result == reminders.Sent {
				parts = append(parts, fmt.Sprintf("A reminder about %s is on its way to %s.", o.Title, o.Person))
			}
		}
	} else {
		parts = append(parts, fmt.Sprintf("%s on the way to %s.", plural(sent, "reminder"), personCount(len(people))))
	}
	if n := r.Count(reminders.AlreadyReminded); n > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped: already reminded today (Steward sends at most one a day per person and item).", n))
	}
	if n := r.Count(reminders.NotOpen) + r.Count(reminders.NotAssigned); n > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped: no longer overdue or pending.", n))
	}
	if n := r.Count(reminders.Left); n > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped: the person has left.", n))
	}
	return strings.Join(parts, " ")
}

// personCount writes "1 person", "3 people".
func personCount(n int) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}
