package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/csvout"
	"steward/internal/people"
	"steward/internal/validator"
)

// auditPageSize is how many entries one page of the log shows.
const auditPageSize = 50

// auditForm is the filter of the audit log pages, as typed.
type auditForm struct {
	Who    string // a person's email, or system, cli, anonymous
	Action string
	Target string
	From   string // YYYY-MM-DD
	To     string // YYYY-MM-DD, inclusive
	validator.Validator
}

// actorLabels are the actors that are not people.
var actorLabels = []string{"system", "cli", "anonymous"}

// auditFilter reads the filter from the query string. Problems are kept
// in the form's validator, and the filter is then not to be used.
func (s *Server) auditFilter(c *fiber.Ctx) (auditForm, audit.Filter, error) {
	f := auditForm{
		Who: strings.TrimSpace(c.Query("who")), Action: strings.TrimSpace(c.Query("action")),
		Target: strings.TrimSpace(c.Query("target")), From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")),
	}
	var af audit.Filter
	f.Check(validator.MaxChars(f.Who, 254), "who", "Use at most 254 characters.")
	f.Check(validator.MaxChars(f.Action, 100), "action", "Use at most 100 characters.")
	f.Check(validator.MaxChars(f.Target, 200), "target", "Use at most 200 characters.")
	switch lower := strings.ToLower(f.Who); {
	case f.Who == "" || !f.Valid():
	case validator.PermittedValue(lower, actorLabels...):
		af.Actor = lower
	case validator.Email(people.NormalizeEmail(f.Who)):
		u, err := s.people.ByEmail(c.UserContext(), f.Who)
		switch {
		case errors.Is(err, people.ErrNotFound):
			f.AddFieldError("who", "Nobody in Steward has this email.")
		case err != nil:
			return f, af, err
		default:
			af.ActorID = &u.ID
		}
	default:
		f.AddFieldError("who", "Enter a person's email, or system, cli or anonymous.")
	}
	af.Action, af.Target = f.Action, f.Target
	if f.From != "" {
		t, err := time.Parse(time.DateOnly, f.From)
		f.Check(err == nil, "from", "Enter a date like 2026-11-01.")
		af.From = t
	}
	if f.To != "" {
		t, err := time.Parse(time.DateOnly, f.To)
		f.Check(err == nil, "to", "Enter a date like 2026-11-30.")
		af.Until = t.AddDate(0, 0, 1)
	}
	if !af.From.IsZero() && !af.Until.IsZero() && !af.Until.After(af.From) {
		f.AddFieldError("to", "The end date must not be before the start date.")
	}
	return f, af, nil
}

// values is the filter as a query, for paging and the export link.
func (f auditForm) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"who": f.Who, "action": f.Action, "target": f.Target, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func (s *Server) auditLog(c *fiber.Ctx) error {
	form, filter, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	actions, err := audit.Actions(c.UserContext(), s.db)
	if err != nil {
		return err
	}
	data := &auditLogPage{layout: layout{Title: "Audit log"}, Form: form, Actions: actions, Families: actionFamilies(actions)}
	if !form.Valid() {
		return s.renderPage(c, fiber.StatusUnprocessableEntity, "audit/list", data)
	}
	page := max(c.QueryInt("page", 1), 1)
	if page > 1_000_000 {
		page = 1_000_000
	}
	filter.Limit, filter.Offset = auditPageSize, (page-1)*auditPageSize
	entries, total, err := audit.List(c.UserContext(), s.db, filter)
	if err != nil {
		return err
	}
	names, err := s.actorNames(c, entries)
	if err != nil {
		return err
	}
	data.Entries, data.Names, data.Total = entries, names, total
	q := form.values()
	data.CSVURL, data.Pager = listURL("/admin/audit.csv", q), pageLinks("/admin/audit", q, page, page*auditPageSize < total, "")
	return s.renderPage(c, fiber.StatusOK, "audit/list", data)
}

// auditLogPage is the data of audit/list.html: the filter form, and the
// entries when it is valid.
type auditLogPage struct {
	layout
	Form     auditForm
	Actions  []string // every action in the log, for the filter
	Families []string // their prefixes ("user."), for the filter
	Entries  []audit.Entry
	Names    map[string]string // actor: a person's name
	Total    int               // entries matching, on every page
	CSVURL   string
	Pager    pager
}

// auditExport downloads the filtered log as CSV, oldest first, with each
// entry's hashes so the file can be checked against the chain. The export
// is itself audited.
func (s *Server) auditExport(c *fiber.Ctx) error {
	form, filter, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	if !form.Valid() {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "The filter is not valid: go back to the audit log and correct it.")
	}
	me := currentUser(c)
	now := s.now()
	// The entry names a person filtered on by id, never by email: the log
	// outlives the email once retention pseudonymises them.
	named := form
	if filter.ActorID != nil {
		named.Who = "user:" + strconv.FormatInt(*filter.ActorID, 10)
	}
	detail := named.values().Encode()
	if len(detail) > 500 {
		detail = detail[:500]
	}
	if err := s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
		return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(now, "audit.export", "audit_log", detail))
	}); err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csvout.NewWriter(&buf)
	w.Write([]string{"id", "at", "actor_id", "actor", "action", "target", "detail", "prev_hash", "hash"})
	err = audit.Stream(c.UserContext(), s.db, filter, func(e audit.Entry) error {
		actorID := ""
		if e.ActorID != nil {
			actorID = strconv.FormatInt(*e.ActorID, 10)
		}
		return w.Write([]string{strconv.FormatInt(e.ID, 10), csvout.Time(e.At), actorID,
			e.Actor, e.Action, e.Target, e.Detail, e.PrevHash, e.Hash})
	})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, csvout.ContentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="steward-audit-%s.csv"`, now.Format("20060102-150405")))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// actionFamilies are the prefixes of actions ("login." for login.success
// and login.failure) that have more than one action, for the filter.
func actionFamilies(actions []string) []string {
	n := map[string]int{}
	var out []string
	for _, a := range actions {
		if i := strings.IndexByte(a, '.'); i > 0 {
			p := a[:i+1]
			if n[p]++; n[p] == 2 {
				out = append(out, p)
			}
		}
	}
	return out
}

// actorNames maps the actor labels of entries that are people ("user:12")
// to their names today, for reading; the log itself keeps only the label.
func (s *Server) actorNames(c *fiber.Ctx, entries []audit.Entry) (map[string]string, error) {
	names := map[string]string{}
	for _, e := range entries {
		if e.ActorID == nil {
			continue
		}
		if _, done := names[e.Actor]; done {
			continue
		}
		u, err := s.people.Get(c.UserContext(), *e.ActorID)
		switch {
		case errors.Is(err, people.ErrNotFound):
			names[e.Actor] = ""
		case err != nil:
			return nil, err
		default:
			names[e.Actor] = u.Name
		}
	}
	return names, nil
}

// recordExport writes the audit entry of an export before it is sent: who
// took which data out of Steward, and when.
func (s *Server) recordExport(c *fiber.Ctx, action, target, detail string) error {
	me := currentUser(c)
	return s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
		return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(s.now(), action, target, detail))
	})
}
