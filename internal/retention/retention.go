// Package retention keeps Steward from holding personal data longer than
// it needs: it pseudonymises people deactivated long ago, deletes customer
// subscriptions never confirmed, keeps unsubscribed addresses only as a
// hash, and deletes the bodies of sent email after a while. Every run is
// recorded in the audit log with counts, never the data itself.
package retention

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/people"
	"steward/internal/tokens"
)

// Policy says how long each kind of personal data is kept.
type Policy struct {
	// People: personal details of a person deactivated longer ago than
	// this are pseudonymised (STEWARD_RETENTION_DAYS).
	People time.Duration
	// Unconfirmed deletes the customer subscriptions whose confirmation
	// link has expired, by the rule of package policies, which owns them
	// (policies.PurgeUnconfirmed; policies imports this package, so it is
	// passed in rather than imported).
	Unconfirmed func(ctx context.Context, q sqlx.ExtContext, now time.Time) (int, error)
	// Subscribed is the set of addresses that hold a subscription
	// (policies.SubscribedAddresses, passed in for the same reason).
	Subscribed func(ctx context.Context, q sqlx.ExtContext) (map[string]bool, error)
	// MailBodies: the text of a sent email is deleted this long after it
	// was sent; the row, its subject, recipient and status stay.
	MailBodies time.Duration
	// Sessions: the record of a signed-in session (its coarse browser and
	// network summary) is deleted this long after it ended or was last seen.
	Sessions time.Duration
}

// Defaults for the kinds without their own setting.
const (
	DefaultMailBodies = 90 * 24 * time.Hour
	DefaultSessions   = 30 * 24 * time.Hour
)

// NewPolicy is the policy for a people retention of peopleDays days,
// unconfirmed subscriptions purged by purgeUnconfirmed
// (policies.PurgeUnconfirmed), the subscribers told by subscribed
// (policies.SubscribedAddresses) and the defaults for the rest.
func NewPolicy(peopleDays int, purgeUnconfirmed func(context.Context, sqlx.ExtContext, time.Time) (int, error),
	subscribed func(context.Context, sqlx.ExtContext) (map[string]bool, error)) Policy {
	return Policy{
		People:      time.Duration(peopleDays) * 24 * time.Hour,
		Unconfirmed: purgeUnconfirmed,
		Subscribed:  subscribed,
		MailBodies:  DefaultMailBodies,
		Sessions:    DefaultSessions,
	}
}

// Report counts what a run purged (or, dry, would purge).
type Report struct {
	Now           time.Time
	DryRun        bool
	People        int // people pseudonymised
	Subscriptions int // unconfirmed subscriptions deleted
	Addresses     int // emails to former customers whose address was replaced by its hash
	DroppedMail   int // queued emails dropped because their recipient was purged
	MailBodies    int // sent emails whose text was deleted
	Sessions      int // records of ended sessions deleted
}

// Detail is the report as the audit log keeps it: counts only.
func (r Report) Detail() string {
	return fmt.Sprintf("people_pseudonymised=%d unconfirmed_subscriptions=%d customer_mail_hashed=%d mail_dropped=%d mail_bodies=%d sessions=%d",
		r.People, r.Subscriptions, r.Addresses, r.DroppedMail, r.MailBodies, r.Sessions)
}

