package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/handlers"
	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/people"
	"steward/internal/translog"
)

// openLog opens the transparency log with the installation's key file,
// making the key on first use.
func (e *env) openLog(ctx context.Context) (*translog.Log, error) {
	d, err := e.open(ctx)
	if err != nil {
		return nil, err
	}
	k, err := translog.LoadKeyFile(e.cfg.LogKeyFile, handlers.LogOrigin(e.cfg.BaseURL))
	if err != nil {
		return nil, err
	}
	return translog.Open(d, k)
}

// errLogProblem makes `steward log verify` exit 1 after saying what is wrong.
var errLogProblem = errors.New("the site's log does not check out")

func cmdLogVerify(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "log verify")
	checkpoint := fs.String("checkpoint", "", "a checkpoint saved earlier (with --save): also prove the log only grew since")
	key := fs.String("key", "", "the log's public key (default: fetched from URL/log/key, and checked against --checkpoint)")
	save := fs.String("save", "", "write the checkpoint verified now to this file, to check against next time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The address may come before the flags, as the help shows it.
	var site string
	if fs.NArg() > 0 {
		site = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	if fs.NArg() > 0 || !(strings.HasPrefix(site, "http://") || strings.HasPrefix(site, "https://")) {
		return usagef("give the site's address, like https://policies.example.com")
	}
	if e.help {
		return nil
	}
	var opt translog.VerifyOptions
	opt.Key = *key
	if *checkpoint != "" {
		b, err := os.ReadFile(*checkpoint)
		if err != nil {
			return err
		}
		opt.Checkpoint = b
	}
	r, err := translog.Verify(ctx, site, opt)
	var p *translog.Problem
	if errors.As(err, &p) {
		fmt.Fprintf(e.stdout, "FAILED: %s\n", p.What)
		return errLogProblem
	}
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, r.String())
	if *save != "" {
		if err := os.WriteFile(*save, r.Checkpoint, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "saved the checkpoint to %s\n", *save)
	}
	return nil
}

func cmdAuditCheckpoint(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "audit checkpoint")
	out := fs.String("out", "", "write the signed checkpoint to this file (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	l, err := e.openLog(ctx)
	if err != nil {
		return err
	}
	signed, err := l.AnchorAudit(ctx, e.now())
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = e.stdout.Write(signed)
		return err
	}
	if err := os.WriteFile(*out, signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote the audit checkpoint to %s (it is also in the transparency log)\n", *out)
	return nil
}

// readAuditCheckpoint opens a signed audit checkpoint with the log's key.
func (e *env) readAuditCheckpoint(ctx context.Context, path, key string) (audit.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	if key == "" {
		k, err := translog.LoadKeyFile(e.cfg.LogKeyFile, handlers.LogOrigin(e.cfg.BaseURL))
		if err != nil {
			return audit.Checkpoint{}, err
		}
		key = k.Public
	}
	text, err := translog.OpenNote(b, key)
	if err != nil {
		return audit.Checkpoint{}, fmt.Errorf("%s: %w", path, err)
	}
	return audit.ParseCheckpointText(text)
}

// anchorEvery is how often serve writes the audit trail's head into the
// transparency log; admins get it by email once a week.
const anchorEvery = 24 * time.Hour

// runAuditAnchor anchors the audit trail at start and daily, and emails
// the signed checkpoint to every admin once per ISO week.
func runAuditAnchor(ctx context.Context, e *env, d *db.DB, l *translog.Log) {
	tick := time.NewTicker(anchorEvery)
	defer tick.Stop()
	for {
		if err := anchorAudit(ctx, e, d, l); err != nil && ctx.Err() == nil {
			e.log.Error("audit: anchor", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func anchorAudit(ctx context.Context, e *env, d *db.DB, l *translog.Log) error {
	now := e.now()
	signed, err := l.AnchorAudit(ctx, now)
	if err != nil {
		return err
	}
	admins, _, err := people.NewStore(d).List(ctx, people.Filter{Role: people.RoleAdmin, Limit: 500})
	if err != nil {
		return err
	}
	year, week := now.ISOWeek()
	return d.Tx(ctx, func(tx *sqlx.Tx) error {
		for _, a := range admins {
			id := a.ID
			text := "This is Steward's weekly audit checkpoint, signed with the installation's log key.\n\n" +
				"Keep this email. If anyone later removes or rewrites entries of the audit trail, running\n\n" +
				"    steward audit verify --checkpoint FILE\n\n" +
				"with the block below saved as FILE will say so.\n\n" + string(signed)
			if _, err := mail.Enqueue(ctx, tx, mail.Message{To: a.Email, UserID: &id, Kind: "audit_checkpoint",
				Subject: fmt.Sprintf("Audit checkpoint, week %d of %d", week, year), Text: text,
				DedupeKey: fmt.Sprintf("audit-checkpoint:%d-W%02d:%d", year, week, id)}, now); err != nil {
				return err
			}
		}
		return nil
	})
}
