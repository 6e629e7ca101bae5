package handlers

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/people"
	"steward/internal/tokens"
	"steward/internal/validator"
)

// Invitations and password resets: an admin sends a one-time link, or a
// person asks for one; the link's page sets a password and signs them in.

// personInvite emails a one-time link to choose a password.
func (s *Server) personInvite(c *fiber.Ctx) error {
	p, err := s.personByParam(c)
	if err != nil {
		return err
	}
	if !p.Active {
		return fiber.NewError(fiber.StatusConflict, "Reactivate "+p.Name+" before inviting them.")
	}
	if p.PasswordHash != "" {
		return errHasPassword(p.Name)
	}
	me := currentUser(c)
	now := s.now()
	err = s.db.Tx(c.UserContext(), func(tx *sqlx.Tx) error {
		if _, err := s.tokens.IssueInvite(c.UserContext(), tx, p.ID, me.Name, now); err != nil {
			return err
		}
		return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(now, "user.invite", "user:"+strconv.FormatInt(p.ID, 10), ""))
	})
	if errors.Is(err, tokens.ErrHasPassword) {
		return errHasPassword(p.Name)
	}
	if err != nil {
		return err
	}
	s.flash(c, "An invitation to choose a password is on its way to "+p.Email+". The link works once, for "+s.tokens.Lifetime(tokens.PurposeInvite)+"; any earlier link no longer works.")
	return c.Redirect("/admin/people/"+strconv.FormatInt(p.ID, 10), fiber.StatusSeeOther)
}

// errHasPassword refuses to send a sign-in link to someone who has a
// password: the admin who sends it could read it in the outbox and take
// the account over, and the audit log would name its owner.
func errHasPassword(name string) error {
	return fiber.NewError(fiber.StatusConflict, name+" already has a password, so no sign-in link can be sent for them. "+
		"If they have forgotten it, they choose a new one themselves with \"Forgot your password?\" on the sign-in page.")
}

// linkPage describes the two kinds of one-time link.
type linkPage struct {
	purpose, title, lead, action string
}

var (
	invitePage = linkPage{tokens.PurposeInvite, "Choose your password", "Welcome. Choose a password to finish setting up your account.", "/invite/"}
	resetPage  = linkPage{tokens.PurposeReset, "Choose a new password", "Choose a new password for your account.", "/password/reset/"}
)

func (s *Server) inviteForm(c *fiber.Ctx) error { return s.linkForm(c, invitePage) }
func (s *Server) inviteAccept(c *fiber.Ctx) error {
	return s.linkSetPassword(c, invitePage)
}
func (s *Server) resetForm(c *fiber.Ctx) error { return s.linkForm(c, resetPage) }
func (s *Server) resetAccept(c *fiber.Ctx) error {
	return s.linkSetPassword(c, resetPage)
}

var errLinkInvalid = fiber.NewError(fiber.StatusGone,
	"This link is invalid, already used or expired. Links work once, for a limited time (a password reset for one hour), and a newer link replaces an older one. Ask for a new one.")

// errPasswordOff refuses a password for someone who may not sign in with
// one (password sign-in off, not a break-glass admin).
var errPasswordOff = errors.New("handlers: password sign-in is off for this person")

func (s *Server) linkForm(c *fiber.Ctx, lp linkPage) error {
	token := c.Params("token")
	ok, err := tokens.Valid(c.UserContext(), s.db, lp.purpose, token, s.now())
	if err != nil {
		return err
	}
	if !ok {
		return errLinkInvalid
	}
	return s.render(c, fiber.StatusOK, "auth/set_password", fiber.Map{
		"Title": lp.title, "Lead": lp.lead, "Action": lp.action + token, "Form": passwordForm{}})
}

