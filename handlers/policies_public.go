package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/validator"
	"steward/policies"
)

// policyError maps the policies package's errors to HTTP errors with a
// message for people; anything else passes through as a server error.
func policyError(err error) error {
	switch {
	case errors.Is(err, policies.ErrNotFound):
		return fiber.NewError(fiber.StatusNotFound, "There is no such policy or version.")
	case errors.Is(err, policies.ErrBadRange):
		return fiber.NewError(fiber.StatusBadRequest, "Compare an older version with a newer one: the first number must be smaller than the second.")
	case errors.Is(err, policies.ErrNotInEffect):
		return fiber.NewError(fiber.StatusConflict, "This version is not the one in effect now; reload the page and acknowledge the current version.")
	case errors.Is(err, policies.ErrNotInScope):
		return fiber.NewError(fiber.StatusNotFound, "This policy is not one you need to acknowledge.")
	case errors.Is(err, policies.ErrAckNotNeeded):
		return fiber.NewError(fiber.StatusConflict, "This policy is for reading only; it does not ask you to acknowledge it.")
	case errors.Is(err, policies.ErrPublished):
		return fiber.NewError(fiber.StatusConflict, "Published versions can never be changed; start a new draft instead.")
	case errors.Is(err, policies.ErrNoDraft):
		return fiber.NewError(fiber.StatusConflict, "There is no saved draft to publish; save a draft first.")
	case errors.Is(err, policies.ErrTokenExpired):
		return fiber.NewError(fiber.StatusGone, "This confirmation link has expired. Subscribe again to get a new one.")
	}
	return err
}

// publicTimeline loads a policy's published versions; staff policies are not
// public and answer 404 like an unknown slug.
func (s *Server) publicTimeline(c *fiber.Ctx) (*policies.Timeline, error) {
	t, err := s.policies.Timeline(c.UserContext(), c.Params("slug"))
	if err != nil {
		return nil, policyError(err)
	}
	if t.Policy.Audience != policies.Public || len(t.Versions) == 0 {
		return nil, policyError(policies.ErrNotFound)
	}
	return t, nil
}

// versionParam reads a version number from the path: a positive integer.
func versionParam(c *fiber.Ctx, name string) (int, error) {
	raw := c.Params(name)
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || strconv.Itoa(n) != raw {
		return 0, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("%q is not a version number: versions are numbered 1, 2, 3 and so on.", raw))
	}
	return n, nil
}

