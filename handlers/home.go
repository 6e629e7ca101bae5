package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/people"
	"steward/policies"
)

type sqlxTx = sqlx.Tx

// homePage is the data of home/home.html.
type homePage struct {
	layout
	MyCourses   []courses.Assignment
	Acks, Reads []policies.AckStatus
	LineSize    int // active people in a manager's reporting line
	PeopleCount int // for an admin
}

// home is each person's landing page after sign-in: what they owe first,
// then what their role lets them look after.
func (s *Server) home(c *fiber.Ctx) error {
	u := currentUser(c)
	data := &homePage{layout: layout{Title: "Home"}}
	mine, err := s.MyCourses(c)
	if err != nil {
		return err
	}
	data.MyCourses = mine
	acks, err := s.policies.StatusFor(c.UserContext(), u.ID, s.now())
	if err != nil {
		return err
	}
	data.Acks, data.Reads = policies.ByNeed(acks)
	if u.Role == people.RoleManager || u.Role == people.RoleAdmin {
		line, err := s.people.ReportingLine(c.UserContext(), u.ID)
		if err != nil {
			return err
		}
		active := 0
		for _, p := range line {
			if p.Active {
				active++
			}
		}
		data.LineSize = active
	}
	if u.Role == people.RoleAdmin {
		n, err := s.people.Count(c.UserContext())
		if err != nil {
			return err
		}
		data.PeopleCount = n
	}
	return s.renderPage(c, fiber.StatusOK, "home/home", data)
}
