package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Batch writes rows into one table with multi-row INSERTs of up to 400
// rows: the bulk loads of a generated organisation. Only a table's
// owner makes one (people.LoadUsers, courses.LoadCycles, ...), naming
// its table and columns; the caller adds values in that order.
type Batch struct {
	ctx   context.Context
	tx    *sqlx.Tx
	head  string
	cols  int
	args  []any
	rows  int
	first *Batch
}

// NewBatch starts a batch of rows into table, in the order of cols.
func NewBatch(ctx context.Context, tx *sqlx.Tx, table string, cols ...string) *Batch {
	return &Batch{ctx: ctx, tx: tx, head: "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ", cols: len(cols)}
}

// After makes every flush of b flush first first: b's rows refer to rows
// of first.
func (b *Batch) After(first *Batch) { b.first = first }

// Add queues one row, writing the batch when it is full.
func (b *Batch) Add(vals ...any) error {
	if len(vals) != b.cols {
		return fmt.Errorf("db: %s: %d values for %d columns", b.head[:min(len(b.head), 40)], len(vals), b.cols)
	}
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows == 400 {
		return b.Flush()
	}
	return nil
}

// Flush writes the rows queued.
func (b *Batch) Flush() error {
	if b.rows == 0 {
		return nil
	}
	if b.first != nil {
		if err := b.first.Flush(); err != nil {
			return err
		}
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", b.cols), ", ") + ")"
	q := b.head + strings.TrimSuffix(strings.Repeat(one+", ", b.rows), ", ")
	if _, err := b.tx.ExecContext(b.ctx, b.tx.Rebind(q), b.args...); err != nil {
		return fmt.Errorf("db: %s: %w", b.head[:min(len(b.head), 40)], err)
	}
	b.args, b.rows = b.args[:0], 0
	return nil
}