// renderBytes renders a page for an anonymous visitor into memory, so it
// can be cached and served to everyone: no user, session or CSRF token.
func (s *Server) renderBytes(name, path string, data fiber.Map) ([]byte, error) {
	data["Path"] = path
	data["User"] = nil
	data["CSRF"] = ""
	data["Flash"] = ""
	var buf bytes.Buffer
	if err := s.views.Render(&buf, name, data, "layouts/base"); err != nil {
		return nil, fmt.Errorf("handlers: render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// pageKey names a cached page by everything it shows: the policy (and
// when its title or settings last changed), the kind of page and the
// version numbers on it. Published versions never change, so nothing else
// can make a cached page wrong.
func pageKey(t *policies.Timeline, kind string, nums ...int) string {
	b := make([]byte, 0, 64)
	b = append(b, t.Policy.Slug...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, t.Policy.UpdatedAt.UnixNano(), 10)
	b = append(b, ' ')
	b = append(b, kind...)
	for _, n := range nums {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(b)
}

// maxAge is how long a shared cache may keep the page of the version in
// effect: at most five minutes, and never past the moment a scheduled
// version takes effect.
func maxAge(t *policies.Timeline, now time.Time) string {
	next, ok := t.Next(now)
	if !ok {
		return "public, max-age=300" // the usual case, without building a string per request
	}
	age := min(300, int(math.Ceil(next.EffectiveAt.Sub(now).Seconds())))
	return "public, max-age=" + strconv.Itoa(max(age, 0))
}

const (
	mimeHTML     = fiber.MIMETextHTMLCharsetUTF8
	mimeMarkdown = "text/markdown; charset=utf-8"
	mimeAtom     = "application/atom+xml; charset=utf-8"
	mimeJSON     = fiber.MIMEApplicationJSONCharsetUTF8
)

// versionView is what the policy page template shows about one version.
type versionView struct {
	Policy   policies.Policy
	Version  policies.Version
	Status   policies.Status
	Body     template.HTML
	Current  int // number in effect, 0 if none
	Next     *policies.Version
	Previous int // number before this one, 0 for the first
}

func viewOf(t *policies.Timeline, v policies.Version, now time.Time) versionView {
	vv := versionView{Policy: t.Policy, Version: v, Status: t.StatusOf(v, now),
		// Sanitised by policies.Render when the version was published.
		Body: template.HTML(withoutTitle(v.BodyHTML))}
	if cur, ok := t.InEffect(now); ok {
		vv.Current = cur.Number
	}
	if next, ok := t.Next(now); ok {
		vv.Next = &next
	}
	if v.Number > 1 {
		vv.Previous = v.Number - 1
	}
	return vv
}

// withoutTitle drops the body's leading <h1>: the page shows the policy's
// title as its one <h1>, above the version facts.
func withoutTitle(html string) string {
	if !strings.HasPrefix(html, "<h1") {
		return html
	}
	if i := strings.Index(html, "</h1>"); i >= 0 {
		return strings.TrimLeft(html[i+len("</h1>"):], "\n")
	}
	return html
}

// policyIndex lists the public policies in effect and offers change notices.
func (s *Server) policyIndex(c *fiber.Ctx) error {
	rows, err := s.indexRows(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return s.render(c, fiber.StatusOK, "policies/index", fiber.Map{"Title": "Privacy policies", "Policies": rows, "Form": subscribeForm{},
		"Feed": siteFeedLink})
}

// indexRows lists each public policy's version in effect, or its first
// version while that is still scheduled.
func (s *Server) indexRows(c *fiber.Ctx) ([]versionView, error) {
	now := s.now()
	ts, err := s.policies.Timelines(c.UserContext(), policies.Public)
	if err != nil {
		return nil, err
	}
	var rows []versionView
	for _, t := range ts {
		if v, ok := t.InEffect(now); ok {
			rows = append(rows, viewOf(t, v, now))
		} else if v, ok := t.Next(now); ok {
			rows = append(rows, viewOf(t, v, now))
		}
	}
	return rows, nil
}

// privacyRedirect keeps the short address people type.
func (s *Server) privacyRedirect(c *fiber.Ctx) error {
	return c.Redirect("/policies/privacy", fiber.StatusMovedPermanently)
}

// policyCurrent shows the version in effect, from memory once built.
func (s *Server) policyCurrent(c *fiber.Ctx) error {
	at, hasAt, err := atParam(c)
	if err != nil {
		return err
	}
	t, err := s.publicTimeline(c)
	if err != nil {
		return err
	}
	if hasAt {
		return s.policyAt(c, t, at)
	}
	now := s.now()
	cur, ok := t.InEffect(now)
	if !ok {
		next, _ := t.Next(now)
		return fiber.NewError(fiber.StatusNotFound, fmt.Sprintf("This policy takes effect on %s; read it at /policies/%s/v/%d.",
			next.EffectiveAt.Format("2 January 2006"), t.Policy.Slug, next.Number))
	}
	nextNum := 0
	if next, ok := t.Next(now); ok {
		nextNum = next.Number
	}
	key := pageKey(t, "current", cur.Number, nextNum)
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		vv := viewOf(t, cur, now)
		vv.Body = linkedBody(t, vv)
		// A review touches the policy, so the key names the date shown.
		reviewed, err := s.policies.LastReviewed(c.UserContext(), t.Policy.Slug, now)
		if err != nil {
			return page{}, err
		}
		body, err := s.renderBytes("policies/show", "/policies/"+t.Policy.Slug, fiber.Map{"Title": t.Policy.Title, "V": vv, "IsCurrentPage": true,
			"Feed": policyFeedLink(t.Policy), "LastReviewed": reviewed})
		return page{Body: body, ContentType: mimeHTML}, err
	})
}

// policyVersion shows one published version.
func (s *Server) policyVersion(c *fiber.Ctx) error {
	t, v, err := s.publicVersion(c)
	if err != nil {
		return err
	}
	n := v.Number
	now := s.now()
	vv := viewOf(t, v, now)
	key := pageKey(t, "version "+string(vv.Status), n, vv.Current)
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		vv.Body = linkedBody(t, vv)
		body, err := s.renderBytes("policies/show", c.Path(), fiber.Map{
			"Title": fmt.Sprintf("%s, version %d", t.Policy.Title, n), "V": vv, "Feed": policyFeedLink(t.Policy)})
		return page{Body: body, ContentType: mimeHTML}, err
	})
}

// publicVersion is the published version /{n} names, with its policy's timeline.
func (s *Server) publicVersion(c *fiber.Ctx) (*policies.Timeline, policies.Version, error) {
	t, err := s.publicTimeline(c)
	if err != nil {
		return nil, policies.Version{}, err
	}
	n, err := versionParam(c, "n")
	if err != nil {
		return nil, policies.Version{}, err
	}
	v, ok := t.Version(n)
	if !ok {
		return nil, policies.Version{}, policyError(policies.ErrNotFound)
	}
	return t, v, nil
}

// policyMarkdown serves a version's source, which never changes.
func (s *Server) policyMarkdown(c *fiber.Ctx) error {
	t, v, err := s.publicVersion(c)
	if err != nil {
		return err
	}
	n := v.Number
	return s.servePage(c, pageKey(t, "md", n), "public, max-age=86400, immutable", func() (page, error) {
		return page{Body: []byte(v.BodyMD), ContentType: mimeMarkdown, ETag: `"` + v.SHA256[:24] + `"`}, nil
	})
}

// policyHistory lists every published version with its summary.
func (s *Server) policyHistory(c *fiber.Ctx) error {
	t, err := s.publicTimeline(c)
	if err != nil {
		return err
	}
	now := s.now()
	views := make([]versionView, 0, len(t.Versions))
	for i := len(t.Versions) - 1; i >= 0; i-- {
		views = append(views, viewOf(t, t.Versions[i], now))
	}
	cur := 0
	if v, ok := t.InEffect(now); ok {
		cur = v.Number
	}
	key := pageKey(t, "history", len(t.Versions), cur)
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		data := fiber.Map{"Title": t.Policy.Title + ": history", "Policy": t.Policy, "Versions": views,
			"Sections": policies.SectionHistories(t.Versions), "Choices": newestFirst(t.Versions),
			"Latest": t.Versions[len(t.Versions)-1].Number, "Feed": policyFeedLink(t.Policy)}
		if n := len(t.Versions); n > 1 {
			data["CompareA"], data["CompareB"] = t.Versions[n-2].Number, t.Versions[n-1].Number
		}
		body, err := s.renderBytes("policies/history", c.Path(), data)
		return page{Body: body, ContentType: mimeHTML}, err
	})
}

