package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"

	"steward/internal/config"
	"steward/internal/people"
)

// Single sign-on with OpenID Connect: the authorization code flow with
// PKCE and a nonce (go-oidc verifies the ID token, x/oauth2 does the
// exchange). The state, nonce and PKCE verifier wait in this browser's
// session cookie and are taken out, once, by the callback.

const (
	// ssoFlowLimit is how long a person has at the provider's pages.
	ssoFlowLimit = 10 * time.Minute
	// ssoTimeout bounds each call to the provider.
	ssoTimeout = 10 * time.Second
	// maxIDTokenHint is the longest ID token kept in the cookie for
	// signing out at the provider; a longer one would not fit in a
	// cookie, and signing out there then goes without the hint.
	maxIDTokenHint = 1800
)

// ssoPending is a sign-in started in this browser and not yet back.
type ssoPending struct {
	State    string
	Nonce    string
	Verifier string
	Next     string
	Started  int64 // unix seconds, wall clock
}

// ssoClient is Steward's client at the OpenID provider. The provider's
// discovery document is read at start, and again at each sign-in while
// it has never been read (the provider was down when Steward started).
type ssoClient struct {
	cfg         config.OIDC
	redirectURL string
	logoutURL   string
	http        *http.Client
	origin      string // the issuer's scheme://host, where signing out may go
	csp         []byte // the Content-Security-Policy that lets the sign-out form go there

	mu       sync.Mutex
	provider *ssoProvider
}

// ssoProvider is what discovery found.
type ssoProvider struct {
	provider   *oidc.Provider
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string
}

// errSSOUnavailable means the provider did not answer.
var errSSOUnavailable = errors.New("handlers: the sign-in provider is not answering")

// newSSOClient reads the provider's discovery document. A provider that
// does not answer leaves single sign-on unavailable until it does (the
// break-glass admins can still sign in); one that answers with the wrong
// issuer or an incomplete document is a setup error, and start fails.
func newSSOClient(ctx context.Context, cfg config.Config, wall func() time.Time) (*ssoClient, error) {
	c := &ssoClient{
		cfg:         cfg.OIDC,
		redirectURL: cfg.BaseURL.String() + "/auth/oidc/callback",
		logoutURL:   cfg.BaseURL.String() + "/login",
		http:        &http.Client{Timeout: ssoTimeout},
	}
	if u, err := url.Parse(cfg.OIDC.Issuer); err == nil {
		c.origin = u.Scheme + "://" + u.Host
	}
	c.csp = cspWithFormTargets(c.origin)
	_, err := c.discover(ctx, wall)
	return c, err
}

func (c *ssoClient) current() *ssoProvider {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.provider
}

// discover reads the discovery document and checks it.
func (c *ssoClient) discover(ctx context.Context, wall func() time.Time) (*ssoProvider, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, c.http), ssoTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, c.cfg.Issuer)
	var mismatch *oidc.IssuerMismatchError
	var netErr *url.Error
	switch {
	case errors.As(err, &mismatch):
		return nil, fmt.Errorf("STEWARD_OIDC_ISSUER is %q but the provider's discovery document names its issuer %q: set STEWARD_OIDC_ISSUER to exactly that", mismatch.Provided, mismatch.Discovered)
	case errors.As(err, &netErr):
		return nil, fmt.Errorf("%w: %v", errSSOUnavailable, err)
	case err != nil:
		return nil, fmt.Errorf("the discovery document at %s/.well-known/openid-configuration could not be read: %v", strings.TrimSuffix(c.cfg.Issuer, "/"), err)
	}
	var doc struct {
		EndSession string   `json:"end_session_endpoint"`
		Methods    []string `json:"code_challenge_methods_supported"`
		Responses  []string `json:"response_types_supported"`
	}
	if err := p.Claims(&doc); err != nil {
		return nil, fmt.Errorf("the provider's discovery document: %v", err)
	}
	ep := p.Endpoint()
	switch {
	case ep.AuthURL == "" || ep.TokenURL == "":
		return nil, errors.New("the provider's discovery document names no authorization or token endpoint")
	case len(doc.Responses) > 0 && !slices.Contains(doc.Responses, "code"):
		return nil, errors.New("the provider does not offer the authorization code flow (response type code)")
	case len(doc.Methods) > 0 && !slices.Contains(doc.Methods, "S256"):
		return nil, errors.New("the provider does not offer PKCE with S256 (code_challenge_methods_supported)")
	}
	sp := &ssoProvider{
		provider: p,
		oauth: oauth2.Config{
			ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: ep,
			RedirectURL: c.redirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
		},
		verifier:   p.Verifier(&oidc.Config{ClientID: c.cfg.ClientID, Now: wall}),
		endSession: doc.EndSession,
	}
	c.mu.Lock()
	c.provider = sp
	c.mu.Unlock()
	return sp, nil
}

