package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"steward/courses"
	"steward/internal/audit"
)

// cmdCoursesImport validates a course folder and loads it; every problem is
// printed with its file and line, and nothing changes when there is one.
func cmdCoursesImport(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "courses import")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name one course folder")
	}
	dir := fs.Arg(0)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("%s is not a folder", dir)
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	store := courses.NewStore(d)
	res, err := store.Import(ctx, os.DirFS(dir), audit.CLI, e.now())
	var ve *courses.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Fprintf(e.stderr, "%s/%s\n", dir, p)
		}
		return fmt.Errorf("%s: %d problems, nothing was imported", dir, len(ve.Problems))
	}
	if err != nil {
		return err
	}
	sync, err := store.Sync(ctx, e.now())
	if err != nil {
		return err
	}
	switch {
	case res.Created:
		fmt.Fprintf(e.stdout, "imported %s: new course at revision 1; %d people assigned\n", res.Slug, sync.Opened)
	case res.Changed:
		fmt.Fprintf(e.stdout, "imported %s: revision %d; %d cycles reopened for retraining; %d people newly assigned\n",
			res.Slug, res.Revision, res.Retrained, sync.Opened)
	default:
		fmt.Fprintf(e.stdout, "%s is unchanged at revision %d: nothing to import\n", res.Slug, res.Revision)
	}
	return nil
}

// cmdCoursesExport writes a course as a folder in the import format.
func cmdCoursesExport(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "courses export")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("name a course slug and a folder to write")
	}
	slug, dir := fs.Arg(0), fs.Arg(1)
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	files, err := courses.NewStore(d).Export(ctx, slug)
	if errors.Is(err, courses.ErrNotFound) {
		return fmt.Errorf("no course has the slug %q", slug)
	}
	if err != nil {
		return err
	}
	if err := courses.WriteFolder(dir, files); err != nil {
		return err
	}
	if err := audited(ctx, e, "course.export", "course:"+slug, fmt.Sprintf("files=%d", len(files))); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "exported %s to %s: %d files\n", slug, dir, len(files))
	return nil
}
