package courses

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

//go:embed starter
var starterFS embed.FS

// StarterSlug is the slug of the embedded starter course.
const StarterSlug = "responsible-use-of-customer-data"

// Starter returns the embedded starter course folder, "Responsible use of
// customer data", ready for Import.
func Starter() fs.FS {
	sub, err := fs.Sub(starterFS, "starter/"+StarterSlug)
	if err != nil {
		panic(err) // the folder is embedded at build time; a bad name is a build error
	}
	return sub
}

// SeedDemo imports the starter course and gives the people in userIDs a
// spread of histories made of real attempts: some completed, some overdue,
// some lapsed (completed a year ago and not recertified), some due soon,
// some not started, and, with six people or more, the last one exempt.
// Everyone else in the audience is assigned at now. A database that already
// has cycles for the starter course is left as it is.
func SeedDemo(ctx context.Context, s *Store, now time.Time, userIDs []int64) error {
	now = now.UTC()
	day := 24 * time.Hour
	demo := audit.Actor{Label: "demo"}
	if _, err := s.Import(ctx, Starter(), demo, now.Add(-430*day)); err != nil {
		return fmt.Errorf("courses: demo: import starter: %w", err)
	}
	c, err := s.Course(ctx, StarterSlug)
	if err != nil {
		return err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM course_cycles WHERE course_id = ?`), c.ID); err != nil {
		return fmt.Errorf("courses: demo: %w", err)
	}
	if n > 0 {
		return nil
	}
	type plan struct {
		assigned time.Duration // before now
		fail     time.Duration // a failed first attempt at module 1, before now (0: none)
		pass     time.Duration // when modules are passed, before now
		modules  int           // how many modules are passed
	}
	plans := []plan{
		{assigned: 60 * day, fail: 50 * day, pass: 45 * day, modules: len(c.Modules)},    // completed
		{assigned: 45 * day, pass: 40 * day, modules: 3},                                 // overdue
		{assigned: 420 * day, fail: 405 * day, pass: 400 * day, modules: len(c.Modules)}, // lapsed
		{assigned: 25 * day, pass: 20 * day, modules: 1},                                 // due soon
		{assigned: 3 * day}, // not started
	}
	hired, err := hireDates(ctx, s, userIDs)
	if err != nil {
		return err
	}
	for i, uid := range userIDs {
		// Nobody's history starts before they were hired: take the next
		// plan that fits inside their time here, or leave them to Sync.
		p, fits := plans[i%len(plans)], false
		for k := 0; k < len(plans) && !fits; k++ {
			p = plans[(i+k)%len(plans)]
			fits = !now.Add(-p.assigned).Before(hired[uid])
		}
		if !fits {
			continue
		}
		if err := s.assignAt(ctx, uid, c, now.Add(-p.assigned)); err != nil {
			return err
		}
		if p.fail > 0 && c.MaxAttempts != 1 {
			if err := s.answer(ctx, uid, c.Slug, c.Modules[0].Position, false, now.Add(-p.fail)); err != nil {
				return err
			}
		}
		for k := 0; k < p.modules && k < len(c.Modules); k++ {
			at := now.Add(-p.pass + time.Duration(k)*time.Hour)
			if err := s.answer(ctx, uid, c.Slug, c.Modules[k].Position, true, at); err != nil {
				return err
			}
		}
	}
	if _, err := s.Sync(ctx, now); err != nil {
		return fmt.Errorf("courses: demo: sync: %w", err)
	}
	if len(userIDs) >= 6 {
		last := userIDs[len(userIDs)-1]
		if err := s.Exempt(ctx, last, c.Slug, "On long leave until the spring", demo, now.Add(-2*day)); err != nil {
			return fmt.Errorf("courses: demo: exempt: %w", err)
		}
	}
	return nil
}

// hireDates reads the hire date of each of ids (zero when unknown).
func hireDates(ctx context.Context, s *Store, ids []int64) (map[int64]time.Time, error) {
	out := make(map[int64]time.Time, len(ids))
	for _, id := range ids {
		var h *time.Time
		if err := s.db.GetContext(ctx, &h, s.db.Rebind(`SELECT hired_on FROM users WHERE id = ?`), id); err != nil {
			return nil, fmt.Errorf("courses: demo: hire date of %d: %w", id, err)
		}
		if h != nil {
			out[id] = h.UTC()
		}
	}
	return out, nil
}

// assignAt opens a first cycle of c for userID assigned at the given time.
func (s *Store) assignAt(ctx context.Context, userID int64, c *Course, at time.Time) error {
	at = at.UTC()
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return insertCycles(ctx, tx, c.ID, []newCycle{{UserID: userID, Seq: 1, AssignedAt: at, DueAt: at.AddDate(0, 0, c.DueDays)}})
	})
}

// answer takes module position of slug for userID at the given time,
// answering every question rightly or wrongly.
func (s *Store) answer(ctx context.Context, userID int64, slug string, position int, right bool, at time.Time) error {
	q, err := s.StartAttempt(ctx, userID, slug, position, at)
	if err != nil {
		return fmt.Errorf("courses: demo: start module %d: %w", position, err)
	}
	_, err = s.Submit(ctx, userID, q.Attempt.Token, AnswerAll(&q.Module, right), at)
	if err != nil {
		return fmt.Errorf("courses: demo: submit module %d: %w", position, err)
	}
	return nil
}

// AnswerAll answers every question of m: with exactly the correct options,
// or, when right is false, with one wrong option each.
func AnswerAll(m *Module, right bool) Answers {
	a := Answers{}
	for _, q := range m.Questions {
		for _, o := range q.Options {
			if o.Correct == right {
				a[q.ID] = append(a[q.ID], o.ID)
				if !right {
					break
				}
			}
		}
	}
	return a
}
