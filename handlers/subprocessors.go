package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/csvout"
	"steward/internal/org"
	"steward/internal/subprocessors"
	"steward/internal/translog"
	"steward/internal/validator"
	"steward/policies"
)

// subprocessorError maps the register's errors to HTTP errors.
func subprocessorError(err error) error {
	switch {
	case errors.Is(err, subprocessors.ErrNotFound):
		return fiber.NewError(fiber.StatusNotFound, "There is no such subprocessor or version of the register.")
	case errors.Is(err, subprocessors.ErrNothingToPublish):
		return fiber.NewError(fiber.StatusConflict, "The draft is the same as the last published version: change an entry first.")
	}
	return err
}

// subprocessorFieldErrors copies the store's field messages beside the form's fields.
func subprocessorFieldErrors(v *validator.Validator, err error) bool {
	var ve *subprocessors.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for field, msg := range ve.Fields {
		v.AddFieldError(field, strings.ToUpper(msg[:1])+msg[1:]+".")
	}
	return true
}

// objectionContact is where customers object to a change: the privacy
// contact, else the public contact address.
func (s *Server) objectionContact() string {
	b := s.brandNow()
	if c := b.Settings.Fact(org.PrivacyContact); c != "" {
		return c
	}
	return b.Contact
}

// mentionView is an entry in effect with the public policies that name it.
type mentionView struct {
	Name     string
	Policies []subprocessors.Document
}

// policyMentions lists, for each entry, the public policies in effect at
// now that name it (subprocessors.Mentions is the rule).
func (s *Server) policyMentions(ctx context.Context, es []subprocessors.Entry, now time.Time) (map[int64][]subprocessors.Document, error) {
	ts, err := s.policies.Timelines(ctx, policies.Public)
	if err != nil {
		return nil, err
	}
	var docs []subprocessors.Document
	for _, t := range ts {
		if v, ok := t.InEffect(now); ok {
			docs = append(docs, subprocessors.Document{Slug: t.Policy.Slug, Title: t.Policy.Title, Text: v.BodyMD})
		}
	}
	return subprocessors.Mentions(es, docs), nil
}

// subprocessorVersionView is a version with its place in the register.
type subprocessorVersionView struct {
	subprocessors.Version
	Status   string // "in effect", "scheduled", "superseded"
	Previous int    // the version before, 0 for the first
}

func subprocessorViews(r subprocessors.Register, now time.Time) []subprocessorVersionView {
	out := make([]subprocessorVersionView, 0, len(r.Versions))
	for _, v := range r.Versions {
		st := "superseded"
		switch {
		case !v.InEffect(now):
			st = "scheduled"
		case r.Current != nil && r.Current.Number == v.Number:
			st = "in effect"
		}
		out = append(out, subprocessorVersionView{Version: v, Status: st, Previous: v.Number - 1})
	}
	return out
}

// upcomingView is a scheduled version with the changes it makes.
type upcomingView struct {
	subprocessors.Version
	Changes subprocessors.Changes
}

