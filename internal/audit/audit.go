// Package audit keeps Steward's append-only, hash-chained audit log.
//
// Every entry stores the hash of the entry before it; the hash covers a
// canonical encoding of the entry's fields. Editing, deleting or reordering
// a row breaks the chain at that row, which Verify reports.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Entry is one audited event.
type Entry struct {
	ID       int64     `db:"id"`
	At       time.Time `db:"at"`
	ActorID  *int64    `db:"actor_id"` // nil for the system or an anonymous caller
	Actor    string    `db:"actor"`    // a label kept for reading: "user:12", "system", "cli"
	Action   string    `db:"action"`   // e.g. "login.success", "policy.publish"
	Target   string    `db:"target"`   // the record: "user:12", "policy:privacy/v3"
	Detail   string    `db:"detail"`
	PrevHash string    `db:"prev_hash"`
	Hash     string    `db:"hash"`
}

// genesis is the previous hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// canonical encodes the hashed fields unambiguously: each field is written
// as its length, a colon and its bytes.
func (e Entry) canonical() []byte {
	actor := ""
	if e.ActorID != nil {
		actor = strconv.FormatInt(*e.ActorID, 10)
	}
	fields := []string{
		strconv.FormatInt(e.ID, 10),
		e.At.UTC().Format(time.RFC3339Nano),
		actor, e.Actor, e.Action, e.Target, e.Detail, e.PrevHash,
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
	}
	return []byte(b.String())
}

func (e Entry) computeHash() string {
	sum := sha256.Sum256(e.canonical())
	return hex.EncodeToString(sum[:])
}

