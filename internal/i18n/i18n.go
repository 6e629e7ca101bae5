// Package i18n translates the interface text of the public pages and of
// the emails the public receives (nicksnyder/go-i18n), formats dates in
// each language, and picks a language from a request's Accept-Language
// (golang.org/x/text/language). The catalogues are
// catalogues/<lang>.json, embedded; English and German are complete.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

//go:embed catalogues/*.json
var files embed.FS

// Default is the language of the interface when nothing else is asked
// for, and the one every message falls back to.
const Default = "en"

// Catalogue holds every message in every language. It is safe for
// concurrent use.
type Catalogue struct {
	langs []string                     // Default first
	ids   map[string]map[string]bool   // language -> message ids
	locs  map[string]*goi18n.Localizer // language -> localizer (falling back to Default)
}

// New parses the embedded catalogues.
func New() (*Catalogue, error) {
	bundle := goi18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	entries, err := files.ReadDir("catalogues")
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	c := &Catalogue{ids: map[string]map[string]bool{}, locs: map[string]*goi18n.Localizer{}}
	for _, e := range entries {
		name := e.Name()
		data, err := files.ReadFile(path.Join("catalogues", name))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		mf, err := bundle.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		lang := strings.TrimSuffix(name, ".json")
		ids := map[string]bool{}
		for _, m := range mf.Messages {
			ids[m.ID] = true
		}
		c.ids[lang] = ids
		c.langs = append(c.langs, lang)
	}
	sort.Slice(c.langs, func(i, j int) bool {
		return c.langs[i] == Default || (c.langs[j] != Default && c.langs[i] < c.langs[j])
	})
	if len(c.langs) == 0 || c.langs[0] != Default {
		return nil, fmt.Errorf("i18n: no %s catalogue", Default)
	}
	for _, l := range c.langs {
		c.locs[l] = goi18n.NewLocalizer(bundle, l, Default)
	}
	return c, nil
}

// Languages lists the languages of the interface, Default first.
func (c *Catalogue) Languages() []string { return append([]string(nil), c.langs...) }

// IDs lists the message ids of one language's catalogue.
func (c *Catalogue) IDs(lang string) map[string]bool { return c.ids[lang] }

// Interface is the interface language for content in lang: lang itself,
// its base language ("de" for "de-CH"), or Default.
func (c *Catalogue) Interface(lang string) string {
	if _, ok := c.locs[lang]; ok {
		return lang
	}
	if tag, err := language.Parse(lang); err == nil {
		base, _ := tag.Base()
		if _, ok := c.locs[base.String()]; ok {
			return base.String()
		}
	}
	return Default
}

// T returns message id in lang (falling back to English), filled in from
// args, which are name, value pairs: T("de", "policy.version", "N", 3).
// A message missing from every catalogue comes back as its id, which the
// catalogue tests make impossible for the ids the templates use.
func (c *Catalogue) T(lang, id string, args ...any) string {
	loc := c.locs[c.Interface(lang)]
	var data map[string]any
	var count any
	if len(args) > 0 {
		data = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			k := fmt.Sprint(args[i])
			data[k] = args[i+1]
			if k == "Count" {
				count = args[i+1]
			}
		}
	}
	s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		return id
	}
	return s
}

// Date writes a day the way lang writes it: "2 January 2026",
// "2. Januar 2026".
func (c *Catalogue) Date(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	month := c.T(lang, "month."+strconv.Itoa(int(t.Month())))
	return c.T(lang, "format.date", "Day", t.Day(), "Month", month, "Year", t.Year())
}

// DateTime writes a moment in UTC the way lang writes it.
func (c *Catalogue) DateTime(lang string, t time.Time) string {
	t = t.UTC()
	return c.T(lang, "format.datetime", "Date", c.Date(lang, t), "Time", t.Format("15:04"))
}

// Name is the name of language lang written in language in ("German" in
// English, "Deutsch" in German); in "" names it in itself.
func Name(lang, in string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		return lang
	}
	var n string
	if in == "" {
		n = display.Self.Name(tag)
	} else if inTag, err := language.Parse(in); err == nil {
		n = display.Tags(inTag).Name(tag)
	}
	if n == "" {
		return lang
	}
	return n
}

// Match picks from available (language tags, the preferred default
// first) the one that best serves an Accept-Language header; the first
// when none does.
func Match(acceptLanguage string, available []string) string {
	if len(available) == 0 {
		return ""
	}
	if acceptLanguage == "" || len(available) == 1 {
		return available[0]
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return available[0]
	}
	tags := make([]language.Tag, len(available))
	for i, a := range available {
		tags[i] = language.Make(a)
	}
	_, i, conf := language.NewMatcher(tags).Match(prefs...)
	if conf == language.No {
		return available[0]
	}
	return available[i]
}
