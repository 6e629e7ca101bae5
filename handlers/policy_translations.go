package handlers

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/i18n"
	"steward/policies"
)

// langChoice is the language a public policy page is shown in: the one
// ?lang= names (a stable address, which wins), else the best of the
// policy's languages for the request's Accept-Language.
type langChoice struct {
	Lang      string // the language of the text shown
	UI        string // the language of the interface around it
	Explicit  bool   // named by ?lang=, so links keep it
	Available []string
}

// Q is the query string the page's links carry to keep the language.
func (l langChoice) Q() string {
	if !l.Explicit {
		return ""
	}
	return "?lang=" + url.QueryEscape(l.Lang)
}

// key names the choice in a cached page's key.
func (l langChoice) key() string {
	if l.Explicit {
		return "lang=" + l.Lang
	}
	return "neg=" + l.Lang
}

// langParam reads ?lang=: "" when absent; a tag that is not one is a 400.
func langParam(c *fiber.Ctx) (string, error) {
	raw := c.Query("lang")
	if raw == "" {
		return "", nil
	}
	lang, ok := policies.CanonicalLanguage(raw)
	if !ok {
		return "", fiber.NewError(fiber.StatusBadRequest, "The lang parameter must be a language tag like en or de.")
	}
	return lang, nil
}

// chooseLang picks the language among available (the preferred first).
// A language named in the address that is not available is a 404 naming
// those that are; a negotiated answer varies by Accept-Language.
func (s *Server) chooseLang(c *fiber.Ctx, available []string) (langChoice, error) {
	lang, err := langParam(c)
	if err != nil {
		return langChoice{}, err
	}
	l := langChoice{Available: available}
	if lang != "" {
		for _, a := range available {
			if a == lang {
				l.Lang, l.Explicit = a, true
			}
		}
		if !l.Explicit {
			return langChoice{}, fiber.NewError(fiber.StatusNotFound, s.i18n.T(s.i18n.Interface(lang), "error.no_language",
				"Language", i18n.Name(lang, ""), "Available", strings.Join(names(available), ", ")))
		}
	} else {
		l.Lang = i18n.Match(c.Get(fiber.HeaderAcceptLanguage), available)
	}
	l.UI = s.i18n.Interface(l.Lang)
	return l, nil
}

// negotiated finishes an answer chosen by Accept-Language: caches must
// keep one copy per language, and the reader's client learns which it got.
func negotiated(c *fiber.Ctx, l langChoice) {
	c.Set(fiber.HeaderContentLanguage, l.Lang)
	if l.Explicit || len(l.Available) < 2 {
		return
	}
	vary := string(c.Response().Header.Peek(fiber.HeaderVary))
	if vary == "" {
		c.Set(fiber.HeaderVary, fiber.HeaderAcceptLanguage)
	} else if !strings.Contains(vary, fiber.HeaderAcceptLanguage) {
		c.Set(fiber.HeaderVary, vary+", "+fiber.HeaderAcceptLanguage)
	}
}

func names(langs []string) []string {
	out := make([]string, len(langs))
	for i, l := range langs {
		out[i] = i18n.Name(l, "") + " (" + l + ")"
	}
	return out
}

// altLink is another language of the same page: a hreflang alternate in
// the head and a link in the language switcher.
type altLink struct {
	Lang    string
	Name    string // in its own language
	URL     string // absolute, for hreflang
	Path    string // for the switcher
	Current bool
}

// alternates lists the page at path in each available language, and the
// negotiated address as x-default.
func (s *Server) alternates(path string, l langChoice) []altLink {
	if len(l.Available) < 2 {
		return nil
	}
	base := strings.TrimRight(s.cfg.BaseURL.String(), "/")
	out := make([]altLink, 0, len(l.Available)+1)
	for _, a := range l.Available {
		p := path + "?lang=" + url.QueryEscape(a)
		out = append(out, altLink{Lang: a, Name: i18n.Name(a, ""), URL: base + p, Path: p, Current: a == l.Lang})
	}
	return append(out, altLink{Lang: "x-default", URL: base + path, Path: path})
}

// trView says what a page shows of a translation.
type trView struct {
	Lang          string // the language of the text shown
	Authoritative string // the policy's own language
	AuthName      string // its name in the interface language
	Of            int    // the version the shown translation is of; 0: the authoritative text
	Lagging       bool   // Of is earlier than the version the page is about
	Missing       bool   // no translation into the language asked for up to this version
	AskedName     string // the language asked for, named in the interface language
	Attr          string // Lang when it is not the interface's, for lang attributes
}

