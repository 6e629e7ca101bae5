// Package policies keeps Steward's policies: versioned Markdown documents
// with a draft -> published (scheduled, in effect, superseded) lifecycle,
// their rendering, word-level diffs, the Atom feed, staff acknowledgements
// and customer subscriptions to change notices.
//
// Published versions never change. Which one is in effect is computed from
// the clock, so a scheduled version takes effect without any job running.
package policies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/org"
)

// Domain errors, mapped to HTTP statuses by the handlers.
var (
	ErrNotFound     = errors.New("policies: not found")
	ErrPublished    = errors.New("policies: published versions cannot be changed")
	ErrDraftExists  = errors.New("policies: the policy already has a draft")
	ErrNoDraft      = errors.New("policies: the policy has no draft")
	ErrSlugTaken    = errors.New("policies: a policy with this slug already exists")
	ErrNotInEffect  = errors.New("policies: this version is not the one in effect")
	ErrNotInScope   = errors.New("policies: this policy does not apply to this person")
	ErrBadRange     = errors.New("policies: the first version must be older than the second")
	ErrTokenExpired = errors.New("policies: this confirmation link has expired")
	ErrAckNotNeeded = errors.New("policies: this policy is for reading only and takes no acknowledgement")
)

// ValidationError lists what is wrong with input, field by field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, k := range sortedKeys(e.Fields) {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "policies: invalid input: " + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Audience says who a policy is for.
type Audience string

const (
	Public Audience = "public"
	Staff  Audience = "staff"
)

// ChangeKind says whether a version asks staff to acknowledge again.
type ChangeKind string

const (
	Material ChangeKind = "material"
	Minor    ChangeKind = "minor"
)

// Policy is a document with versions.
type Policy struct {
	ID            int64    `db:"id" json:"-"`
	Slug          string   `db:"slug" json:"slug"`
	Title         string   `db:"title" json:"title"`
	Audience      Audience `db:"audience" json:"audience"`
	RequiresAck   bool     `db:"requires_ack" json:"-"`
	AckWithinDays int      `db:"ack_within_days" json:"-"`
	ReackMonths   int      `db:"reack_months" json:"-"`
	// Language is the authoritative language of every version (a BCP 47
	// tag, "en" unless set); translations are in policy_translations.
	Language  string    `db:"language" json:"language"`
	CreatedAt time.Time `db:"created_at" json:"-"`
	UpdatedAt time.Time `db:"updated_at" json:"-"`
}

// NeedsAck reports whether people must acknowledge the policy: a staff
// policy that requires it. Every other policy is only for reading.
func (p Policy) NeedsAck() bool { return p.RequiresAck && p.Audience == Staff }

// NeedsAckSQL is NeedsAck as a condition on the policies table under alias,
// for queries that select the policies to acknowledge.
func NeedsAckSQL(alias string) string {
	return alias + ".audience = '" + string(Staff) + "' AND " + alias + ".requires_ack = TRUE"
}

// Settings are the editable properties of a policy.
type Settings struct {
	Slug          string
	Title         string
	Audience      Audience
	RequiresAck   bool
	AckWithinDays int
	ReackMonths   int
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate reports every problem with the settings.
func (p Settings) Validate() error {
	var v ValidationError
	switch {
	case p.Slug == "":
		v.add("slug", "is required")
	case len(p.Slug) > 80:
		v.add("slug", "must be at most 80 characters")
	case !slugRE.MatchString(p.Slug):
		v.add("slug", "may contain only lowercase letters, digits and single hyphens")
	}
	switch {
	case strings.TrimSpace(p.Title) == "":
		v.add("title", "is required")
	case len(p.Title) > 200:
		v.add("title", "must be at most 200 characters")
	}
	if p.Audience != Public && p.Audience != Staff {
		v.add("audience", "must be public or staff")
	}
	if p.RequiresAck && p.Audience == Public {
		v.add("acknowledge", "only staff policies can require acknowledgement")
	}
	if p.AckWithinDays < 0 || p.AckWithinDays > 365 {
		v.add("acknowledge_within_days", "must be between 0 and 365")
	}
	if p.RequiresAck && p.AckWithinDays == 0 {
		v.add("acknowledge_within_days", "must be at least 1 when acknowledgement is required")
	}
	if p.ReackMonths < 0 || p.ReackMonths > 120 {
		v.add("reacknowledge_months", "must be between 0 (never) and 120")
	}
	return v.orNil()
}

// Store reads and writes policies. It is safe for concurrent use.
type Store struct {
	db   *db.DB
	mail *mail.Renderer
	org  *org.Store // the facts a publication writes into its text
	// noticeDays is the notice a material change to a public policy
	// gives (SetNoticeDays).
	noticeDays int

	mu        sync.RWMutex
	timelines map[string]timelineEntry
	ttl       time.Duration
}

// NewStore returns a store over d that writes its emails with r.
func NewStore(d *db.DB, r *mail.Renderer) *Store {
	return &Store{
		db:         d,
		mail:       r,
		org:        org.NewStore(d, nil),
		noticeDays: DefaultNoticeDays,
		timelines:  map[string]timelineEntry{},
		// Another instance may publish: a short lifetime bounds how long
		// this one serves the old timeline. Publications made here
		// invalidate at once.
		ttl: 2 * time.Second,
	}
}

// UseOrganisation makes publications read the organisation's facts from
// o, which knows the settings the environment fixes. Without it they read
// the stored settings alone.
func (s *Store) UseOrganisation(o *org.Store) { s.org = o }

const policyCols = `id, slug, title, audience, requires_ack, ack_within_days, reack_months, language, created_at, updated_at`

// CreatePolicy adds a policy with no versions.
func (s *Store) CreatePolicy(ctx context.Context, p Settings, now time.Time) (Policy, error) {
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	var out Policy
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = createPolicy(ctx, tx, p, now)
		return err
	})
	return out, err
}