// subprocessorsPage is the register as customers read it: in effect now,
// what is scheduled and when, how to object, and every version.
func (s *Server) subprocessorsPage(c *fiber.Ctx) error {
	now := s.now()
	r, err := s.subprocessors.Register(c.UserContext(), now)
	if err != nil {
		return err
	}
	var ups []upcomingView
	for _, u := range r.Upcoming {
		var before []subprocessors.Entry
		if p := u.Number - 1; p > 0 {
			for _, v := range r.Versions {
				if v.Number == p {
					before = v.Entries
				}
			}
		}
		ups = append(ups, upcomingView{Version: u, Changes: subprocessors.Diff(before, u.Entries)})
	}
	var named []mentionView
	if r.Current != nil {
		m, err := s.policyMentions(c.UserContext(), r.Current.Entries, now)
		if err != nil {
			return err
		}
		for _, e := range r.Current.Entries {
			if ps := m[e.ID]; len(ps) > 0 {
				named = append(named, mentionView{Name: e.Name, Policies: ps})
			}
		}
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return s.render(c, fiber.StatusOK, "subprocessors/index", fiber.Map{
		"Title": "Subprocessors", "Current": r.Current, "Upcoming": ups, "Named": named,
		"Feed":     feedLink{URL: "/subprocessors/feed.atom", Title: "Subprocessor changes"},
		"Versions": subprocessorViews(r, now), "Fields": subprocessors.Fields,
		"Contact": s.objectionContact(), "NoticeDays": s.subprocessors.NoticeDays(),
		"Form": struct {
			Email string
			validator.Validator
		}{},
	})
}

// subprocessorVersion shows one version of the register as published.
func (s *Server) subprocessorVersion(c *fiber.Ctx) error {
	n, err := versionParam(c, "n")
	if err != nil {
		return err
	}
	v, err := s.subprocessors.Version(c.UserContext(), n)
	if err != nil {
		return subprocessorError(err)
	}
	return s.render(c, fiber.StatusOK, "subprocessors/version", fiber.Map{
		"Title": fmt.Sprintf("Subprocessors: version %d", n), "Version": v, "Fields": subprocessors.Fields,
		"InEffect": v.InEffect(s.now()), "Previous": n - 1,
	})
}

// subprocessorDiff is the redline between two versions: what was added,
// removed and changed, field by field.
func (s *Server) subprocessorDiff(c *fiber.Ctx) error {
	a, err := versionParam(c, "a")
	if err != nil {
		return err
	}
	b, err := versionParam(c, "b")
	if err != nil {
		return err
	}
	if a >= b {
		return fiber.NewError(fiber.StatusBadRequest, "Compare an older version with a newer one: the first number must be smaller than the second.")
	}
	va, err := s.subprocessors.Version(c.UserContext(), a)
	if err != nil {
		return subprocessorError(err)
	}
	vb, err := s.subprocessors.Version(c.UserContext(), b)
	if err != nil {
		return subprocessorError(err)
	}
	return s.render(c, fiber.StatusOK, "subprocessors/diff", fiber.Map{
		"Title": fmt.Sprintf("Subprocessors: changes from version %d to %d", a, b),
		"A":     va, "B": vb, "Changes": subprocessors.Diff(va.Entries, vb.Entries), "Fields": subprocessors.Fields,
	})
}

// subprocessorFeed is the Atom feed of the register's versions.
func (s *Server) subprocessorFeed(c *fiber.Ctx) error {
	vs, err := s.subprocessors.Versions(c.UserContext())
	if err != nil {
		return err
	}
	body, err := subprocessors.Feed(s.cfg.BaseURL.String(), s.brandNow().Name, vs)
	if err != nil {
		return err
	}
	return sendPage(c, newPage(body, mimeAtom), "public, max-age=300")
}

// subprocessorsCSV is the register in effect as a spreadsheet, the same
// entries and columns as the page.
func (s *Server) subprocessorsCSV(c *fiber.Ctx) error {
	r, err := s.subprocessors.Register(c.UserContext(), s.now())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csvout.NewWriter(&buf)
	head := make([]string, 0, len(subprocessors.Fields))
	for _, f := range subprocessors.Fields {
		head = append(head, f.Label)
	}
	if err := w.Write(head); err != nil {
		return err
	}
	if r.Current != nil {
		for _, e := range r.Current.Entries {
			row := make([]string, 0, len(subprocessors.Fields))
			for _, f := range subprocessors.Fields {
				row = append(row, f.Value(e))
			}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="subprocessors.csv"`)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.Send(buf.Bytes())
}

// apiSubprocessorVersion is a version in the JSON API.
type apiSubprocessorVersion struct {
	Number            int               `json:"number"`
	Status            string            `json:"status"`
	EffectiveAt       time.Time         `json:"effective_at"`
	PublishedAt       time.Time         `json:"published_at"`
	Summary           string            `json:"summary"`
	ShortNoticeReason string            `json:"short_notice_reason,omitempty"`
	URL               string            `json:"url"`
	Subprocessors     []apiSubprocessor `json:"subprocessors"`
}

// apiSubprocessor is an entry in the JSON API.
// Its published fields are translog.RegisterEntry's, so that what the
// transparency log hashes is exactly what a reader is served.
type apiSubprocessor struct {
	translog.RegisterEntry
	// NamedIn lists the public policies in effect that name it (current only).
	NamedIn []string `json:"named_in_policies,omitempty"`
}

// registerEntry is an entry as the register publishes it.
func registerEntry(e subprocessors.Entry) translog.RegisterEntry {
	return translog.RegisterEntry{Name: e.Name, Purpose: e.Purpose, DataCategories: e.DataCategories,
		Locations: e.Locations, TransferMechanism: e.TransferMechanism, Since: subprocessors.SinceText(e.Since)}
}

// apiSubprocessors is the register in JSON: the version in effect, those
// scheduled, and every version, each with its whole list.
func (s *Server) apiSubprocessors(c *fiber.Ctx) error {
	now := s.now()
	r, err := s.subprocessors.Register(c.UserContext(), now)
	if err != nil {
		return err
	}
	var named map[int64][]subprocessors.Document
	if r.Current != nil {
		if named, err = s.policyMentions(c.UserContext(), r.Current.Entries, now); err != nil {
			return err
		}
	}
	base := strings.TrimRight(s.cfg.BaseURL.String(), "/")
	out := struct {
		Current     *apiSubprocessorVersion  `json:"current"`
		Upcoming    []apiSubprocessorVersion `json:"upcoming"`
		Versions    []apiSubprocessorVersion `json:"versions"`
		NoticeDays  int                      `json:"notice_days"`
		ObjectionTo string                   `json:"objections_to,omitempty"`
	}{Upcoming: []apiSubprocessorVersion{}, Versions: []apiSubprocessorVersion{},
		NoticeDays: s.subprocessors.NoticeDays(), ObjectionTo: s.objectionContact()}
	for _, v := range subprocessorViews(r, now) {
		a := apiSubprocessorVersion{Number: v.Number, Status: v.Status, EffectiveAt: v.EffectiveAt, PublishedAt: v.PublishedAt,
			Summary: v.Summary, ShortNoticeReason: v.ShortNoticeReason, URL: base + "/subprocessors/v/" + strconv.Itoa(v.Number),
			Subprocessors: []apiSubprocessor{}}
		for _, e := range v.Entries {
			ae := apiSubprocessor{RegisterEntry: registerEntry(e)}
			if v.Status == "in effect" {
				for _, d := range named[e.ID] {
					ae.NamedIn = append(ae.NamedIn, base+"/policies/"+d.Slug)
				}
			}
			a.Subprocessors = append(a.Subprocessors, ae)
		}
		out.Versions = append(out.Versions, a)
		switch v.Status {
		case "in effect":
			cur := a
			out.Current = &cur
		case "scheduled":
			out.Upcoming = append([]apiSubprocessorVersion{a}, out.Upcoming...)
		}
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(out)
}

// subprocessorForm adds or edits an entry of the draft.
type subprocessorForm struct {
	subprocessors.EntryInput
	validator.Validator
}

// subprocessorPublishForm publishes the draft change set.
type subprocessorPublishForm struct {
	Summary, Effective, Reason string
	validator.Validator
}

func entryFormOf(e subprocessors.Entry) subprocessorForm {
	return subprocessorForm{EntryInput: subprocessors.EntryInput{Name: e.Name, Purpose: e.Purpose,
		DataCategories: e.DataCategories, Locations: e.Locations, TransferMechanism: e.TransferMechanism,
		Since: subprocessors.SinceText(e.Since)}}
}

func entryFormFrom(c *fiber.Ctx) subprocessorForm {
	return subprocessorForm{EntryInput: subprocessors.EntryInput{Name: c.FormValue("name"), Purpose: c.FormValue("purpose"),
		DataCategories: c.FormValue("data_categories"), Locations: c.FormValue("locations"),
		TransferMechanism: c.FormValue("transfer_mechanism"), Since: c.FormValue("since")}}
}

// adminSubprocessors is the draft register, its change set, the form to
// add an entry and the form to publish.
func (s *Server) adminSubprocessors(c *fiber.Ctx) error {
	now := s.now()
	return s.adminSubprocessorsRender(c, fiber.StatusOK, subprocessorForm{},
		subprocessorPublishForm{Effective: subprocessors.Earliest(now, s.subprocessors.NoticeDays()).Format(time.DateOnly)})
}

func (s *Server) adminSubprocessorsRender(c *fiber.Ctx, status int, f subprocessorForm, pf subprocessorPublishForm) error {
	ctx := c.UserContext()
	now := s.now()
	d, err := s.subprocessors.Draft(ctx)
	if err != nil {
		return err
	}
	pending, err := s.subprocessors.Pending(ctx)
	if err != nil {
		return err
	}
	r, err := s.subprocessors.Register(ctx, now)
	if err != nil {
		return err
	}
	return s.render(c, status, "subprocessors/admin", fiber.Map{
		"Title": "Subprocessors", "Draft": d, "Pending": pending, "Form": f, "Publish": pf,
		"Versions": subprocessorViews(r, now), "NoticeDays": s.subprocessors.NoticeDays(),
		"Earliest":     subprocessors.Earliest(now, s.subprocessors.NoticeDays()),
		"FirstVersion": len(r.Versions) == 0,
	})
}

// adminSubprocessorAdd adds an entry to the draft.
func (s *Server) adminSubprocessorAdd(c *fiber.Ctx) error {
	f := entryFormFrom(c)
	e, err := s.subprocessors.SaveEntry(c.UserContext(), audit.UserActor(currentUser(c).ID), 0, f.EntryInput, s.now())
	if subprocessorFieldErrors(&f.Validator, err) {
		now := s.now()
		return s.adminSubprocessorsRender(c, fiber.StatusUnprocessableEntity, f,
			subprocessorPublishForm{Effective: subprocessors.Earliest(now, s.subprocessors.NoticeDays()).Format(time.DateOnly)})
	}
	if err != nil {
		return subprocessorError(err)
	}
	s.flash(c, e.Name+" is in the draft. Customers see it once you publish the change set.")
	return c.Redirect("/admin/subprocessors", fiber.StatusSeeOther)
}

func entryID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fiber.NewError(fiber.StatusNotFound, "There is no such subprocessor or version of the register.")
	}
	return id, nil
}

// adminSubprocessor is the form to change or remove one draft entry.
func (s *Server) adminSubprocessor(c *fiber.Ctx) error {
	id, err := entryID(c)
	if err != nil {
		return err
	}
	e, err := s.subprocessors.Entry(c.UserContext(), id)
	if err != nil {
		return subprocessorError(err)
	}
	return s.render(c, fiber.StatusOK, "subprocessors/admin_entry", fiber.Map{
		"Title": "Change " + e.Name, "Entry": e, "Form": entryFormOf(e)})
}

// adminSubprocessorSave changes one draft entry.
func (s *Server) adminSubprocessorSave(c *fiber.Ctx) error {
	id, err := entryID(c)
	if err != nil {
		return err
	}
	e, err := s.subprocessors.Entry(c.UserContext(), id)
	if err != nil {
		return subprocessorError(err)
	}
	f := entryFormFrom(c)
	saved, err := s.subprocessors.SaveEntry(c.UserContext(), audit.UserActor(currentUser(c).ID), id, f.EntryInput, s.now())
	if subprocessorFieldErrors(&f.Validator, err) {
		return s.render(c, fiber.StatusUnprocessableEntity, "subprocessors/admin_entry", fiber.Map{
			"Title": "Change " + e.Name, "Entry": e, "Form": f})
	}
	if err != nil {
		return subprocessorError(err)
	}
	s.flash(c, saved.Name+" is changed in the draft. Customers see it once you publish the change set.")
	return c.Redirect("/admin/subprocessors", fiber.StatusSeeOther)
}

// adminSubprocessorRemove takes an entry out of the draft.
func (s *Server) adminSubprocessorRemove(c *fiber.Ctx) error {
	id, err := entryID(c)
	if err != nil {
		return err
	}
	e, err := s.subprocessors.Entry(c.UserContext(), id)
	if err != nil {
		return subprocessorError(err)
	}
	if err := s.subprocessors.RemoveEntry(c.UserContext(), audit.UserActor(currentUser(c).ID), id, s.now()); err != nil {
		return subprocessorError(err)
	}
	s.flash(c, e.Name+" is out of the draft. Customers see the removal once you publish the change set.")
	return c.Redirect("/admin/subprocessors", fiber.StatusSeeOther)
}

// adminSubprocessorPublish publishes the draft change set.
func (s *Server) adminSubprocessorPublish(c *fiber.Ctx) error {
	pf := subprocessorPublishForm{Summary: c.FormValue("summary"), Effective: strings.TrimSpace(c.FormValue("effective")),
		Reason: c.FormValue("reason")}
	v, err := s.subprocessors.Publish(c.UserContext(), audit.UserActor(currentUser(c).ID),
		subprocessors.PublishInput{Summary: pf.Summary, Effective: pf.Effective, Reason: pf.Reason}, s.now())
	switch {
	case subprocessorFieldErrors(&pf.Validator, err):
		if _, bad := pf.FieldErrors["effective"]; bad {
			if _, perr := time.Parse(time.DateOnly, pf.Effective); perr != nil {
				pf.Effective = "" // a date input cannot show text that is not a date
			}
		}
		return s.adminSubprocessorsRender(c, fiber.StatusUnprocessableEntity, subprocessorForm{}, pf)
	case errors.Is(err, subprocessors.ErrNothingToPublish):
		pf.AddFormError("The draft is the same as the last published version: add, change or remove an entry first.")
		return s.adminSubprocessorsRender(c, fiber.StatusUnprocessableEntity, subprocessorForm{}, pf)
	case err != nil:
		return err
	}
	s.flash(c, fmt.Sprintf("Version %d of the register is published: it takes effect on %s, and subscribers are told.",
		v.Number, v.EffectiveAt.Format("2 Jan 2006")))
	return c.Redirect("/admin/subprocessors", fiber.StatusSeeOther)
}
