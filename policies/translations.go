package policies

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"steward/internal/audit"
)

// Translation is a policy version's text in another language than the
// policy's own. It translates exactly one published version: when a later
// version is published, the translation stays what it is, a translation
// of the earlier one, and lags until a translation of the new one is
// saved.
type Translation struct {
	VersionID int64     `db:"version_id" json:"-"`
	Number    int       `db:"number" json:"version"`
	Language  string    `db:"language" json:"language"`
	Title     string    `db:"title" json:"title"`
	BodyMD    string    `db:"body_md" json:"body_markdown"`
	BodyHTML  string    `db:"body_html" json:"body_html"`
	Summary   string    `db:"summary" json:"summary"`
	KeyPoints []string  `db:"-" json:"key_points"`
	SHA256    string    `db:"sha256" json:"sha256"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// TranslationInput is what a translator supplies for one version.
type TranslationInput struct {
	Language  string
	Title     string
	Body      string
	Summary   string
	KeyPoints []string
}

// CanonicalLanguage returns the canonical form of a BCP 47 language tag
// ("de", "pt-BR"), or false when raw is not one.
func CanonicalLanguage(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 35 {
		return "", false
	}
	tag, err := language.Parse(raw)
	if err != nil || tag == language.Und {
		return "", false
	}
	return tag.String(), true
}

// Validate reports every problem with a translation of a version of p.
func (in TranslationInput) Validate(p Policy) error {
	var v ValidationError
	lang, ok := CanonicalLanguage(in.Language)
	switch {
	case !ok:
		v.add("language", "must be a language tag like de, fr or pt-BR")
	case lang == p.Language:
		v.add("language", fmt.Sprintf("is the policy's own language (%s); a translation is into another", p.Language))
	}
	switch {
	case strings.TrimSpace(in.Title) == "":
		v.add("title", "is required")
	case len(in.Title) > 200:
		v.add("title", "must be at most 200 characters")
	}
	// The body follows the rules of a version's text; the summary is
	// optional in a translation (the authoritative one says what changed).
	d := DraftInput{Body: in.Body, Summary: in.Summary, KeyPoints: in.KeyPoints, ChangeKind: Minor}
	if d.Summary == "" {
		d.Summary = "-"
	}
	if err := d.Validate(); err != nil {
		for k, msg := range err.(*ValidationError).Fields {
			v.add(k, msg)
		}
	}
	return v.orNil()
}

const translationCols = `t.version_id, v.number, t.language, t.title, t.body_md, t.body_html, t.summary, t.key_points, t.sha256, t.updated_at`

type translationRow struct {
	Translation
	PolicyID  int64  `db:"policy_id"`
	KeyPoints string `db:"key_points"`
}

// withTranslations fills in the translations of each timeline's
// published versions, in one query.
func withTranslations(ctx context.Context, q sqlx.ExtContext, ts []*Timeline) error {
	if len(ts) == 0 {
		return nil
	}
	byPolicy := make(map[int64]*Timeline, len(ts))
	ids := make([]any, 0, len(ts))
	for _, t := range ts {
		byPolicy[t.Policy.ID] = t
		ids = append(ids, t.Policy.ID)
	}
	query := `SELECT v.policy_id, ` + translationCols + ` FROM policy_translations t
		JOIN policy_versions v ON v.id = t.version_id
		WHERE v.status = 'published' AND v.policy_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)
		ORDER BY v.policy_id, v.number, t.language`
	var rows []translationRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(query), ids...); err != nil {
		return fmt.Errorf("policies: translations: %w", err)
	}
	for _, r := range rows {
		tr := r.Translation
		tr.KeyPoints = splitKeyPoints(r.KeyPoints)
		tr.UpdatedAt = tr.UpdatedAt.UTC()
		t := byPolicy[r.PolicyID]
		t.Translations = append(t.Translations, tr)
	}
	return nil
}

// Translate saves the translation of published version number of a
// policy into in.Language, replacing the one saved before (a corrected
// translation of the same version). The organisation's facts are written
// into it as into the version itself.
func (s *Store) Translate(ctx context.Context, slug string, number int, in TranslationInput, by audit.Actor, now time.Time) (Translation, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var out Translation
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		if err := in.Validate(p); err != nil {
			return err
		}
		lang, _ := CanonicalLanguage(in.Language)
		vs, err := versionsOf(ctx, tx, p.ID, true)
		if err != nil {
			return err
		}
		t := Timeline{Policy: p, Versions: vs}
		v, ok := t.Version(number)
		if !ok {
			return ErrNotFound
		}
		body, err := s.freeze(ctx, tx, NormalizeBody(in.Body))
		if err != nil {
			return err
		}
		html, err := Render(body)
		if err != nil {
			return fmt.Errorf("policies: translate %s v%d: %w", slug, number, err)
		}
		title, summary, points := strings.TrimSpace(in.Title), strings.TrimSpace(in.Summary), joinKeyPoints(in.KeyPoints)
		sum := Hash(body)
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_translations
			(version_id, language, title, body_md, body_html, summary, key_points, sha256, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (version_id, language) DO UPDATE SET title = excluded.title, body_md = excluded.body_md,
				body_html = excluded.body_html, summary = excluded.summary, key_points = excluded.key_points,
				sha256 = excluded.sha256, updated_at = excluded.updated_at`),
			v.ID, lang, title, body, html, summary, points, sum, by.ID, now, now)
		if err != nil {
			return fmt.Errorf("policies: translate %s v%d into %s: %w", slug, number, lang, err)
		}
		out = Translation{VersionID: v.ID, Number: v.Number, Language: lang, Title: title, BodyMD: body, BodyHTML: html,
			Summary: summary, KeyPoints: splitKeyPoints(points), SHA256: sum, UpdatedAt: now}
		return audit.Record(ctx, tx, by.Entry(now, "policy.translate", fmt.Sprintf("policy:%s/v%d/%s", slug, v.Number, lang),
			"sha256 "+sum))
	})
	if err != nil {
		return Translation{}, err
	}
	s.invalidate(slug)
	return out, nil
}