// Run applies p as of now in one transaction. A dry run does the same work
// and rolls it back, so it reports exactly what a real run would do.
func Run(ctx context.Context, d *db.DB, p Policy, now time.Time, dryRun bool) (Report, error) {
	now = now.UTC().Truncate(time.Microsecond)
	rep := Report{Now: now, DryRun: dryRun}
	h, err := LoadAddressHasher(ctx, d, now)
	if err != nil {
		return rep, err
	}
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("retention: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := apply(ctx, tx, h, p, now, &rep); err != nil {
		return rep, err
	}
	if dryRun {
		return rep, nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO retention_runs
		(ran_at, people, subscriptions, addresses, dropped_mail, mail_bodies, sessions) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		now, rep.People, rep.Subscriptions, rep.Addresses, rep.DroppedMail, rep.MailBodies, rep.Sessions); err != nil {
		return rep, fmt.Errorf("retention: record run: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.System.Entry(now, "retention.run", "", rep.Detail())); err != nil {
		return rep, err
	}
	if err := tx.Commit(); err != nil {
		return rep, fmt.Errorf("retention: commit: %w", err)
	}
	return rep, nil
}

func apply(ctx context.Context, tx *sqlx.Tx, h AddressHasher, p Policy, now time.Time, rep *Report) error {
	// Hashes stored before they were keyed are re-keyed first, so that
	// none is left reversible and the steps after see one form.
	if err := rekeySuppressions(ctx, tx, h); err != nil {
		return err
	}
	if err := rekeyRecipients(ctx, tx, h); err != nil {
		return err
	}
	hashFormer := func(ctx context.Context, tx *sqlx.Tx, p Policy, now time.Time, rep *Report) error {
		return hashFormerCustomers(ctx, tx, h, p, rep)
	}
	steps := []func(context.Context, *sqlx.Tx, Policy, time.Time, *Report) error{
		pseudonymisePeople, deleteUnconfirmed, hashFormer, deleteSentBodies, purgeSessions,
	}
	for _, step := range steps {
		if err := step(ctx, tx, p, now, rep); err != nil {
			return err
		}
	}
	return nil
}

// purgeSessions asks package people, which owns sessions, to delete the
// records of those that ended or were abandoned before the period.
func purgeSessions(ctx context.Context, tx *sqlx.Tx, p Policy, now time.Time, rep *Report) error {
	if p.Sessions <= 0 {
		return nil
	}
	n, err := people.PurgeSessionsTx(ctx, tx, now.Add(-p.Sessions))
	rep.Sessions = int(n)
	return err
}

// pseudonymisePeople has people pseudonymise those deactivated before the
// period, and the owners of what else names them forget it: their queued
// email is dropped and the address and text of all of it replaced (mail),
// their links deleted (tokens).
func pseudonymisePeople(ctx context.Context, tx *sqlx.Tx, p Policy, now time.Time, rep *Report) error {
	ids, err := people.Pseudonymise(ctx, tx, now.Add(-p.People), now)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	for _, id := range ids {
		dropped, err := mail.ForgetRecipient(ctx, tx, id, people.PseudonymEmail(id), "recipient pseudonymised before sending")
		if err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		rep.DroppedMail += dropped
		if err := tokens.DeleteFor(ctx, tx, id); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		if err := people.DeleteIdentitiesTx(ctx, tx, id); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		rep.People++
	}
	return nil
}

func deleteUnconfirmed(ctx context.Context, tx *sqlx.Tx, p Policy, now time.Time, rep *Report) error {
	if p.Unconfirmed == nil {
		return errors.New("retention: the policy does not say how to purge unconfirmed subscriptions")
	}
	n, err := p.Unconfirmed(ctx, tx, now)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	rep.Subscriptions += n
	return nil
}

// HashedPrefix marks a recipient that was replaced by its keyed hash
// (AddressHasher.Hash); legacyHashedPrefix one replaced, before hashes
// were keyed, by its unkeyed digest, which rekeyRecipients re-keys.
const (
	HashedPrefix       = "hmac:"
	legacyHashedPrefix = "sha256:"
)

// hashFormerCustomers handles email to customers who are no longer
// subscribed (they unsubscribed, or never confirmed): anything still
// queued for them is dropped, and the address on every such email is
// replaced by its keyed hash, the text deleted.
func hashFormerCustomers(ctx context.Context, tx *sqlx.Tx, h AddressHasher, p Policy, rep *Report) error {
	if p.Subscribed == nil {
		return errors.New("retention: the policy does not say who is subscribed")
	}
	subscribed, err := p.Subscribed(ctx, tx)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	ms, err := mail.CustomerMails(ctx, tx, HashedPrefix, legacyHashedPrefix)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	for _, m := range ms {
		if subscribed[m.Recipient] {
			continue
		}
		dropped, err := mail.ReplaceRecipient(ctx, tx, m, HashedPrefix+h.Hash(m.Recipient), "recipient no longer subscribed")
		if err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		if dropped {
			rep.DroppedMail++
		}
		rep.Addresses++
	}
	return nil
}

func deleteSentBodies(ctx context.Context, tx *sqlx.Tx, p Policy, now time.Time, rep *Report) error {
	n, err := mail.DeleteSentBodies(ctx, tx, now.Add(-p.MailBodies))
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	rep.MailBodies += n
	return nil
}

// LastRun is when retention last ran for real, or the zero time.
func LastRun(ctx context.Context, q sqlx.QueryerContext) (time.Time, error) {
	var at []time.Time
	if err := sqlx.SelectContext(ctx, q, &at, `SELECT ran_at FROM retention_runs ORDER BY id DESC LIMIT 1`); err != nil {
		return time.Time{}, fmt.Errorf("retention: last run: %w", err)
	}
	if len(at) == 0 {
		return time.Time{}, nil
	}
	return at[0], nil
}

// rekeyRecipients replaces the unkeyed digests that stood for former
// customers on their email, before hashes were keyed, by keyed hashes.
func rekeyRecipients(ctx context.Context, tx *sqlx.Tx, h AddressHasher) error {
	ms, err := mail.RecipientsStartingWith(ctx, tx, legacyHashedPrefix)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	for _, m := range ms {
		keyed := HashedPrefix + h.Rekey(strings.TrimPrefix(m.Recipient, legacyHashedPrefix))
		if err := mail.SetRecipient(ctx, tx, m.ID, keyed); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
	}
	return nil
}
