package handlers

import (
	"errors"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/org"
	"steward/internal/validator"
	"steward/policies"
)

// newPolicyForm creates a policy.
type newPolicyForm struct {
	Slug          string
	Title         string
	Audience      string
	RequiresAck   bool
	AckWithinDays string
	ReackMonths   string
	validator.Validator
}

// draftForm edits the draft's text and describes the change.
type draftForm struct {
	Body      string
	Summary   string
	KeyPoints string // one a line
	Change    string
	validator.Validator
}

// KeyPointList is the key points as the public page will list them.
func (f draftForm) KeyPointList() []string { return policies.KeyPointsFromText(f.KeyPoints) }

// publishForm publishes the saved draft now or from a date, as a change
// of the kind the publisher chooses (never chosen for them).
type publishForm struct {
	Change string // "material" or "minor"; no default
	When   string // "now" or "date"
	Date   string // YYYY-MM-DD
	Time   string // HH:MM, UTC; optional
	Reason string // why a material public change gives less notice
	validator.Validator
}

// addValidation copies the store's field messages beside the form's fields.
func addValidation(v *validator.Validator, err error, rename map[string]string) bool {
	var ve *policies.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for field, msg := range ve.Fields {
		if to, ok := rename[field]; ok {
			field = to
		}
		v.AddFieldError(field, strings.ToUpper(msg[:1])+msg[1:]+".")
	}
	return true
}

// adminPolicies lists every policy with where its versions stand.
func (s *Server) adminPolicies(c *fiber.Ctx) error {
	now := s.now()
	ts, err := s.policies.Timelines(c.UserContext(), "")
	if err != nil {
		return err
	}
	type row struct {
		Policy  policies.Policy
		Current *policies.Version
		Next    *policies.Version
	}
	rows := make([]row, 0, len(ts))
	for _, t := range ts {
		r := row{Policy: t.Policy}
		if v, ok := t.InEffect(now); ok {
			r.Current = &v
		}
		if v, ok := t.Next(now); ok {
			r.Next = &v
		}
		rows = append(rows, r)
	}
	return s.render(c, fiber.StatusOK, "policies/admin_list", fiber.Map{"Title": "Policies", "Rows": rows})
}

func (s *Server) adminPolicyNewForm(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "policies/admin_new", fiber.Map{"Title": "New policy",
		"Form": newPolicyForm{Audience: string(policies.Public), AckWithinDays: "14", ReackMonths: "0"}})
}

func (s *Server) adminPolicyCreate(c *fiber.Ctx) error {
	f := newPolicyForm{
		Slug: strings.TrimSpace(c.FormValue("slug")), Title: strings.TrimSpace(c.FormValue("title")),
		Audience: c.FormValue("audience"), RequiresAck: c.FormValue("requires_ack") == "on",
		AckWithinDays: strings.TrimSpace(c.FormValue("ack_within_days")), ReackMonths: strings.TrimSpace(c.FormValue("reack_months")),
	}
	st := policies.Settings{Slug: f.Slug, Title: f.Title, Audience: policies.Audience(f.Audience), RequiresAck: f.RequiresAck}
	f.Check(f.Slug != "new", "slug", "This word is reserved; choose another slug.")
	st.AckWithinDays = formInt(&f.Validator, "ack_within_days", f.AckWithinDays, 0)
	st.ReackMonths = formInt(&f.Validator, "reack_months", f.ReackMonths, 0)
	if !st.RequiresAck {
		st.AckWithinDays, st.ReackMonths = 0, 0
	}
	if f.Valid() {
		_, err := s.policies.CreatePolicy(c.UserContext(), st, s.now())
		switch {
		case errors.Is(err, policies.ErrSlugTaken):
			f.AddFieldError("slug", "Another policy already has this slug.")
		case addValidation(&f.Validator, err, map[string]string{
			"acknowledge": "requires_ack", "acknowledge_within_days": "ack_within_days", "reacknowledge_months": "reack_months"}):
		case err != nil:
			return err
		default:
			s.flash(c, "Policy created. Write its first version below.")
			return c.Redirect("/admin/policies/"+st.Slug, fiber.StatusSeeOther)
		}
	}
	return s.render(c, fiber.StatusUnprocessableEntity, "policies/admin_new", fiber.Map{"Title": "New policy", "Form": f})
}

