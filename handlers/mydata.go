package handlers

import (
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/retention"
)

// myData shows a signed-in person everything Steward keeps about them.
func (s *Server) myData(c *fiber.Ctx) error {
	inv, err := retention.Collect(c.UserContext(), s.db, currentUser(c).ID, s.now())
	if err != nil {
		return err
	}
	return s.renderPage(c, fiber.StatusOK, "mydata/page", &myDataPage{layout: layout{Title: "My data"}, Inv: inv, RetentionDays: s.cfg.RetentionDays,
		MailDays: int(retention.DefaultMailBodies.Hours() / 24)})
}

// myDataPage is the data of mydata/page.html.
type myDataPage struct {
	layout
	Inv           *retention.Inventory
	RetentionDays int // how long a leaver's record keeps their name
	MailDays      int // how long a sent email keeps its text
}

// myDataJSON downloads the same as one JSON file. Taking a copy of one's
// own data is recorded like every other export.
func (s *Server) myDataJSON(c *fiber.Ctx) error {
	me := currentUser(c)
	now := s.now()
	if err := s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
		return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(now, "mydata.export", fmt.Sprintf("user:%d", me.ID), ""))
	}); err != nil {
		return err
	}
	inv, err := retention.Collect(c.UserContext(), s.db, me.ID, now)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="steward-my-data-%s.json"`, now.Format("2006-01-02")))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}
