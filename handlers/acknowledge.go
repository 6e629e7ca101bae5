package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"steward/policies"
)

// myPolicies lists the staff policies with where the signed-in person
// stands: those to acknowledge (acknowledged, pending with its due date, or
// overdue), then those only to read.
func (s *Server) myPolicies(c *fiber.Ctx) error {
	sts, err := s.policies.StatusFor(c.UserContext(), currentUser(c).ID, s.now())
	if err != nil {
		return policyError(err)
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	toAck, toRead := policies.ByNeed(sts)
	return s.render(c, fiber.StatusOK, "policies/ack_list", fiber.Map{"Title": "Staff policies", "Acks": toAck, "Reads": toRead})
}

// staffStatus is the person's standing with one staff policy, and the
// policy's timeline.
func (s *Server) staffStatus(ctx context.Context, userID int64, slug string) (*policies.Timeline, policies.AckStatus, error) {
	t, err := s.policies.Timeline(ctx, slug)
	if err != nil {
		return nil, policies.AckStatus{}, policyError(err)
	}
	if t.Policy.Audience != policies.Staff {
		return nil, policies.AckStatus{}, policyError(policies.ErrNotInScope)
	}
	sts, err := s.policies.StatusFor(ctx, userID, s.now())
	if err != nil {
		return nil, policies.AckStatus{}, policyError(err)
	}
	for _, st := range sts {
		if st.Policy.ID == t.Policy.ID {
			return t, st, nil
		}
	}
	return nil, policies.AckStatus{}, policyError(policies.ErrNotFound)
}

// myPolicy shows the version in effect and, for someone who acknowledged
// an earlier version, what changed since.
func (s *Server) myPolicy(c *fiber.Ctx) error {
	data, err := s.myPolicyData(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return s.renderPage(c, fiber.StatusOK, "policies/ack_show", data)
}

func (s *Server) myPolicyData(c *fiber.Ctx) (*myPolicyPage, error) {
	u := currentUser(c)
	t, st, err := s.staffStatus(c.UserContext(), u.ID, c.Params("slug"))
	if err != nil {
		return nil, err
	}
	vv := viewOf(t, st.Current, s.now())
	vv.Body = linkedBody(t, vv)
	data := &myPolicyPage{layout: layout{Title: t.Policy.Title}, S: st, V: vv}
	if err := s.staffLanguage(c, t, data); err != nil {
		return nil, err
	}
	if st.Last != nil && st.Last.Number < st.Current.Number {
		if old, ok := t.Version(st.Last.Number); ok {
			r := policies.Compare(old.BodyMD, st.Current.BodyMD)
			// Compare escapes the text and adds only its own elements.
			data.Redline, data.R, data.Since = template.HTML(r.HTML), r, old
		}
	}
	if err := s.addCheck(c, data); err != nil {
		return nil, err
	}
	return data, nil
}

// myPolicyPage is the data of policies/ack_show.html: a staff policy as
// one person must read and acknowledge it.
type myPolicyPage struct {
	layout
	S policies.AckStatus
	V versionView
	// For someone who acknowledged an earlier version: that version and
	// what changed since.
	Redline template.HTML // empty when there is nothing to compare
	R       policies.Redline
	Since   policies.Version
	// The change check the version asks, nil when it asks none.
	Check *checkView
	// ShownLang is the language of the text shown, which an
	// acknowledgement records; Untranslated names the language asked for
	// when the version in effect has no translation into it.
	ShownLang    string
	Untranslated string
}

// acknowledge records that the signed-in person read the version in
// effect. Sending it twice records it once.
func (s *Server) acknowledge(c *fiber.Ctx) error {
	u := currentUser(c)
	slug := c.Params("slug")
	n, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || n < 1 {
		return fiber.NewError(fiber.StatusBadRequest, "The form did not say which version you read; reload the page and try again.")
	}
	if _, _, err := s.staffStatus(c.UserContext(), u.ID, slug); err != nil {
		return err
	}
	lang, _ := policies.CanonicalLanguage(c.FormValue("lang"))
	created, err := s.policies.AcknowledgeIn(c.UserContext(), u.ID, slug, n, lang, s.now())
	var ve *policies.ValidationError
	if errors.As(err, &ve) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "This version has no translation into that language; reload the page and acknowledge the text shown.")
	}
	if err != nil {
		return checkError(err)
	}
	if created {
		s.flash(c, fmt.Sprintf("Thank you. Your acknowledgement of version %d is recorded.", n))
	} else {
		s.flash(c, fmt.Sprintf("You had already acknowledged version %d; nothing changed.", n))
	}
	return c.Redirect("/my/policies/"+slug, fiber.StatusSeeOther)
}
