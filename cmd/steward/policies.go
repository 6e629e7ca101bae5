package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
	store.SetNoticeDays(e.cfg.PolicyNoticeDays)
	return store, nil
}

// cmdPoliciesPublish publishes each file as the next version of its
// policy, and each translation file (privacy.de.md beside privacy.md) as
// the translation of the version published with it. Every file is checked
// before anything is published, so a typo in the third file does not
// leave the first two half-done.
func cmdPoliciesPublish(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policies publish")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name at least one policy file (see docs/policy-files.md)")
	}
	var files []policies.File
	var translations []policies.TranslationFile
	byPath := map[string]string{} // policy file -> its slug
	var bad int
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		if _, _, ok := policies.TranslationOf(name); ok {
			tf, err := policies.ParseTranslationFile(name, data)
			if err != nil {
				fmt.Fprintln(e.stderr, err)
				bad++
				continue
			}
			translations = append(translations, tf)
			continue
		}
		f, err := policies.ParseFile(name, data)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			bad++
			continue
		}
		files = append(files, f)
		byPath[filepath.Clean(name)] = f.Settings.Slug
	}
	for i, tf := range translations {
		if tf.Slug != "" {
			continue
		}
		policyFile, _, _ := policies.TranslationOf(tf.Name)
		slug, ok := byPath[filepath.Clean(policyFile)]
		if !ok {
			fmt.Fprintf(e.stderr, "%s: field slug: is required: give it, or publish the file beside %s\n", tf.Name, policyFile)
			bad++
			continue
		}
		translations[i].Slug = slug
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d files have errors; nothing was published", bad, fs.NArg())
	}
	store, err := policyStore(ctx, e)
	if err != nil {
		return err
	}
	published := map[string]int{} // slug -> the version its file published (or repeated)
	for _, f := range files {
		res, err := store.PublishFile(ctx, f, audit.CLI, e.now())
		if errors.Is(err, policies.ErrFileNotApproved) {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if err != nil {
			return err
		}
		published[f.Settings.Slug] = res.Version.Number
		fmt.Fprintln(e.stdout, res.Message)
	}
	for _, tf := range translations {
		if tf.Version == 0 {
			tf.Version = published[tf.Slug]
		}
		msg, err := store.PublishTranslationFile(ctx, tf, audit.CLI, e.now())
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, msg)
	}
	return nil
}

// cmdPoliciesExport writes every published version as SLUG/vN.md files,
// and every translation beside it as SLUG/vN.LANG.md.
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
	fmt.Fprintf(e.stdout, "exported %d files (versions and their translations) to %s\n", len(paths), fs.Arg(0))
	return nil
}
