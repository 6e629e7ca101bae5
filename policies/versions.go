package policies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/db"
	stewardmail "steward/internal/mail"
	"steward/internal/mdnest"
	"steward/internal/org"
	"steward/internal/webhooks"
)

// Status of a version relative to a moment.
type Status string

const (
	StatusDraft      Status = "draft"
	StatusScheduled  Status = "scheduled"
	StatusInEffect   Status = "in effect"
	StatusSuperseded Status = "superseded"
)

// Version is one version of a policy: a draft, or a published version that
// never changes again.
type Version struct {
	ID       int64  `json:"-"`
	PolicyID int64  `json:"-"`
	Draft    bool   `json:"-"`
	Number   int    `json:"number"`
	BodyMD   string `json:"body_markdown"`
	// SourceMD is the text as its author wrote it, with its {{org.KEY}}
	// placeholders; BodyMD of a published version has them filled in.
	SourceMD    string     `json:"-"`
	BodyHTML    string     `json:"body_html"`
	Summary     string     `json:"summary"`
	KeyPoints   []string   `json:"key_points"`
	ChangeKind  ChangeKind `json:"change_kind"`
	SHA256      string     `json:"sha256"`
	CreatedBy   *int64     `json:"-"`
	CreatedAt   time.Time  `json:"-"`
	UpdatedAt   time.Time  `json:"-"`
	PublishedBy *int64     `json:"-"`
	PublishedAt time.Time  `json:"published_at"`
	EffectiveAt time.Time  `json:"effective_at"`
	// ShortNoticeReason is why a material change to a public policy takes
	// effect before the notice period ends (PublishInput); empty when the
	// full notice was given or none was owed. It is public.
	ShortNoticeReason string `json:"short_notice_reason,omitempty"`
}