// ssoPage renders the page that says why a single sign-on did not sign
// the person in.
func (s *Server) ssoPage(c *fiber.Ctx, status int, title, message string) error {
	return s.render(c, status, "auth/sso_error", fiber.Map{
		"Title": title, "Message": message, "Provider": s.cfg.OIDC.Name,
		"PasswordOff": s.cfg.Password.Off,
	})
}

func (s *Server) ssoUnavailable(c *fiber.Ctx) error {
	return s.ssoPage(c, fiber.StatusServiceUnavailable, "Sign-in is unavailable",
		s.cfg.OIDC.Name+" is not answering, so you cannot sign in with it right now. Try again in a few minutes.")
}

// ssoStart sends the browser to the provider with a fresh state, nonce
// and PKCE challenge, kept in this browser's session.
func (s *Server) ssoStart(c *fiber.Ctx) error {
	if s.sso == nil {
		return fiber.ErrNotFound
	}
	if currentUser(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	// Read the discovery document again: a provider that is down shows
	// a page here rather than a browser error on its own address.
	sp, err := s.sso.discover(c.UserContext(), s.wall)
	if err != nil {
		// Down, or changed since start: the page is the same, the log
		// says which.
		s.log.Warn("sso: provider unavailable", "err", err)
		return s.ssoUnavailable(c)
	}
	p := &ssoPending{
		State: randomToken(24), Nonce: randomToken(24), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(c.Query("next")), Started: s.wall().Unix(),
	}
	s.sessionOf(c, true).SSO = p
	c.Locals(localDirty, true)
	return c.Redirect(sp.oauth.AuthCodeURL(p.State, oidc.Nonce(p.Nonce), oauth2.S256ChallengeOption(p.Verifier)), fiber.StatusSeeOther)
}

// ssoRefuse audits a refused sign-in and shows why.
func (s *Server) ssoRefuse(c *fiber.Ctx, status int, why, title, message string) error {
	if err := s.people.RecordSSORefusal(c.UserContext(), nil, why, s.now()); err != nil {
		return err
	}
	return s.ssoPage(c, status, title, message)
}

// ssoCallback completes a sign-in: the state must be the one this browser
// was sent with (and is used once), the code is exchanged with the PKCE
// verifier, the ID token must be signed by the provider, for Steward,
// unexpired and carry the nonce; people.SignInSSO then decides who it is.
func (s *Server) ssoCallback(c *fiber.Ctx) error {
	if s.sso == nil {
		return fiber.ErrNotFound
	}
	sess := s.sessionOf(c, true)
	p := sess.SSO
	sess.SSO = nil // single use, whatever happens next
	c.Locals(localDirty, true)
	state := c.Query("state")
	if p == nil || state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(p.State)) != 1 {
		return s.ssoRefuse(c, fiber.StatusBadRequest, "state missing, replayed or from another browser",
			"This sign-in cannot be completed",
			"This sign-in link was already used, or the sign-in was started in another browser. Start again from the sign-in page.")
	}
	if s.wall().Sub(time.Unix(p.Started, 0)) > ssoFlowLimit {
		return s.ssoRefuse(c, fiber.StatusBadRequest, "sign-in took too long",
			"This sign-in took too long", "Signing in must be finished within 10 minutes. Start again from the sign-in page.")
	}
	if e := c.Query("error"); e != "" {
		return s.ssoRefuse(c, fiber.StatusForbidden, "provider answered "+truncate(e, 60),
			"Sign-in was not completed", s.cfg.OIDC.Name+" did not sign you in ("+truncate(e, 60)+"). Start again, or ask your IT team.")
	}
	code := c.Query("code")
	if code == "" || len(code) > 2048 {
		return s.ssoRefuse(c, fiber.StatusBadRequest, "no code", "Sign-in was not completed",
			"The answer from "+s.cfg.OIDC.Name+" had no sign-in code. Start again from the sign-in page.")
	}
	sp := s.sso.current()
	if sp == nil {
		return s.ssoUnavailable(c)
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(c.UserContext(), s.sso.http), ssoTimeout)
	defer cancel()
	tok, err := sp.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	var netErr *url.Error
	var retrieve *oauth2.RetrieveError
	switch {
	case errors.As(err, &retrieve):
		return s.ssoRefuse(c, fiber.StatusBadRequest, "code refused: "+truncate(retrieve.ErrorCode, 60),
			"Sign-in was not completed", s.cfg.OIDC.Name+" did not accept the sign-in code. Start again from the sign-in page.")
	case errors.As(err, &netErr):
		s.log.Warn("sso: token exchange failed", "err", err)
		return s.ssoUnavailable(c)
	case err != nil:
		return fmt.Errorf("sso: token exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return s.ssoRefuse(c, fiber.StatusBadGateway, "no ID token", "Sign-in was not completed",
			s.cfg.OIDC.Name+" sent no ID token. Ask your IT team to check this site's client there.")
	}
	idt, err := sp.verifier.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		why := "ID token refused: " + truncate(err.Error(), 200)
		msg := "The answer from " + s.cfg.OIDC.Name + " could not be trusted, so you are not signed in. Ask your IT team."
		if errors.As(err, &expired) {
			msg = "The answer from " + s.cfg.OIDC.Name + " had already expired, so you are not signed in. Check that this server's clock is right, and start again."
		} else if strings.Contains(err.Error(), "audience") {
			msg = "The answer from " + s.cfg.OIDC.Name + " was meant for another application, so you are not signed in. Ask your IT team to check this site's client id."
		}
		return s.ssoRefuse(c, fiber.StatusUnauthorized, why, "Sign-in was refused", msg)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return s.ssoRefuse(c, fiber.StatusUnauthorized, "nonce mismatch", "Sign-in was refused",
			"The answer from "+s.cfg.OIDC.Name+" was not for this sign-in. Start again from the sign-in page.")
	}
	claims, err := s.ssoClaims(ctx, sp, idt, tok)
	if err != nil {
		return s.ssoRefuse(c, fiber.StatusBadGateway, "claims: "+truncate(err.Error(), 200), "Sign-in was not completed",
			s.cfg.OIDC.Name+" did not say who you are. Ask your IT team.")
	}
	u, out, err := s.people.SignInSSO(c.UserContext(), claims, s.cfg.OIDC.Policy, s.now())
	if msg, ok := ssoRefusalMessage(err, s.cfg.OIDC.Name); ok {
		return s.ssoPage(c, fiber.StatusForbidden, "You cannot sign in", msg)
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, &u); err != nil {
		return err
	}
	if sess := s.sessionOf(c, false); len(raw) <= maxIDTokenHint {
		sess.IDToken = raw
		// A cookie too long to encode would sign the person out again:
		// sign-out at the provider then goes without the hint.
		if _, err := securecookie.EncodeMulti(s.cookie, sess, *s.keys.codecs.Load()...); err != nil {
			sess.IDToken = ""
		}
	}
	switch {
	case out.Created:
		s.flash(c, "Welcome: your account was made from your details at "+s.cfg.OIDC.Name+".")
	case out.Role != "":
		s.flash(c, "Your role is now "+string(u.Role)+", as your groups at "+s.cfg.OIDC.Name+" say.")
	}
	return c.Redirect(p.Next, fiber.StatusSeeOther)
}

