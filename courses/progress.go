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
	// Place is where the person stopped and what is next.
	Place Place `db:"-"`
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
	steps, err := s.steps(ctx, userID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Status = out[i].Cycle.Status(now)
		out[i].Now = now
		out[i].Place = Locate(steps[out[i].Cycle.ID])
	}
	return out, nil
}

// steps returns, by cycle, the modules of userID's current cycles as
// Steps, in one query.
func (s *Store) steps(ctx context.Context, userID int64) (map[int64][]Step, error) {
	var rows []struct {
		CycleID     int64  `db:"cycle_id"`
		Position    int    `db:"position"`
		Title       string `db:"title"`
		Draw        int    `db:"draw"`
		Minutes     int    `db:"minutes"`
		BodyChars   int    `db:"body_chars"`
		Slots       int    `db:"slots"`
		MaxAttempts int    `db:"max_attempts"`
		Used        int    `db:"used"`
		Passed      bool   `db:"passed"`
		Last        int64  `db:"last"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT y.id AS cycle_id, m.position, m.title, m.draw, m.minutes,
		LENGTH(m.body) AS body_chars, `+slotsSQL+` AS slots, c.max_attempts,
		(SELECT COUNT(*) FROM course_attempts a WHERE a.cycle_id = y.id AND a.module_id = m.id AND a.submitted_at IS NOT NULL) AS used,
		EXISTS (SELECT 1 FROM course_attempts a WHERE a.cycle_id = y.id AND a.module_id = m.id AND a.passed = TRUE) AS passed,
		COALESCE((SELECT MAX(a.id) FROM course_attempts a WHERE a.cycle_id = y.id AND a.module_id = m.id), 0) AS last
		FROM course_cycles y JOIN courses c ON c.id = y.course_id
		JOIN course_modules m ON m.course_id = c.id AND m.archived = FALSE
		WHERE y.user_id = ? AND y.closed_at IS NULL ORDER BY y.id, m.position`), userID)
	if err != nil {
		return nil, fmt.Errorf("courses: modules of user %d: %w", userID, err)
	}
	out := map[int64][]Step{}
	for _, r := range rows {
		out[r.CycleID] = append(out[r.CycleID], Step{Position: r.Position, Title: r.Title,
			Minutes: estimateMinutes(r.Minutes, r.BodyChars, shownOf(r.Slots, r.Draw)),
			Passed:  r.Passed, AttemptsLeft: attemptsLeft(r.MaxAttempts, r.Used), LastAttempt: r.Last})
	}
	return out, nil
}

// ModuleProgress is how a person stands with one module in their cycle.
type ModuleProgress struct {
	Module       *Module
	Passed       bool
	BestScore    *int
	AttemptsUsed int
	AttemptsLeft int   // -1: unlimited
	LastAttempt  int64 // the id of the latest attempt opened in the cycle; 0: none
}

// Progress is a person's view of one course.
type Progress struct {
	Course  *Course
	Cycle   *Cycle
	Status  Status
	Modules []ModuleProgress
	Passed  int
	Place   Place // where the person stopped and what is next
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
		Last     int64 `db:"last"`
	}
	// Opened attempts count only towards where the person stopped.
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT module_id, COUNT(submitted_at) AS used, MAX(score) AS best,
		SUM(CASE WHEN passed = TRUE THEN 1 ELSE 0 END) AS passed, MAX(id) AS last
		FROM course_attempts WHERE cycle_id = ? GROUP BY module_id`), cy.ID); err != nil {
		return nil, fmt.Errorf("courses: progress of user %d in %s: %w", userID, slug, err)
	}
	p := &Progress{Course: c, Cycle: cy, Status: cy.Status(now)}
	for i := range c.Modules {
		mp := ModuleProgress{Module: &c.Modules[i], AttemptsLeft: attemptsLeft(c.MaxAttempts, 0)}
		for _, r := range rows {
			if r.ModuleID == c.Modules[i].ID {
				mp.AttemptsUsed, mp.BestScore, mp.Passed = r.Used, r.Best, r.Passed > 0
				mp.AttemptsLeft = attemptsLeft(c.MaxAttempts, r.Used)
				mp.LastAttempt = r.Last
			}
		}
		if mp.Passed {
			p.Passed++
		}
		p.Modules = append(p.Modules, mp)
	}
	p.Place = Locate(p.steps())
	return p, nil
}

func (p *Progress) steps() []Step {
	out := make([]Step, len(p.Modules))
	for i, mp := range p.Modules {
		out[i] = Step{Position: mp.Module.Position, Title: mp.Module.Title, Minutes: mp.Module.EstimatedMinutes(),
			Passed: mp.Passed, AttemptsLeft: mp.AttemptsLeft, LastAttempt: mp.LastAttempt}
	}
	return out
}

// NextAfter is the module to take after the one at position: the first
// module after it, going round to the start, that is not passed and has
// attempts left; nil when there is none.
func (p *Progress) NextAfter(position int) *Step {
	steps := p.steps()
	for i, s := range steps {
		if s.Position == position {
			return nextFrom(steps, i+1)
		}
	}
	return nil
}

// Step is one module of a course as a person's place in it sees it.
type Step struct {
	Position     int
	Title        string
	Minutes      int // EstimatedMinutes
	Passed       bool
	AttemptsLeft int   // -1: unlimited
	LastAttempt  int64 // the id of the person's latest attempt at it, opened or submitted; 0: none
}

// open says whether the person can still work on the module.
func (s Step) open() bool { return !s.Passed && s.AttemptsLeft != 0 }

// Place is where a person stands in a course.
type Place struct {
	Stopped     *Step // the module of their latest attempt, opened or submitted; nil: not started
	Next        *Step // the module to continue with; nil: nothing left to take
	MinutesLeft int   // the estimated minutes of the modules not passed yet
	Total       int   // the estimated minutes of the whole course
}

// Locate says where a person stands among steps (in module order): they
// continue with the module they stopped at if it is still open (not
// passed, attempts left), else with the next open one after it, going
// round to the start; someone who has not started begins with the first
// open module.
func Locate(steps []Step) Place {
	var pl Place
	last := -1
	for i, s := range steps {
		pl.Total += s.Minutes
		if !s.Passed {
			pl.MinutesLeft += s.Minutes
		}
		if s.LastAttempt > 0 && (last < 0 || s.LastAttempt > steps[last].LastAttempt) {
			last = i
		}
	}
	if last < 0 {
		pl.Next = nextFrom(steps, 0)
		return pl
	}
	stopped := steps[last]
	pl.Stopped = &stopped
	pl.Next = nextFrom(steps, last)
	return pl
}

// nextFrom is the first open step at or after index from, going round.
func nextFrom(steps []Step, from int) *Step {
	for k := range steps {
		s := steps[(from+k)%len(steps)]
		if s.open() {
			return &s
		}
	}
	return nil
}