type versionRow struct {
	ID          int64      `db:"id"`
	PolicyID    int64      `db:"policy_id"`
	Status      string     `db:"status"`
	Number      *int       `db:"number"`
	BodyMD      string     `db:"body_md"`
	SourceMD    *string    `db:"source_md"`
	BodyHTML    string     `db:"body_html"`
	Summary     string     `db:"summary"`
	KeyPoints   string     `db:"key_points"`
	ChangeKind  string     `db:"change_kind"`
	SHA256      string     `db:"sha256"`
	CreatedBy   *int64     `db:"created_by"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
	PublishedBy *int64     `db:"published_by"`
	PublishedAt *time.Time `db:"published_at"`
	EffectiveAt *time.Time `db:"effective_at"`
	ShortNotice string     `db:"short_notice_reason"`
}

const versionCols = `id, policy_id, status, number, body_md, source_md, body_html, summary, key_points, change_kind, sha256,
	created_by, created_at, updated_at, published_by, published_at, effective_at, short_notice_reason`

func (r versionRow) version() Version {
	v := Version{ID: r.ID, PolicyID: r.PolicyID, Draft: r.Status == "draft", BodyMD: r.BodyMD, BodyHTML: r.BodyHTML,
		Summary: r.Summary, KeyPoints: splitKeyPoints(r.KeyPoints), ChangeKind: ChangeKind(r.ChangeKind), SHA256: r.SHA256, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), PublishedBy: r.PublishedBy, ShortNoticeReason: r.ShortNotice}
	v.SourceMD = v.BodyMD
	if r.SourceMD != nil {
		v.SourceMD = *r.SourceMD
	}
	if r.Number != nil {
		v.Number = *r.Number
	}
	if r.PublishedAt != nil {
		v.PublishedAt = r.PublishedAt.UTC()
	}
	if r.EffectiveAt != nil {
		v.EffectiveAt = r.EffectiveAt.UTC()
	}
	return v
}

// Label names a version for people: "version 3" or "draft".
func (v Version) Label() string {
	if v.Draft {
		return "draft"
	}
	return "version " + strconv.Itoa(v.Number)
}

// DraftInput is what an author edits.
type DraftInput struct {
	Body       string
	Summary    string
	KeyPoints  []string // the short layer shown above the text; may be empty
	ChangeKind ChangeKind
}

// Limits on a version's key points: a short layer stays short.
const (
	MaxKeyPoints     = 8
	MaxKeyPointChars = 300
)

// splitKeyPoints reads key points as stored, one a line.
func splitKeyPoints(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// KeyPointsFromText reads key points written one a line, as the editor
// takes them; blank lines are left out.
func KeyPointsFromText(s string) []string {
	return splitKeyPoints(strings.ReplaceAll(s, "\r", "\n"))
}

func joinKeyPoints(points []string) string {
	out := make([]string, 0, len(points))
	for _, p := range points {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}

func checkKeyPoints(v *ValidationError, points []string) {
	n := 0
	for _, p := range points {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			continue
		case strings.ContainsFunc(p, unicode.IsControl):
			v.add("key_points", "must be plain text, one point a line, without control characters")
		case utf8.RuneCountInString(p) > MaxKeyPointChars:
			v.add("key_points", fmt.Sprintf("must be at most %d characters each", MaxKeyPointChars))
		}
		n++
	}
	if n > MaxKeyPoints {
		v.add("key_points", fmt.Sprintf("must be at most %d points", MaxKeyPoints))
	}
}

// MaxBody bounds a policy body: long enough for any real policy.
const MaxBody = 200_000

// Validate reports every problem with the draft.
func (d DraftInput) Validate() error {
	var v ValidationError
	switch {
	case strings.TrimSpace(d.Body) == "":
		v.add("body", "is required")
	case len(d.Body) > MaxBody:
		v.add("body", fmt.Sprintf("must be at most %d bytes", MaxBody))
	default:
		// Before anything renders it: deep nesting is what makes
		// rendering slow (package mdnest).
		if err := mdnest.Check(d.Body); err != nil {
			v.add("body", "is too deeply nested: "+err.Error())
		} else if err := org.Check(d.Body); err != nil {
			v.add("body", err.Error())
		} else if msg := checkHeadingIDs(d.Body); msg != "" {
			v.add("body", msg)
		}
	}
	switch {
	case strings.TrimSpace(d.Summary) == "":
		v.add("summary", "is required: say what changed")
	case len(d.Summary) > 500:
		v.add("summary", "must be at most 500 characters")
	}
	if d.ChangeKind != Material && d.ChangeKind != Minor {
		v.add("change", "must be material or minor")
	}
	checkKeyPoints(&v, d.KeyPoints)
	return v.orNil()
}

// NormalizeBody gives a body the canonical form that is stored and hashed:
// Unix newlines, no trailing spaces at line ends, one final newline.
func NormalizeBody(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n") + "\n"
}

// Versions lists every version of a policy, the draft last.
func (s *Store) Versions(ctx context.Context, slug string) (Policy, []Version, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return Policy{}, nil, err
	}
	vs, err := versionsOf(ctx, s.db, p.ID, false)
	return p, vs, err
}

func versionsOf(ctx context.Context, q sqlx.ExtContext, policyID int64, publishedOnly bool) ([]Version, error) {
	query := `SELECT ` + versionCols + ` FROM policy_versions WHERE policy_id = ?`
	if publishedOnly {
		query += ` AND status = 'published'`
	}
	query += ` ORDER BY CASE WHEN number IS NULL THEN 1 ELSE 0 END, number`
	var rows []versionRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(query), policyID); err != nil {
		return nil, fmt.Errorf("policies: versions of %d: %w", policyID, err)
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = r.version()
	}
	return out, nil
}

func versionByID(ctx context.Context, q sqlx.ExtContext, id int64) (Version, error) {
	var r versionRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT `+versionCols+` FROM policy_versions WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, ErrNotFound
	}
	if err != nil {
		return Version{}, fmt.Errorf("policies: read version %d: %w", id, err)
	}
	return r.version(), nil
}

func draftOf(ctx context.Context, q sqlx.ExtContext, policyID int64) (Version, error) {
	var r versionRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT `+versionCols+` FROM policy_versions
		WHERE policy_id = ? AND status = 'draft'`), policyID)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, ErrNoDraft
	}
	if err != nil {
		return Version{}, fmt.Errorf("policies: read draft of %d: %w", policyID, err)
	}
	return r.version(), nil
}

