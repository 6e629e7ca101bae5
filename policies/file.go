package policies

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// File is one policy version as a Markdown file with front matter (see
// docs/policy-files.md).
type File struct {
	Name      string // where it came from, for messages
	Settings  Settings
	Summary   string
	KeyPoints []string
	Change    ChangeKind
	Effective time.Time // zero: when published
	// ShortNoticeReason is why a material change to a public policy
	// takes effect before the notice period ends (PublishInput).
	ShortNoticeReason string
	Body              string
	// Check lists the questions the version asks (a material change of a
	// staff policy), none when it asks none.
	Check []QuestionInput
	// Given lists the front matter fields present in the file; settings
	// left out keep the policy's current values.
	Given map[string]bool
}

// FileError names the file and each field that is wrong.
type FileError struct {
	File   string
	Fields map[string]string // field -> message; "front matter" for the whole block
}

func (e *FileError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, k := range sortedKeys(e.Fields) {
		parts = append(parts, "field "+k+": "+e.Fields[k])
	}
	return e.File + ": " + strings.Join(parts, "; ")
}

func (e *FileError) add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

var knownFields = []string{"slug", "title", "audience", "summary", "key_points", "change", "effective",
	"short_notice_reason", "acknowledge", "acknowledge_within_days", "reacknowledge_months", "check"}

// ParseFile reads a policy file. name is used in error messages.
func ParseFile(name string, data []byte) (File, error) {
	fe := &FileError{File: name}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	if !strings.HasPrefix(text, "---\n") {
		fe.add("front matter", "the file must start with a line \"---\", the front matter, and another \"---\"")
		return File{}, fe
	}
	head, body, ok := strings.Cut(text[4:], "\n---\n")
	if !ok {
		if h, found := strings.CutSuffix(text[4:], "\n---"); found {
			head, body, ok = h, "", true
		}
	}
	if !ok {
		fe.add("front matter", "no closing \"---\" line")
		return File{}, fe
	}
	raw := map[string]any{}
	if err := yaml.Unmarshal([]byte(head), &raw); err != nil {
		fe.add("front matter", "not valid YAML: "+strings.ReplaceAll(yaml.FormatError(err, false, false), "\n", " "))
		return File{}, fe
	}
	f := File{Name: name, Body: body, Given: map[string]bool{}}
	known := map[string]bool{}
	for _, k := range knownFields {
		known[k] = true
	}
	for k := range raw {
		if !known[k] {
			fe.add(k, "unknown field (known: "+strings.Join(knownFields, ", ")+")")
		}
		f.Given[k] = true
	}
	f.Settings.Slug = fmString(raw, "slug", fe)
	f.Settings.Title = fmString(raw, "title", fe)
	f.Settings.Audience = Audience(fmString(raw, "audience", fe))
	f.Summary = strings.TrimSpace(fmString(raw, "summary", fe))
	f.KeyPoints = fmStrings(raw, "key_points", fe)
	f.Change = ChangeKind(fmString(raw, "change", fe))
	f.ShortNoticeReason = strings.TrimSpace(fmString(raw, "short_notice_reason", fe))
	f.Settings.RequiresAck = fmBool(raw, "acknowledge", fe)
	f.Settings.AckWithinDays = fmInt(raw, "acknowledge_within_days", fe)
	f.Settings.ReackMonths = fmInt(raw, "reacknowledge_months", fe)
	f.Check = fmCheck(raw, fe)
	if eff := fmString(raw, "effective", fe); eff != "" {
		t, err := parseEffective(eff)
		if err != nil {
			fe.add("effective", err.Error())
		}
		f.Effective = t
	}
	check := f.Settings
	if check.Audience == "" {
		// Left out: the policy keeps its audience, or a new one is public
		// unless it asks for acknowledgement.
		check.Audience = Public
		if check.RequiresAck {
			check.Audience = Staff
		}
	}
	if err := check.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for k, m := range ve.Fields {
				fe.add(k, m)
			}
		}
	}
	if err := (DraftInput{Body: f.Body, Summary: f.Summary, KeyPoints: f.KeyPoints, ChangeKind: f.Change}).Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for k, m := range ve.Fields {
				fe.add(k, m)
			}
		}
	}
	checkFileErrors(f, fe)
	if len(fe.Fields) > 0 {
		return File{}, fe
	}
	f.Body = NormalizeBody(f.Body)
	return f, nil
}

func parseEffective(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-12-01) or an RFC 3339 time (2026-12-01T09:00:00Z)", s)
}

func fmString(raw map[string]any, k string, fe *FileError) string {
	v, ok := raw[k]
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	fe.add(k, fmt.Sprintf("must be text, not %v", v))
	return ""
}

