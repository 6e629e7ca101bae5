package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Filter narrows the log for reading. Zero fields match everything.
type Filter struct {
	ActorID *int64    // entries by this person
	Actor   string    // entries by this label: "system", "cli", "anonymous", "user:12"
	Action  string    // an exact action, or a family ending in "." ("login.")
	Target  string    // an exact target, e.g. "user:12"
	From    time.Time // at or after
	Until   time.Time // before
	Limit   int       // page size for List: default 50, at most 500
	Offset  int
}

const entryColumns = `id, at, actor_id, actor, action, target, detail, prev_hash, hash`

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if f.ActorID != nil {
		conds = append(conds, "actor_id = ?")
		args = append(args, *f.ActorID)
	}
	if f.Actor != "" {
		conds = append(conds, "actor = ?")
		args = append(args, f.Actor)
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		// A family: "login." matches login.success and login.failure. The
		// prefix is compared, not LIKEd, so "_" and "%" mean themselves.
		conds = append(conds, "SUBSTR(action, 1, ?) = ?")
		args = append(args, len(f.Action), f.Action)
	case f.Action != "":
		conds = append(conds, "action = ?")
		args = append(args, f.Action)
	}
	if f.Target != "" {
		conds = append(conds, "target = ?")
		args = append(args, f.Target)
	}
	if !f.From.IsZero() {
		conds = append(conds, "at >= ?")
		args = append(args, f.From.UTC())
	}
	if !f.Until.IsZero() {
		conds = append(conds, "at < ?")
		args = append(args, f.Until.UTC())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns one page of entries matching f, newest first, and how many
// match in all.
func List(ctx context.Context, q sqlx.ExtContext, f Filter) ([]Entry, int, error) {
	where, args := f.where()
	var total int
	if err := sqlx.GetContext(ctx, q, &total, q.Rebind(`SELECT COUNT(*) FROM audit_log`+where), args...); err != nil {
		return nil, 0, fmt.Errorf("audit: count: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	entries := []Entry{}
	err := sqlx.SelectContext(ctx, q, &entries, q.Rebind(`SELECT `+entryColumns+` FROM audit_log`+where+
		` ORDER BY id DESC LIMIT ? OFFSET ?`), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	return entries, total, nil
}

// Stream calls fn for every entry matching f, oldest first, without
// holding the whole log in memory; Limit and Offset are ignored. It stops
// at fn's first error and returns it.
func Stream(ctx context.Context, q sqlx.ExtContext, f Filter, fn func(Entry) error) error {
	where, args := f.where()
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT `+entryColumns+` FROM audit_log`+where+` ORDER BY id`), args...)
	if err != nil {
		return fmt.Errorf("audit: stream: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("audit: stream: scan: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: stream: %w", err)
	}
	return nil
}

// About returns every entry by or about a person, oldest first: what they
// did and what was done to their account.
func About(ctx context.Context, q sqlx.ExtContext, userID int64) ([]Entry, error) {
	entries := []Entry{}
	err := sqlx.SelectContext(ctx, q, &entries, q.Rebind(`SELECT `+entryColumns+` FROM audit_log
		WHERE actor_id = ? OR target = ? ORDER BY id`), userID, "user:"+strconv.FormatInt(userID, 10))
	if err != nil {
		return nil, fmt.Errorf("audit: entries about user %d: %w", userID, err)
	}
	return entries, nil
}

// Actions lists the distinct actions in the log, for a filter's choices.
func Actions(ctx context.Context, q sqlx.ExtContext) ([]string, error) {
	var out []string
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT DISTINCT action FROM audit_log ORDER BY action`); err != nil {
		return nil, fmt.Errorf("audit: actions: %w", err)
	}
	return out, nil
}