// translated is version v of t as a reader of l sees it: the translation
// for l (TranslationFor, possibly of an earlier version) put in the
// version's place, with what the page must say about it.
func (s *Server) translated(t *policies.Timeline, vv versionView, l langChoice) (versionView, trView) {
	tv := trView{Lang: t.Policy.Language, Authoritative: t.Policy.Language, AuthName: i18n.Name(t.Policy.Language, l.UI)}
	if tv.Lang != l.UI {
		tv.Attr = tv.Lang
	}
	if l.Lang == t.Policy.Language {
		return vv, tv
	}
	tr, ok := t.TranslationFor(l.Lang, vv.Version.Number)
	if !ok {
		tv.Missing, tv.AskedName = true, i18n.Name(l.Lang, l.UI)
		return vv, tv
	}
	tv.Lang, tv.Of, tv.Lagging, tv.Attr = tr.Language, tr.Number, tr.Number < vv.Version.Number, ""
	if tr.Language != l.UI {
		tv.Attr = tr.Language
	}
	vv.Policy.Title = tr.Title
	v := vv.Version
	if tr.Summary != "" {
		v.Summary = tr.Summary
	}
	v.KeyPoints, v.SHA256 = tr.KeyPoints, tr.SHA256
	vv.Version = v
	// Sanitised by policies.Render when the translation was saved.
	vv.Body = template.HTML(withoutTitle(tr.BodyHTML))
	return vv, tv
}

// titleIn is the policy's title in lang, where a translation gives one.
func titleIn(t *policies.Timeline, lang string, number int) string {
	if tr, ok := t.TranslationFor(lang, number); ok {
		return tr.Title
	}
	return t.Policy.Title
}

// langKey extends a cached page's kind with the language it is in and
// the translations it was built from.
func langKey(t *policies.Timeline, kind string, l langChoice) string {
	return kind + " " + l.key() + " " + itoa64(t.Stamp())
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// i18nFuncs are the template functions of translated text. lang is the
// page's .Lang: "" (a staff page, a map without it) is English.
func i18nFuncs(cat *i18n.Catalogue) template.FuncMap {
	str := func(lang any) string {
		s, _ := lang.(string)
		return s
	}
	return template.FuncMap{
		"t":         func(lang any, id string, args ...any) string { return cat.T(str(lang), id, args...) },
		"tdate":     func(lang any, t time.Time) string { return cat.Date(str(lang), t) },
		"tdatetime": func(lang any, t time.Time) string { return cat.DateTime(str(lang), t) },
		// {{langname "de" .Lang}}: German, in the page's language.
		"langname": func(lang string, in any) string { return i18n.Name(lang, cat.Interface(str(in))) },
	}
}

// withLang adds to a public page's data what its language decides: the
// interface language, the query its links keep, the alternates.
func (s *Server) withLang(data fiber.Map, path string, l langChoice) fiber.Map {
	data["Lang"], data["Q"], data["Alternates"] = l.UI, l.Q(), s.alternates(path, l)
	data["LangParam"] = ""
	if l.Explicit {
		data["LangParam"] = l.Lang
	}
	return data
}

// diffIn is the redline from va to vb in l's language: between their
// translations when both versions are translated into it, else between
// the authoritative texts, which the page then says.
func diffIn(t *policies.Timeline, va, vb policies.Version, l langChoice) (diffView, trView) {
	tv := trView{Lang: t.Policy.Language, Authoritative: t.Policy.Language, AuthName: i18n.Name(t.Policy.Language, l.UI)}
	p := t.Policy
	textA, textB := va.BodyMD, vb.BodyMD
	if l.Lang != t.Policy.Language {
		ta, okA := t.TranslationOf(l.Lang, va.Number)
		tb, okB := t.TranslationOf(l.Lang, vb.Number)
		if okA && okB {
			textA, textB, p.Title = ta.BodyMD, tb.BodyMD, tb.Title
			va.Summary, vb.Summary = orElse(ta.Summary, va.Summary), orElse(tb.Summary, vb.Summary)
			tv.Lang, tv.Of = l.Lang, vb.Number
		} else {
			tv.Missing, tv.AskedName = true, i18n.Name(l.Lang, l.UI)
		}
	}
	r := policies.Compare(textA, textB)
	// Compare escapes the text and adds only its own elements.
	return diffView{Policy: p, A: va, B: vb, R: r, Redline: template.HTML(r.HTML)}, tv
}

func orElse(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// staffLanguage shows a staff policy in the language asked for (?lang=,
// else Accept-Language) where the version in effect is translated into
// it: an acknowledgement is of the very version, so a translation of an
// earlier one is not offered in its place.
func (s *Server) staffLanguage(c *fiber.Ctx, t *policies.Timeline, data *myPolicyPage) error {
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	data.ShownLang = t.Policy.Language
	l.Explicit = true // links keep the language; the page is never cached
	data.Alternates = s.alternates(c.Path(), l)
	if l.Lang == t.Policy.Language {
		return nil
	}
	tr, ok := t.TranslationOf(l.Lang, data.V.Version.Number)
	if !ok {
		data.Untranslated = i18n.Name(l.Lang, "en")
		return nil
	}
	data.ShownLang = tr.Language
	data.V.Policy.Title = tr.Title
	data.V.Version.Summary = orElse(tr.Summary, data.V.Version.Summary)
	// Sanitised by policies.Render when the translation was saved.
	data.V.Body = template.HTML(withoutTitle(tr.BodyHTML))
	return nil
}
