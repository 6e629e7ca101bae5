package policies

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// Notice before a material change to a public policy takes effect
// (STEWARD_POLICY_NOTICE_DAYS), and the longest reason for a shorter one.
const (
	DefaultNoticeDays    = 30
	MaxNoticeDays        = 365
	MaxShortNoticeReason = 1000
)

// NoticeOwed reports whether version number of p, a change of kind, owes
// its readers the notice period: a material change to a public policy
// that already has a version. A first version changes nothing anyone
// relied on; a minor one changes nothing of substance.
func NoticeOwed(p Policy, kind ChangeKind, number int) bool {
	return p.Audience == Public && kind == Material && number > 1
}

// NoticeEarliest is the first effective moment a change published at now
// may have without a recorded reason, when it owes notice: the start of
// the day (UTC) noticeDays after now's. It is the notice rule, written
// once.
func NoticeEarliest(now time.Time, noticeDays int) time.Time {
	return now.UTC().Truncate(24*time.Hour).AddDate(0, 0, noticeDays)
}

// SetNoticeDays sets the notice period (STEWARD_POLICY_NOTICE_DAYS);
// NewStore starts with DefaultNoticeDays.
func (s *Store) SetNoticeDays(days int) { s.noticeDays = days }

// NoticeDays is the notice period, in days.
func (s *Store) NoticeDays() int { return s.noticeDays }

// PublishInput is what a publisher decides: the kind of change (never
// assumed), when it takes effect (zero: at once), and why it takes effect
// before the notice period ends, if it does.
type PublishInput struct {
	Kind              ChangeKind
	Effective         time.Time
	ShortNoticeReason string
}

// FeedEntry is an entry a publication adds to the public Atom feeds.
type FeedEntry struct {
	ID        string // the entry's Atom id (EntryID)
	Title     string
	Published time.Time
	Feeds     []string // the feeds' paths
}

// PublishPlan is what a publication will do, computed by one function
// (Store.PlanPublish for the confirmation page, the same inside
// Store.Publish, which carries it out).
type PublishPlan struct {
	Policy    Policy
	Number    int // the version it becomes
	Kind      ChangeKind
	Now       time.Time
	Effective time.Time
	// NoticeOwed says the notice rule applies (NoticeOwed); Earliest is
	// then the first moment without a reason, and ShortNoticeReason the
	// reason published when Effective is before it.
	NoticeOwed        bool
	NoticeDays        int
	Earliest          time.Time
	ShortNoticeReason string
	// StaffToAck people must acknowledge the new version once it takes
	// effect (Evaluate, at Effective), and are told then; AckDue is the
	// earliest of their due dates and AckDueLast the latest (people who
	// join later have later ones).
	StaffToAck         int
	AckDue, AckDueLast time.Time
	// Subscribers confirmed subscribers get one change email each, queued
	// at Now.
	Subscribers int
	FeedEntries []FeedEntry

	subscribers []Subscription
}

// Scheduled reports whether the version takes effect after it is
// published.
func (p PublishPlan) Scheduled() bool { return p.Effective.After(p.Now) }

// AckDueVaries reports whether people's due dates differ (someone joins
// after the version takes effect).
func (p PublishPlan) AckDueVaries() bool { return !p.AckDue.Equal(p.AckDueLast) }

// ShortNotice reports whether the version takes effect before the notice
// period ends (with the reason recorded).
func (p PublishPlan) ShortNotice() bool { return p.ShortNoticeReason != "" }

// check validates the publisher's choices that need no database.
func (in *PublishInput) check(now time.Time) *ValidationError {
	var v ValidationError
	if in.Kind != Material && in.Kind != Minor {
		v.add("change", "choose whether the change is material or minor")
	}
	in.ShortNoticeReason = strings.TrimSpace(strings.ReplaceAll(in.ShortNoticeReason, "\r\n", "\n"))
	switch {
	case utf8.RuneCountInString(in.ShortNoticeReason) > MaxShortNoticeReason:
		v.add("reason", fmt.Sprintf("keep the reason to %d characters", MaxShortNoticeReason))
	case !utf8.ValidString(in.ShortNoticeReason) || strings.ContainsFunc(in.ShortNoticeReason, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n'
	}):
		v.add("reason", "must be plain text without control characters")
	}
	if in.Effective.IsZero() {
		in.Effective = now
	}
	in.Effective = in.Effective.UTC().Truncate(time.Microsecond)
	if in.Effective.Before(now) {
		v.add("effective", fmt.Sprintf("%s is in the past: choose now or a later moment", in.Effective.Format(time.RFC3339)))
	}
	return &v
}

