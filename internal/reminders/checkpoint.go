package reminders

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
)

// walWriter runs the sweep's write transactions on one SQLite connection
// and checkpoints from another. SQLite checkpoints on the committing
// connection, right after a commit that leaves the WAL over 1000 pages;
// on a busy day the sweep's every chunk does, and copying the pages into
// the database file then stalls the only writer. Here the writing
// connection does not checkpoint, and a goroutine runs a passive
// checkpoint after each commit (one at a time; SQLite lets it run beside
// the writer), on the CPU that the writer leaves free.
type walWriter struct {
	conn    *sqlx.Conn
	auto    int           // the connection's wal_autocheckpoint, put back by close
	commits chan struct{} // a commit the checkpointer has not seen yet
	done    chan struct{} // closed when the checkpointer has stopped
}

func newWALWriter(ctx context.Context, d *db.DB) (*walWriter, error) {
	conn, err := d.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("reminders: open the writing connection: %w", err)
	}
	w := &walWriter{conn: conn, commits: make(chan struct{}, 1), done: make(chan struct{})}
	if err := conn.GetContext(ctx, &w.auto, `PRAGMA wal_autocheckpoint`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("reminders: read wal_autocheckpoint: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("reminders: turn off wal_autocheckpoint: %w", err)
	}
	go func() {
		defer close(w.done)
		for range w.commits {
			// A failed checkpoint loses nothing: the pages stay in the
			// WAL for the next one.
			_, _ = d.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}()
	return w, nil
}

// tx runs fn in a transaction on the writing connection, as db.DB.Tx does.
func (w *walWriter) tx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	if err := db.InTx(ctx, w.conn, fn); err != nil {
		return err
	}
	select {
	case w.commits <- struct{}{}:
	default: // the checkpointer will see this commit's pages anyway
	}
	return nil
}

// close stops the checkpointer, checkpoints what it left, and hands the
// connection back to the pool as it was. Writing beside the checkpointer
// grows the WAL file past its usual size (a busy day's pages), so the last
// checkpoint truncates it; it waits (up to the busy timeout) for readers
// of an older snapshot, which a web request does not stay for long.
func (w *walWriter) close() {
	close(w.commits)
	<-w.done
	ctx := context.Background()
	_, _ = w.conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = `+strconv.Itoa(w.auto))
	_, _ = w.conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	w.conn.Close()
}
