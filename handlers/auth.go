package handlers

import (
	"context"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/people"
	"steward/internal/validator"
)

type loginForm struct {
	Email string
	Next  string
	validator.Validator
}

// safeNext keeps a post-login redirect on this site: a path on this
// origin, never a URL. Browsers drop tabs and newlines from a Location and
// read a backslash as a slash, so "/\t/evil.example" and "/\\evil.example"
// would leave the site: anything with a control character, a space or a
// backslash is refused, and what is left must parse as a bare path.
func safeNext(next string) string {
	if next == "" || len(next) > 512 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/home"
	}
	// Checked decoded too: a proxy or a browser that decodes once more
	// must not find a way off the site either.
	decoded, err := url.PathUnescape(next)
	if err != nil || strings.HasPrefix(decoded, "//") {
		return "/home"
	}
	for _, r := range next + decoded {
		if r <= ' ' || r == 0x7f || r == '\\' || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 || r == 0xfeff {
			return "/home"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/home"
	}
	return next
}

func (s *Server) loginForm(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect(safeNext(c.Query("next")))
	}
	return s.renderLogin(c, fiber.StatusOK, loginForm{Next: c.Query("next")})
}

// renderLogin shows the sign-in page: the single sign-on button when it is
// set up, and the password form (for break-glass admins only when
// password sign-in is off).
func (s *Server) renderLogin(c *fiber.Ctx, status int, form loginForm) error {
	data := fiber.Map{"Title": "Sign in", "Form": form, "PasswordOff": s.cfg.Password.Off}
	if s.sso != nil {
		data["SSOName"] = s.cfg.OIDC.Name
		data["SSOStart"] = "/auth/oidc/start?next=" + url.QueryEscape(safeNext(form.Next))
	}
	return s.render(c, status, "auth/login", data)
}

func (s *Server) login(c *fiber.Ctx) error {
	now := s.now()
	wall := s.wall()
	form := loginForm{Email: strings.TrimSpace(c.FormValue("email")), Next: c.FormValue("next")}
	password := c.FormValue("password")
	form.Check(validator.NotBlank(form.Email), "email", "Enter your email address.")
	form.Check(validator.MaxChars(form.Email, 254), "email", "That email address is too long.")
	form.Check(password != "", "password", "Enter your password.")
	form.Check(len(password) <= 1024, "password", "That password is too long.")
	if !form.Valid() {
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, form)
	}

	ip, email := s.clientIP(c), people.NormalizeEmail(form.Email)
	pairKey, acctKey, ipKey := "pair:"+email+"|"+ip, "account:"+email, "ip:"+ip
	// An address that tries many accounts waits a little longer each time.
	if d := slowDown(s.limiter.count(ipKey, wall)); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.Context().Done():
			t.Stop()
			return fiber.NewError(fiber.StatusServiceUnavailable, "The server is shutting down; try again in a moment.")
		}
	}
	if ok, wait := s.limiter.take(wall, budget{pairKey, pairFailureLimit}, budget{acctKey, accountFailureLimit}, budget{ipKey, 0}); !ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return fiber.NewError(fiber.StatusTooManyRequests,
			"Too many failed sign-ins. Wait "+humanWait(wait)+" and try again, or ask an admin to reset your password.")
	}

	if !s.cfg.Password.MayTry(email) {
		return s.passwordOff(c, form, now)
	}
	u, err := s.people.Authenticate(c.UserContext(), form.Email, password)
	if err == nil && !s.cfg.Password.Allows(u) {
		return s.passwordOff(c, form, now)
	}
	if errors.Is(err, people.ErrBadCredentials) {
		s.recordLogin(c.UserContext(), form.Email, false, now)
		form.AddFormError("Wrong email or password.")
		return s.renderLogin(c, fiber.StatusUnauthorized, form)
	}
	if err != nil {
		return err
	}
	// The right password: this attempt was no guess.
	s.limiter.reset(pairKey)
	s.limiter.give(acctKey)
	s.limiter.give(ipKey)
	if err := s.startSession(c, &u); err != nil {
		return err
	}
	s.recordLogin(c.UserContext(), form.Email, true, now)
	return c.Redirect(safeNext(form.Next), fiber.StatusSeeOther)
}

