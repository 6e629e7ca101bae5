package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"steward/internal/audit"
)

// errChainBroken makes `steward audit verify` exit 1 after it has printed
// where the chain breaks.
var errChainBroken = errors.New("the audit log has been tampered with")

func cmdAuditVerify(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "audit verify")
	checkpoint := fs.String("checkpoint", "", "an audit checkpoint (from `steward audit checkpoint`, a backup or the weekly email): also catch entries removed or rewritten since it")
	key := fs.String("key", "", "the log's public key (default: the installation's key file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	var n int
	var cp audit.Checkpoint
	if *checkpoint != "" {
		if cp, err = e.readAuditCheckpoint(ctx, *checkpoint, *key); err != nil {
			return err
		}
		n, err = audit.VerifyAgainst(ctx, d, cp)
	} else {
		n, err = audit.Verify(ctx, d)
	}
	var br *audit.Break
	if errors.As(err, &br) {
		fmt.Fprintf(e.stdout, "audit log BROKEN at entry %d: %s\n", br.ID, br.Reason)
		fmt.Fprintf(e.stdout, "the %d entries before it are intact; entry %d and everything after it cannot be trusted\n", n, br.ID)
		return errChainBroken
	}
	if err != nil {
		return err
	}
	head, _, err := audit.List(ctx, d, audit.Filter{Limit: 1})
	if err != nil {
		return err
	}
	if len(head) == 0 {
		fmt.Fprintln(e.stdout, "audit log is empty")
		return nil
	}
	// The head hash vouches for everything before it. Noting it down
	// elsewhere also catches the one change a chain cannot show on its
	// own: entries cut off the end.
	fmt.Fprintf(e.stdout, "audit log intact: %d entries, last entry %d at %s, head hash %s\n",
		n, head[0].ID, head[0].At.UTC().Format("2006-01-02 15:04:05 UTC"), head[0].Hash)
	if *checkpoint != "" {
		fmt.Fprintf(e.stdout, "and it still holds the %d entries the checkpoint of %s saw, unchanged\n", cp.Entries, cp.At.Format(time.RFC3339))
	}
	return nil
}
