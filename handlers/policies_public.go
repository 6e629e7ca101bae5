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

	"steward/internal/i18n"
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
	l, err := s.chooseLang(c, s.i18n.Languages())
	if err != nil {
		return err
	}
	rows, titles, err := s.indexRows(c, l)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	negotiated(c, l)
	return s.render(c, fiber.StatusOK, "policies/index", s.withLang(fiber.Map{"Title": s.i18n.T(l.UI, "index.heading"), "Policies": rows,
		"TitleLang": titles, "Form": subscribeForm{}, "Feed": siteFeedLink}, "/", l))
}

// indexRows lists each public policy's version in effect, or its first
// version while that is still scheduled.
// Each title is in l's language where a translation gives one; titles
// says which, by slug.
func (s *Server) indexRows(c *fiber.Ctx, l langChoice) (rows []versionView, titles map[string]string, err error) {
	now := s.now()
	ts, err := s.policies.Timelines(c.UserContext(), policies.Public)
	if err != nil {
		return nil, nil, err
	}
	titles = map[string]string{}
	for _, t := range ts {
		v, ok := t.InEffect(now)
		if !ok {
			v, ok = t.Next(now)
		}
		if !ok {
			continue
		}
		vv := viewOf(t, v, now)
		if tr, ok := t.TranslationFor(l.Lang, v.Number); ok && l.Lang != t.Policy.Language {
			vv.Policy.Title = tr.Title
		}
		titles[t.Policy.Slug] = l.Lang
		if vv.Policy.Title == t.Policy.Title {
			titles[t.Policy.Slug] = t.Policy.Language
		}
		rows = append(rows, vv)
	}
	return rows, titles, nil
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
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	defer negotiated(c, l)
	if hasAt {
		return s.policyAt(c, t, at, l)
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
	key := pageKey(t, langKey(t, "current", l), cur.Number, nextNum)
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		vv := viewOf(t, cur, now)
		vv.Body = linkedBody(t, vv)
		// A review touches the policy, so the key names the date shown.
		reviewed, err := s.policies.LastReviewed(c.UserContext(), t.Policy.Slug, now)
		if err != nil {
			return page{}, err
		}
		vv, tv := s.translated(t, vv, l)
		path := "/policies/" + t.Policy.Slug
		body, err := s.renderBytes("policies/show", path, s.withLang(fiber.Map{"Title": vv.Policy.Title, "V": vv, "Tr": &tv,
			"IsCurrentPage": true, "Feed": policyFeedLink(t.Policy), "LastReviewed": reviewed}, path, l))
		return page{Body: body, ContentType: mimeHTML}, err
	})
}

// policyVersion shows one published version.
func (s *Server) policyVersion(c *fiber.Ctx) error {
	t, v, err := s.publicVersion(c)
	if err != nil {
		return err
	}
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	defer negotiated(c, l)
	n := v.Number
	now := s.now()
	vv := viewOf(t, v, now)
	key := pageKey(t, langKey(t, "version "+string(vv.Status), l), n, vv.Current)
	path := c.Path()
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		vv.Body = linkedBody(t, vv)
		vv, tv := s.translated(t, vv, l)
		body, err := s.renderBytes("policies/show", path, s.withLang(fiber.Map{
			"Title": s.i18n.T(l.UI, "page.version_title", "Title", vv.Policy.Title, "N", n), "V": vv, "Tr": &tv,
			"Feed": policyFeedLink(t.Policy)}, path, l))
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
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	n := v.Number
	// Only a translation of this very version is its source in another
	// language; without one, the source is the authoritative text.
	body, sum, lang := v.BodyMD, v.SHA256, t.Policy.Language
	if tr, ok := t.TranslationOf(l.Lang, n); ok {
		body, sum, lang = tr.BodyMD, tr.SHA256, tr.Language
	}
	l.Lang = lang
	defer negotiated(c, l)
	// A translation of a version may be corrected, so only the
	// authoritative text is immutable.
	cache := "public, max-age=86400, immutable"
	if lang != t.Policy.Language {
		cache = "public, max-age=300"
	}
	return s.servePage(c, pageKey(t, "md "+lang+" "+sum, n), cache, func() (page, error) {
		return page{Body: []byte(body), ContentType: mimeMarkdown, ETag: `"` + sum[:24] + `"`}, nil
	})
}

