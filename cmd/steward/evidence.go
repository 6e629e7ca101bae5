package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"steward/courses"
	"steward/internal/evidencepack"
	"steward/internal/people"
	"steward/internal/reports"
	"steward/policies"
)

func cmdEvidencePack(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "evidence pack")
	asOfText := fs.String("as-of", "", "the day the pack describes, like 2026-06-30 (its end, UTC); default yesterday")
	out := fs.String("out", "", "the zip file to write (required; not overwritten)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return usagef("name the zip to write with --out FILE.zip")
	}
	now := e.now()
	if *asOfText == "" {
		*asOfText = now.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	asOf, err := reports.ParseAsOf(*asOfText, now)
	if err != nil {
		return usagef("--as-of %q is not a day like 2026-06-30, today or earlier", *asOfText)
	}
	l, err := e.openLog(ctx)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	start := time.Now()
	d := e.db
	src := evidencepack.Sources{DB: d, People: people.NewStore(d), Courses: courses.NewStore(d), Policies: policies.NewStore(d, nil),
		Reports: reports.New(d, e.cfg.MinGroupSize, e.cfg.RetentionDays), Log: l}
	err = evidencepack.Build(ctx, src, evidencepack.Request{AsOf: asOf, GeneratedAt: now, GeneratedBy: "steward evidence pack (command line)"}, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return err
	}
	fmt.Fprintf(e.stdout, "wrote the evidence pack as of %s to %s in %s; check it with `steward evidence verify %s` or its verify.html\n",
		asOf.Format(time.DateOnly), *out, time.Since(start).Round(time.Millisecond), *out)
	return nil
}

// errPackChanged makes `steward evidence verify` exit 1.
var errPackChanged = errors.New("the evidence pack does not verify")

func cmdEvidenceVerify(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "evidence verify")
	key := fs.String("key", "", "the installation's public key (from its /log/key); default: the key the pack names, which proves only that the pack is whole")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var file string
	if fs.NArg() > 0 { // the file may come before the flags
		file = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	if file == "" || fs.NArg() > 0 {
		return usagef("name the pack to check: steward evidence verify FILE.zip")
	}
	if e.help {
		return nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	res, err := evidencepack.Verify(b, *key)
	if err != nil {
		fmt.Fprintf(e.stdout, "FAIL: %v\n", err)
		return errPackChanged
	}
	fmt.Fprintf(e.stdout, "PASS: all %d files of the evidence of %s as of %s are as signed\nsigning key: %s\n", res.Files, res.Origin, res.AsOf, res.Key)
	if *key == "" {
		fmt.Fprintln(e.stdout, "compare that key with the one the company publishes at /log/key, or pass it with --key")
	}
	return nil
}
