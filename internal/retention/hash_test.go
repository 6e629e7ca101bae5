package retention_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/mail"
	"steward/internal/retention"
	"steward/policies"
)

func hasher(t *testing.T, d *db.DB) retention.AddressHasher {
	t.Helper()
	h, err := retention.LoadAddressHasher(context.Background(), d, t0)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// unkeyed is the hash Steward stored before hashes were keyed: anyone with
// a list of addresses can compute it.
func unkeyed(email string) string {
	sum := sha256.Sum256([]byte("steward-address:" + email))
	return hex.EncodeToString(sum[:])
}

func TestAddressHashesAreKeyed(t *testing.T) {
	// Two installations, each with the key generated on first use.
	a, b := hasher(t, dbtest.Open(t)), hasher(t, dbtest.Open(t))
	if a.Hash("ann@example.com") == b.Hash("ann@example.com") {
		t.Error("the hash does not depend on the key")
	}
	if a.Hash("ann@example.com") == unkeyed("ann@example.com") {
		t.Error("the hash is the unkeyed digest")
	}
	if a.Hash(" Ann@Example.com ") != a.Hash("ann@example.com") {
		t.Error("the hash depends on case or spaces")
	}
	if a.Rekey(unkeyed("ann@example.com")) != a.Hash("ann@example.com") {
		t.Error("a re-keyed digest does not match the address's hash")
	}
}

// TestUnkeyedHashesAreMatchedThenRekeyed stores suppressions and hashed
// recipients as a database from before keyed hashes holds them, and
// checks they keep working and that a retention run leaves none of them
// reversible.
func TestUnkeyedHashesAreMatchedThenRekeyed(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		old := "old@example.com"
		if _, err := d.Exec(d.Rebind(`INSERT INTO suppressed_addresses (hash) VALUES (?)`), unkeyed(old)); err != nil {
			t.Fatal(err)
		}
		tx := d.MustBegin()
		if _, err := mail.Enqueue(ctx, tx, mail.Message{To: "sha256:" + unkeyed(old), Kind: "policy_notice", Subject: "S",
			Text: "x", DedupeKey: "legacy"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		h := hasher(t, d)
		if s, err := retention.Suppressed(ctx, d, h, old); err != nil || !s {
			t.Fatalf("an unkeyed suppression no longer matches: %v %v", s, err)
		}

		tx = d.MustBegin()
		if err := retention.Suppress(ctx, tx, h, "new@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM suppressed_addresses WHERE hash = ?`, unkeyed("new@example.com")); n != 0 {
			t.Fatal("a new suppression is stored unkeyed")
		}

		if _, err := retention.Run(ctx, d, retention.NewPolicy(365, policies.PurgeUnconfirmed, policies.SubscribedAddresses), t0, false); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM suppressed_addresses WHERE keyed = FALSE OR hash = ?`, unkeyed(old)); n != 0 {
			t.Fatalf("%d unkeyed suppressions left after a run", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE recipient LIKE 'sha256:%' OR recipient LIKE ?`, "%"+unkeyed(old)+"%"); n != 0 {
			t.Fatalf("%d unkeyed recipients left after a run", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE recipient = ?`, retention.HashedPrefix+h.Hash(old)); n != 1 {
			t.Fatal("the re-keyed recipient does not match the address's hash")
		}
		for _, e := range []string{old, "new@example.com"} {
			if s, err := retention.Suppressed(ctx, d, h, e); err != nil || !s {
				t.Errorf("%s is no longer suppressed after the run: %v %v", e, s, err)
			}
		}
		tx = d.MustBegin()
		if err := retention.Unsuppress(ctx, tx, h, old); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if s, _ := retention.Suppressed(ctx, d, h, old); s {
			t.Error("still suppressed after Unsuppress")
		}
	})
}