// Languages lists the languages the policy can be read in: its own first,
// then every language of a translation, alphabetically.
func (t *Timeline) Languages() []string {
	out := []string{t.Policy.Language}
	seen := map[string]bool{t.Policy.Language: true}
	var more []string
	for _, tr := range t.Translations {
		if !seen[tr.Language] {
			seen[tr.Language] = true
			more = append(more, tr.Language)
		}
	}
	sort.Strings(more)
	return append(out, more...)
}

// TranslationOf returns the translation into lang of version number
// exactly.
func (t *Timeline) TranslationOf(lang string, number int) (Translation, bool) {
	for _, tr := range t.Translations {
		if tr.Number == number && tr.Language == lang {
			return tr, true
		}
	}
	return Translation{}, false
}

// TranslationFor returns what a reader of lang is shown for version
// number: the translation of that version, or else that of the latest
// earlier version translated into lang, which lags (its Number is below
// number). False when lang has no translation up to number.
func (t *Timeline) TranslationFor(lang string, number int) (Translation, bool) {
	var best Translation
	found := false
	for _, tr := range t.Translations {
		if tr.Language == lang && tr.Number <= number && (!found || tr.Number > best.Number) {
			best, found = tr, true
		}
	}
	return best, found
}

// Stamp changes whenever a translation of the policy is saved: cached
// pages built from its translations name it in their keys.
func (t *Timeline) Stamp() int64 {
	var n int64
	for _, tr := range t.Translations {
		n = max(n, tr.UpdatedAt.UnixNano())
	}
	return n + int64(len(t.Translations))
}

// Lag is where one translation of a policy stands against the version a
// reader is shown in the policy's own language.
type Lag struct {
	Policy     Policy
	Language   string
	Translated int // the latest version translated into Language
	Current    int // the version in effect (or the latest, before any is)
}

// Lagging reports whether the translation is of an earlier version.
func (l Lag) Lagging() bool { return l.Translated < l.Current }