// Draft returns the policy's draft, or ErrNoDraft.
func (s *Store) Draft(ctx context.Context, slug string) (Policy, Version, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return Policy{}, Version{}, err
	}
	d, err := draftOf(ctx, s.db, p.ID)
	return p, d, err
}

// SaveDraft writes the policy's draft, creating it if there is none.
func (s *Store) SaveDraft(ctx context.Context, slug string, in DraftInput, by audit.Actor, now time.Time) (Version, error) {
	if err := in.Validate(); err != nil {
		return Version{}, err
	}
	var out Version
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		d, err := draftOf(ctx, tx, p.ID)
		switch {
		case errors.Is(err, ErrNoDraft):
			if out, err = insertDraft(ctx, tx, p.ID, in, by, now); err != nil {
				return err
			}
			return noteEdit(ctx, tx, p, nil, out, by, now)
		case err != nil:
			return err
		}
		if out, err = updateDraft(ctx, tx, d.ID, in, now); err != nil {
			return err
		}
		return noteEdit(ctx, tx, p, &d, out, by, now)
	})
	return out, err
}

func insertDraft(ctx context.Context, tx *sqlx.Tx, policyID int64, in DraftInput, by audit.Actor, now time.Time) (Version, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var id int64
	err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO policy_versions
		(policy_id, status, body_md, summary, key_points, change_kind, created_by, created_at, updated_at)
		VALUES (?, 'draft', ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		policyID, normalizeDraft(in.Body), strings.TrimSpace(in.Summary), joinKeyPoints(in.KeyPoints), in.ChangeKind, by.ID, now, now)
	if db.IsUniqueViolation(err) {
		return Version{}, ErrDraftExists
	}
	if err != nil {
		return Version{}, fmt.Errorf("policies: create draft of %d: %w", policyID, err)
	}
	return versionByID(ctx, tx, id)
}

func normalizeDraft(body string) string {
	if strings.TrimSpace(body) == "" {
		return ""
	}
	return NormalizeBody(body)
}

func updateDraft(ctx context.Context, tx *sqlx.Tx, id int64, in DraftInput, now time.Time) (Version, error) {
	cur, err := versionByID(ctx, tx, id)
	if err != nil {
		return Version{}, err
	}
	if !cur.Draft {
		return Version{}, ErrPublished
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE policy_versions SET body_md = ?, summary = ?, key_points = ?, change_kind = ?,
		updated_at = ? WHERE id = ? AND status = 'draft'`),
		NormalizeBody(in.Body), strings.TrimSpace(in.Summary), joinKeyPoints(in.KeyPoints), in.ChangeKind, now.UTC().Truncate(time.Microsecond), id)
	if err != nil {
		return Version{}, fmt.Errorf("policies: update draft %d: %w", id, err)
	}
	return versionByID(ctx, tx, id)
}

// DeleteDraft removes a draft. A published version is refused with
// ErrPublished.
func (s *Store) DeleteDraft(ctx context.Context, versionID int64) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		cur, err := versionByID(ctx, tx, versionID)
		if err != nil {
			return err
		}
		if !cur.Draft {
			return ErrPublished
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM policy_versions WHERE id = ? AND status = 'draft'`), versionID); err != nil {
			return fmt.Errorf("policies: delete draft %d: %w", versionID, err)
		}
		return nil
	})
}