// Record appends e to the log inside the caller's transaction. The caller's
// transaction must hold the database's write lock (SQLite transactions here
// begin IMMEDIATE) so that two entries never claim the same predecessor;
// the UNIQUE hash and the id order make a lost race fail loudly instead.
func Record(ctx context.Context, tx sqlx.ExtContext, e Entry) error {
	if e.Action == "" {
		return errors.New("audit: entry without action")
	}
	if e.At.IsZero() {
		return errors.New("audit: entry without time")
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if err := lockChain(ctx, tx); err != nil {
		return err
	}
	var last struct {
		ID   int64  `db:"id"`
		Hash string `db:"hash"`
	}
	err := sqlx.GetContext(ctx, tx, &last, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		last.Hash = genesis
	case err != nil:
		return fmt.Errorf("audit: read chain head: %w", err)
	}
	e.ID = last.ID + 1
	e.PrevHash = last.Hash
	e.Hash = e.computeHash()
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO audit_log
		(id, at, actor_id, actor, action, target, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.At, e.ActorID, e.Actor, e.Action, e.Target, e.Detail, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// chainLock is the PostgreSQL advisory lock key that serialises appends.
const chainLock = 0x57_41_55_44 // "WAUD"

// lockChain makes appends one at a time. SQLite needs nothing: Steward's
// SQLite transactions begin IMMEDIATE and so hold the write lock already.
// PostgreSQL takes a transaction-scoped advisory lock, released at commit.
func lockChain(ctx context.Context, tx sqlx.ExtContext) error {
	if tx.DriverName() != "pgx" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, chainLock); err != nil {
		return fmt.Errorf("audit: lock chain: %w", err)
	}
	return nil
}

// Break describes the first entry at which the chain does not hold.
type Break struct {
	ID     int64
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit: chain broken at entry %d: %s", b.ID, b.Reason)
}

// Verify walks the whole chain in id order and returns the number of entries
// checked and, when the chain is broken, a *Break naming the first bad entry.
func Verify(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	rows, err := q.QueryxContext(ctx, `SELECT id, at, actor_id, actor, action, target, detail, prev_hash, hash
		FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	prev, wantID, n := genesis, int64(1), 0
	for rows.Next() {
		var e Entry
		if err := rows.StructScan(&e); err != nil {
			return n, fmt.Errorf("audit: verify: scan: %w", err)
		}
		switch {
		case e.ID != wantID:
			return n, &Break{ID: wantID, Reason: fmt.Sprintf("entry %d is missing (next is %d)", wantID, e.ID)}
		case e.PrevHash != prev:
			return n, &Break{ID: e.ID, Reason: "previous-hash link does not match the entry before it"}
		case e.computeHash() != e.Hash:
			return n, &Break{ID: e.ID, Reason: "contents do not match its hash (edited)"}
		}
		prev, wantID = e.Hash, e.ID+1
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("audit: verify: %w", err)
	}
	return n, nil
}

// Actor is who caused an audited change.
type Actor struct {
	ID    *int64
	Label string
}

// UserActor is a signed-in person.
func UserActor(id int64) Actor { return Actor{ID: &id, Label: "user:" + strconv.FormatInt(id, 10)} }

// System is Steward itself (the scheduler, the sweep, retention).
var System = Actor{Label: "system"}

// CLI is an operator at the command line.
var CLI = Actor{Label: "cli"}

// Entry builds an entry by this actor. An actor without a label is the
// system.
func (a Actor) Entry(at time.Time, action, target, detail string) Entry {
	label := a.Label
	if label == "" {
		label = System.Label
	}
	return Entry{At: at, ActorID: a.ID, Actor: label, Action: action, Target: target, Detail: detail}
}

// Head is the length of the audit trail and the hash of its newest entry:
// what an audit checkpoint commits to.
func Head(ctx context.Context, q sqlx.QueryerContext) (int64, string, error) {
	var h struct {
		ID   int64  `db:"id"`
		Hash string `db:"hash"`
	}
	err := sqlx.GetContext(ctx, q, &h, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, genesis, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit: head: %w", err)
	}
	return h.ID, h.Hash, nil
}

// checkpointTitle is the first line of an audit checkpoint's text.
const checkpointTitle = "steward audit checkpoint"

// CheckpointText is the text of an audit checkpoint: the installation's
// log name, the trail's length, its newest entry's hash and when. The
// transparency log signs it (translog.Log.AnchorAudit).
func CheckpointText(origin string, entries int64, head string, at time.Time) string {
	return fmt.Sprintf("%s\n%s\nentries %d\nhead %s\nat %s\n", checkpointTitle, origin, entries, head, at.UTC().Format(time.RFC3339))
}

// Checkpoint is a parsed audit checkpoint.
type Checkpoint struct {
	Origin  string
	Entries int64
	Head    string
	At      time.Time
}

// ParseCheckpointText reads the text CheckpointText wrote (its signature
// already checked by the caller).
func ParseCheckpointText(text string) (Checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var c Checkpoint
	if len(lines) != 5 || lines[0] != checkpointTitle {
		return c, errors.New("audit: not an audit checkpoint")
	}
	c.Origin = lines[1]
	n, err1 := fmt.Sscanf(lines[2], "entries %d", &c.Entries)
	_, err2 := fmt.Sscanf(lines[3], "head %s", &c.Head)
	at, err3 := time.Parse(time.RFC3339, strings.TrimPrefix(lines[4], "at "))
	if n != 1 || err1 != nil || err2 != nil || err3 != nil || len(c.Head) != 64 {
		return c, errors.New("audit: the checkpoint's lines are not entries, head and at")
	}
	c.At = at
	return c, nil
}

// VerifyAgainst checks the whole chain (Verify) and then that it still
// holds what the checkpoint saw: at least as many entries, and the same
// entry at the checkpoint's length. Rewriting history and recomputing
// every hash after it passes Verify, but not this; neither does removing
// the newest entries.
func VerifyAgainst(ctx context.Context, q sqlx.ExtContext, c Checkpoint) (int, error) {
	n, err := Verify(ctx, q)
	if err != nil {
		return n, err
	}
	if int64(n) < c.Entries {
		return n, &Break{ID: int64(n) + 1, Reason: fmt.Sprintf("the trail has %d entries, but the checkpoint of %s saw %d: entries were removed",
			n, c.At.Format(time.RFC3339), c.Entries)}
	}
	if c.Entries == 0 {
		return n, nil
	}
	var hash string
	if err := sqlx.GetContext(ctx, q, &hash, q.Rebind(`SELECT hash FROM audit_log WHERE id = ?`), c.Entries); err != nil {
		return n, fmt.Errorf("audit: entry %d: %w", c.Entries, err)
	}
	if hash != c.Head {
		return n, &Break{ID: c.Entries, Reason: fmt.Sprintf("entry %d is not the one the checkpoint of %s saw: the trail was rewritten up to it",
			c.Entries, c.At.Format(time.RFC3339))}
	}
	return n, nil
}
