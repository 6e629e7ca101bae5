package main

import (
	"context"
	"fmt"
	"time"

	"steward/internal/db"
	"steward/internal/retention"
	"steward/policies"
)

func cmdRetentionRun(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "retention run")
	dry := fs.Bool("dry-run", false, "report what would be purged without changing anything")
	at := fs.String("now", "", "run as if it were this time (RFC 3339, e.g. 2028-01-01T00:00:00Z); a future time needs --dry-run")
	mailDays := fs.Int("mail-days", e.cfg.MailRetentionDays, "delete the text of emails sent more than this many days ago (default from STEWARD_MAIL_RETENTION_DAYS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *mailDays < 1 || *mailDays > 36500 {
		return usagef("--mail-days must be a whole number from 1 to 36500")
	}
	now, err := parseNow(e, *at, *dry, "2028-01-01T00:00:00Z", "retention would pseudonymise people and delete data")
	if err != nil {
		return err
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	p := retentionPolicy(e)
	p.MailBodies = time.Duration(*mailDays) * 24 * time.Hour
	rep, err := retention.Run(ctx, d, p, now, *dry)
	if err != nil {
		return err
	}
	verb := "purged"
	if rep.DryRun {
		verb = "would purge (dry run, nothing changed)"
	}
	fmt.Fprintf(e.stdout, "retention as of %s %s:\n", now.Format(time.RFC3339), verb)
	fmt.Fprintf(e.stdout, "  %d people deactivated more than %d days ago pseudonymised\n", rep.People, e.cfg.RetentionDays)
	fmt.Fprintf(e.stdout, "  %d customer subscriptions unconfirmed after %d days deleted\n", rep.Subscriptions, int(policies.ConfirmWithin.Hours()/24))
	fmt.Fprintf(e.stdout, "  %d emails to former subscribers reduced to a hash of the address\n", rep.Addresses)
	fmt.Fprintf(e.stdout, "  %d queued emails dropped because their recipient was purged\n", rep.DroppedMail)
	fmt.Fprintf(e.stdout, "  %d sent emails older than %d days emptied of their text\n", rep.MailBodies, *mailDays)
	fmt.Fprintf(e.stdout, "  %d records of sessions ended more than %d days ago deleted\n", rep.Sessions, int(p.Sessions.Hours()/24))
	return nil
}

// retentionEvery is how often serve runs retention.
const retentionEvery = 24 * time.Hour

// runRetentionDaily applies retention once a day until ctx ends. It checks
// every hour whether a day has passed since the last run, recorded in the
// database, so a restart neither skips a day nor runs twice.
func runRetentionDaily(ctx context.Context, e *env, d *db.DB, p retention.Policy) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		// Instances on one PostgreSQL database take turns, so the one
		// that comes second finds today's run recorded.
		err := d.Exclusive(ctx, "retention", func() error {
			now := e.now()
			last, err := retention.LastRun(ctx, d)
			switch {
			case err != nil:
				e.log.Error("retention: read last run", "err", err)
			case now.Sub(last) >= retentionEvery:
				rep, err := retention.Run(ctx, d, p, now, false)
				if err != nil {
					e.log.Error("retention run", "err", err)
				} else {
					e.log.Info("retention run", "people", rep.People, "subscriptions", rep.Subscriptions,
						"addresses", rep.Addresses, "dropped_mail", rep.DroppedMail, "mail_bodies", rep.MailBodies, "sessions", rep.Sessions)
				}
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			e.log.Error("retention", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// retentionPolicy is the retention configured by the environment.
func retentionPolicy(e *env) retention.Policy {
	p := retention.NewPolicy(e.cfg.RetentionDays, policies.PurgeUnconfirmed, policies.SubscribedAddresses)
	p.MailBodies = time.Duration(e.cfg.MailRetentionDays) * 24 * time.Hour
	return p
}
