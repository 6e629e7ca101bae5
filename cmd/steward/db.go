package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"steward/internal/db"
	"steward/internal/reports"
)

func cmdBackup(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "backup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name the file to write the backup to")
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	if err := d.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s\n", db.Redact(e.cfg.DatabaseURL), fs.Arg(0))
	// Beside the copy, the audit trail's head as it was, signed: a
	// restore from this backup can be checked against it.
	l, err := e.openLog(ctx)
	if err != nil {
		return err
	}
	signed, err := l.AnchorAudit(ctx, e.now())
	if err != nil {
		return err
	}
	if err := os.WriteFile(fs.Arg(0)+".audit-checkpoint", signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote the audit checkpoint %s.audit-checkpoint (check with `steward audit verify --checkpoint`)\n", fs.Arg(0))
	return nil
}

// cmdDBCopy moves an installation to PostgreSQL: every table of --from is
// copied into the empty database --to names, then the row counts of both
// are compared and printed.
func cmdDBCopy(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "db copy")
	from := fs.String("from", "", "the database to copy (sqlite:steward.db, a file path, or postgres://...; default STEWARD_DATABASE_URL)")
	to := fs.String("to", "", "the empty PostgreSQL database to copy into (postgres://...)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		*from = e.cfg.DatabaseURL
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if !db.IsPostgresURL(*to) {
		return usagef("--to must name a PostgreSQL database (postgres://user:pass@host/db)")
	}
	if *from == *to {
		return usagef("--from and --to name the same database")
	}
	if !db.IsPostgresURL(*from) {
		if _, err := os.Stat(db.SQLitePath(*from)); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	src, err := db.Open(*from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := db.Open(*to)
	if err != nil {
		return err
	}
	defer dst.Close()
	counts, err := db.Copy(ctx, src, dst, reports.Caches)
	if len(counts) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "table\tsource rows\tcopied rows\t")
		var total int64
		for _, c := range counts {
			fmt.Fprintf(tw, "%s\t%d\t%d\t\n", c.Table, c.Source, c.Target)
			total += c.Target
		}
		tw.Flush()
		if err == nil {
			fmt.Fprintf(e.stdout, "copied %d rows in %d tables; every count matches\n", total, len(counts))
		}
	}
	return err
}
