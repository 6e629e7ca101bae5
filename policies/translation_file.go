package policies

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"steward/internal/audit"
)

// TranslationFile is a translation of a policy version as a Markdown file
// with front matter, named after the policy file it translates with the
// language before ".md": privacy.de.md beside privacy.md (see
// docs/policy-files.md).
type TranslationFile struct {
	Name     string
	Slug     string // "" when left out: the policy file it sits beside names it
	Version  int    // 0 when left out: the version published with it, else the latest
	Language string
	Input    TranslationInput
}

var translationFields = []string{"slug", "language", "version", "title", "summary", "key_points"}

// TranslationOf says whether path names a translation file: for
// "policies/privacy.de.md" it returns "policies/privacy.md" and "de".
func TranslationOf(path string) (policyFile, lang string, ok bool) {
	stem, found := strings.CutSuffix(path, ".md")
	if !found {
		return "", "", false
	}
	dot := strings.LastIndexByte(stem, '.')
	if dot < 0 || strings.ContainsAny(stem[dot+1:], `/\`) {
		return "", "", false
	}
	lang, ok = CanonicalLanguage(stem[dot+1:])
	if !ok {
		return "", "", false
	}
	return stem[:dot] + ".md", lang, true
}

// ParseTranslationFile reads a translation file. Its language is the one
// its name gives, or its front matter's language field.
func ParseTranslationFile(name string, data []byte) (TranslationFile, error) {
	fe := &FileError{File: name}
	text := strings.TrimPrefix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\ufeff")
	if !strings.HasPrefix(text, "---\n") {
		fe.add("front matter", "the file must start with a line \"---\", the front matter, and another \"---\"")
		return TranslationFile{}, fe
	}
	head, body, ok := strings.Cut(text[4:], "\n---\n")
	if !ok {
		fe.add("front matter", "no closing \"---\" line")
		return TranslationFile{}, fe
	}
	raw := map[string]any{}
	if err := yaml.Unmarshal([]byte(head), &raw); err != nil {
		fe.add("front matter", "not valid YAML: "+strings.ReplaceAll(yaml.FormatError(err, false, false), "\n", " "))
		return TranslationFile{}, fe
	}
	known := map[string]bool{}
	for _, k := range translationFields {
		known[k] = true
	}
	for k := range raw {
		if !known[k] {
			fe.add(k, "unknown field (known: "+strings.Join(translationFields, ", ")+")")
		}
	}
	tf := TranslationFile{Name: name, Slug: fmString(raw, "slug", fe), Version: fmInt(raw, "version", fe)}
	_, fromName, named := TranslationOf(filepath.Base(name))
	tf.Language = fromName
	if l := fmString(raw, "language", fe); l != "" {
		canon, ok := CanonicalLanguage(l)
		switch {
		case !ok:
			fe.add("language", "must be a language tag like de, fr or pt-BR")
		case named && canon != fromName:
			fe.add("language", fmt.Sprintf("is %s but the file's name says %s", canon, fromName))
		}
		tf.Language = canon
	}
	if tf.Language == "" {
		fe.add("language", "name the file like privacy.de.md, or give the language in the front matter")
	}
	if tf.Version < 0 {
		fe.add("version", "must be a version number")
	}
	tf.Input = TranslationInput{Language: tf.Language, Title: fmString(raw, "title", fe), Body: NormalizeBody(body),
		Summary: strings.TrimSpace(fmString(raw, "summary", fe)), KeyPoints: fmStrings(raw, "key_points", fe)}
	// Every rule but the policy's own language, which needs the policy.
	if err := tf.Input.Validate(Policy{}); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for k, m := range ve.Fields {
				fe.add(k, m)
			}
		}
	}
	if len(fe.Fields) > 0 {
		return TranslationFile{}, fe
	}
	return tf, nil
}

// PublishTranslationFile saves the file as the translation of its
// version (the latest published when it names none). A translation the
// same as the one saved publishes nothing and says so.
func (s *Store) PublishTranslationFile(ctx context.Context, tf TranslationFile, by audit.Actor, now time.Time) (string, error) {
	if tf.Slug == "" {
		return "", &FileError{File: tf.Name, Fields: map[string]string{"slug": "is required: give it, or publish the file beside the policy file it translates"}}
	}
	t, err := s.loadTimeline(ctx, tf.Slug)
	if errors.Is(err, ErrNotFound) {
		return "", &FileError{File: tf.Name, Fields: map[string]string{"slug": fmt.Sprintf("no policy %s: publish the policy first", tf.Slug)}}
	}
	if err != nil {
		return "", err
	}
	n := tf.Version
	if n == 0 {
		latest, ok := t.Latest()
		if !ok {
			return "", &FileError{File: tf.Name, Fields: map[string]string{"version": "the policy has no published version to translate"}}
		}
		n = latest.Number
	}
	if cur, ok := t.TranslationOf(tf.Language, n); ok {
		if frozen, err := s.freeze(ctx, s.db, tf.Input.Body); err == nil && Hash(frozen) == cur.SHA256 &&
			cur.Title == strings.TrimSpace(tf.Input.Title) && cur.Summary == tf.Input.Summary &&
			joinKeyPoints(cur.KeyPoints) == joinKeyPoints(tf.Input.KeyPoints) {
			return fmt.Sprintf("%s: identical to the %s translation of %s version %d; nothing published", tf.Name, tf.Language, tf.Slug, n), nil
		}
	}
	tr, err := s.Translate(ctx, tf.Slug, n, tf.Input, by, now)
	if errors.Is(err, ErrNotFound) {
		return "", &FileError{File: tf.Name, Fields: map[string]string{"version": fmt.Sprintf("%s has no published version %d", tf.Slug, n)}}
	}
	if err != nil {
		return "", fileErr(tf.Name, err)
	}
	return fmt.Sprintf("%s: published the %s translation of %s version %d", tf.Name, tr.Language, tf.Slug, tr.Number), nil
}

type translationMatter struct {
	Slug      string   `yaml:"slug"`
	Language  string   `yaml:"language"`
	Version   int      `yaml:"version"`
	Title     string   `yaml:"title"`
	Summary   string   `yaml:"summary,omitempty"`
	KeyPoints []string `yaml:"key_points,omitempty"`
}

// FormatTranslationFile writes a translation as a file that
// ParseTranslationFile reads back to the same translation.
func FormatTranslationFile(p Policy, tr Translation) ([]byte, error) {
	head, err := yaml.Marshal(translationMatter{Slug: p.Slug, Language: tr.Language, Version: tr.Number, Title: tr.Title,
		Summary: tr.Summary, KeyPoints: tr.KeyPoints})
	if err != nil {
		return nil, fmt.Errorf("policies: format %s v%d %s: %w", p.Slug, tr.Number, tr.Language, err)
	}
	var b bytes.Buffer
	b.WriteString("---\n")
	b.Write(head)
	b.WriteString("---\n\n")
	b.WriteString(tr.BodyMD)
	return b.Bytes(), nil
}

// exportTranslations writes t's translations beside its versions' files:
// SLUG/vN.LANG.md.
func exportTranslations(t *Timeline, pdir string) ([]string, error) {
	var written []string
	for _, tr := range t.Translations {
		data, err := FormatTranslationFile(t.Policy, tr)
		if err != nil {
			return written, err
		}
		path := filepath.Join(pdir, fmt.Sprintf("v%d.%s.md", tr.Number, tr.Language))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return written, fmt.Errorf("policies: export: %w", err)
		}
		written = append(written, path)
	}
	return written, nil
}
