package main

import (
	"context"
	"fmt"

	"steward/internal/audit"
	"steward/internal/keys"
)

func cmdKeysRotate(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "keys rotate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if len(e.cfg.SessionKeys) > 0 {
		return usagef("the session keys come from STEWARD_SESSION_KEYS: rotate them there, by putting a new key first and keeping the old one after it until sessions signed with it have expired (12 hours)")
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	ring, err := keys.Rotate(ctx, d, keys.Session, audit.CLI, e.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "session key rotated: generation %d signs new sessions from now on; cookies signed with generation %d still open until the next rotation\n",
		ring.Generation, ring.Generation-1)
	fmt.Fprintln(e.stdout, "running instances pick the new key up within seconds; no restart is needed")
	return nil
}
