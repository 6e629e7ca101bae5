package db

import (
	"context"
	"fmt"
	"hash/fnv"
)

// Exclusive runs fn while no other process on the same PostgreSQL database
// runs an Exclusive of the same name; a second caller waits for the first
// to finish. It serialises work that spans several transactions, such as
// loading the demo when two instances start together. On SQLite, fn simply
// runs: SQLite serves one Steward process, and its writes queue anyway.
func (d *DB) Exclusive(ctx context.Context, name string, fn func() error) error {
	if d.Dialect != Postgres {
		return fn()
	}
	conn, err := d.Connx(ctx)
	if err != nil {
		return fmt.Errorf("db: lock %s: %w", name, err)
	}
	defer conn.Close()
	h := fnv.New64a()
	h.Write([]byte("steward:" + name))
	key := int64(h.Sum64())
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("db: lock %s: %w", name, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	return fn()
}
