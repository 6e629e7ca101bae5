package policies

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// ReviewWindow is how long before a review falls due its owner is
// reminded.
const ReviewWindow = 30 * 24 * time.Hour

// Review is a review of a policy: "reviewed, no change" (Version 0) or the
// publication of a new version, which counts as one.
type Review struct {
	PolicyID     int64     `db:"policy_id"`
	ReviewerID   *int64    `db:"reviewer_id"`
	ReviewerName string    `db:"reviewer_name"`
	Email        string    `db:"reviewer_email"`
	ActorLabel   string    `db:"actor_label"`
	Note         string    `db:"note"`
	At           time.Time `db:"reviewed_at"`
	Version      int       `db:"version"`
}

// Who names the reviewer.
func (r Review) Who() string { return who(r.ReviewerName, r.Email, r.ActorLabel) }

// RecordReview records that the policy was reviewed and needs no change:
// a review without a new version. The note is optional.
func (s *Store) RecordReview(ctx context.Context, slug, note string, by audit.Actor, now time.Time) error {
	note = strings.TrimSpace(note)
	var v ValidationError
	checkComment(&v, "note", note, false)
	if err := v.orNil(); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		if _, ok, err := latestPublished(ctx, tx, p.ID); err != nil || !ok {
			if err == nil {
				err = ErrNothingToReview
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_reviews (policy_id, reviewer_id, actor_label, note, reviewed_at)
			VALUES (?, ?, ?, ?, ?)`), p.ID, by.ID, actorLabel(by), note, now); err != nil {
			return fmt.Errorf("policies: review %s: %w", slug, err)
		}
		if err := touchPolicy(ctx, tx, p.ID, now); err != nil {
			return err
		}
		detail := "reviewed, no change"
		if note != "" {
			detail += ": " + note
		}
		return audit.Record(ctx, tx, by.Entry(now, "policy.review", "policy:"+slug, detail))
	})
	if err == nil {
		s.invalidate(slug)
	}
	return err
}

// reviewsSQL lists every review of the policies it is filtered to: the
// recorded ones and the publications.
const reviewsSQL = `SELECT r.policy_id, r.reviewer_id, COALESCE(u.name, '') AS reviewer_name,
	COALESCE(u.email, '') AS reviewer_email, r.actor_label, r.note, r.reviewed_at, 0 AS version
	FROM policy_reviews r LEFT JOIN users u ON u.id = r.reviewer_id WHERE %s
	UNION ALL
	SELECT v.policy_id, v.published_by, COALESCE(u.name, ''), COALESCE(u.email, ''), '', v.summary, v.published_at, v.number
	FROM policy_versions v LEFT JOIN users u ON u.id = v.published_by WHERE v.status = 'published' AND %s`

// Reviews lists the policy's reviews up to at, newest first.
func (s *Store) Reviews(ctx context.Context, slug string, at time.Time) ([]Review, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return nil, err
	}
	return reviewsWhere(ctx, s.db, at, "r.policy_id = ?", "v.policy_id = ?", p.ID)
}

func reviewsWhere(ctx context.Context, q sqlx.ExtContext, at time.Time, reviewWhere, versionWhere string, args ...any) ([]Review, error) {
	all := append(append(append([]any{}, args...), at), append(append([]any{}, args...), at)...)
	var out []Review
	query := fmt.Sprintf(reviewsSQL, reviewWhere+" AND r.reviewed_at <= ?", versionWhere+" AND v.published_at <= ?")
	if err := sqlx.SelectContext(ctx, q, &out, q.Rebind(query+` ORDER BY 7 DESC, 8 DESC`), all...); err != nil {
		return nil, fmt.Errorf("policies: reviews: %w", err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}

// NextReview is when a policy last reviewed at last falls due for review
// again, every months months.
func NextReview(last time.Time, months int) time.Time { return last.AddDate(0, months, 0) }

// ReviewStage is where a policy's review stands at a moment: the rule the
// reviews page and the owner's reminders both follow.
type ReviewStage string

const (
	ReviewNone    ReviewStage = ""        // nothing published yet: nothing to review
	ReviewOK      ReviewStage = "ok"      // more than ReviewWindow before it falls due
	ReviewDueSoon ReviewStage = "due"     // inside ReviewWindow before it falls due
	ReviewOverdue ReviewStage = "overdue" // past due
)

// ReviewStanding is a policy's review schedule at a moment.
type ReviewStanding struct {
	Policy       Policy
	Owner        *Person
	ReviewMonths int
	LastReviewed time.Time // zero: nothing published
	NextDue      time.Time
	Stage        ReviewStage
}

// StageAt is the review stage of a policy last reviewed at last (zero:
// never) and due at next.
func StageAt(last, next, now time.Time) ReviewStage {
	switch {
	case last.IsZero():
		return ReviewNone
	case !now.Before(next):
		return ReviewOverdue
	case !now.Before(next.Add(-ReviewWindow)):
		return ReviewDueSoon
	}
	return ReviewOK
}

// ReviewSchedule lists every policy's review standing at now: overdue
// first, then by the date the next review falls due; policies with
// nothing published last.
func (s *Store) ReviewSchedule(ctx context.Context, now time.Time) ([]ReviewStanding, error) {
	return reviewSchedule(ctx, s.db, now)
}

func reviewSchedule(ctx context.Context, q sqlx.ExtContext, now time.Time) ([]ReviewStanding, error) {
	var rows []struct {
		Policy
		OwnerID      *int64 `db:"owner_id"`
		OwnerName    string `db:"owner_name"`
		OwnerEmail   string `db:"owner_email"`
		ReviewMonths int    `db:"review_months"`
	}
	query := `SELECT p.id, p.slug, p.title, p.audience, p.requires_ack, p.ack_within_days, p.reack_months, p.created_at, p.updated_at,
		g.owner_id, COALESCE(u.name, '') AS owner_name, COALESCE(u.email, '') AS owner_email,
		COALESCE(g.review_months, ?) AS review_months
		FROM policies p LEFT JOIN policy_governance g ON g.policy_id = p.id LEFT JOIN users u ON u.id = g.owner_id`
	// The latest review and publication of each policy are found in Go: a
	// policy has a handful of each.
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(query), defaultReviewMonths); err != nil {
		return nil, fmt.Errorf("policies: review schedule: %w", err)
	}
	type moment struct {
		PolicyID int64     `db:"policy_id"`
		At       time.Time `db:"at"`
	}
	latest := func(query string) (map[int64]time.Time, error) {
		var ms []moment
		if err := sqlx.SelectContext(ctx, q, &ms, q.Rebind(query), now); err != nil {
			return nil, fmt.Errorf("policies: review schedule: %w", err)
		}
		out := map[int64]time.Time{}
		for _, m := range ms {
			if m.At.After(out[m.PolicyID]) {
				out[m.PolicyID] = m.At.UTC()
			}
		}
		return out, nil
	}
	reviewed, err := latest(`SELECT policy_id, reviewed_at AS at FROM policy_reviews WHERE reviewed_at <= ?`)
	if err != nil {
		return nil, err
	}
	published, err := latest(`SELECT policy_id, published_at AS at FROM policy_versions WHERE status = 'published' AND published_at <= ?`)
	if err != nil {
		return nil, err
	}
	out := make([]ReviewStanding, 0, len(rows))
	for _, r := range rows {
		st := ReviewStanding{Policy: r.Policy, ReviewMonths: r.ReviewMonths}
		if r.OwnerID != nil {
			st.Owner = &Person{ID: *r.OwnerID, Name: r.OwnerName, Email: r.OwnerEmail}
		}
		if pub, ok := published[r.ID]; ok {
			st.LastReviewed = pub
			if rev := reviewed[r.ID]; rev.After(pub) {
				st.LastReviewed = rev
			}
			st.NextDue = NextReview(st.LastReviewed, st.ReviewMonths)
		}
		st.Stage = StageAt(st.LastReviewed, st.NextDue, now)
		out = append(out, st)
	}
	rank := map[ReviewStage]int{ReviewOverdue: 0, ReviewDueSoon: 1, ReviewOK: 2, ReviewNone: 3}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank[a.Stage] != rank[b.Stage] {
			return rank[a.Stage] < rank[b.Stage]
		}
		if !a.NextDue.Equal(b.NextDue) {
			return a.NextDue.Before(b.NextDue)
		}
		return a.Policy.Title < b.Policy.Title
	})
	return out, nil
}

// LastReviewed is when the policy was last reviewed by now: the later of
// its latest "reviewed, no change" and its latest publication. The zero
// time means never.
func (s *Store) LastReviewed(ctx context.Context, slug string, now time.Time) (time.Time, error) {
	all, err := reviewSchedule(ctx, s.db, now)
	if err != nil {
		return time.Time{}, err
	}
	for _, st := range all {
		if st.Policy.Slug == slug {
			return st.LastReviewed, nil
		}
	}
	return time.Time{}, ErrNotFound
}

// ReviewReminder is a review to remind a policy's owner of.
type ReviewReminder struct {
	Standing ReviewStanding
	OwnerID  int64
	Email    string
	Name     string
}

// ReviewsDue returns the reviews whose owners are to be reminded at now:
// due inside ReviewWindow, or overdue, with an active owner. What has been
// sent already is the caller's to know (one reminder per stage and due
// date).
func ReviewsDue(ctx context.Context, q sqlx.ExtContext, now time.Time) ([]ReviewReminder, error) {
	all, err := reviewSchedule(ctx, q, now)
	if err != nil {
		return nil, err
	}
	var out []ReviewReminder
	for _, st := range all {
		if st.Owner == nil || (st.Stage != ReviewDueSoon && st.Stage != ReviewOverdue) {
			continue
		}
		var active bool
		if err := sqlx.GetContext(ctx, q, &active, q.Rebind(`SELECT active FROM users WHERE id = ?`), st.Owner.ID); err != nil {
			return nil, fmt.Errorf("policies: owner %d: %w", st.Owner.ID, err)
		}
		if active {
			out = append(out, ReviewReminder{Standing: st, OwnerID: st.Owner.ID, Email: st.Owner.Email, Name: st.Owner.Name})
		}
	}
	return out, nil
}