// formInt parses a whole number field; empty means def.
func formInt(v *validator.Validator, field, raw string, def int) int {
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		v.AddFieldError(field, "Enter a whole number.")
		return def
	}
	return n
}

// adminPolicyPage is the editor: the versions so far, the draft with its
// preview, and publishing.
func (s *Server) adminPolicy(c *fiber.Ctx) error {
	p, versions, err := s.policies.Versions(c.UserContext(), c.Params("slug"))
	if err != nil {
		return policyError(err)
	}
	var f draftForm
	hasDraft := false
	for _, v := range versions {
		if v.Draft {
			f = draftForm{Body: v.BodyMD, Summary: v.Summary, KeyPoints: strings.Join(v.KeyPoints, "\n"), Change: string(v.ChangeKind)}
			hasDraft = true
		}
	}
	if !hasDraft && len(versions) > 0 {
		// Editing always starts from the latest published text.
		// Its source keeps the {{org.KEY}} placeholders the published
		// text has filled in.
		f.Body = versions[len(versions)-1].SourceMD
		f.KeyPoints = strings.Join(versions[len(versions)-1].KeyPoints, "\n")
	}
	return s.adminPolicyRender(c, fiber.StatusOK, p, versions, f, publishForm{}, "")
}

func (s *Server) adminPolicyRender(c *fiber.Ctx, status int, p policies.Policy, versions []policies.Version, f draftForm, pf publishForm, preview template.HTML) error {
	now := s.now()
	t := &policies.Timeline{Policy: p}
	var draft *policies.Version
	for _, v := range versions {
		if v.Draft {
			draft = &v
		} else {
			t.Versions = append(t.Versions, v)
		}
	}
	rows := make([]versionRow, 0, len(t.Versions))
	for i := len(t.Versions) - 1; i >= 0; i-- {
		rows = append(rows, versionRow{t.Versions[i], t.StatusOf(t.Versions[i], now)})
	}
	approval, err := s.approvalFor(c, p.Slug)
	if err != nil {
		return err
	}
	return s.renderPage(c, status, "policies/admin_edit", &policyEditPage{
		layout: layout{Title: p.Title}, Policy: p, Rows: rows, Draft: draft, Form: f, Publish: pf, Preview: preview,
		Approval:     approval,
		Translations: s.policyLags(c, p.Slug),
	})
}

// policyEditPage is the data of policies/admin_edit.html: the versions so
// far, the draft with its preview, and publishing.
type policyEditPage struct {
	layout
	Policy  policies.Policy
	Rows    []versionRow // published versions, newest first
	Draft   *policies.Version
	Form    draftForm
	Publish publishForm
	Preview template.HTML // the draft rendered, when asked for
	// Approval is where the draft stands on its way to publication
	// (policies_governance.go); nil without a draft.
	Approval *approvalBox
	// Translations is where each translation stands (policy_translations.go).
	Translations []lagRow
}

// versionRow is a published version and its status now.
type versionRow struct {
	V      policies.Version
	Status policies.Status
}

// adminDraftSave saves the draft, or renders a preview of it unsaved.
func (s *Server) adminDraftSave(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, versions, err := s.policies.Versions(ctx, c.Params("slug"))
	if err != nil {
		return policyError(err)
	}
	f := draftForm{Body: c.FormValue("body"), Summary: strings.TrimSpace(c.FormValue("summary")),
		KeyPoints: c.FormValue("key_points"), Change: c.FormValue("change")}
	in := policies.DraftInput{Body: f.Body, Summary: f.Summary, KeyPoints: policies.KeyPointsFromText(f.KeyPoints),
		ChangeKind: policies.ChangeKind(f.Change)}
	if err := in.Validate(); err != nil {
		addValidation(&f.Validator, err, nil)
		return s.adminPolicyRender(c, fiber.StatusUnprocessableEntity, p, versions, f, publishForm{}, "")
	}
	if c.FormValue("action") == "preview" {
		html, err := policies.Render(policies.NormalizeBody(f.Body))
		if err != nil {
			return err
		}
		// Sanitised by policies.Render; FillHTML escapes what it adds.
		html = org.FillHTML(html, s.brandNow().Settings)
		return s.adminPolicyRender(c, fiber.StatusOK, p, versions, f, publishForm{}, template.HTML(html))
	}
	if _, err := s.policies.SaveDraft(ctx, p.Slug, in, audit.UserActor(currentUser(c).ID), s.now()); err != nil {
		if addValidation(&f.Validator, err, nil) {
			return s.adminPolicyRender(c, fiber.StatusUnprocessableEntity, p, versions, f, publishForm{}, "")
		}
		return policyError(err)
	}
	s.flash(c, "Draft saved. It is not public until you publish it.")
	return c.Redirect("/admin/policies/"+p.Slug, fiber.StatusSeeOther)
}

