package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/i18n"
	"steward/internal/validator"
	"steward/policies"
)

// translationsPage is the data of policies/admin_translations.html: every
// translation of every policy, the lagging ones first.
type translationsPage struct {
	layout
	Lags []lagRow
}

// lagRow is one translation's standing, with its language named.
type lagRow struct {
	policies.Lag
	Name string // the language, in English
}

func lagRows(lags []policies.Lag) []lagRow {
	out := make([]lagRow, len(lags))
	for i, l := range lags {
		out[i] = lagRow{Lag: l, Name: i18n.Name(l.Language, "en")}
	}
	return out
}

// adminTranslations lists which translations lag behind their policy.
func (s *Server) adminTranslations(c *fiber.Ctx) error {
	lags, err := s.policies.Lags(c.UserContext(), s.now())
	if err != nil {
		return err
	}
	return s.renderPage(c, fiber.StatusOK, "policies/admin_translations", &translationsPage{
		layout: layout{Title: "Translations"}, Lags: lagRows(lags)})
}

// policyLags is where each translation of one policy stands, for its
// admin page.
func (s *Server) policyLags(c *fiber.Ctx, slug string) []lagRow {
	t, err := s.policies.Timeline(c.UserContext(), slug)
	if err != nil {
		return nil
	}
	return lagRows(t.Lags(s.now()))
}

// translateForm is the form that adds or corrects a translation of one
// published version.
type translateForm struct {
	Version   int
	Language  string
	Title     string
	Summary   string
	KeyPoints string
	Body      string
	validator.Validator
}

// translatePage is the data of policies/admin_translate.html.
type translatePage struct {
	layout
	Policy   policies.Policy
	Versions []policies.Version // published, newest first
	Form     translateForm
}

// adminTranslateForm offers to translate a published version: the one
// ?v= names (else the latest), into ?lang= when given, prefilled with the
// translation saved before, or else with the authoritative text.
func (s *Server) adminTranslateForm(c *fiber.Ctx) error {
	t, err := s.policies.Timeline(c.UserContext(), c.Params("slug"))
	if err != nil {
		return policyError(err)
	}
	latest, ok := t.Latest()
	if !ok {
		return fiber.NewError(fiber.StatusConflict, "Publish a version before translating it.")
	}
	f := translateForm{Version: latest.Number, Language: c.Query("lang")}
	if n, err := strconv.Atoi(c.Query("v")); err == nil {
		if _, ok := t.Version(n); ok {
			f.Version = n
		}
	}
	v, _ := t.Version(f.Version)
	f.Title, f.Summary, f.KeyPoints, f.Body = t.Policy.Title, v.Summary, strings.Join(v.KeyPoints, "\n"), v.SourceMD
	if lang, ok := policies.CanonicalLanguage(f.Language); ok {
		if tr, ok := t.TranslationFor(lang, f.Version); ok {
			// Start from the latest translation: a lagging one needs only
			// what changed.
			f.Title, f.Summary, f.KeyPoints, f.Body = tr.Title, tr.Summary, strings.Join(tr.KeyPoints, "\n"), tr.BodyMD
		}
	}
	return s.renderTranslate(c, fiber.StatusOK, t, f)
}

func (s *Server) renderTranslate(c *fiber.Ctx, status int, t *policies.Timeline, f translateForm) error {
	return s.renderPage(c, status, "policies/admin_translate", &translatePage{
		layout: layout{Title: "Translate " + t.Policy.Title}, Policy: t.Policy, Versions: newestFirst(t.Versions), Form: f})
}

// adminTranslate saves a translation of a published version.
func (s *Server) adminTranslate(c *fiber.Ctx) error {
	slug := c.Params("slug")
	t, err := s.policies.Timeline(c.UserContext(), slug)
	if err != nil {
		return policyError(err)
	}
	f := translateForm{Language: strings.TrimSpace(c.FormValue("language")), Title: c.FormValue("title"),
		Summary: c.FormValue("summary"), KeyPoints: c.FormValue("key_points"), Body: c.FormValue("body")}
	n, err := strconv.Atoi(c.FormValue("version"))
	if _, ok := t.Version(n); err != nil || !ok {
		f.AddFieldError("version", "Choose a published version to translate.")
	}
	f.Version = n
	if f.Valid() {
		in := policies.TranslationInput{Language: f.Language, Title: f.Title, Body: f.Body, Summary: f.Summary,
			KeyPoints: policies.KeyPointsFromText(f.KeyPoints)}
		tr, err := s.policies.Translate(c.UserContext(), slug, n, in, audit.UserActor(currentUser(c).ID), s.now())
		switch {
		case errors.Is(err, policies.ErrNotFound):
			f.AddFieldError("version", "Choose a published version to translate.")
		case addValidation(&f.Validator, err, nil):
		case err != nil:
			return policyError(err)
		default:
			s.flash(c, "The "+i18n.Name(tr.Language, "en")+" translation of version "+strconv.Itoa(tr.Number)+" is saved and published.")
			return c.Redirect("/admin/policies/"+slug, fiber.StatusSeeOther)
		}
	}
	return s.renderTranslate(c, fiber.StatusUnprocessableEntity, t, f)
}
