package demo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/demo"
)

func TestSeedBuildsTheDemoOnceAndOnlyIntoAnEmptyDatabase(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		res, err := demo.Seed(ctx, d, now, demo.Options{BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		if res.People < 50 || res.Teams != 5 {
			t.Fatalf("demo: %+v", res)
		}
		count := func(q string) int {
			var n int
			if err := d.Get(&n, q); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for q, min := range map[string]int{
			`SELECT COUNT(*) FROM users WHERE role = 'manager'`: 5,
			`SELECT COUNT(*) FROM users WHERE email IN ('admin@example.com', 'auditor@example.com', 'manager@example.com', 'employee@example.com')`: 4,
			`SELECT COUNT(*) FROM users WHERE active = FALSE`:                     1,
			`SELECT COUNT(*) FROM policy_versions WHERE published_at IS NOT NULL`: 5,
			`SELECT COUNT(*) FROM policy_acknowledgements`:                        20,
			`SELECT COUNT(*) FROM course_cycles`:                                  40,
		} {
			if n := count(q); n < min {
				t.Errorf("%s = %d, want at least %d", q, n, min)
			}
		}
		before := count(`SELECT COUNT(*) FROM users`)
		if _, err := demo.Seed(ctx, d, now, demo.Options{BcryptCost: bcrypt.MinCost}); !errors.Is(err, demo.ErrNotEmpty) {
			t.Fatalf("second seed: %v", err)
		}
		if after := count(`SELECT COUNT(*) FROM users`); after != before {
			t.Fatalf("second seed changed people: %d -> %d", before, after)
		}
	})
}