// ssoRefusalMessage says to the person why people.SignInSSO refused them.
func ssoRefusalMessage(err error, provider string) (string, bool) {
	switch {
	case errors.Is(err, people.ErrEmailUnverified):
		return provider + " has not verified your email address, so it cannot be trusted as yours. Verify it there, or ask your IT team.", true
	case errors.Is(err, people.ErrDomainRefused):
		return "Your email address is not in a domain that may sign in here. Sign in with your work account.", true
	case errors.Is(err, people.ErrNoAccount):
		return "There is no account here for your email address. Ask an admin to add you.", true
	case errors.Is(err, people.ErrAlreadyLinked):
		return "Your account here signs in with another account at " + provider + ". Use that one, or ask an admin.", true
	case errors.Is(err, people.ErrInactive):
		return "Your account here is deactivated. Ask an admin if you think this is a mistake.", true
	case errors.Is(err, people.ErrBadEmail):
		return provider + " sent an email address that is not a valid address. Ask your IT team.", true
	}
	return "", false
}

// ssoClaims reads who the person is from the ID token, and from the
// provider's userinfo when the ID token does not carry the email (some
// providers keep it there); userinfo must be about the same subject.
func (s *Server) ssoClaims(ctx context.Context, sp *ssoProvider, idt *oidc.IDToken, tok *oauth2.Token) (people.Claims, error) {
	out := people.Claims{Issuer: idt.Issuer, Subject: idt.Subject}
	var all map[string]any
	if err := idt.Claims(&all); err != nil {
		return out, err
	}
	s.readClaims(&out, all)
	if out.Email == "" && sp.provider.UserInfoEndpoint() != "" {
		ui, err := sp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return out, fmt.Errorf("userinfo: %w", err)
		}
		if ui.Subject != idt.Subject {
			return out, errors.New("userinfo is about another subject")
		}
		var more map[string]any
		if err := ui.Claims(&more); err != nil {
			return out, err
		}
		s.readClaims(&out, more)
	}
	return out, nil
}