// policyHistory lists every published version with its summary.
func (s *Server) policyHistory(c *fiber.Ctx) error {
	t, err := s.publicTimeline(c)
	if err != nil {
		return err
	}
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	defer negotiated(c, l)
	now := s.now()
	// Each summary is in l's language where that version is translated.
	views := make([]versionView, 0, len(t.Versions))
	summaryLang := map[int]string{}
	for i := len(t.Versions) - 1; i >= 0; i-- {
		vv := viewOf(t, t.Versions[i], now)
		summaryLang[vv.Version.Number] = t.Policy.Language
		if tr, ok := t.TranslationOf(l.Lang, vv.Version.Number); ok && tr.Summary != "" {
			vv.Version.Summary, summaryLang[vv.Version.Number] = tr.Summary, tr.Language
		}
		views = append(views, vv)
	}
	cur := 0
	if v, ok := t.InEffect(now); ok {
		cur = v.Number
	}
	key := pageKey(t, langKey(t, "history", l), len(t.Versions), cur)
	path := c.Path()
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		p := t.Policy
		latest := t.Versions[len(t.Versions)-1].Number
		p.Title = titleIn(t, l.Lang, latest)
		titleLang := t.Policy.Language
		if p.Title != t.Policy.Title {
			titleLang = l.Lang
		}
		data := s.withLang(fiber.Map{"Title": s.i18n.T(l.UI, "page.history_title", "Title", p.Title), "Policy": p, "Versions": views,
			"TitleLang": titleLang, "SummaryLang": summaryLang, "SectionsLang": t.Policy.Language,
			"Sections": policies.SectionHistories(t.Versions), "Choices": newestFirst(t.Versions),
			"Latest": latest, "Feed": policyFeedLink(t.Policy)}, path, l)
		if n := len(t.Versions); n > 1 {
			data["CompareA"], data["CompareB"] = t.Versions[n-2].Number, t.Versions[n-1].Number
		}
		body, err := s.renderBytes("policies/history", path, data)
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
	// Language is that of the title, summary and text; TranslationOf the
	// version a translation translates (0: the authoritative text).
	Language              string `json:"language"`
	AuthoritativeLanguage string `json:"authoritative_language"`
	TranslationOf         int    `json:"translation_of,omitempty"`
}

