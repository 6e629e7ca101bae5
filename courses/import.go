package courses

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// ImportResult says what an import did.
type ImportResult struct {
	Slug      string
	Revision  int
	Created   bool // a new course
	Changed   bool // false: the folder matched the stored course, nothing written
	Retrained int  // cycles reopened because the revision requires retraining
}

// Import validates the course folder fsys and loads it. A folder with any
// problem changes nothing and returns a *ValidationError. An unchanged
// folder is a no-op; a changed one bumps the revision. When the new revision
// says requires_retraining, everyone holding a current cycle of the course
// (exempt people aside) gets a fresh one, due in the course's due days; the
// old cycles stay as evidence. People not yet assigned get their cycles
// from Sync.
func (s *Store) Import(ctx context.Context, fsys fs.FS, by audit.Actor, now time.Time) (ImportResult, error) {
	c, err := ParseFolder(fsys)
	if err != nil {
		return ImportResult{}, err
	}
	return s.Save(ctx, c, by, now)
}

// Save stores c (parsed or edited) under its slug, with the same rules as
// Import. An edit that renames the course passes its ID.
func (s *Store) Save(ctx context.Context, c *Course, by audit.Actor, now time.Time) (ImportResult, error) {
	if err := Validate(c); err != nil {
		return ImportResult{}, err
	}
	now = now.UTC()
	c.ContentHash = hash(c)
	res := ImportResult{Slug: c.Slug}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var old *Course
		var err error
		if c.ID != 0 {
			old, err = loadCourse(ctx, tx, "id", c.ID)
		} else {
			old, err = loadCourse(ctx, tx, "slug", c.Slug)
		}
		switch {
		case errors.Is(err, ErrNotFound) && c.ID == 0:
			c.Revision, res.Created = 1, true
		case err != nil:
			return err
		case old.ContentHash == c.ContentHash:
			res.Revision = old.Revision
			return nil
		default:
			c.ID, c.Revision, c.CreatedAt = old.ID, old.Revision+1, old.CreatedAt
		}
		res.Changed, res.Revision = true, c.Revision
		if err := saveContent(ctx, tx, c, now); err != nil {
			return err
		}
		if !res.Created && c.RequiresRetraining {
			n, err := retrain(ctx, tx, c, now)
			if err != nil {
				return err
			}
			res.Retrained = n
		}
		action := "course.update"
		if res.Created {
			action = "course.create"
		}
		return audit.Record(ctx, tx, by.Entry(now, action, fmt.Sprintf("course:%s/r%d", c.Slug, c.Revision),
			fmt.Sprintf("%d modules; retraining %t; %d cycles reopened", len(c.Modules), c.RequiresRetraining, res.Retrained)))
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// retrain closes the current, non-exempt cycles of c and opens a new one
// for each, due in c.DueDays from now. Two statements for any number of
// people.
func retrain(ctx context.Context, tx *sqlx.Tx, c *Course, now time.Time) (int, error) {
	var people []struct {
		UserID int64 `db:"user_id"`
		Seq    int   `db:"seq"`
	}
	if err := tx.SelectContext(ctx, &people, tx.Rebind(`SELECT user_id, seq FROM course_cycles
		WHERE course_id = ? AND closed_at IS NULL AND exempt = FALSE`), c.ID); err != nil {
		return 0, fmt.Errorf("courses: retrain %s: %w", c.Slug, err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_cycles SET closed_at = ?, closed_reason = ?
		WHERE course_id = ? AND closed_at IS NULL AND exempt = FALSE`),
		now, fmt.Sprintf("revision %d requires retraining", c.Revision), c.ID); err != nil {
		return 0, fmt.Errorf("courses: retrain %s: close: %w", c.Slug, err)
	}
	opens := make([]newCycle, len(people))
	for i, p := range people {
		opens[i] = newCycle{UserID: p.UserID, Seq: p.Seq + 1, AssignedAt: now, DueAt: now.AddDate(0, 0, c.DueDays)}
	}
	return len(opens), insertCycles(ctx, tx, c.ID, opens)
}