// passwordOff refuses a password sign-in when password sign-in is off and
// this is not a break-glass admin.
func (s *Server) passwordOff(c *fiber.Ctx, form loginForm, now time.Time) error {
	s.recordLogin(c.UserContext(), form.Email, false, now)
	form.AddFormError("Password sign-in is turned off: sign in with " + s.cfg.OIDC.Name + ". Only the break-glass admins can use a password.")
	return s.renderLogin(c, fiber.StatusForbidden, form)
}

func humanWait(d time.Duration) string {
	if m := int(d.Minutes()) + 1; m > 1 {
		return strconv.Itoa(m) + " minutes"
	}
	return "a minute"
}

// recordLogin audits a sign-in attempt; a failure for an unknown email is
// recorded without it.
func (s *Server) recordLogin(ctx context.Context, email string, ok bool, now time.Time) {
	var id *int64
	if u, err := s.people.ByEmail(ctx, email); err == nil {
		id = &u.ID
	}
	if err := s.people.RecordLogin(ctx, id, ok, now); err != nil {
		s.log.Error("audit login", "err", err)
	}
}

// logout ends the session; one signed in with single sign-on signs out
// at the provider too (RP-initiated logout), which sends the browser back
// to the sign-in page.
func (s *Server) logout(c *fiber.Ctx) error {
	var idToken string
	if sess := s.sessionOf(c, false); sess != nil {
		idToken = sess.IDToken
	}
	if err := s.endSession(c, people.EndedLogout); err != nil {
		return err
	}
	s.flash(c, "You have signed out.")
	if to := s.ssoLogoutURL(idToken); to != "" {
		return c.Redirect(to, fiber.StatusSeeOther)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

type passwordForm struct {
	validator.Validator
}

// passwordAdvice says why people.CheckPassword refused a new password.
func passwordAdvice(err error) string {
	switch {
	case errors.Is(err, people.ErrBreachedPassword):
		return "This password appears in lists of passwords leaked in breaches, which attackers try first. Choose another."
	case errors.Is(err, people.ErrPersonalPassword):
		return "Your email or name is the first guess of anyone who knows you. Choose another password."
	default:
		return "Use 12 to 72 characters; a few unrelated words make a good password."
	}
}

func (s *Server) passwordForm(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "auth/password", fiber.Map{"Title": "Change password", "Form": passwordForm{}})
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	u := currentUser(c)
	current, next, confirm := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	var form passwordForm
	// Someone at an unlocked screen may guess the current password: the
	// guesses are limited like sign-ins.
	key := "current:" + strconv.FormatInt(u.ID, 10)
	if ok, wait := s.limiter.take(s.wall(), budget{key, pairFailureLimit}); !ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return fiber.NewError(fiber.StatusTooManyRequests, "Too many wrong current passwords. Wait "+humanWait(wait)+" and try again.")
	}
	if _, err := s.people.Authenticate(c.UserContext(), u.Email, current); err != nil {
		form.AddFieldError("current", "That is not your current password.")
	} else {
		s.limiter.give(key)
	}
	if err := people.CheckPersonalPassword(next, u.Email, u.Name); err != nil {
		form.AddFieldError("new", passwordAdvice(err))
	}
	form.Check(next == confirm, "confirm", "The two new passwords do not match.")
	if !form.Valid() {
		return s.render(c, fiber.StatusUnprocessableEntity, "auth/password", fiber.Map{"Title": "Change password", "Form": form})
	}
	hash, err := people.HashPassword(next, s.bcryptCost)
	if err != nil {
		return err
	}
	if err := s.people.SetPassword(c.UserContext(), u.ID, hash, audit.UserActor(u.ID), s.now()); err != nil {
		return err
	}
	// Changing the password ended every session of this person, this one
	// too: this browser carries on in a new one.
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.flash(c, "Your password has been changed.")
	return c.Redirect("/home", fiber.StatusSeeOther)
}

func (s *Server) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

func (s *Server) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		s.log.Error("readyz: database unreachable", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable")
	}
	return c.SendString("ready")
}