// readClaims fills what is still empty in out from a claims set.
func (s *Server) readClaims(out *people.Claims, all map[string]any) {
	if v, ok := all["email"].(string); ok && out.Email == "" {
		out.Email = v
		// Some providers send "true" as a string.
		switch ev := all["email_verified"].(type) {
		case bool:
			out.EmailVerified = ev
		case string:
			out.EmailVerified = ev == "true"
		}
	}
	if v, ok := all["name"].(string); ok && out.Name == "" {
		out.Name = v
	}
	if out.Groups == nil {
		switch g := all[s.cfg.OIDC.GroupsClaim].(type) {
		case []any:
			for _, x := range g {
				if str, ok := x.(string); ok {
					out.Groups = append(out.Groups, str)
				}
			}
		case string:
			out.Groups = []string{g}
		}
	}
}

// ssoLogoutURL is where signing out of a single sign-on session sends the
// browser: the provider's end_session_endpoint, which signs the person
// out there too and comes back to Steward's sign-in page.
func (s *Server) ssoLogoutURL(idToken string) string {
	if s.sso == nil || idToken == "" {
		return ""
	}
	sp := s.sso.current()
	if sp == nil || sp.endSession == "" {
		return ""
	}
	// Only to the issuer's origin, the one the pages' policy lets the
	// sign-out form go to.
	u, err := url.Parse(sp.endSession)
	if err != nil || u.Scheme+"://"+u.Host != s.sso.origin {
		return ""
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("client_id", s.cfg.OIDC.ClientID)
	q.Set("post_logout_redirect_uri", s.sso.logoutURL)
	u.RawQuery = q.Encode()
	return u.String()
}

func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}