func latestPublished(ctx context.Context, q sqlx.ExtContext, policyID int64) (Version, bool, error) {
	var r versionRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT `+versionCols+` FROM policy_versions
		WHERE policy_id = ? AND status = 'published' ORDER BY number DESC LIMIT 1`), policyID)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, false, nil
	}
	if err != nil {
		return Version{}, false, fmt.Errorf("policies: latest version of %d: %w", policyID, err)
	}
	return r.version(), true, nil
}

// publish makes a new published version: from the draft row draftID when
// it is set, or as a new row. It computes the plan (planPublish: the
// checks, the notice rule, who is told) and carries it out in the same
// transaction: the version, the audit entry, the webhook event and one
// change notice per subscriber the plan counts.
func (s *Store) publish(ctx context.Context, tx *sqlx.Tx, p Policy, in DraftInput, draftID *int64, pin PublishInput, by audit.Actor, now time.Time) (Version, PublishPlan, error) {
	if err := in.Validate(); err != nil {
		return Version{}, PublishPlan{}, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	plan, err := s.planPublish(ctx, tx, p, pin, now)
	if err != nil {
		return Version{}, PublishPlan{}, err
	}
	number, effective := plan.Number, plan.Effective
	in.ChangeKind = plan.Kind
	source := NormalizeBody(in.Body)
	body, err := s.freeze(ctx, tx, source)
	if err != nil {
		return Version{}, PublishPlan{}, err
	}
	var sourceMD *string
	if source != body {
		sourceMD = &source
	}
	html, err := Render(body)
	if err != nil {
		return Version{}, PublishPlan{}, fmt.Errorf("policies: publish %s: %w", p.Slug, err)
	}
	sum := Hash(body)
	var id int64
	if draftID != nil {
		id = *draftID
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE policy_versions SET status = 'published', number = ?, body_md = ?,
			source_md = ?, body_html = ?, summary = ?, key_points = ?, change_kind = ?, sha256 = ?, updated_at = ?,
			published_by = ?, published_at = ?, effective_at = ?, short_notice_reason = ? WHERE id = ? AND status = 'draft'`),
			number, body, sourceMD, html, strings.TrimSpace(in.Summary), joinKeyPoints(in.KeyPoints), in.ChangeKind, sum, now, by.ID, now, effective,
			plan.ShortNoticeReason, id)
	} else {
		err = tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO policy_versions
			(policy_id, status, number, body_md, source_md, body_html, summary, key_points, change_kind, sha256, created_by,
			created_at, updated_at, published_by, published_at, effective_at, short_notice_reason)
			VALUES (?, 'published', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			p.ID, number, body, sourceMD, html, strings.TrimSpace(in.Summary), joinKeyPoints(in.KeyPoints), in.ChangeKind, sum, by.ID, now, now, by.ID, now, effective,
			plan.ShortNoticeReason)
	}
	if err != nil {
		return Version{}, PublishPlan{}, fmt.Errorf("policies: publish %s v%d: %w", p.Slug, number, err)
	}
	v, err := versionByID(ctx, tx, id)
	if err != nil {
		return Version{}, PublishPlan{}, err
	}
	detail := fmt.Sprintf("%s change, effective %s, sha256 %s", v.ChangeKind, v.EffectiveAt.Format(time.RFC3339), v.SHA256)
	if v.ShortNoticeReason != "" {
		detail += fmt.Sprintf("; shorter notice than %d days: %s", plan.NoticeDays, v.ShortNoticeReason)
	}
	if err := audit.Record(ctx, tx, by.Entry(now, "policy.publish", fmt.Sprintf("policy:%s/v%d", p.Slug, v.Number), detail)); err != nil {
		return Version{}, PublishPlan{}, err
	}
	if err := webhooks.Enqueue(ctx, tx, webhooks.PolicyPublished, publishedEvent(p, v), now); err != nil {
		return Version{}, PublishPlan{}, err
	}
	for _, sub := range plan.subscribers {
		msg, err := s.noticeMessage(sub, p, v)
		if err != nil {
			return Version{}, PublishPlan{}, err
		}
		if _, err := stewardmail.Enqueue(ctx, tx, msg, now); err != nil {
			return Version{}, PublishPlan{}, err
		}
	}
	return v, plan, nil
}

// freeze returns the text a publication of source stores. A published
// version is frozen text, public and verifiable by its hash: the
// organisation's facts it names are written into it, and one that is not
// set yet stops the publication.
func (s *Store) freeze(ctx context.Context, q sqlx.QueryerContext, source string) (string, error) {
	facts, err := s.org.LoadTx(ctx, q)
	if err != nil {
		return "", err
	}
	body, err := org.FillMarkdown(source, facts)
	if err != nil {
		return "", &ValidationError{Fields: map[string]string{"body": err.Error()}}
	}
	return body, nil
}

// Timeline is a policy with its published versions in order. Published
// versions never change, so a Timeline can be kept and shared.
type Timeline struct {
	Policy   Policy
	Versions []Version // published only, by number
	// Translations of the published versions, by version number and
	// language (translations.go).
	Translations []Translation
}