// Lags returns where each translation of the policy stands at now, by
// language.
func (t *Timeline) Lags(now time.Time) []Lag {
	cur, ok := t.InEffect(now)
	if !ok {
		if cur, ok = t.Latest(); !ok {
			return nil
		}
	}
	var out []Lag
	for _, lang := range t.Languages()[1:] {
		tr, ok := t.TranslationFor(lang, cur.Number)
		if !ok {
			// Only a scheduled version is translated so far.
			tr.Number = 0
		}
		out = append(out, Lag{Policy: t.Policy, Language: lang, Translated: tr.Number, Current: cur.Number})
	}
	return out
}

// Lags lists every translation of every policy with where it stands, the
// lagging ones first, then by policy title and language.
func (s *Store) Lags(ctx context.Context, now time.Time) ([]Lag, error) {
	ts, err := s.Timelines(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []Lag
	for _, t := range ts {
		out = append(out, t.Lags(now)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Lagging() && !out[j].Lagging() })
	return out, nil
}

// shownLanguage checks the language an acknowledgement of v names and
// returns it as recorded: the policy's own language for "", else a
// language v has a translation in.
func shownLanguage(ctx context.Context, q sqlx.ExtContext, t *Timeline, v Version, lang string) (string, error) {
	if lang == "" || lang == t.Policy.Language {
		return t.Policy.Language, nil
	}
	if err := withTranslations(ctx, q, []*Timeline{t}); err != nil {
		return "", err
	}
	if _, ok := t.TranslationOf(lang, v.Number); !ok {
		return "", &ValidationError{Fields: map[string]string{"language": fmt.Sprintf("version %d has no translation into %s", v.Number, lang)}}
	}
	return lang, nil
}

// Words are the phrases of a feed in another language (internal/i18n's
// catalogue).
type Words interface {
	T(lang, id string, args ...any) string
	Date(lang string, t time.Time) string
}

// PolicyFeedIn writes the Atom feed of one public policy's publications
// for readers of lang: each version translated into lang is an entry in
// lang; each version that is not is an entry with the authoritative text,
// saying so, so a reader learns of a change before its translation.
func PolicyFeedIn(baseURL, org string, t *Timeline, lang string, w Words) ([]byte, error) {
	if lang == t.Policy.Language {
		return PolicyFeed(baseURL, org, t)
	}
	baseURL = strings.TrimRight(baseURL, "/")
	var pubs []publication
	if t.Policy.Audience == Public {
		for _, v := range t.Versions {
			p, v := t.Policy, v
			summary := w.T(lang, "feed.untranslated", "Language", languageName(t.Policy.Language, lang)) + " " + v.Summary
			if tr, ok := t.TranslationOf(lang, v.Number); ok {
				p.Title, v.BodyHTML, v.KeyPoints = tr.Title, tr.BodyHTML, tr.KeyPoints
				summary = w.T(lang, "feed.summary", "Summary", orElse(tr.Summary, v.Summary),
					"Kind", w.T(lang, "kind."+string(v.ChangeKind)), "When", w.Date(lang, v.EffectiveAt))
			}
			pubs = append(pubs, publication{p: p, v: v, lang: lang, summary: summary,
				title: w.T(lang, "feed.entry", "Title", p.Title, "N", v.Number)})
		}
	}
	title := titleFor(t, lang)
	f := AtomFeed{
		ID:    PolicyFeedID(t.Policy) + "/" + lang,
		Title: w.T(lang, "feed.title", "Title", title),
		Links: []AtomLink{
			{Rel: "self", Type: "application/atom+xml", Href: baseURL + "/policies/" + t.Policy.Slug + "/feed.atom?lang=" + lang},
			{Rel: "alternate", Type: "text/html", Href: baseURL + "/policies/" + t.Policy.Slug + "?lang=" + lang},
		},
	}
	return writeFeed(f, baseURL, org, pubs)
}

// titleFor is the policy's title in lang, from the latest translation.
func titleFor(t *Timeline, lang string) string {
	if v, ok := t.Latest(); ok {
		if tr, ok := t.TranslationFor(lang, v.Number); ok {
			return tr.Title
		}
	}
	return t.Policy.Title
}

func orElse(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// languageName names lang in language in ("Englisch" in German).
func languageName(lang, in string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		return lang
	}
	if n := display.Tags(language.Make(in)).Name(tag); n != "" {
		return n
	}
	return lang
}
