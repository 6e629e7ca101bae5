package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"steward/internal/audit"
	"steward/internal/people"
	"steward/policies"
)

// parseWithArgs parses flags wherever they stand among the arguments
// (`approve SLUG --as EMAIL` as well as `approve --as EMAIL SLUG`) and
// returns the arguments.
func parseWithArgs(fs flagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// actingAdmin is the person a governance command acts as: an active admin,
// named by --as.
func actingAdmin(ctx context.Context, e *env, email string) (audit.Actor, error) {
	if strings.TrimSpace(email) == "" {
		return audit.Actor{}, usagef("name who acts with --as EMAIL (an active admin)")
	}
	d, err := e.open(ctx)
	if err != nil {
		return audit.Actor{}, err
	}
	u, err := people.NewStore(d).ByEmail(ctx, email)
	if errors.Is(err, people.ErrNotFound) {
		return audit.Actor{}, fmt.Errorf("nobody has the email %s", email)
	}
	if err != nil {
		return audit.Actor{}, err
	}
	if !u.Active || u.Role != people.RoleAdmin {
		return audit.Actor{}, fmt.Errorf("%s is not an active admin: only admins draft, submit, approve and review policies", email)
	}
	return audit.UserActor(u.ID), nil
}

// governanceError says what a refused step means for the person at the
// command line.
func governanceError(slug string, err error) error {
	switch {
	case errors.Is(err, policies.ErrNoDraft):
		return fmt.Errorf("%s has no draft: write one in the admin, or with `steward policies draft FILE --as EMAIL`", slug)
	case errors.Is(err, policies.ErrNotFound):
		return fmt.Errorf("no policy has the slug %s", slug)
	case errors.Is(err, policies.ErrOwnDraft):
		return fmt.Errorf("%s: you last changed this draft, so another approver must approve it (four-eyes approval is on)", slug)
	case errors.Is(err, policies.ErrNotApprover), errors.Is(err, policies.ErrNotSubmitted),
		errors.Is(err, policies.ErrAlreadySubmitted), errors.Is(err, policies.ErrNothingToReview):
		return fmt.Errorf("%s: %s", slug, strings.TrimPrefix(err.Error(), "policies: "))
	}
	var ve *policies.ValidationError
	if errors.As(err, &ve) {
		return fmt.Errorf("%s: %s", slug, strings.TrimPrefix(ve.Error(), "policies: "))
	}
	return err
}

// cmdPoliciesDraft writes policy files as their policies' drafts, to be
// submitted and approved before `policies publish` publishes them.
func cmdPoliciesDraft(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policies draft")
	as := fs.String("as", "", "the admin writing the draft (its author, who may not approve it)")
	files, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("name at least one policy file (see docs/policy-files.md)")
	}
	by, err := actingAdmin(ctx, e, *as)
	if err != nil {
		return err
	}
	store, err := policyStore(ctx, e)
	if err != nil {
		return err
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		f, err := policies.ParseFile(name, data)
		if err != nil {
			return err
		}
		p, _, err := store.DraftFile(ctx, f, by, e.now())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: saved as the draft of %s; submit it with `steward policies submit %s --as %s`\n", name, p.Slug, p.Slug, *as)
	}
	return nil
}

// governanceStep is one of submit, approve, reject and review: a slug, who
// acts, and a comment.
func governanceStep(ctx context.Context, e *env, args []string, name, commentFlag, commentHelp string,
	step func(s *policies.Store, slug, comment string, by audit.Actor) error, done string) error {
	fs := flags(e, "policies "+name)
	as := fs.String("as", "", "the admin who acts")
	var comment *string
	if commentFlag != "" {
		comment = fs.String(commentFlag, "", commentHelp)
	}
	slugs, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(slugs) != 1 {
		return usagef("name one policy by its slug")
	}
	by, err := actingAdmin(ctx, e, *as)
	if err != nil {
		return err
	}
	store, err := policyStore(ctx, e)
	if err != nil {
		return err
	}
	text := ""
	if comment != nil {
		text = *comment
	}
	if err := step(store, slugs[0], text, by); err != nil {
		return governanceError(slugs[0], err)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", slugs[0], done)
	return nil
}

func cmdPoliciesSubmit(ctx context.Context, e *env, args []string) error {
	return governanceStep(ctx, e, args, "submit", "", "", func(s *policies.Store, slug, _ string, by audit.Actor) error {
		return s.Submit(ctx, slug, by, e.now())
	}, "draft submitted for approval")
}

func cmdPoliciesApprove(ctx context.Context, e *env, args []string) error {
	return governanceStep(ctx, e, args, "approve", "comment", "an optional comment kept with the approval",
		func(s *policies.Store, slug, comment string, by audit.Actor) error {
			return s.Approve(ctx, slug, comment, by, e.now())
		}, "draft approved: it may now be published, exactly as it is")
}

func cmdPoliciesReject(ctx context.Context, e *env, args []string) error {
	return governanceStep(ctx, e, args, "reject", "comment", "why the draft goes back to its author (required)",
		func(s *policies.Store, slug, comment string, by audit.Actor) error {
			return s.Reject(ctx, slug, comment, by, e.now())
		}, "draft sent back to its author")
}

func cmdPoliciesReview(ctx context.Context, e *env, args []string) error {
	return governanceStep(ctx, e, args, "review", "note", "what the review found (optional)",
		func(s *policies.Store, slug, note string, by audit.Actor) error {
			return s.RecordReview(ctx, slug, note, by, e.now())
		}, "reviewed, no change: recorded")
}