// apiVersionOf is version v as the API gives it in lang: the translation
// for lang (TranslationFor, which may be of an earlier version, as
// translation_of says), else the authoritative text.
func (s *Server) apiVersionOf(t *policies.Timeline, v policies.Version, now time.Time, withBody bool, lang string) apiVersion {
	a := apiVersion{Slug: t.Policy.Slug, Title: t.Policy.Title, Number: v.Number, Status: t.StatusOf(v, now),
		EffectiveAt: v.EffectiveAt, PublishedAt: v.PublishedAt, ChangeKind: v.ChangeKind, Summary: v.Summary,
		ShortNoticeReason: v.ShortNoticeReason, SHA256: v.SHA256, URL: fmt.Sprintf("%s/policies/%s/v/%d", strings.TrimRight(s.cfg.BaseURL.String(), "/"), t.Policy.Slug, v.Number),
		Language: t.Policy.Language, AuthoritativeLanguage: t.Policy.Language}
	if withBody {
		a.BodyMarkdown, a.BodyHTML = v.BodyMD, v.BodyHTML
	}
	if lang == t.Policy.Language {
		return a
	}
	if tr, ok := t.TranslationFor(lang, v.Number); ok {
		a.Title, a.Summary, a.SHA256, a.Language, a.TranslationOf = tr.Title, orElse(tr.Summary, v.Summary), tr.SHA256, tr.Language, tr.Number
		a.URL += "?lang=" + tr.Language
		if withBody {
			a.BodyMarkdown, a.BodyHTML = tr.BodyMD, tr.BodyHTML
		}
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
	asked, err := langParam(c)
	if err != nil {
		return err
	}
	ts, err := s.policies.Timelines(c.UserContext(), policies.Public)
	if err != nil {
		return err
	}
	out := []apiVersion{}
	for _, t := range ts {
		if v, ok := t.InEffect(moment); ok {
			// Each policy in the language asked for where it has it.
			lang := asked
			if lang == "" {
				lang = i18n.Match(c.Get(fiber.HeaderAcceptLanguage), t.Languages())
			}
			out = append(out, s.apiVersionOf(t, v, now, false, lang))
		}
	}
	if asked == "" {
		c.Vary(fiber.HeaderAcceptLanguage)
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
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	defer negotiated(c, l)
	if hasAt {
		return s.apiPolicyAt(c, t, at, l)
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
	key := pageKey(t, langKey(t, "api", l), cur.Number, nextNum, len(t.Versions))
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		body, err := jsonBytes(s.apiPolicyOf(t, cur, now, "", l.Lang))
		return page{Body: body, ContentType: mimeJSON}, err
	})
}

// apiPolicyVersion is one version with its body.
func (s *Server) apiPolicyVersion(c *fiber.Ctx) error {
	t, v, err := s.publicVersion(c)
	if err != nil {
		return err
	}
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	defer negotiated(c, l)
	n := v.Number
	now := s.now()
	key := pageKey(t, langKey(t, "api version "+string(t.StatusOf(v, now)), l), n)
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		body, err := jsonBytes(s.apiVersionOf(t, v, now, true, l.Lang))
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
	l := s.formLang(c)
	f := subscribeForm{Email: strings.TrimSpace(c.FormValue("email"))}
	f.Check(validator.NotBlank(f.Email), "email", s.i18n.T(l.UI, "subscribe.error_blank"))
	f.Check(f.Email == "" || validator.Email(strings.ToLower(f.Email)), "email", s.i18n.T(l.UI, "subscribe.error_invalid"))
	if f.Valid() {
		address := "subscribe-address:" + strings.ToLower(f.Email)
		client := "subscribe-client:" + s.clientIP(c)
		if ok, wait := s.limiter.take(s.wall(), budget{address, subscribeAddressLimit}, budget{client, subscribeClientLimit}); !ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return fiber.NewError(fiber.StatusTooManyRequests, "Too many subscription requests. Wait "+humanWait(wait)+" and try again.")
		}
		err := s.policies.SubscribeIn(c.UserContext(), f.Email, l.UI, s.now())
		var ve *policies.ValidationError
		switch {
		case errors.As(err, &ve):
			f.AddFieldError("email", s.i18n.T(l.UI, "subscribe.error_invalid"))
		case err != nil:
			return err
		default:
			return s.message(c, l, "subscribe.check_title", s.i18n.T(l.UI, "subscribe.check_message", "Email", f.Email), nil)
		}
	}
	rows, titles, err := s.indexRows(c, l)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusUnprocessableEntity, "policies/index", s.withLang(fiber.Map{"Title": s.i18n.T(l.UI, "index.heading"),
		"Policies": rows, "TitleLang": titles, "Form": f}, "/", l))
}

// formLang is the language of a form's answer: the page's, which the
// form carries, else the one Accept-Language asks for.
func (s *Server) formLang(c *fiber.Ctx) langChoice {
	l := langChoice{Available: s.i18n.Languages()}
	if lang, ok := policies.CanonicalLanguage(c.FormValue("lang")); ok {
		l.Lang = lang
	} else {
		l.Lang = i18n.Match(c.Get(fiber.HeaderAcceptLanguage), l.Available)
	}
	l.UI = s.i18n.Interface(l.Lang)
	l.Lang = l.UI
	return l
}