func (s *Server) linkSetPassword(c *fiber.Ctx, lp linkPage) error {
	token := c.Params("token")
	next, confirm := c.FormValue("new"), c.FormValue("confirm")
	var form passwordForm
	if err := people.CheckPassword(next); err != nil {
		form.AddFieldError("new", passwordAdvice(err))
	}
	form.Check(next == confirm, "confirm", "The two passwords do not match.")
	if !form.Valid() {
		return s.render(c, fiber.StatusUnprocessableEntity, "auth/set_password", fiber.Map{
			"Title": lp.title, "Lead": lp.lead, "Action": lp.action + token, "Form": form})
	}
	hash, err := people.HashPassword(next, s.bcryptCost)
	if err != nil {
		return err
	}
	now := s.now()
	var userID int64
	err = s.db.Tx(c.UserContext(), func(tx *sqlx.Tx) error {
		var err error
		if lp.purpose == tokens.PurposeInvite {
			userID, err = s.tokens.ConsumeInvite(c.UserContext(), tx, token, now)
		} else {
			userID, err = s.tokens.ConsumeReset(c.UserContext(), tx, token, now)
		}
		if err != nil {
			return err
		}
		// Whose link it is shows only now: a refusal rolls back, and the
		// link still works for a better password.
		u, err := people.GetTx(c.UserContext(), tx, userID)
		if err != nil {
			return err
		}
		if !s.cfg.Password.Allows(u) {
			return errPasswordOff
		}
		if err := people.CheckPersonalPassword(next, u.Email, u.Name); err != nil {
			return err
		}
		return people.SetPasswordTx(c.UserContext(), tx, userID, hash, audit.UserActor(userID), now)
	})
	if errors.Is(err, tokens.ErrInvalid) {
		return errLinkInvalid
	}
	if errors.Is(err, errPasswordOff) {
		return fiber.NewError(fiber.StatusForbidden, "Password sign-in is turned off: sign in with "+s.cfg.OIDC.Name+" instead. This link changes nothing.")
	}
	if errors.Is(err, people.ErrPersonalPassword) {
		form.AddFieldError("new", passwordAdvice(err))
		return s.render(c, fiber.StatusUnprocessableEntity, "auth/set_password", fiber.Map{
			"Title": lp.title, "Lead": lp.lead, "Action": lp.action + token, "Form": form})
	}
	if err != nil {
		return err
	}
	u, err := s.people.Get(c.UserContext(), userID)
	if err != nil {
		return err
	}
	s.limiter.resetAccount(u.Email)
	if err := s.startSession(c, &u); err != nil {
		return err
	}
	s.flash(c, "Your password is set. Welcome, "+u.Name+".")
	return c.Redirect("/home", fiber.StatusSeeOther)
}

type forgotForm struct {
	Email string
	Sent  bool
	validator.Validator
}

func (s *Server) forgotForm(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "auth/forgot", fiber.Map{"Title": "Forgot your password?", "Form": forgotForm{}})
}

// forgotSend emails a reset link when the address belongs to an active
// person, and answers the same either way, so the page cannot be used to
// find out who works here. Requests are limited per address like sign-ins.
func (s *Server) forgotSend(c *fiber.Ctx) error {
	form := forgotForm{Email: people.NormalizeEmail(c.FormValue("email"))}
	form.Check(validator.Email(form.Email), "email", "Enter your work email address, like name@example.com.")
	if !form.Valid() {
		return s.render(c, fiber.StatusUnprocessableEntity, "auth/forgot", fiber.Map{"Title": "Forgot your password?", "Form": form})
	}
	now := s.now()
	key := "reset:" + s.clientIP(c)
	if ok, wait := s.limiter.take(s.wall(), budget{key, pairFailureLimit}); !ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return fiber.NewError(fiber.StatusTooManyRequests, "Too many reset requests. Wait "+humanWait(wait)+" and try again.")
	}
	u, err := s.people.ByEmail(c.UserContext(), form.Email)
	// With password sign-in off, only a break-glass admin gets a link:
	// anyone else's would sign them in past the provider. The page says
	// the same either way.
	if err == nil && u.Active && s.cfg.Password.Allows(u) {
		err = s.db.Tx(c.UserContext(), func(tx *sqlx.Tx) error {
			_, err := s.tokens.IssueReset(c.UserContext(), tx, u.ID, now)
			return err
		})
		if err != nil {
			return err
		}
	} else if err != nil && !errors.Is(err, people.ErrNotFound) {
		return err
	}
	form.Sent = true
	form.Email = strings.TrimSpace(form.Email)
	return s.render(c, fiber.StatusOK, "auth/forgot", fiber.Map{"Title": "Check your email", "Form": form})
}