// apiVersion is a version in the JSON API.
type apiVersion struct {
	Slug        string              `json:"slug"`
	Title       string              `json:"title"`
	Number      int                 `json:"number"`
	Status      policies.Status     `json:"status"`
	EffectiveAt time.Time           `json:"effective_at"`
	PublishedAt time.Time           `json:"published_at"`
	ChangeKind  policies.ChangeKind `json:"change_kind"`
	Summary     string              `json:"summary"`
	// ShortNoticeReason is why a material change took effect before its
	// notice period ended; absent when it did not.
	ShortNoticeReason string `json:"short_notice_reason,omitempty"`
	BodyMarkdown      string `json:"body_markdown,omitempty"`
	BodyHTML          string `json:"body_html,omitempty"`
	SHA256            string `json:"sha256"`
	URL               string `json:"url"`
}

func (s *Server) apiVersionOf(t *policies.Timeline, v policies.Version, now time.Time, withBody bool) apiVersion {
	a := apiVersion{Slug: t.Policy.Slug, Title: t.Policy.Title, Number: v.Number, Status: t.StatusOf(v, now),
		EffectiveAt: v.EffectiveAt, PublishedAt: v.PublishedAt, ChangeKind: v.ChangeKind, Summary: v.Summary,
		ShortNoticeReason: v.ShortNoticeReason, SHA256: v.SHA256, URL: fmt.Sprintf("%s/policies/%s/v/%d", strings.TrimRight(s.cfg.BaseURL.String(), "/"), t.Policy.Slug, v.Number)}
	if withBody {
		a.BodyMarkdown, a.BodyHTML = v.BodyMD, v.BodyHTML
	}
	return a
}

