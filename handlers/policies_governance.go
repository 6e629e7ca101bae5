package handlers

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/people"
	"steward/internal/validator"
	"steward/policies"
)

// Messages for a publication or approval step that is refused.
const (
	msgNotApproved = "This draft is not approved, so it cannot be published or scheduled. Submit it for approval; an approver who did not write it approves it. (With one admin, turn four-eyes approval off on the policy's governance page.)"
	msgOwnDraft    = "You last changed this draft, so someone else must approve it: four-eyes approval is on for this policy."
	msgNotApprover = "Only this policy's approvers can approve a draft or send it back (see its governance page)."
	msgNotSubmit   = "This draft is not waiting for approval: submit it first."
	msgSubmitted   = "This draft is already submitted or approved. Change it to submit it again."
	msgNoReview    = "Nothing is published yet, so there is nothing to review."
)

// governanceError maps the domain's refusals of a governance step to a
// status and a message the person can act on.
func governanceError(err error) error {
	switch {
	case errors.Is(err, policies.ErrNotApproved):
		return fiber.NewError(fiber.StatusConflict, msgNotApproved)
	case errors.Is(err, policies.ErrOwnDraft):
		return fiber.NewError(fiber.StatusConflict, msgOwnDraft)
	case errors.Is(err, policies.ErrNotApprover):
		return fiber.NewError(fiber.StatusForbidden, msgNotApprover)
	case errors.Is(err, policies.ErrNotSubmitted):
		return fiber.NewError(fiber.StatusConflict, msgNotSubmit)
	case errors.Is(err, policies.ErrAlreadySubmitted):
		return fiber.NewError(fiber.StatusConflict, msgSubmitted)
	case errors.Is(err, policies.ErrNothingToReview):
		return fiber.NewError(fiber.StatusConflict, msgNoReview)
	}
	return policyError(err)
}

// approvalBox is where the draft stands on its way to publication, shown
// beside the draft on the editor.
type approvalBox struct {
	State    policies.ApprovalState
	Last     *policies.Approval
	Author   string // who last changed the content; "" when not a person
	Mine     bool   // the signed-in admin is the author
	FourEyes bool
}

// approvalFor reads the draft's approval for the editor; nil without a
// draft.
func (s *Server) approvalFor(c *fiber.Ctx, slug string) (*approvalBox, error) {
	ctx := c.UserContext()
	_, _, st, err := s.policies.DraftApprovalOf(ctx, slug)
	if errors.Is(err, policies.ErrNoDraft) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	_, g, err := s.policies.GovernanceOf(ctx, slug)
	if err != nil {
		return nil, err
	}
	box := &approvalBox{State: st.State, Last: st.Last, FourEyes: g.FourEyes}
	if st.AuthorID != nil {
		if u, err := s.people.Get(ctx, *st.AuthorID); err == nil {
			box.Author = u.Name
		}
		box.Mine = currentUser(c) != nil && currentUser(c).ID == *st.AuthorID
	}
	return box, nil
}

// governanceForm names the owner and approvers and sets the cadence.
type governanceForm struct {
	Owner        string   // a user id, or "" for none
	Approvers    []string // user ids
	ReviewMonths string
	validator.Validator
}

// Has reports whether the form names the person as an approver.
func (f governanceForm) Has(id int64) bool {
	for _, a := range f.Approvers {
		if a == strconv.FormatInt(id, 10) {
			return true
		}
	}
	return false
}

// fourEyesForm turns four-eyes approval off (with a reason) or on.
type fourEyesForm struct {
	Reason string
	validator.Validator
}

// reviewForm records "reviewed, no change".
type reviewForm struct {
	Note string
	validator.Validator
}

// policyGovernancePage is the data of policies/governance.html: a
// policy's owner, approvers, four-eyes state and review schedule, with
// every approval step and review, for admins and auditors; admins also
// get the forms.
type policyGovernancePage struct {
	layout
	Policy    policies.Policy
	G         policies.Governance
	Standing  policies.ReviewStanding
	Admins    []people.User // who may be owner or approver
	Approvals []policies.Approval
	Reviews   []policies.Review
	Form      governanceForm
	FourEyes  fourEyesForm
	Review    reviewForm
}

