package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"steward/internal/db"
)

// cmdVersion prints what this binary is: the commit it was built from,
// the Go that built it, and the newest database schema it knows. It reads
// no configuration and opens no database, so it answers on any machine.
func cmdVersion(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return printVersion(e.stdout)
}

func printVersion(w io.Writer) error {
	revision, when, modified, goVersion := "unknown", "", false, "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value[:min(12, len(s.Value))]
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	schema := 0
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		ms, err := db.Migrations(d)
		if err != nil {
			return err
		}
		schema = max(schema, ms[len(ms)-1].Version)
	}
	fmt.Fprintf(w, "steward %s", revision)
	if modified {
		fmt.Fprint(w, " (with uncommitted changes)")
	}
	if when != "" {
		fmt.Fprintf(w, ", committed %s", when)
	}
	fmt.Fprintf(w, "\nbuilt with %s\ndatabase schema %d\n", goVersion, schema)
	return nil
}
