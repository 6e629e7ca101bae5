package keys_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/keys"
)

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func TestLoadGeneratesOneKeyAndKeepsIt(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		first, err := keys.Load(ctx, d, keys.Session, now)
		if err != nil {
			t.Fatal(err)
		}
		if !first.Created || len(first.Keys) != 1 || len(first.Keys[0]) != keys.Size || first.Generation != 1 {
			t.Fatalf("first start: %+v", first)
		}
		if bytes.Equal(first.Keys[0], make([]byte, keys.Size)) {
			t.Fatal("the generated key is all zeros")
		}
		// A restart, or a second instance, finds the same key.
		again, err := keys.Load(ctx, dbtest.Reopen(t, d), keys.Session, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if again.Created || !bytes.Equal(again.Keys[0], first.Keys[0]) {
			t.Fatalf("second start made a new key (created=%v)", again.Created)
		}
	})
}

func TestInstancesStartingAtOnceAgreeOnOneKey(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const n = 8
		rings := make([]keys.Ring, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rings[i], errs[i] = keys.Load(ctx, d, keys.Session, now)
			}()
		}
		wg.Wait()
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if rings[i].Created {
				created++
			}
			if len(rings[i].Keys) != 1 || !bytes.Equal(rings[i].Keys[0], rings[0].Keys[0]) {
				t.Fatalf("instance %d has another key", i)
			}
		}
		if created != 1 {
			t.Fatalf("%d instances say they generated the key", created)
		}
	})
}

func TestRotateSignsWithANewKeyAndKeepsThePrevious(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		first, err := keys.Load(ctx, d, keys.Session, now)
		if err != nil {
			t.Fatal(err)
		}
		second, err := keys.Rotate(ctx, d, keys.Session, audit.CLI, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if second.Generation != 2 || len(second.Keys) != 2 || !bytes.Equal(second.Keys[1], first.Keys[0]) || bytes.Equal(second.Keys[0], first.Keys[0]) {
			t.Fatalf("after one rotation: generation %d, %d keys", second.Generation, len(second.Keys))
		}
		third, err := keys.Rotate(ctx, d, keys.Session, audit.CLI, now.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if third.Generation != 3 || len(third.Keys) != 2 || !bytes.Equal(third.Keys[1], second.Keys[0]) {
			t.Fatalf("after two rotations: generation %d, %d keys", third.Generation, len(third.Keys))
		}
		var rows int
		if err := d.Get(&rows, `SELECT COUNT(*) FROM installation_keys`); err != nil {
			t.Fatal(err)
		}
		if rows != 2 {
			t.Fatalf("%d keys kept; the oldest must be forgotten", rows)
		}
		var audited int
		if err := d.Get(&audited, `SELECT COUNT(*) FROM audit_log WHERE action = 'keys.rotate'`); err != nil {
			t.Fatal(err)
		}
		if audited != 2 {
			t.Fatalf("%d rotations audited, want 2", audited)
		}
	})
}
