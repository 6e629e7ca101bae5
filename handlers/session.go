package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"

	"steward/internal/keys"
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
	// SSO is a single sign-on started in this browser (sso.go).
	SSO *ssoPending `json:",omitempty"`
	// IDToken is the provider's ID token of a session signed in with it,
	// the hint for signing out there too.
	IDToken string `json:",omitempty"`
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
// each key. The first codec encodes; all decode, so keys rotate by putting
// a new one first and keeping the old one until sessions expire.
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

// sessionKeys holds the codecs that sign and open session cookies. Keys
// configured in STEWARD_SESSION_KEYS are fixed; the installation's own
// generated keys (package keys) are read again when a cookie opens with
// none of them, at most every keyReload, so a rotation by
// `steward keys rotate` reaches every running instance without a restart.
type sessionKeys struct {
	codecs   atomic.Pointer[[]securecookie.Codec]
	stored   bool // the keys come from the database
	mu       sync.Mutex
	reloaded time.Time
}

const keyReload = 10 * time.Second

// loadSessionKeys uses the configured keys, or the installation's own,
// generating them on first start and saying so once in the log.
func (s *Server) loadSessionKeys(ctx context.Context) error {
	if len(s.cfg.SessionKeys) > 0 {
		codecs := sessionCodecs(s.cfg.SessionKeys)
		s.keys.codecs.Store(&codecs)
		return nil
	}
	s.keys.stored = true
	ring, err := keys.Load(ctx, s.db, keys.Session, s.wall())
	if err != nil {
		return err
	}
	if ring.Created {
		s.log.Info("generated a random session signing key and stored it in the database; every instance of this installation uses it (rotate with `steward keys rotate`, or set STEWARD_SESSION_KEYS)")
	}
	codecs := sessionCodecs(ring.Keys)
	s.keys.codecs.Store(&codecs)
	s.keys.reloaded = s.wall()
	return nil
}

// decodeSession opens a session cookie, reading the stored keys again if
// none opens it and they may have been rotated since.
func (s *Server) decodeSession(raw string) (session, bool) {
	var v session
	if securecookie.DecodeMulti(s.cookie, raw, &v, *s.keys.codecs.Load()...) == nil {
		return v, true
	}
	if !s.keys.stored {
		return v, false
	}
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	now := s.wall()
	if now.Sub(s.keys.reloaded) < keyReload {
		return v, false
	}
	s.keys.reloaded = now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ring, err := keys.Load(ctx, s.db, keys.Session, now)
	if err != nil {
		s.log.Error("reload session keys", "err", err)
		return v, false
	}
	codecs := sessionCodecs(ring.Keys)
	s.keys.codecs.Store(&codecs)
	v = session{}
	return v, securecookie.DecodeMulti(s.cookie, raw, &v, codecs...) == nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("handlers: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// anonymous is a fresh session for someone not signed in, with a message
// for the next page ("" for none).
func anonymous(now time.Time, flash string) *session {
	return &session{ID: randomToken(18), CSRF: randomToken(32), Created: now.Unix(), Seen: now.Unix(), Flash: flash}
}

// loadSession opens the cookie and, for a signed-in session, checks it
// against the server's record: a session that was signed out, ended by a
// password change, deactivation, a role change or an admin, or that is
// past its idle or absolute limit, is over whatever the cookie says. The
// session is saved once after the handler ran, if it changed.
func (s *Server) loadSession(c *fiber.Ctx) error {
	var sess *session
	if raw := c.Cookies(s.cookie); raw != "" {
		if v, ok := s.decodeSession(raw); ok {
			sess = &v
		}
	}
	if sess != nil && sess.UserID != 0 {
		now := s.wall()
		u, rec, err := s.people.SessionUser(c.UserContext(), sess.ID)
		switch {
		case errors.Is(err, people.ErrNoSession) || (err == nil && (rec.UserID != sess.UserID || !u.Active)):
			sess = anonymous(now, "You were signed out. Please sign in again.")
			c.Locals(localDirty, true)
		case err != nil:
			return err
		case now.Sub(rec.SeenAt) > s.cfg.IdleTimeout || now.Sub(rec.CreatedAt) > s.cfg.MaxSession:
			if err := s.people.EndSession(c.UserContext(), sess.ID, people.EndedExpired, now); err != nil {
				return err
			}
			sess = anonymous(now, "Your session expired. Please sign in again.")
			c.Locals(localDirty, true)
		default:
			c.Locals(localUser, &u)
			if now.Sub(rec.SeenAt) >= seenGranularity {
				if err := s.people.TouchSession(c.UserContext(), sess.ID, now); err != nil {
					return err
				}
			}
		}
	}
	if sess != nil {
		c.Locals(localSession, sess)
	}
	signedIn := currentUser(c) != nil
	err := c.Next()
	if signedIn {
		// Every answer to a signed-in person (pages, CSV, JSON and zip
		// exports, errors, redirects) stays out of every cache, the
		// browser's included: the next person at a shared computer must
		// not find them with the back button. Set after the handler, it
		// wins over the public Cache-Control of policy pages, which
		// anonymous readers still get unchanged. Every export needs a
		// signed-in person, so this covers them all.
		c.Response().Header.SetCanonical(cacheControlKey, noStore)
	}
	s.saveSession(c)
	return err
}

var (
	cacheControlKey = []byte(fiber.HeaderCacheControl)
	noStore         = []byte("no-store")
)

func (s *Server) saveSession(c *fiber.Ctx) {
	dirty, _ := c.Locals(localDirty).(bool)
	sess, _ := c.Locals(localSession).(*session)
	if !dirty || sess == nil {
		return
	}
	value, err := securecookie.EncodeMulti(s.cookie, sess, *s.keys.codecs.Load()...)
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
	sess := anonymous(s.wall(), "")
	c.Locals(localSession, sess)
	c.Locals(localDirty, true)
	return sess
}

// startSession signs u in on a brand-new session, recorded on the server:
// new id and new CSRF token, so nothing from before sign-in (a planted
// cookie) survives it.
func (s *Server) startSession(c *fiber.Ctx, u *people.User) error {
	now := s.wall()
	sess := &session{ID: randomToken(18), UserID: u.ID, CSRF: randomToken(32), Created: now.Unix(), Seen: now.Unix()}
	device := people.DeviceSummary(c.Get(fiber.HeaderUserAgent))
	if err := s.people.StartSession(c.UserContext(), sess.ID, u.ID, device, people.AddressSummary(s.clientIP(c)), now); err != nil {
		return err
	}
	c.Locals(localSession, sess)
	c.Locals(localDirty, true)
	c.Locals(localUser, u)
	return nil
}

// endSession signs out: the server's record ends, and the cookie is
// replaced by an empty anonymous session.
func (s *Server) endSession(c *fiber.Ctx, why string) error {
	now := s.wall()
	if sess := s.sessionOf(c, false); sess != nil && sess.UserID != 0 {
		if err := s.people.EndSession(c.UserContext(), sess.ID, why, now); err != nil {
			return err
		}
	}
	c.Locals(localSession, anonymous(now, ""))
	c.Locals(localDirty, true)
	c.Locals(localUser, nil)
	return nil
}

// currentSessionHash is the stored hash of the request's session id, to
// tell "this browser" in the list of a person's sessions.
func (s *Server) currentSessionHash(c *fiber.Ctx) string {
	if sess := s.sessionOf(c, false); sess != nil && sess.UserID != 0 {
		return people.HashSessionID(sess.ID)
	}
	return ""
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
			"This form has expired or did not come from this site. Go back, reload the page and try again.")
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