// adminDraftDelete discards the draft.
func (s *Server) adminDraftDelete(c *fiber.Ctx) error {
	_, d, err := s.policies.Draft(c.UserContext(), c.Params("slug"))
	if err != nil {
		return policyError(err)
	}
	if err := s.policies.DeleteDraft(c.UserContext(), d.ID); err != nil {
		return policyError(err)
	}
	s.flash(c, "Draft discarded.")
	return c.Redirect("/admin/policies/"+c.Params("slug"), fiber.StatusSeeOther)
}

// publishConfirmPage is the data of policies/admin_publish.html: the
// publisher's choices and, once they are valid, exactly what publishing
// will do (policies.PlanPublish).
type publishConfirmPage struct {
	layout
	Policy policies.Policy
	Draft  policies.Version
	Form   publishForm
	// Plan is nil until the choices are valid.
	Plan *policies.PublishPlan
	// NoticeDays and Earliest state the notice rule for a public policy.
	NoticeDays int
	Earliest   time.Time
}

// readPublishForm reads the publisher's choices, from the query (the
// confirmation page) or the form (the publication), into the domain's
// input; the form's errors are the ones no domain rule needs.
func readPublishForm(c *fiber.Ctx, now time.Time) (publishForm, policies.PublishInput) {
	get := c.FormValue
	if c.Method() == fiber.MethodGet {
		get = func(k string, _ ...string) string { return c.Query(k) }
	}
	pf := publishForm{Change: get("change"), When: get("when"), Date: strings.TrimSpace(get("date")),
		Time: strings.TrimSpace(get("time")), Reason: get("reason")}
	in := policies.PublishInput{Kind: policies.ChangeKind(pf.Change), ShortNoticeReason: pf.Reason}
	if in.Kind != policies.Material && in.Kind != policies.Minor {
		pf.Change = ""
		pf.AddFieldError("change", "Choose whether the change is material or minor: nothing is assumed.")
	}
	switch pf.When {
	case "now":
	case "date":
		in.Effective = parseEffective(&pf, now)
	default:
		pf.When = ""
		pf.AddFieldError("when", "Choose now or a date.")
	}
	return pf, in
}

// publishPlanFields renames the domain's fields to the form's.
var publishPlanFields = map[string]string{"effective": "date"}

// adminPublishConfirm states what publishing the draft with the chosen
// kind and date would do, before anything is done. Opened from the
// editor without choices, it asks for them.
func (s *Server) adminPublishConfirm(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, d, err := s.policies.Draft(ctx, c.Params("slug"))
	if errors.Is(err, policies.ErrNoDraft) {
		return s.publishWithoutDraft(c)
	}
	if err != nil {
		return policyError(err)
	}
	now := s.now()
	page := s.publishPage(p, d, now)
	if c.Query("check") == "" {
		return s.renderPage(c, fiber.StatusOK, "policies/admin_publish", page)
	}
	pf, in := readPublishForm(c, now)
	if pf.Valid() {
		plan, err := s.policies.PlanPublish(ctx, p.Slug, in, now)
		switch {
		case publishProblem(&pf, err):
		case errors.Is(err, policies.ErrNotApproved):
			page.Form = notApprovedForm(pf)
			return s.renderPage(c, fiber.StatusConflict, "policies/admin_publish", page)
		case err != nil:
			return policyError(err)
		default:
			page.Plan = &plan
		}
	}
	page.Form = pf
	status := fiber.StatusOK
	if !pf.Valid() {
		status = fiber.StatusUnprocessableEntity
	}
	return s.renderPage(c, status, "policies/admin_publish", page)
}

