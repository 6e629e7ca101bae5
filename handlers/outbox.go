package handlers

import (
	"errors"
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"steward/internal/mail"
)

// The outbox pages let admins read every email Steward has queued, sent or
// given up on, so the product works (and can be demonstrated) with no SMTP
// server at all, and a message that died can be sent again.

var outboxStatuses = []string{mail.StatusQueued, mail.StatusSending, mail.StatusSent,
	mail.StatusFailed, mail.StatusDead, mail.StatusDropped}

const outboxPageSize = 50

func (s *Server) outboxStore() *mail.Outbox { return mail.NewOutbox(s.db) }

func (s *Server) outboxList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	status, kind := c.Query("status"), c.Query("kind")
	if !slices.Contains(outboxStatuses, status) {
		status = ""
	}
	if len(kind) > 100 {
		kind = ""
	}
	page := max(c.QueryInt("page", 1), 1)
	msgs, err := s.outboxStore().List(ctx, mail.Filter{Status: status, Kind: kind,
		Limit: outboxPageSize + 1, Offset: (page - 1) * outboxPageSize})
	if err != nil {
		return err
	}
	hasNext := len(msgs) > outboxPageSize
	msgs = msgs[:min(len(msgs), outboxPageSize)]
	counts, err := s.outboxStore().Counts(ctx)
	if err != nil {
		return err
	}
	kinds, err := s.outboxStore().Kinds(ctx)
	if err != nil {
		return err
	}
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if kind != "" {
		q.Set("kind", kind)
	}
	return s.renderPage(c, fiber.StatusOK, "outbox/list", &outboxListPage{
		layout: layout{Title: "Outbox"}, Messages: msgs, Counts: counts, Statuses: outboxStatuses, Kinds: kinds,
		Status: status, Kind: kind, Pager: pageLinks("/admin/outbox", q, page, hasNext, ""),
		SMTP: s.cfg.SMTPURL != "",
	})
}

// outboxListPage is the data of outbox/list.html.
type outboxListPage struct {
	layout
	Messages []mail.Outgoing // this page of them, newest first
	Counts   map[string]int  // messages by status
	Statuses []string
	Kinds    []string
	// The filters as asked for, to keep them selected.
	Status, Kind string
	Pager        pager
	SMTP         bool // a server is configured; without one nothing leaves
}

func (s *Server) outboxMessage(c *fiber.Ctx) (mail.Outgoing, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return mail.Outgoing{}, fiber.NewError(fiber.StatusNotFound, "There is no such message in the outbox.")
	}
	m, err := s.outboxStore().Get(c.UserContext(), id)
	if errors.Is(err, mail.ErrNotFound) {
		return m, fiber.NewError(fiber.StatusNotFound, "There is no such message in the outbox.")
	}
	return m, err
}

func (s *Server) outboxShow(c *fiber.Ctx) error {
	m, err := s.outboxMessage(c)
	if err != nil {
		return err
	}
	sent := ""
	if m.SentAt != nil {
		sent = m.SentAt.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	messageID := ""
	if !m.Secret {
		messageID = mail.MessageID(m.DedupeKey, s.cfg.BaseURL.Hostname())
	}
	return s.renderPage(c, fiber.StatusOK, "outbox/show", &outboxMessagePage{
		layout: layout{Title: "Outbox: " + m.Subject}, Message: m, Headers: m.Headers(), Sent: sent,
		MessageID: messageID,
	})
}

// outboxMessagePage is the data of outbox/show.html.
type outboxMessagePage struct {
	layout
	Message   mail.Outgoing
	Headers   map[string]string
	Sent      string // when, in words; empty if not sent
	MessageID string // empty for a message carrying a secret link
}

func (s *Server) outboxRetry(c *fiber.Ctx) error {
	m, err := s.outboxMessage(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	err = s.outboxStore().Retry(c.UserContext(), m.ID, &u.ID, "user:"+strconv.FormatInt(u.ID, 10), s.now())
	if errors.Is(err, mail.ErrNotDead) {
		return fiber.NewError(fiber.StatusConflict, "Only a dead message can be retried; this one is "+m.Status+".")
	}
	if err != nil {
		return err
	}
	s.flash(c, "The message is queued again with a fresh set of attempts.")
	return c.Redirect("/admin/outbox/"+strconv.FormatInt(m.ID, 10), fiber.StatusSeeOther)
}
