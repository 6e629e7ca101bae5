package translog_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/translog"
)

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func newLog(t *testing.T, d *db.DB) *translog.Log {
	t.Helper()
	k, err := translog.NewKey("policies.example.com/steward-log")
	if err != nil {
		t.Fatal(err)
	}
	l, err := translog.Open(d, k)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func appendLeaves(t *testing.T, d *db.DB, from, to int) {
	t.Helper()
	err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		for i := from; i < to; i++ {
			ref, data := translog.PolicyLeaf("privacy", i+1, now.AddDate(0, i, 0), fmt.Sprintf("%064x", i))
			if _, err := translog.Append(context.Background(), tx, translog.KindPolicy, ref, data, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestProofsVerify grows a log one leaf at a time to 21 and checks, with
// the merkle library's own verifiers, every leaf's inclusion proof at
// every size and the consistency proof between every pair of sizes
// against the signed checkpoints.
func TestProofsVerify(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := newLog(t, d)
		h := rfc6962.DefaultHasher
		var roots [][]byte
		for size := 1; size <= 21; size++ {
			appendLeaves(t, d, size-1, size)
			signed, cp, err := l.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := translog.ParseCheckpoint(signed, l.PublicKey())
			if err != nil || parsed.Size != uint64(size) || string(parsed.Root) != string(cp.Root) {
				t.Fatalf("checkpoint %d: %+v %v", size, parsed, err)
			}
			if !strings.HasPrefix(string(signed), "policies.example.com/steward-log\n") {
				t.Fatalf("checkpoint does not start with its origin: %q", signed)
			}
			roots = append(roots, cp.Root)
			leaves, err := l.Leaves(ctx, 0, uint64(size))
			if err != nil {
				t.Fatal(err)
			}
			for _, lf := range leaves {
				p, err := l.InclusionProof(ctx, lf.Index, uint64(size))
				if err != nil {
					t.Fatal(err)
				}
				if err := proof.VerifyInclusion(h, lf.Index, uint64(size), lf.Hash(), p, cp.Root); err != nil {
					t.Fatalf("inclusion of %d in %d: %v", lf.Index, size, err)
				}
			}
		}
		for s1 := 1; s1 <= 21; s1++ {
			for s2 := s1; s2 <= 21; s2++ {
				p, err := l.ConsistencyProof(ctx, uint64(s1), uint64(s2))
				if err != nil {
					t.Fatal(err)
				}
				if err := proof.VerifyConsistency(h, uint64(s1), uint64(s2), p, roots[s1-1], roots[s2-1]); err != nil {
					t.Fatalf("consistency %d -> %d: %v", s1, s2, err)
				}
			}
		}
		if _, err := l.InclusionProof(ctx, 21, 21); err != translog.ErrRange {
			t.Errorf("a leaf past the end: %v", err)
		}
		if _, err := l.ConsistencyProof(ctx, 5, 22); err != translog.ErrRange {
			t.Errorf("a size past the end: %v", err)
		}
	})
}

// TestRewritingALeafBreaksConsistency: someone with the database rewrites
// an old leaf; the log's new root no longer extends the checkpoint a
// reader kept, and a checkpoint signed by another key is refused.
func TestRewritingALeafBreaksConsistency(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := newLog(t, d)
		appendLeaves(t, d, 0, 6)
		_, kept, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		appendLeaves(t, d, 6, 8)
		_, data := translog.PolicyLeaf("privacy", 2, now, strings.Repeat("ab", 32))
		if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE translog_leaves SET data = ?, leaf_hash = ? WHERE idx = 1`),
			data, fmt.Sprintf("%x", rfc6962.DefaultHasher.HashLeaf([]byte(data)))); err != nil {
			t.Fatal(err)
		}
		_, cur, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.ConsistencyProof(ctx, kept.Size, cur.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, kept.Size, cur.Size, p, kept.Root, cur.Root); err == nil {
			t.Fatal("a rewritten leaf still proves consistent with the kept checkpoint")
		}
		other := newLog(t, d)
		signed, _, err := other.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := translog.ParseCheckpoint(signed, l.PublicKey()); err == nil {
			t.Fatal("a checkpoint signed by another key verifies")
		}
	})
}

// TestKeyFile: the key is made once, kept 0600, and read back the same.
func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.key")
	k1, err := translog.LoadKeyFile(path, "example.com/steward-log")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := translog.LoadKeyFile(path, "ignored")
	if err != nil || k1 != k2 {
		t.Fatalf("the key changed when read back: %v", err)
	}
	if fi, err := filepathStat(path); err != nil || fi&0o077 != 0 {
		t.Fatalf("key file mode %o, %v", fi, err)
	}
}

func filepathStat(path string) (uint32, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return uint32(fi.Mode().Perm()), nil
}
