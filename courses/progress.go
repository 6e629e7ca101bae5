package courses

import (
	"context"
	"fmt"
	"time"
)

// Assignment is one course assigned to a person, as their home page shows it.
type Assignment struct {
	CourseID      int64     `db:"course_id"`
	Slug          string    `db:"slug"`
	Title         string    `db:"title"`
	Summary       string    `db:"summary"`
	ModulesPassed int       `db:"modules_passed"`
	ModulesTotal  int       `db:"modules_total"`
	Cycle         Cycle     `db:"cycle"`
	Status        Status    `db:"-"`
	Now           time.Time `db:"-"`
}

// Percent is the progress bar's fill.
func (a Assignment) Percent() int {
	if a.ModulesTotal == 0 {
		return 0
	}
	return a.ModulesPassed * 100 / a.ModulesTotal
}

// MyCourses returns the courses currently assigned to userID with status
// at now and progress, in one query.
func (s *Store) MyCourses(ctx context.Context, userID int64, now time.Time) ([]Assignment, error) {
	var out []Assignment
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT c.id AS course_id, c.slug, c.title, c.summary,
		(SELECT COUNT(DISTINCT a.module_id) FROM course_attempts a JOIN course_modules m ON m.id = a.module_id
			WHERE a.cycle_id = y.id AND a.passed = TRUE AND m.archived = FALSE) AS modules_passed,
		(SELECT COUNT(*) FROM course_modules m WHERE m.course_id = c.id AND m.archived = FALSE) AS modules_total,
		`+nestedCycleColumns("y")+`
		FROM course_cycles y JOIN courses c ON c.id = y.course_id
		WHERE y.user_id = ? AND y.closed_at IS NULL ORDER BY y.due_at, c.title`), userID)
	if err != nil {
		return nil, fmt.Errorf("courses: courses of user %d: %w", userID, err)
	}
	for i := range out {
		out[i].Status = out[i].Cycle.Status(now)
		out[i].Now = now
	}
	return out, nil
}

// ModuleProgress is how a person stands with one module in their cycle.
type ModuleProgress struct {
	Module       *Module
	Passed       bool
	BestScore    *int
	AttemptsUsed int
	AttemptsLeft int // -1: unlimited
}

// Progress is a person's view of one course.
type Progress struct {
	Course  *Course
	Cycle   *Cycle
	Status  Status
	Modules []ModuleProgress
	Passed  int
}

// CourseProgress returns userID's progress in course slug in their current
// cycle; ErrNotAssigned when the course is not assigned to them.
func (s *Store) CourseProgress(ctx context.Context, userID int64, slug string, now time.Time) (*Progress, error) {
	c, err := s.Course(ctx, slug)
	if err != nil {
		return nil, err
	}
	cy, err := s.CurrentCycle(ctx, userID, c.ID)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ModuleID int64 `db:"module_id"`
		Used     int   `db:"used"`
		Best     *int  `db:"best"`
		Passed   int   `db:"passed"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT module_id, COUNT(*) AS used, MAX(score) AS best,
		SUM(CASE WHEN passed = TRUE THEN 1 ELSE 0 END) AS passed
		FROM course_attempts WHERE cycle_id = ? AND submitted_at IS NOT NULL GROUP BY module_id`), cy.ID); err != nil {
		return nil, fmt.Errorf("courses: progress of user %d in %s: %w", userID, slug, err)
	}
	p := &Progress{Course: c, Cycle: cy, Status: cy.Status(now)}
	for i := range c.Modules {
		mp := ModuleProgress{Module: &c.Modules[i], AttemptsLeft: attemptsLeft(c.MaxAttempts, 0)}
		for _, r := range rows {
			if r.ModuleID == c.Modules[i].ID {
				mp.AttemptsUsed, mp.BestScore, mp.Passed = r.Used, r.Best, r.Passed > 0
				mp.AttemptsLeft = attemptsLeft(c.MaxAttempts, r.Used)
			}
		}
		if mp.Passed {
			p.Passed++
		}
		p.Modules = append(p.Modules, mp)
	}
	return p, nil
}