func (s *Server) policyGovernance(c *fiber.Ctx) error {
	return s.governanceRender(c, fiber.StatusOK, nil)
}

// governanceRender renders the governance page; edit, when set, fills in
// the forms as the admin sent them, with their errors.
func (s *Server) governanceRender(c *fiber.Ctx, status int, edit func(pg *policyGovernancePage)) error {
	ctx := c.UserContext()
	now := s.now()
	p, g, err := s.policies.GovernanceOf(ctx, c.Params("slug"))
	if err != nil {
		return policyError(err)
	}
	pg := &policyGovernancePage{layout: layout{Title: "Governance: " + p.Title}, Policy: p, G: g,
		Form: governanceForm{ReviewMonths: strconv.Itoa(g.ReviewMonths)}}
	if g.Owner != nil {
		pg.Form.Owner = strconv.FormatInt(g.Owner.ID, 10)
	}
	for _, a := range g.Approvers {
		pg.Form.Approvers = append(pg.Form.Approvers, strconv.FormatInt(a.ID, 10))
	}
	sched, err := s.policies.ReviewSchedule(ctx, now)
	if err != nil {
		return err
	}
	for _, st := range sched {
		if st.Policy.ID == p.ID {
			pg.Standing = st
		}
	}
	if pg.Approvals, err = s.policies.Approvals(ctx, p.Slug); err != nil {
		return err
	}
	if pg.Reviews, err = s.policies.Reviews(ctx, p.Slug, now); err != nil {
		return err
	}
	if u := currentUser(c); u != nil && u.Role == people.RoleAdmin {
		if pg.Admins, _, err = s.people.List(ctx, people.Filter{Role: people.RoleAdmin, Limit: 500}); err != nil {
			return err
		}
	}
	if edit != nil {
		edit(pg)
	}
	return s.renderPage(c, status, "policies/governance", pg)
}

func governanceURL(slug string) string { return "/admin/policies/" + slug + "/governance" }

// policyGovernanceSave sets the owner, approvers and review cadence.
func (s *Server) policyGovernanceSave(c *fiber.Ctx) error {
	ctx := c.UserContext()
	slug := c.Params("slug")
	f := governanceForm{Owner: strings.TrimSpace(c.FormValue("owner")), ReviewMonths: strings.TrimSpace(c.FormValue("review_months"))}
	in := policies.GovernanceInput{}
	if f.Owner != "" {
		id, err := strconv.ParseInt(f.Owner, 10, 64)
		if err != nil {
			f.AddFieldError("owner", "Choose the owner from the list.")
		}
		in.OwnerID = &id
	}
	for _, raw := range c.Request().PostArgs().PeekMulti("approvers") {
		a := string(raw)
		f.Approvers = append(f.Approvers, a)
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			f.AddFieldError("approvers", "Choose the approvers from the list.")
			continue
		}
		in.Approvers = append(in.Approvers, id)
	}
	in.ReviewMonths = formInt(&f.Validator, "review_months", f.ReviewMonths, 12)
	if f.Valid() {
		err := s.policies.SetGovernance(ctx, slug, in, audit.UserActor(currentUser(c).ID), s.now())
		switch {
		case addValidation(&f.Validator, err, nil):
		case err != nil:
			return policyError(err)
		default:
			s.flash(c, "Owner, approvers and review cadence saved.")
			return c.Redirect(governanceURL(slug), fiber.StatusSeeOther)
		}
	}
	return s.governanceRender(c, fiber.StatusUnprocessableEntity, func(pg *policyGovernancePage) { pg.Form = f })
}

