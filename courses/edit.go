package courses

import (
	"context"
	"fmt"
	"slices"
	"time"

	"steward/internal/audit"
)

// ErrLastModule is returned when deleting a course's only module.
var ErrLastModule = fmt.Errorf("courses: a course needs at least one module")

// UpdateSettings replaces the settings of course slug (including, when
// changed, the slug itself). The change bumps the revision.
func (s *Store) UpdateSettings(ctx context.Context, slug string, set Settings, by audit.Actor, now time.Time) (ImportResult, error) {
	c, err := s.Course(ctx, slug)
	if err != nil {
		return ImportResult{}, err
	}
	c.Settings = set
	return s.Save(ctx, c, by, now)
}

// SaveModule replaces the module at position of course slug with m, or
// adds m when position is 0. m.Position may move the module; it must stay
// unique.
func (s *Store) SaveModule(ctx context.Context, slug string, position int, m Module, by audit.Actor, now time.Time) (ImportResult, error) {
	c, err := s.Course(ctx, slug)
	if err != nil {
		return ImportResult{}, err
	}
	// Retraining is decided per revision; a module edit does not repeat
	// the last import's decision.
	c.RequiresRetraining = false
	if position == 0 {
		c.Modules = append(c.Modules, m)
	} else {
		i := slices.IndexFunc(c.Modules, func(x Module) bool { return x.Position == position })
		if i < 0 {
			return ImportResult{}, ErrNotFound
		}
		m.ID = c.Modules[i].ID
		c.Modules[i] = m
	}
	slices.SortFunc(c.Modules, func(a, b Module) int { return a.Position - b.Position })
	return s.Save(ctx, c, by, now)
}

// DeleteModule removes the module at position from course slug. Its
// attempts stay as evidence.
func (s *Store) DeleteModule(ctx context.Context, slug string, position int, by audit.Actor, now time.Time) (ImportResult, error) {
	c, err := s.Course(ctx, slug)
	if err != nil {
		return ImportResult{}, err
	}
	i := slices.IndexFunc(c.Modules, func(x Module) bool { return x.Position == position })
	if i < 0 {
		return ImportResult{}, ErrNotFound
	}
	if len(c.Modules) == 1 {
		return ImportResult{}, ErrLastModule
	}
	c.RequiresRetraining = false
	c.Modules = slices.Delete(c.Modules, i, i+1)
	return s.Save(ctx, c, by, now)
}

// NextPosition is the position a new module of c gets.
func (c *Course) NextPosition() int {
	p := 0
	for _, m := range c.Modules {
		p = max(p, m.Position)
	}
	return p + 1
}

// RosterRow is one person's current cycle of a course, for admins.
type RosterRow struct {
	UserID int64  `db:"user_id"`
	Name   string `db:"name"`
	Email  string `db:"email"`
	Cycle  Cycle  `db:"cycle"`
	Status Status `db:"-"`
}

// Roster lists everyone with a current cycle of course courseID and their
// status at now, by name.
func (s *Store) Roster(ctx context.Context, courseID int64, now time.Time) ([]RosterRow, error) {
	var out []RosterRow
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT u.id AS user_id, u.name, u.email,
		`+nestedCycleColumns("y")+`
		FROM course_cycles y JOIN users u ON u.id = y.user_id
		WHERE y.course_id = ? AND y.closed_at IS NULL ORDER BY u.name, u.id`), courseID)
	if err != nil {
		return nil, fmt.Errorf("courses: roster of course %d: %w", courseID, err)
	}
	for i := range out {
		out[i].Status = out[i].Cycle.Status(now)
	}
	return out, nil
}
