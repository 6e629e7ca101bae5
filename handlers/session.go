package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"

	"steward/internal/people"
)

// session is what Steward keeps in its signed and encrypted cookie.
type session struct {
	ID      string // random; a new one at every sign-in
	UserID  int64
	CSRF    string
	Created int64 // unix seconds, for the absolute lifetime
	Seen    int64 // unix seconds, for the idle timeout
	Flash   string
}

const (
	localSession = "session"
	localDirty   = "session_dirty"
	localUser    = "user"
	// seenGranularity limits how often a signed-in person's cookie is
	// rewritten just to move the idle clock.
	seenGranularity = time.Minute
)

// sessionCodecs derives an authentication key and an encryption key from
// each configured key. The first codec encodes; all decode, so keys rotate
// by putting a new one first and keeping the old one until sessions expire.
func sessionCodecs(keys [][]byte) []securecookie.Codec {
	var pairs [][]byte
	for _, k := range keys {
		h := sha256.Sum256(append([]byte("steward-session-hash:"), k...))
		b := sha256.Sum256(append([]byte("steward-session-block:"), k...))
		pairs = append(pairs, h[:], b[:])
	}
	codecs := securecookie.CodecsFromPairs(pairs...)
	for _, c := range codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.MaxAge(int((12 * time.Hour).Seconds()))
			sc.SetSerializer(securecookie.JSONEncoder{})
		}
	}
	return codecs
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("handlers: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// loadSession decodes the cookie and loads the signed-in person, then saves
// the session once after the handler ran, if it changed.
func (s *Server) loadSession(c *fiber.Ctx) error {
	now := s.wall()
	var sess *session
	if raw := c.Cookies(s.cookie); raw != "" {
		var v session
		if securecookie.DecodeMulti(s.cookie, raw, &v, s.codecs...) == nil {
			sess = &v
		}
	}
	if sess != nil && sess.UserID != 0 {
		idle := now.Sub(time.Unix(sess.Seen, 0))
		age := now.Sub(time.Unix(sess.Created, 0))
		switch {
		case idle > s.cfg.IdleTimeout || age > s.cfg.MaxSession || idle < -time.Minute:
			sess = &session{ID: randomToken(18), CSRF: randomToken(32), Created: now.Unix(), Seen: now.Unix(),
				Flash: "Your session expired. Please sign in again."}
			c.Locals(localDirty, true)
		default:
			u, err := s.people.Get(c.UserContext(), sess.UserID)
			switch {
			case errors.Is(err, people.ErrNotFound) || (err == nil && !u.Active):
				sess = &session{ID: randomToken(18), CSRF: randomToken(32), Created: now.Unix(), Seen: now.Unix()}
				c.Locals(localDirty, true)
			case err != nil:
				return err
			default:
				c.Locals(localUser, &u)
				if now.Sub(time.Unix(sess.Seen, 0)) >= seenGranularity {
					sess.Seen = now.Unix()
					c.Locals(localDirty, true)
				}
			}
		}
	}
	if sess != nil {
		c.Locals(localSession, sess)
	}
	err := c.Next()
	s.saveSession(c)
	return err
}

func (s *Server) saveSession(c *fiber.Ctx) {
	dirty, _ := c.Locals(localDirty).(bool)
	sess, _ := c.Locals(localSession).(*session)
	if !dirty || sess == nil {
		return
	}
	value, err := securecookie.EncodeMulti(s.cookie, sess, s.codecs...)
	if err != nil {
		s.log.Error("session encode", "err", err)
		return
	}
	c.Cookie(&fiber.Cookie{
		Name:     s.cookie,
		Value:    value,
		Path:     "/",
		HTTPOnly: true,
		Secure:   s.cfg.SecureCookies(),
		SameSite: fiber.CookieSameSiteLaxMode,
		Expires:  time.Unix(sess.Created, 0).Add(s.cfg.MaxSession),
	})
}

// sessionOf returns the request's session, creating an anonymous one when
// create is true (a form needs a CSRF token before anyone signs in).
func (s *Server) sessionOf(c *fiber.Ctx, create bool) *session {
	if sess, ok := c.Locals(localSession).(*session); ok {
		return sess
	}
	if !create {
		return nil
	}
	now := s.wall().Unix()
	sess := &session{ID: randomToken(18), CSRF: randomToken(32), Created: now, Seen: now}
	c.Locals(localSession, sess)
	c.Locals(localDirty, true)
	return sess
}

// startSession signs u in on a brand-new session: new id and new CSRF
// token, so nothing from before sign-in (a planted cookie) survives it.
func (s *Server) startSession(c *fiber.Ctx, u *people.User) {
	now := s.wall().Unix()
	c.Locals(localSession, &session{ID: randomToken(18), UserID: u.ID, CSRF: randomToken(32), Created: now, Seen: now})
	c.Locals(localDirty, true)
	c.Locals(localUser, u)
}

// endSession signs out: the cookie is replaced by an empty anonymous session.
func (s *Server) endSession(c *fiber.Ctx) {
	now := s.wall().Unix()
	c.Locals(localSession, &session{ID: randomToken(18), CSRF: randomToken(32), Created: now, Seen: now})
	c.Locals(localDirty, true)
	c.Locals(localUser, nil)
}

// currentUser is the signed-in person, or nil.
func currentUser(c *fiber.Ctx) *people.User {
	u, _ := c.Locals(localUser).(*people.User)
	return u
}

func (s *Server) csrfToken(c *fiber.Ctx) string { return s.sessionOf(c, true).CSRF }

// checkCSRF compares the form field _csrf (or the X-CSRF-Token header)
// with the session's token in constant time.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	sess := s.sessionOf(c, false)
	sent := c.FormValue("_csrf")
	if sent == "" {
		sent = c.Get("X-CSRF-Token")
	}
	if sess == nil || sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(sess.CSRF)) != 1 {
		return fiber.NewError(fiber.StatusForbidden,
			"This form has expired or did not come from Steward. Go back, reload the page and try again.")
	}
	return nil
}

// flash keeps a one-time message for the next page.
func (s *Server) flash(c *fiber.Ctx, msg string) {
	s.sessionOf(c, true).Flash = msg
	c.Locals(localDirty, true)
}

func (s *Server) takeFlash(c *fiber.Ctx) string {
	sess := s.sessionOf(c, false)
	if sess == nil || sess.Flash == "" {
		return ""
	}
	msg := sess.Flash
	sess.Flash = ""
	c.Locals(localDirty, true)
	return msg
}