// policyFourEyes turns four-eyes approval off, with a reason, or on.
func (s *Server) policyFourEyes(c *fiber.Ctx) error {
	ctx := c.UserContext()
	slug := c.Params("slug")
	if _, _, err := s.policies.GovernanceOf(ctx, slug); err != nil {
		return policyError(err)
	}
	f := fourEyesForm{Reason: strings.TrimSpace(c.FormValue("reason"))}
	var enabled bool
	switch c.FormValue("four_eyes") {
	case "on":
		enabled = true
	case "off":
	default:
		f.AddFormError("Choose to turn four-eyes approval on or off.")
	}
	if f.Valid() {
		err := s.policies.SetFourEyes(ctx, slug, enabled, f.Reason, audit.UserActor(currentUser(c).ID), s.now())
		switch {
		case addValidation(&f.Validator, err, nil):
		case err != nil:
			return policyError(err)
		default:
			msg := "Four-eyes approval is on: a draft needs an approver who did not write it."
			if !enabled {
				msg = "Four-eyes approval is off for this policy. Auditors see when, by whom and why."
			}
			s.flash(c, msg)
			return c.Redirect(governanceURL(slug), fiber.StatusSeeOther)
		}
	}
	return s.governanceRender(c, fiber.StatusUnprocessableEntity, func(pg *policyGovernancePage) { pg.FourEyes = f })
}

// policyReview records "reviewed, no change".
func (s *Server) policyReview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	slug := c.Params("slug")
	f := reviewForm{Note: strings.TrimSpace(c.FormValue("note"))}
	err := s.policies.RecordReview(ctx, slug, f.Note, audit.UserActor(currentUser(c).ID), s.now())
	switch {
	case addValidation(&f.Validator, err, nil):
		return s.governanceRender(c, fiber.StatusUnprocessableEntity, func(pg *policyGovernancePage) { pg.Review = f })
	case err != nil:
		return governanceError(err)
	}
	s.flash(c, "Review recorded: reviewed, no change. The next review falls due in the policy's cadence from today.")
	return c.Redirect(governanceURL(slug), fiber.StatusSeeOther)
}

// draftStep runs a submit, approve or reject on the draft and returns to
// the editor.
func (s *Server) draftStep(c *fiber.Ctx, step func(slug string, by audit.Actor, now time.Time) error, done string) error {
	slug := c.Params("slug")
	if err := step(slug, audit.UserActor(currentUser(c).ID), s.now()); err != nil {
		var ve *policies.ValidationError
		if errors.As(err, &ve) {
			msg := ve.Fields["comment"]
			return fiber.NewError(fiber.StatusUnprocessableEntity, "The comment "+msg+": say why the draft goes back to its author, in at most 1,000 characters of plain text.")
		}
		return governanceError(err)
	}
	s.flash(c, done)
	return c.Redirect("/admin/policies/"+slug, fiber.StatusSeeOther)
}

func (s *Server) draftSubmit(c *fiber.Ctx) error {
	return s.draftStep(c, func(slug string, by audit.Actor, now time.Time) error {
		return s.policies.Submit(c.UserContext(), slug, by, now)
	}, "Draft submitted for approval. An approver who did not write it approves it or sends it back.")
}

func (s *Server) draftApprove(c *fiber.Ctx) error {
	comment := strings.TrimSpace(c.FormValue("comment"))
	return s.draftStep(c, func(slug string, by audit.Actor, now time.Time) error {
		return s.policies.Approve(c.UserContext(), slug, comment, by, now)
	}, "Draft approved. It can be published exactly as it is; any change needs approving again.")
}

func (s *Server) draftReject(c *fiber.Ctx) error {
	comment := strings.TrimSpace(c.FormValue("comment"))
	return s.draftStep(c, func(slug string, by audit.Actor, now time.Time) error {
		return s.policies.Reject(c.UserContext(), slug, comment, by, now)
	}, "Draft sent back to its author with your comment.")
}

// policyReviewsPage is the data of policies/reviews.html: every policy
// with its owner, last review and next review, overdue first.
type policyReviewsPage struct {
	layout
	Rows []policies.ReviewStanding
}

func (s *Server) policyReviews(c *fiber.Ctx) error {
	rows, err := s.policies.ReviewSchedule(c.UserContext(), s.now())
	if err != nil {
		return err
	}
	return s.renderPage(c, fiber.StatusOK, "policies/reviews", &policyReviewsPage{layout: layout{Title: "Policy reviews"}, Rows: rows})
}