func createPolicy(ctx context.Context, tx *sqlx.Tx, p Settings, now time.Time) (Policy, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var id int64
	err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO policies
		(slug, title, audience, requires_ack, ack_within_days, reack_months, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		p.Slug, strings.TrimSpace(p.Title), p.Audience, p.RequiresAck, p.AckWithinDays, p.ReackMonths, now, now)
	if db.IsUniqueViolation(err) {
		return Policy{}, ErrSlugTaken
	}
	if err != nil {
		return Policy{}, fmt.Errorf("policies: create %s: %w", p.Slug, err)
	}
	return Policy{ID: id, Slug: p.Slug, Title: strings.TrimSpace(p.Title), Audience: p.Audience,
		RequiresAck: p.RequiresAck, AckWithinDays: p.AckWithinDays, ReackMonths: p.ReackMonths,
		CreatedAt: now, UpdatedAt: now}, nil
}

// updateSettings changes a policy's title and acknowledgement settings
// (PublishFile, with the version it publishes). The slug and audience
// never change: links and scope depend on them.
func updateSettings(ctx context.Context, tx *sqlx.Tx, slug string, p Settings, now time.Time) (Policy, error) {
	cur, err := policyBySlug(ctx, tx, slug)
	if err != nil {
		return Policy{}, err
	}
	p.Slug = cur.Slug
	if p.Audience != cur.Audience {
		return Policy{}, &ValidationError{Fields: map[string]string{
			"audience": fmt.Sprintf("policy %s is %s; its audience cannot change", slug, cur.Audience)}}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE policies SET title = ?, requires_ack = ?, ack_within_days = ?,
		reack_months = ?, updated_at = ? WHERE id = ?`),
		strings.TrimSpace(p.Title), p.RequiresAck, p.AckWithinDays, p.ReackMonths, now, cur.ID)
	if err != nil {
		return Policy{}, fmt.Errorf("policies: update %s: %w", slug, err)
	}
	cur.Title, cur.RequiresAck, cur.AckWithinDays, cur.ReackMonths, cur.UpdatedAt =
		strings.TrimSpace(p.Title), p.RequiresAck, p.AckWithinDays, p.ReackMonths, now
	return cur, nil
}

func policyBySlug(ctx context.Context, q sqlx.ExtContext, slug string) (Policy, error) {
	var p Policy
	err := sqlx.GetContext(ctx, q, &p, q.Rebind(`SELECT `+policyCols+` FROM policies WHERE slug = ?`), slug)
	if errors.Is(err, sql.ErrNoRows) {
		return Policy{}, ErrNotFound
	}
	if err != nil {
		return Policy{}, fmt.Errorf("policies: read %s: %w", slug, err)
	}
	return p, nil
}

// Policies lists every policy by title; audience "" means all.
func (s *Store) Policies(ctx context.Context, audience Audience) ([]Policy, error) {
	q := `SELECT ` + policyCols + ` FROM policies`
	var args []any
	if audience != "" {
		q += ` WHERE audience = ?`
		args = append(args, audience)
	}
	q += ` ORDER BY title, slug`
	var out []Policy
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("policies: list: %w", err)
	}
	return out, nil
}