// publishWithoutDraft answers a publication of a policy that has no
// saved draft: its editor, saying so.
func (s *Server) publishWithoutDraft(c *fiber.Ctx) error {
	p, versions, err := s.policies.Versions(c.UserContext(), c.Params("slug"))
	if err != nil {
		return policyError(err)
	}
	var pf publishForm
	pf.AddFormError("There is no saved draft to publish. Write the new version and save it first.")
	return s.adminPolicyRender(c, fiber.StatusUnprocessableEntity, p, versions, draftForm{}, pf, "")
}

// publishPage is the confirmation page of publishing draft d of p at now,
// before the publisher's choices are read.
func (s *Server) publishPage(p policies.Policy, d policies.Version, now time.Time) *publishConfirmPage {
	days := s.policies.NoticeDays()
	return &publishConfirmPage{layout: layout{Title: "Publish " + p.Title}, Policy: p, Draft: d,
		NoticeDays: days, Earliest: policies.NoticeEarliest(now, days)}
}

// notApprovedForm is the publish form saying that the draft needs an
// approval first.
func notApprovedForm(pf publishForm) publishForm {
	pf.AddFormError(msgNotApproved)
	return pf
}

// publishProblem puts the domain's reasons for refusing a publication
// beside the form's fields, and reports whether there were any.
func publishProblem(pf *publishForm, err error) bool {
	if !addValidation(&pf.Validator, err, publishPlanFields) {
		return false
	}
	if msg, ok := pf.FieldErrors["body"]; ok {
		// The draft names organisation settings not set yet.
		delete(pf.FieldErrors, "body")
		pf.AddFormError("The draft " + strings.ToLower(msg[:1]) + msg[1:])
	}
	return true
}

// adminPublish publishes the saved draft as the confirmation page said:
// the same choices, planned again and carried out in one transaction.
func (s *Server) adminPublish(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, d, err := s.policies.Draft(ctx, c.Params("slug"))
	if errors.Is(err, policies.ErrNoDraft) {
		return s.publishWithoutDraft(c)
	}
	if err != nil {
		return policyError(err)
	}
	now := s.now()
	pf, in := readPublishForm(c, now)
	if pf.Valid() {
		v, plan, err := s.policies.Publish(ctx, p.Slug, in, audit.UserActor(currentUser(c).ID), now)
		switch {
		case publishProblem(&pf, err):
		case errors.Is(err, policies.ErrNotApproved):
			page := s.publishPage(p, d, now)
			page.Form = notApprovedForm(pf)
			return s.renderPage(c, fiber.StatusConflict, "policies/admin_publish", page)
		case err != nil:
			return policyError(err)
		default:
			msg := "Version " + strconv.Itoa(v.Number) + " is published and in effect now."
			if plan.Scheduled() {
				msg = "Version " + strconv.Itoa(v.Number) + " is published and scheduled: it takes effect on " + v.EffectiveAt.Format("2 Jan 2006 15:04 UTC") + "."
			}
			if plan.Subscribers > 0 {
				msg += " " + plural(plan.Subscribers, "subscriber") + " will get an email now."
			}
			if plan.StaffToAck > 0 {
				msg += " " + plural(plan.StaffToAck, "staff member") + " will be asked to acknowledge it when it takes effect."
			}
			s.flash(c, msg)
			return c.Redirect("/admin/policies/"+p.Slug, fiber.StatusSeeOther)
		}
	}
	page := s.publishPage(p, d, now)
	page.Form = pf
	return s.renderPage(c, fiber.StatusUnprocessableEntity, "policies/admin_publish", page)
}

// parseEffective reads the date and optional time (UTC) of a scheduled
// publication, which must be in the future.
func parseEffective(pf *publishForm, now time.Time) time.Time {
	if pf.Date == "" {
		pf.AddFieldError("date", "Enter the date the new version takes effect.")
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, pf.Date)
	if err != nil {
		pf.AddFieldError("date", "Enter a date like 2026-12-31.")
		// A date input cannot show text that is not a date.
		pf.Date = ""
		return time.Time{}
	}
	if pf.Time != "" {
		tm, err := time.Parse("15:04", pf.Time)
		if err != nil {
			pf.AddFieldError("time", "Enter a time like 09:00, or leave it empty for midnight UTC.")
			return time.Time{}
		}
		d = d.Add(time.Duration(tm.Hour())*time.Hour + time.Duration(tm.Minute())*time.Minute)
	}
	if !d.After(now) {
		pf.AddFieldError("date", "Choose a moment in the future, or publish now.")
	}
	return d
}
