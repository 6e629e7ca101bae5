package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/gofiber/fiber/v2"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/people"
	"steward/policies"
)

// calendarPage lets a person make, reset or stop the secret link to their
// calendar feed; token is a link just made, shown this once.
func (s *Server) calendarPage(c *fiber.Ctx, status int, token string) error {
	since, err := s.people.CalendarSince(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	link := ""
	if token != "" {
		link = strings.TrimRight(s.cfg.BaseURL.String(), "/") + "/calendar/" + token + ".ics"
	}
	return s.render(c, status, "account/calendar", fiber.Map{"Title": "Calendar feed", "Since": since, "Link": link,
		"Webcal": strings.Replace(strings.Replace(link, "https://", "webcal://", 1), "http://", "webcal://", 1)})
}

func (s *Server) calendarForm(c *fiber.Ctx) error { return s.calendarPage(c, fiber.StatusOK, "") }

func (s *Server) calendarReset(c *fiber.Ctx) error {
	me := currentUser(c)
	token, err := s.people.ResetCalendar(c.UserContext(), me.ID, audit.UserActor(me.ID), s.now())
	if err != nil {
		return err
	}
	// Rendered, not redirected: the link must not travel in a flash cookie.
	return s.calendarPage(c, fiber.StatusCreated, token)
}

func (s *Server) calendarStop(c *fiber.Ctx) error {
	me := currentUser(c)
	err := s.people.StopCalendar(c.UserContext(), me.ID, audit.UserActor(me.ID), s.now())
	if errors.Is(err, people.ErrNoCalendar) {
		return fiber.NewError(fiber.StatusConflict, "You have no calendar link to stop.")
	}
	if err != nil {
		return err
	}
	s.flash(c, "Your calendar link no longer works. Remove the calendar from your calendar app too.")
	return c.Redirect("/account/calendar", fiber.StatusSeeOther)
}

// calendarFeed is the person's due dates as an iCalendar (RFC 5545) feed:
// each course due or due for renewal, and each policy to acknowledge,
// as an all-day event on the day it falls due.
func (s *Server) calendarFeed(c *fiber.Ctx) error {
	token := strings.TrimSuffix(c.Params(tokenParam), ".ics")
	u, err := s.people.CalendarUser(c.UserContext(), token)
	if errors.Is(err, people.ErrNoCalendar) {
		return fiber.NewError(fiber.StatusNotFound, "This calendar link does not work: it was reset or stopped, or never existed. Make a new one under Account > Calendar feed.")
	}
	if err != nil {
		return err
	}
	now := s.now()
	base := strings.TrimRight(s.cfg.BaseURL.String(), "/")
	host := s.cfg.BaseURL.Host
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//Steward//Due dates//EN")
	cal.Props.SetText("X-WR-CALNAME", "Training and policies due")
	cal.Props.SetText("X-PUBLISHED-TTL", "PT1H")
	add := func(uid, summary, description, link string, day time.Time) {
		ev := ical.NewEvent()
		ev.Props.SetText(ical.PropUID, uid+"@"+host)
		ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
		ev.Props.SetDate(ical.PropDateTimeStart, day)
		ev.Props.SetDate(ical.PropDateTimeEnd, day.AddDate(0, 0, 1))
		ev.Props.SetText(ical.PropSummary, summary)
		ev.Props.SetText(ical.PropDescription, description+"\n"+link)
		if l, err := url.Parse(link); err == nil {
			ev.Props.SetURI(ical.PropURL, l)
		}
		cal.Children = append(cal.Children, ev.Component)
	}
	as, err := s.courses.MyCourses(c.UserContext(), u.ID, now)
	if err != nil {
		return err
	}
	for _, a := range as {
		link := base + "/courses/" + a.Slug
		switch a.Status {
		case courses.StatusExempt:
		case courses.StatusCompleted:
			if a.Cycle.ExpiresAt != nil {
				add(fmt.Sprintf("course-%d-expires", a.Cycle.ID), "Training expires: "+a.Title,
					"Your completion of this course expires on this day; take it again before then.", link, *a.Cycle.ExpiresAt)
			}
		default:
			add(fmt.Sprintf("course-%d-due", a.Cycle.ID), "Training due: "+a.Title,
				fmt.Sprintf("Complete this course by this day (%d of %d modules passed).", a.ModulesPassed, a.ModulesTotal), link, a.Cycle.DueAt)
		}
	}
	sts, err := s.policies.StatusFor(c.UserContext(), u.ID, now)
	if err != nil {
		return err
	}
	for _, st := range sts {
		if st.State != policies.AckPending && st.State != policies.AckOverdue {
			continue
		}
		add(fmt.Sprintf("policy-%d-v%d-ack", st.Policy.ID, st.Current.Number), "Acknowledge: "+st.Policy.Title,
			fmt.Sprintf("Read version %d and acknowledge it by this day.", st.Current.Number), base+"/my/policies/"+st.Policy.Slug, st.Due)
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "private, max-age=900")
	c.Set("X-Robots-Tag", "noindex")
	return c.Send(buf.Bytes())
}