// pageLang is the interface language of a subscription page.
func (s *Server) pageLang(c *fiber.Ctx) (langChoice, error) {
	l, err := s.chooseLang(c, s.i18n.Languages())
	if err != nil {
		return l, err
	}
	negotiated(c, l)
	return l, nil
}

// message renders a subscription page: a title and a message in l's
// language, and the keys of more (the forms the page offers).
func (s *Server) message(c *fiber.Ctx, l langChoice, titleID, msg string, more fiber.Map) error {
	data := fiber.Map{"Title": s.i18n.T(l.UI, titleID), "Message": msg, "Lang": l.UI}
	for k, v := range more {
		data[k] = v
	}
	return s.render(c, fiber.StatusOK, "policies/message", data)
}

// errConfirmUnknown is the answer to a confirmation link that names no
// subscription, in l's language.
func (s *Server) errConfirmUnknown(l langChoice) error {
	return fiber.NewError(fiber.StatusNotFound, s.i18n.T(l.UI, "subscribe.unknown_link"))
}

// subscribeConfirmForm is the page the emailed link opens: it confirms
// nothing by itself, since mail scanners open links, and asks for a click.
func (s *Server) subscribeConfirmForm(c *fiber.Ctx) error {
	l, err := s.pageLang(c)
	if err != nil {
		return err
	}
	sub, err := s.policies.PendingConfirmation(c.UserContext(), c.Params("token"), s.now())
	if errors.Is(err, policies.ErrNotFound) {
		return s.errConfirmUnknown(l)
	}
	if err != nil {
		return policyError(err)
	}
	if sub.ConfirmedAt != nil {
		return s.message(c, l, "subscribe.confirmed_title", s.i18n.T(l.UI, "subscribe.already_confirmed"),
			fiber.Map{"UnsubscribeToken": c.Params("token")})
	}
	return s.message(c, l, "subscribe.confirm_title", s.i18n.T(l.UI, "subscribe.confirm_message"),
		fiber.Map{"ConfirmSubscription": c.Params("token")})
}

// subscribeConfirm completes the double opt-in from the page's button.
func (s *Server) subscribeConfirm(c *fiber.Ctx) error {
	l := s.formLang(c)
	_, err := s.policies.Confirm(c.UserContext(), c.Params("token"), s.now())
	if errors.Is(err, policies.ErrNotFound) {
		return s.errConfirmUnknown(l)
	}
	if err != nil {
		return policyError(err)
	}
	return s.message(c, l, "subscribe.confirmed_title", s.i18n.T(l.UI, "subscribe.confirmed_message"),
		fiber.Map{"UnsubscribeToken": c.Params("token")})
}

// unsubscribeForm asks before unsubscribing: link scanners in mail systems
// open GET links, and must not unsubscribe anyone.
func (s *Server) unsubscribeForm(c *fiber.Ctx) error {
	l, err := s.pageLang(c)
	if err != nil {
		return err
	}
	if _, err := s.policies.SubscriptionByToken(c.UserContext(), c.Params("token")); err != nil {
		if errors.Is(err, policies.ErrNotFound) {
			return s.message(c, l, "unsubscribe.not_subscribed_title", s.i18n.T(l.UI, "unsubscribe.not_subscribed"), nil)
		}
		return err
	}
	return s.message(c, l, "unsubscribe.title", s.i18n.T(l.UI, "unsubscribe.message"),
		fiber.Map{"ConfirmUnsubscribe": c.Params("token")})
}

// unsubscribe is one-click (RFC 8058): mail clients POST here without a
// form, so the route takes no CSRF token; the unguessable token is the key.
func (s *Server) unsubscribe(c *fiber.Ctx) error {
	l := s.formLang(c)
	if _, err := s.policies.Unsubscribe(c.UserContext(), c.Params("token")); err != nil {
		return err
	}
	return s.message(c, l, "unsubscribe.done_title", s.i18n.T(l.UI, "unsubscribe.done"), nil)
}
