package main

import (
	"context"
	"fmt"
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
	fmt.Fprintf(e.stdout, "backed up %s to %s\n", e.cfg.DatabaseURL, fs.Arg(0))
	return nil
}