// fmStrings reads a list of texts: a YAML sequence, one text a point.
func fmStrings(raw map[string]any, k string, fe *FileError) []string {
	v, ok := raw[k]
	if !ok || v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		fe.add(k, "must be a list of texts, one a line starting with \"- \"")
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		str, ok := it.(string)
		if !ok {
			fe.add(k, fmt.Sprintf("must be a list of texts, not %v", it))
			return nil
		}
		out = append(out, strings.TrimSpace(str))
	}
	return out
}

func fmBool(raw map[string]any, k string, fe *FileError) bool {
	v, ok := raw[k]
	if !ok || v == nil {
		return false
	}
	if b, ok := v.(bool); ok {
		return b
	}
	fe.add(k, fmt.Sprintf("must be true or false, not %v", v))
	return false
}

func fmInt(raw map[string]any, k string, fe *FileError) int {
	v, ok := raw[k]
	if !ok || v == nil {
		return 0
	}
	switch x := v.(type) {
	case uint64:
		if x <= math.MaxInt32 {
			return int(x)
		}
	case int64:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return int(x)
		}
	case int:
		return x
	}
	fe.add(k, fmt.Sprintf("must be a whole number, not %v", v))
	return 0
}

// Result says what a publish-from-file did.
type Result struct {
	Policy    Policy
	Version   Version
	Published bool   // false: no new version
	Updated   bool   // the title or settings changed without a new version
	Message   string // for the person who ran it
}

// PublishFile publishes the file as the next version of its policy,
// creating the policy on its first publication. A body identical to the
// latest published version publishes nothing and says so.
func (s *Store) PublishFile(ctx context.Context, f File, by audit.Actor, now time.Time) (Result, error) {
	var res Result
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, f.Settings.Slug)
		switch {
		case errors.Is(err, ErrNotFound):
			p, err = createPolicy(ctx, tx, f.settingsOver(Policy{Audience: Public}), now)
			if err != nil {
				return fileErr(f.Name, err)
			}
		case err != nil:
			return err
		default:
			vs, err := versionsOf(ctx, tx, p.ID, true)
			if err != nil {
				return err
			}
			// Compared as it would be published: with the facts filled in.
			frozen, err := s.freeze(ctx, tx, f.Body)
			if err != nil {
				return fileErr(f.Name, err)
			}
			same, isSame := identical(&Timeline{Policy: p, Versions: vs}, Hash(frozen), now)
			before := p
			if p, err = updateSettings(ctx, tx, p.Slug, f.settingsOver(p), now); err != nil {
				return fileErr(f.Name, err)
			}
			if isSame {
				// Nothing to publish; the title and settings still follow
				// the file (nothing takes effect, so its date is moot).
				msg := fmt.Sprintf("%s: identical to %s version %d (effective %s); nothing published",
					f.Name, p.Slug, same.Number, same.EffectiveAt.Format(time.RFC3339))
				if changed := settingsChanges(before, p); changed != "" {
					if err := audit.Record(ctx, tx, by.Entry(now, "policy.settings", "policy:"+p.Slug, changed)); err != nil {
						return err
					}
					msg = fmt.Sprintf("%s: identical to %s version %d (effective %s); no new version, %s updated",
						f.Name, p.Slug, same.Number, same.EffectiveAt.Format(time.RFC3339), changed)
					res.Updated = true
				}
				res.Policy, res.Version, res.Message = p, same, msg
				return nil
			}
		}
		approval, err := checkFileApproval(ctx, tx, p, f, by, now)
		if err != nil {
			return fileErr(f.Name, err)
		}
		v, _, err := s.publish(ctx, tx, p, DraftInput{Body: f.Body, Summary: f.Summary, KeyPoints: f.KeyPoints, ChangeKind: f.Change}, approval.draftID,
			PublishInput{Kind: f.Change, Effective: f.Effective, ShortNoticeReason: f.ShortNoticeReason}, by, now)
		if err != nil {
			return fileErr(f.Name, err)
		}
		if err := approval.done(ctx, tx, p, v, by, now); err != nil {
			return err
		}
		if len(f.Check) > 0 {
			if msg := checkFits(p, v.ChangeKind); msg != "" {
				return &FileError{File: f.Name, Fields: map[string]string{"check": msg}}
			}
			if err := writeCheck(ctx, tx, v.ID, f.Check); err != nil {
				return err
			}
		}
		state := "effective " + v.EffectiveAt.Format(time.RFC3339)
		if v.EffectiveAt.After(now) {
			state = "scheduled: takes effect " + v.EffectiveAt.Format(time.RFC3339)
		}
		res = Result{Policy: p, Version: v, Published: true, Message: fmt.Sprintf(
			"%s: published %s version %d (%s change), %s", f.Name, p.Slug, v.Number, v.ChangeKind, state)}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	if res.Published || res.Updated {
		s.invalidate(f.Settings.Slug)
	}
	return res, nil
}