// planPublish decides, in q, what publishing the next version of p with
// in would do at now, or why it may not.
func (s *Store) planPublish(ctx context.Context, q sqlx.ExtContext, p Policy, in PublishInput, now time.Time) (PublishPlan, error) {
	now = now.UTC().Truncate(time.Microsecond)
	v := in.check(now)
	vs, err := versionsOf(ctx, q, p.ID, true)
	if err != nil {
		return PublishPlan{}, err
	}
	plan := PublishPlan{Policy: p, Number: len(vs) + 1, Kind: in.Kind, Now: now, Effective: in.Effective, NoticeDays: s.noticeDays}
	if n := len(vs); n > 0 {
		last := vs[n-1]
		plan.Number = last.Number + 1
		if _, bad := v.Fields["effective"]; !bad && plan.Effective.Before(last.EffectiveAt) {
			v.add("effective", fmt.Sprintf("must not be before %s of version %d, the latest published",
				last.EffectiveAt.Format(time.RFC3339), last.Number))
		}
	}
	if NoticeOwed(p, in.Kind, plan.Number) {
		plan.NoticeOwed = true
		plan.Earliest = NoticeEarliest(now, s.noticeDays)
		if plan.Effective.Before(plan.Earliest) {
			if in.ShortNoticeReason == "" {
				v.add("effective", fmt.Sprintf("readers are owed %d days' notice of a material change: choose %s or later, or give the reason for a shorter notice",
					s.noticeDays, plan.Earliest.Format(time.DateOnly)))
			}
			// A reason is published only for a notice actually shortened.
			plan.ShortNoticeReason = in.ShortNoticeReason
		}
	}
	if err := v.orNil(); err != nil {
		return PublishPlan{}, err
	}
	if p.NeedsAck() {
		next := Version{PolicyID: p.ID, Number: plan.Number, ChangeKind: in.Kind, EffectiveAt: plan.Effective, PublishedAt: now}
		t := &Timeline{Policy: p, Versions: append(vs[:len(vs):len(vs)], next)}
		// The acknowledgement rule itself, at the moment the version
		// takes effect: whoever must then acknowledge this version.
		err := openAcks(ctx, q, t, next, plan.Effective, func(o OpenAck) error {
			if o.Base.Number != plan.Number {
				return nil
			}
			plan.StaffToAck++
			if plan.AckDue.IsZero() || o.Due.Before(plan.AckDue) {
				plan.AckDue = o.Due
			}
			if o.Due.After(plan.AckDueLast) {
				plan.AckDueLast = o.Due
			}
			return nil
		})
		if err != nil {
			return PublishPlan{}, err
		}
	}
	if p.Audience == Public {
		if in.Kind == Material || plan.Number == 1 {
			if plan.subscribers, err = ConfirmedSubscribers(ctx, q); err != nil {
				return PublishPlan{}, err
			}
			plan.Subscribers = len(plan.subscribers)
		}
		plan.FeedEntries = []FeedEntry{{ID: EntryID(p, plan.Number), Title: EntryTitle(p, plan.Number), Published: now,
			Feeds: []string{"/policies/feed.atom", "/policies/" + p.Slug + "/feed.atom"}}}
	}
	return plan, nil
}

// PlanPublish says what publishing the policy's draft with in at now
// would do (the confirmation page), or why it may not: a ValidationError
// by field (change, effective, reason), ErrNoDraft, ErrNotApproved.
func (s *Store) PlanPublish(ctx context.Context, slug string, in PublishInput, now time.Time) (PublishPlan, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return PublishPlan{}, err
	}
	d, err := draftOf(ctx, s.db, p.ID)
	if err != nil {
		return PublishPlan{}, err
	}
	if err := (DraftInput{Body: d.BodyMD, Summary: d.Summary, KeyPoints: d.KeyPoints, ChangeKind: Material}).Validate(); err != nil {
		return PublishPlan{}, err
	}
	if _, _, err := mayPublish(ctx, s.db, p, d); err != nil {
		return PublishPlan{}, err
	}
	return s.planPublish(ctx, s.db, p, in, now)
}

// Publish publishes the policy's draft as the next version, as in says,
// and returns it with the plan it carried out (PlanPublish's, computed
// again in the publishing transaction).
func (s *Store) Publish(ctx context.Context, slug string, in PublishInput, by audit.Actor, now time.Time) (Version, PublishPlan, error) {
	var out Version
	var plan PublishPlan
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		d, err := draftOf(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if err := requireApproval(ctx, tx, p, d, by, now); err != nil {
			return err
		}
		// The draft's kind is its author's proposal; the publisher's
		// choice (in.Kind) is what is published.
		din := DraftInput{Body: d.BodyMD, Summary: d.Summary, KeyPoints: d.KeyPoints, ChangeKind: Material}
		out, plan, err = s.publish(ctx, tx, p, din, &d.ID, in, by, now)
		return err
	})
	if err != nil {
		return Version{}, PublishPlan{}, err
	}
	s.invalidate(slug)
	return out, plan, nil
}