// apiPolicies lists the public policies with the version in effect.
func (s *Server) apiPolicies(c *fiber.Ctx) error {
	at, hasAt, err := atParam(c)
	if err != nil {
		return err
	}
	now := s.now()
	moment := now
	if hasAt {
		moment = at.Moment
	}
	ts, err := s.policies.Timelines(c.UserContext(), policies.Public)
	if err != nil {
		return err
	}
	out := []apiVersion{}
	for _, t := range ts {
		if v, ok := t.InEffect(moment); ok {
			out = append(out, s.apiVersionOf(t, v, now, false))
		}
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	if hasAt {
		return c.JSON(fiber.Map{"policies": out, "at": at.Day})
	}
	return c.JSON(fiber.Map{"policies": out})
}

// apiPolicy is the version in effect with the whole history.
func (s *Server) apiPolicy(c *fiber.Ctx) error {
	at, hasAt, err := atParam(c)
	if err != nil {
		return err
	}
	t, err := s.publicTimeline(c)
	if err != nil {
		return err
	}
	if hasAt {
		return s.apiPolicyAt(c, t, at)
	}
	now := s.now()
	cur, ok := t.InEffect(now)
	if !ok {
		return policyError(policies.ErrNotFound)
	}
	nextNum := 0
	if next, ok := t.Next(now); ok {
		nextNum = next.Number
	}
	key := pageKey(t, "api", cur.Number, nextNum, len(t.Versions))
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		body, err := jsonBytes(s.apiPolicyOf(t, cur, now, ""))
		return page{Body: body, ContentType: mimeJSON}, err
	})
}

// apiPolicyVersion is one version with its body.
func (s *Server) apiPolicyVersion(c *fiber.Ctx) error {
	t, v, err := s.publicVersion(c)
	if err != nil {
		return err
	}
	n := v.Number
	now := s.now()
	key := pageKey(t, "api version "+string(t.StatusOf(v, now)), n)
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		body, err := jsonBytes(s.apiVersionOf(t, v, now, true))
		return page{Body: body, ContentType: mimeJSON}, err
	})
}

