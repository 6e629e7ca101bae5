package main

import (
	"context"
	"fmt"
	"os"

	"steward/internal/audit"
	"steward/internal/org"
	"steward/policies"
)

func policyStore(ctx context.Context, e *env) (*policies.Store, error) {
	d, err := e.open(ctx)
	if err != nil {
		return nil, err
	}
	r, err := newRenderer(e, d)
	if err != nil {
		return nil, err
	}
	store := policies.NewStore(d, r)
	// A publication writes the organisation's facts into the text, the
	// environment's (STEWARD_ORG_*) included.
	store.UseOrganisation(org.NewStore(d, e.cfg.Org))
	return store, nil
}

// cmdPoliciesPublish publishes each file as the next version of its
// policy. Every file is checked before anything is published, so a typo in
// the third file does not leave the first two half-done.
func cmdPoliciesPublish(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policies publish")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name at least one policy file (see docs/policy-files.md)")
	}
	var files []policies.File
	var bad int
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		f, err := policies.ParseFile(name, data)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			bad++
			continue
		}
		files = append(files, f)
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d files have errors; nothing was published", bad, fs.NArg())
	}
	store, err := policyStore(ctx, e)
	if err != nil {
		return err
	}
	for _, f := range files {
		res, err := store.PublishFile(ctx, f, audit.CLI, e.now())
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, res.Message)
	}
	return nil
}

// cmdPoliciesExport writes every published version as SLUG/vN.md files.
func cmdPoliciesExport(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policies export")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name one directory to write into")
	}
	store, err := policyStore(ctx, e)
	if err != nil {
		return err
	}
	paths, err := store.Export(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(e.stdout, p)
	}
	if err := audited(ctx, e, "policies.export", "", fmt.Sprintf("versions=%d", len(paths))); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "exported %d versions to %s\n", len(paths), fs.Arg(0))
	return nil
}
