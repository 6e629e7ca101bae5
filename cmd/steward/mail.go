package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"steward/courses"
	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/org"
	"steward/internal/reminders"
	"steward/internal/retention"
)

// cmdRemind runs the reminder sweep once, now or at the time --now names,
// and prints what it queued (or, with --dry-run, what it would queue).
func cmdRemind(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "remind")
	at := fs.String("now", "", "run the sweep as if it were this time (RFC 3339, e.g. 2027-03-01T09:00:00Z); a future time needs --dry-run")
	dry := fs.Bool("dry-run", false, "print the plan without queueing anything")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	now, err := parseNow(e, *at, *dry, "2027-03-01T09:00:00Z", "the sweep would queue reminders and overdue notices")
	if err != nil {
		return err
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	sw, err := newSweeper(e, d)
	if err != nil {
		return err
	}
	plan, err := sw.Sweep(ctx, now, *dry)
	if errors.Is(err, reminders.ErrBusy) {
		return fmt.Errorf("another sweep is running right now; try again when it has finished")
	}
	if err != nil {
		return err
	}
	_, err = plan.WriteTo(e.stdout)
	return err
}

// cmdMailSend delivers the mail that is due, once, and reports what happened.
func cmdMailSend(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "mail send")
	requeue := fs.Bool("requeue-sending", false, "first queue again every message left \"sending\", however recent (only when no other Steward is sending)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	dialer, err := mail.ParseSMTPURL(e.cfg.SMTPURL)
	if errors.Is(err, mail.ErrNoSMTP) {
		return fmt.Errorf("STEWARD_SMTP_URL is not set: the mail stays in the outbox, where admins can read it at /admin/outbox")
	}
	if err != nil {
		return err
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	w := newMailWorker(e, d, dialer)
	if *requeue {
		w.StaleAfter = 0
	}
	if _, err := w.Recover(ctx); err != nil {
		return err
	}
	res, err := w.Drain(ctx)
	fmt.Fprintf(e.stdout, "sent %d, failed %d (will be retried), dead %d, dropped %d (no longer needed)\n",
		res.Sent, res.Failed, res.Dead, res.Dropped)
	return err
}

// newMailWorker is the outbox worker of serve and `mail send`: it drops a
// reminder whose reason has gone by the time it is sent.
func newMailWorker(e *env, d *db.DB, dialer mail.Dialer) *mail.Worker {
	w := mail.NewWorker(d, dialer, e.cfg.MailFrom, e.cfg.BaseURL.Hostname())
	w.Now = e.now
	w.Logger = e.log
	check := reminders.NewChecker(d)
	check.Now = e.now
	// A reminder whose reason has gone, or an email to someone who has
	// unsubscribed since it was queued, is dropped rather than sent.
	w.Check = retention.AllChecks{check, retention.SuppressionCheck{DB: d}}
	return w
}

// newRenderer is the mail renderer of a command: its emails carry the
// organisation's brand, as serve's pages and emails do, read from the
// settings (and the environment's STEWARD_ORG_*).
func newRenderer(e *env, d *db.DB) (*mail.Renderer, error) {
	r, err := mail.NewRenderer(e.cfg.BaseURL.String())
	if err != nil {
		return nil, err
	}
	r.Brand = mail.OrgBrandSource(org.NewStore(d, e.cfg.Org), e.cfg.BaseURL.String())
	return r, nil
}

func newSweeper(e *env, d *db.DB) (*reminders.Sweeper, error) {
	r, err := newRenderer(e, d)
	if err != nil {
		return nil, err
	}
	sw := reminders.New(d, r)
	sw.Logger = e.log
	store := courses.NewStore(d)
	sw.Assign = func(ctx context.Context, now time.Time) error {
		_, err := store.Sync(ctx, now)
		return err
	}
	return sw, nil
}

// startMail starts the daily reminder scheduler and, when SMTP is
// configured, the outbox worker; both stop when ctx is cancelled.
func startMail(ctx context.Context, e *env, d *db.DB, wg *sync.WaitGroup) error {
	sw, err := newSweeper(e, d)
	if err != nil {
		return err
	}
	sc := reminders.NewScheduler(sw, e.cfg.SweepHour)
	sc.Now = e.now
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc.Run(ctx)
	}()
	dialer, err := mail.ParseSMTPURL(e.cfg.SMTPURL)
	switch {
	case errors.Is(err, mail.ErrNoSMTP):
		e.log.Info("mail: no SMTP server configured; emails stay in the outbox for admins to read")
		return nil
	case err != nil:
		return err
	}
	w := newMailWorker(e, d, dialer)
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.Run(ctx)
	}()
	return nil
}