func jsonBytes(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("handlers: encode JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// subscribeForm is the change-notice form on the policies index.
type subscribeForm struct {
	Email string
	validator.Validator
}

// Limits on the subscription form per window (limitWindow), in memory
// like the sign-in limits: the domain sends at most one confirmation a day
// to an address (policies.ConfirmationEvery); these keep one client, or
// many clients naming one address, from making the server do the work.
const (
	subscribeAddressLimit = 5
	subscribeClientLimit  = 20
)

// subscribe starts a double opt-in. The answer is the same whether or not
// the address was already subscribed, or already sent a confirmation
// today, so the form reveals nobody.
func (s *Server) subscribe(c *fiber.Ctx) error {
	f := subscribeForm{Email: strings.TrimSpace(c.FormValue("email"))}
	f.Check(validator.NotBlank(f.Email), "email", "Enter your email address.")
	f.Check(f.Email == "" || validator.Email(strings.ToLower(f.Email)), "email", "Enter an email address like name@example.com.")
	if f.Valid() {
		address := "subscribe-address:" + strings.ToLower(f.Email)
		client := "subscribe-client:" + s.clientIP(c)
		if ok, wait := s.limiter.take(s.wall(), budget{address, subscribeAddressLimit}, budget{client, subscribeClientLimit}); !ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return fiber.NewError(fiber.StatusTooManyRequests, "Too many subscription requests. Wait "+humanWait(wait)+" and try again.")
		}
		err := s.policies.Subscribe(c.UserContext(), f.Email, s.now())
		var ve *policies.ValidationError
		switch {
		case errors.As(err, &ve):
			f.AddFieldError("email", "Enter an email address like name@example.com.")
		case err != nil:
			return err
		default:
			return s.render(c, fiber.StatusOK, "policies/message", fiber.Map{"Title": "Check your email",
				"Message": "Unless " + f.Email + " is already subscribed, a confirmation link is on its way to it (at most one a day). " +
					"Open it within 7 days and confirm to start receiving policy change notices. Until then we send nothing else."})
		}
	}
	rows, err := s.indexRows(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusUnprocessableEntity, "policies/index", fiber.Map{"Title": "Privacy policies", "Policies": rows, "Form": f})
}

var errConfirmUnknown = fiber.NewError(fiber.StatusNotFound,
	"This confirmation link is not valid. It may have been used to unsubscribe already, or mistyped.")

// subscribeConfirmForm is the page the emailed link opens: it confirms
// nothing by itself, since mail scanners open links, and asks for a click.
func (s *Server) subscribeConfirmForm(c *fiber.Ctx) error {
	sub, err := s.policies.PendingConfirmation(c.UserContext(), c.Params("token"), s.now())
	if errors.Is(err, policies.ErrNotFound) {
		return errConfirmUnknown
	}
	if err != nil {
		return policyError(err)
	}
	if sub.ConfirmedAt != nil {
		return s.render(c, fiber.StatusOK, "policies/message", fiber.Map{"Title": "Subscription confirmed",
			"Message":          "This subscription is already confirmed. You get an email when a public policy changes in a way that matters.",
			"UnsubscribeToken": c.Params("token")})
	}
	return s.render(c, fiber.StatusOK, "policies/message", fiber.Map{"Title": "Confirm your subscription",
		"Message":             "Get an email when a public policy changes in a way that matters? Every email has a one-click unsubscribe link.",
		"ConfirmSubscription": c.Params("token")})
}

// subscribeConfirm completes the double opt-in from the page's button.
func (s *Server) subscribeConfirm(c *fiber.Ctx) error {
	_, err := s.policies.Confirm(c.UserContext(), c.Params("token"), s.now())
	if errors.Is(err, policies.ErrNotFound) {
		return errConfirmUnknown
	}
	if err != nil {
		return policyError(err)
	}
	return s.render(c, fiber.StatusOK, "policies/message", fiber.Map{"Title": "Subscription confirmed",
		"Message":          "You will get an email when a public policy changes in a way that matters. Every email has a one-click unsubscribe link.",
		"UnsubscribeToken": c.Params("token")})
}

// unsubscribeForm asks before unsubscribing: link scanners in mail systems
// open GET links, and must not unsubscribe anyone.
func (s *Server) unsubscribeForm(c *fiber.Ctx) error {
	if _, err := s.policies.SubscriptionByToken(c.UserContext(), c.Params("token")); err != nil {
		if errors.Is(err, policies.ErrNotFound) {
			return s.render(c, fiber.StatusOK, "policies/message", fiber.Map{"Title": "Not subscribed",
				"Message": "This address is not subscribed (any more). We keep nothing about it."})
		}
		return err
	}
	return s.render(c, fiber.StatusOK, "policies/message", fiber.Map{"Title": "Unsubscribe",
		"Message": "Stop policy change notices to this address? We will delete the address at once.", "ConfirmUnsubscribe": c.Params("token")})
}

// unsubscribe is one-click (RFC 8058): mail clients POST here without a
// form, so the route takes no CSRF token; the unguessable token is the key.
func (s *Server) unsubscribe(c *fiber.Ctx) error {
	if _, err := s.policies.Unsubscribe(c.UserContext(), c.Params("token")); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "policies/message", fiber.Map{"Title": "Unsubscribed",
		"Message": "You will get no more policy change notices, and we have deleted your address."})
}