// identical finds the version a body would merely repeat: the version in
// effect or the latest published (scheduled) one. Older texts can be
// published again on purpose, to revert a change.
func identical(t *Timeline, sum string, now time.Time) (Version, bool) {
	if cur, ok := t.InEffect(now); ok && cur.SHA256 == sum {
		return cur, true
	}
	if last, ok := t.Latest(); ok && last.SHA256 == sum {
		return last, true
	}
	return Version{}, false
}

func fileErr(name string, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return &FileError{File: name, Fields: ve.Fields}
	}
	if errors.Is(err, ErrSlugTaken) {
		return &FileError{File: name, Fields: map[string]string{"slug": "already taken"}}
	}
	return err
}

// settingsOver returns the file's settings, taking those the file leaves
// out from cur.
func (f File) settingsOver(cur Policy) Settings {
	st := f.Settings
	if !f.Given["title"] {
		st.Title = cur.Title
	}
	if !f.Given["audience"] {
		st.Audience = cur.Audience
		if cur.ID == 0 && st.RequiresAck {
			st.Audience = Staff
		}
	}
	if !f.Given["acknowledge"] {
		st.RequiresAck = cur.RequiresAck
	}
	if !f.Given["acknowledge_within_days"] {
		st.AckWithinDays = cur.AckWithinDays
	}
	if !f.Given["reacknowledge_months"] {
		st.ReackMonths = cur.ReackMonths
	}
	return st
}

// settingsChanges names what differs between a policy's settings before
// and after, or is "" when nothing does.
func settingsChanges(before, after Policy) string {
	var out []string
	if before.Title != after.Title {
		out = append(out, fmt.Sprintf("title %q", after.Title))
	}
	if before.RequiresAck != after.RequiresAck {
		out = append(out, fmt.Sprintf("acknowledge %t", after.RequiresAck))
	}
	if before.AckWithinDays != after.AckWithinDays {
		out = append(out, fmt.Sprintf("acknowledge_within_days %d", after.AckWithinDays))
	}
	if before.ReackMonths != after.ReackMonths {
		out = append(out, fmt.Sprintf("reacknowledge_months %d", after.ReackMonths))
	}
	return strings.Join(out, ", ")
}

type exportMatter struct {
	Slug                  string         `yaml:"slug"`
	Title                 string         `yaml:"title"`
	Audience              string         `yaml:"audience"`
	Summary               string         `yaml:"summary"`
	KeyPoints             []string       `yaml:"key_points,omitempty"`
	Change                string         `yaml:"change"`
	Effective             string         `yaml:"effective"`
	ShortNoticeReason     string         `yaml:"short_notice_reason,omitempty"`
	Acknowledge           bool           `yaml:"acknowledge"`
	AcknowledgeWithinDays int            `yaml:"acknowledge_within_days"`
	ReacknowledgeMonths   int            `yaml:"reacknowledge_months"`
	Check                 []fileQuestion `yaml:"check,omitempty"`
}

// FormatFile writes a published version, with the questions of its check
// (none when it asks none), as a policy file that ParseFile reads back to
// the same version.
func FormatFile(p Policy, v Version, check []Question) ([]byte, error) {
	head, err := yaml.Marshal(exportMatter{
		Slug: p.Slug, Title: p.Title, Audience: string(p.Audience), Summary: v.Summary, KeyPoints: v.KeyPoints, Change: string(v.ChangeKind),
		Effective: v.EffectiveAt.UTC().Format(time.RFC3339), ShortNoticeReason: v.ShortNoticeReason, Acknowledge: p.RequiresAck,
		AcknowledgeWithinDays: p.AckWithinDays, ReacknowledgeMonths: p.ReackMonths, Check: fileQuestions(check),
	})
	if err != nil {
		return nil, fmt.Errorf("policies: format %s v%d: %w", p.Slug, v.Number, err)
	}
	var b bytes.Buffer
	b.WriteString("---\n")
	b.Write(head)
	b.WriteString("---\n\n")
	b.WriteString(v.BodyMD)
	return b.Bytes(), nil
}

// Export writes every published version of every policy under dir as
// SLUG/vN.md, and each translation beside it as SLUG/vN.LANG.md, and
// returns the paths written.
func (s *Store) Export(ctx context.Context, dir string) ([]string, error) {
	ts, err := s.Timelines(ctx, "")
	if err != nil {
		return nil, err
	}
	var written []string
	for _, t := range ts {
		if len(t.Versions) == 0 {
			continue
		}
		pdir := filepath.Join(dir, t.Policy.Slug)
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return written, fmt.Errorf("policies: export: %w", err)
		}
		for _, v := range t.Versions {
			check, err := checkOf(ctx, s.db, v.ID)
			if err != nil {
				return written, err
			}
			data, err := FormatFile(t.Policy, v, check)
			if err != nil {
				return written, err
			}
			path := filepath.Join(pdir, fmt.Sprintf("v%d.md", v.Number))
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return written, fmt.Errorf("policies: export: %w", err)
			}
			written = append(written, path)
		}
		more, err := exportTranslations(t, pdir)
		written = append(written, more...)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}