// InEffect returns the version in effect at now: the latest whose effective
// date has come.
func (t *Timeline) InEffect(now time.Time) (Version, bool) {
	for i := len(t.Versions) - 1; i >= 0; i-- {
		if !t.Versions[i].EffectiveAt.After(now) {
			return t.Versions[i], true
		}
	}
	return Version{}, false
}

// Next returns the first scheduled version after now.
func (t *Timeline) Next(now time.Time) (Version, bool) {
	for _, v := range t.Versions {
		if v.EffectiveAt.After(now) {
			return v, true
		}
	}
	return Version{}, false
}

// Version returns published version n.
func (t *Timeline) Version(n int) (Version, bool) {
	if n >= 1 && n <= len(t.Versions) && t.Versions[n-1].Number == n {
		return t.Versions[n-1], true
	}
	for _, v := range t.Versions {
		if v.Number == n {
			return v, true
		}
	}
	return Version{}, false
}

// Latest returns the highest-numbered published version.
func (t *Timeline) Latest() (Version, bool) {
	if len(t.Versions) == 0 {
		return Version{}, false
	}
	return t.Versions[len(t.Versions)-1], true
}

// StatusOf says where v stands at now.
func (t *Timeline) StatusOf(v Version, now time.Time) Status {
	if v.Draft {
		return StatusDraft
	}
	if v.EffectiveAt.After(now) {
		return StatusScheduled
	}
	if cur, ok := t.InEffect(now); ok && cur.Number == v.Number {
		return StatusInEffect
	}
	return StatusSuperseded
}

type timelineEntry struct {
	t       *Timeline
	expires time.Time
	// refreshing is set by the one request that reloads an expired entry;
	// the others keep serving the entry meanwhile instead of all querying
	// the database at once.
	refreshing *atomic.Bool
}

// Timeline returns the policy's published versions. It is served from
// memory and refreshed after a publication here or within a few seconds of
// one made by another instance.
func (s *Store) Timeline(ctx context.Context, slug string) (*Timeline, error) {
	wall := time.Now()
	s.mu.RLock()
	e, ok := s.timelines[slug]
	s.mu.RUnlock()
	if ok && (wall.Before(e.expires) || !e.refreshing.CompareAndSwap(false, true)) {
		return e.t, nil
	}
	t, err := s.loadTimeline(ctx, slug)
	if err != nil {
		if ok {
			e.refreshing.Store(false)
		}
		return nil, err
	}
	s.mu.Lock()
	s.timelines[slug] = timelineEntry{t: t, expires: wall.Add(s.ttl), refreshing: new(atomic.Bool)}
	s.mu.Unlock()
	return t, nil
}

func (s *Store) loadTimeline(ctx context.Context, slug string) (*Timeline, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return nil, err
	}
	vs, err := versionsOf(ctx, s.db, p.ID, true)
	if err != nil {
		return nil, err
	}
	t := &Timeline{Policy: p, Versions: vs}
	return t, withTranslations(ctx, s.db, []*Timeline{t})
}

// Timelines returns the timelines of every policy for an audience ("" for
// all), by title, read fresh from the database.
func (s *Store) Timelines(ctx context.Context, audience Audience) ([]*Timeline, error) {
	ps, err := s.Policies(ctx, audience)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + versionCols + ` FROM policy_versions WHERE status = 'published'`
	var args []any
	if audience != "" {
		q += ` AND policy_id IN (SELECT id FROM policies WHERE audience = ?)`
		args = append(args, audience)
	}
	q += ` ORDER BY policy_id, number`
	var rows []versionRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("policies: list versions: %w", err)
	}
	byPolicy := map[int64][]Version{}
	for _, r := range rows {
		byPolicy[r.PolicyID] = append(byPolicy[r.PolicyID], r.version())
	}
	out := make([]*Timeline, 0, len(ps))
	for _, p := range ps {
		out = append(out, &Timeline{Policy: p, Versions: byPolicy[p.ID]})
	}
	return out, withTranslations(ctx, s.db, out)
}

func (s *Store) invalidate(slug string) {
	s.mu.Lock()
	delete(s.timelines, slug)
	s.mu.Unlock()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
