package courses

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// hash is the content hash of a course: its settings and content, without
// ids or revision, so an unchanged folder hashes the same.
func hash(c *Course) string {
	type opt struct {
		T string
		C bool
	}
	type question struct {
		K    QuestionKind
		T, E string
		O    []opt
		L    string `json:",omitempty"` // objective; omitted when empty so older courses keep their hash
	}
	type module struct {
		P    int
		T, B string
		Q    []question
		D    int `json:",omitempty"` // draw; omitted when 0 so older courses keep their hash
		N    int `json:",omitempty"` // minutes, likewise
	}
	v := struct {
		S Settings
		M []module
	}{S: c.Settings}
	if v.S.Audience.Kind == AudienceEveryone {
		v.S.Audience.Values = nil
	}
	for _, m := range c.Modules {
		mm := module{P: m.Position, T: m.Title, B: m.Body, D: m.Draw, N: m.Minutes}
		for _, q := range m.Questions {
			qq := question{K: q.Kind, T: q.Text, E: q.Explanation, L: q.Objective}
			for _, o := range q.Options {
				qq.O = append(qq.O, opt{o.Text, o.Correct})
			}
			mm.Q = append(mm.Q, qq)
		}
		v.M = append(v.M, mm)
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

type courseRow struct {
	ID                 int64     `db:"id"`
	Slug               string    `db:"slug"`
	Title              string    `db:"title"`
	Summary            string    `db:"summary"`
	AudienceKind       string    `db:"audience_kind"`
	DueDays            int       `db:"due_days"`
	ValidMonths        int       `db:"valid_months"`
	RecertWindowDays   int       `db:"recert_window_days"`
	PassMark           int       `db:"pass_mark"`
	MaxAttempts        int       `db:"max_attempts"`
	Shuffle            bool      `db:"shuffle"`
	RequiresRetraining bool      `db:"requires_retraining"`
	Revision           int       `db:"revision"`
	ContentHash        string    `db:"content_hash"`
	CreatedAt          time.Time `db:"created_at"`
	UpdatedAt          time.Time `db:"updated_at"`
}

const courseColumns = `id, slug, title, summary, audience_kind, due_days, valid_months,
	recert_window_days, pass_mark, max_attempts, shuffle, requires_retraining, revision,
	content_hash, created_at, updated_at`

func (r courseRow) course() Course {
	return Course{
		ID: r.ID,
		Settings: Settings{
			Slug: r.Slug, Title: r.Title, Summary: r.Summary,
			Audience: Audience{Kind: r.AudienceKind},
			DueDays:  r.DueDays, ValidMonths: r.ValidMonths, RecertWindowDays: r.RecertWindowDays,
			PassMark: r.PassMark, MaxAttempts: r.MaxAttempts, Shuffle: r.Shuffle,
			RequiresRetraining: r.RequiresRetraining,
		},
		Revision: r.Revision, ContentHash: r.ContentHash, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// Courses lists every course with its settings, by title.
func (s *Store) Courses(ctx context.Context) ([]Course, error) {
	var rows []courseRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+courseColumns+` FROM courses ORDER BY title, id`); err != nil {
		return nil, fmt.Errorf("courses: list: %w", err)
	}
	out := make([]Course, len(rows))
	for i, r := range rows {
		out[i] = r.course()
		if err := loadAudience(ctx, s.db, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Course returns the course with slug, its modules and quizzes.
func (s *Store) Course(ctx context.Context, slug string) (*Course, error) {
	return loadCourse(ctx, s.db, "slug", slug)
}

// CourseByID returns the course with id, its modules and quizzes.
func (s *Store) CourseByID(ctx context.Context, id int64) (*Course, error) {
	return loadCourse(ctx, s.db, "id", id)
}

func loadCourse(ctx context.Context, q rebinder, by string, key any) (*Course, error) {
	var r courseRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT `+courseColumns+` FROM courses WHERE `+by+` = ?`), key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("courses: load %v: %w", key, err)
	}
	c := r.course()
	if err := loadAudience(ctx, q, &c); err != nil {
		return nil, err
	}
	if err := loadModules(ctx, q, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

type rebinder interface {
	sqlx.QueryerContext
	Rebind(string) string
}

func loadAudience(ctx context.Context, q rebinder, c *Course) error {
	if c.Audience.Kind == AudienceEveryone {
		return nil
	}
	c.Audience.Values = nil
	err := sqlx.SelectContext(ctx, q, &c.Audience.Values,
		q.Rebind(`SELECT value FROM course_audience WHERE course_id = ? ORDER BY value`), c.ID)
	if err != nil {
		return fmt.Errorf("courses: load audience of %s: %w", c.Slug, err)
	}
	return nil
}

// loadModules loads the active modules of c with their questions and
// options in three queries.
func loadModules(ctx context.Context, q rebinder, c *Course) error {
	rb := q
	var ms []struct {
		ID       int64  `db:"id"`
		Position int    `db:"position"`
		Title    string `db:"title"`
		Body     string `db:"body"`
		Draw     int    `db:"draw"`
		Minutes  int    `db:"minutes"`
	}
	if err := sqlx.SelectContext(ctx, q, &ms, rb.Rebind(`SELECT id, position, title, body, draw, minutes FROM course_modules
		WHERE course_id = ? AND archived = FALSE ORDER BY position`), c.ID); err != nil {
		return fmt.Errorf("courses: load modules of %s: %w", c.Slug, err)
	}
	var qs []struct {
		ID          int64        `db:"id"`
		ModuleID    int64        `db:"module_id"`
		Position    int          `db:"position"`
		Kind        QuestionKind `db:"kind"`
		Text        string       `db:"text"`
		Explanation string       `db:"explanation"`
		Objective   string       `db:"objective"`
	}
	if err := sqlx.SelectContext(ctx, q, &qs, rb.Rebind(`SELECT q.id, q.module_id, q.position, q.kind, q.text, q.explanation, q.objective
		FROM course_questions q JOIN course_modules m ON m.id = q.module_id
		WHERE m.course_id = ? AND m.archived = FALSE ORDER BY q.module_id, q.position`), c.ID); err != nil {
		return fmt.Errorf("courses: load questions of %s: %w", c.Slug, err)
	}
	var os []struct {
		ID         int64  `db:"id"`
		QuestionID int64  `db:"question_id"`
		Position   int    `db:"position"`
		Text       string `db:"text"`
		Correct    bool   `db:"correct"`
	}
	if err := sqlx.SelectContext(ctx, q, &os, rb.Rebind(`SELECT o.id, o.question_id, o.position, o.text, o.correct
		FROM course_options o JOIN course_questions q ON q.id = o.question_id JOIN course_modules m ON m.id = q.module_id
		WHERE m.course_id = ? AND m.archived = FALSE ORDER BY o.question_id, o.position`), c.ID); err != nil {
		return fmt.Errorf("courses: load options of %s: %w", c.Slug, err)
	}
	opts := map[int64][]Option{}
	for _, o := range os {
		opts[o.QuestionID] = append(opts[o.QuestionID], Option{ID: o.ID, Position: o.Position, Text: o.Text, Correct: o.Correct})
	}
	quiz := map[int64][]Question{}
	for _, x := range qs {
		quiz[x.ModuleID] = append(quiz[x.ModuleID], Question{ID: x.ID, Position: x.Position, Kind: x.Kind,
			Text: x.Text, Explanation: x.Explanation, Objective: x.Objective, Options: opts[x.ID]})
	}
	c.Modules = make([]Module, len(ms))
	for i, m := range ms {
		c.Modules[i] = Module{ID: m.ID, CourseID: c.ID, Position: m.Position, Title: m.Title, Body: m.Body, Questions: quiz[m.ID],
			Draw: m.Draw, Minutes: m.Minutes}
	}
	return nil
}

// Module returns the module at position in c.
func (c *Course) Module(position int) (*Module, error) {
	for i := range c.Modules {
		if c.Modules[i].Position == position {
			return &c.Modules[i], nil
		}
	}
	return nil, ErrNotFound
}

// saveContent writes c's settings, audience and content over the course
// row c.ID (inserting it when c.ID is 0). Modules are matched by position;
// those no longer present are archived, because attempts point at them.
func saveContent(ctx context.Context, tx *sqlx.Tx, c *Course, now time.Time) error {
	s := c.Settings
	if c.ID == 0 {
		err := tx.GetContext(ctx, &c.ID, tx.Rebind(`INSERT INTO courses (slug, title, summary, audience_kind, due_days,
			valid_months, recert_window_days, pass_mark, max_attempts, shuffle, requires_retraining, revision,
			content_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			s.Slug, s.Title, s.Summary, s.Audience.Kind, s.DueDays, s.ValidMonths, s.RecertWindowDays, s.PassMark,
			s.MaxAttempts, s.Shuffle, s.RequiresRetraining, c.Revision, c.ContentHash, now, now)
		if err != nil {
			return wrapSlug(fmt.Errorf("courses: create %s: %w", s.Slug, err))
		}
	} else {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE courses SET slug = ?, title = ?, summary = ?, audience_kind = ?,
			due_days = ?, valid_months = ?, recert_window_days = ?, pass_mark = ?, max_attempts = ?, shuffle = ?,
			requires_retraining = ?, revision = ?, content_hash = ?, updated_at = ? WHERE id = ?`),
			s.Slug, s.Title, s.Summary, s.Audience.Kind, s.DueDays, s.ValidMonths, s.RecertWindowDays, s.PassMark,
			s.MaxAttempts, s.Shuffle, s.RequiresRetraining, c.Revision, c.ContentHash, now, c.ID)
		if err != nil {
			return wrapSlug(fmt.Errorf("courses: update %s: %w", s.Slug, err))
		}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM course_audience WHERE course_id = ?`), c.ID); err != nil {
		return fmt.Errorf("courses: save audience of %s: %w", s.Slug, err)
	}
	if s.Audience.Kind != AudienceEveryone {
		for _, v := range s.Audience.Values {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO course_audience (course_id, value) VALUES (?, ?)`), c.ID, v); err != nil {
				return fmt.Errorf("courses: save audience of %s: %w", s.Slug, err)
			}
		}
	}
	if c.Modules == nil {
		return nil
	}
	return saveModules(ctx, tx, c)
}

func wrapSlug(err error) error {
	if strings.Contains(err.Error(), "UNIQUE constraint failed: courses.slug") || strings.Contains(err.Error(), "courses_slug_key") {
		return fmt.Errorf("%w: %w", ErrSlugTaken, err)
	}
	return err
}

func saveModules(ctx context.Context, tx *sqlx.Tx, c *Course) error {
	existing := map[int]int64{}
	var rows []struct {
		ID       int64 `db:"id"`
		Position int   `db:"position"`
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT id, position FROM course_modules WHERE course_id = ?`), c.ID); err != nil {
		return fmt.Errorf("courses: read modules of %s: %w", c.Slug, err)
	}
	for _, r := range rows {
		existing[r.Position] = r.ID
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_modules SET archived = TRUE WHERE course_id = ?`), c.ID); err != nil {
		return fmt.Errorf("courses: archive modules of %s: %w", c.Slug, err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM course_questions WHERE module_id IN
		(SELECT id FROM course_modules WHERE course_id = ?)`), c.ID); err != nil {
		return fmt.Errorf("courses: clear quizzes of %s: %w", c.Slug, err)
	}
	for i := range c.Modules {
		m := &c.Modules[i]
		m.CourseID = c.ID
		if id, ok := existing[m.Position]; ok {
			m.ID = id
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_modules SET title = ?, body = ?, draw = ?, minutes = ?, archived = FALSE WHERE id = ?`),
				m.Title, m.Body, m.Draw, m.Minutes, id); err != nil {
				return fmt.Errorf("courses: update module %d of %s: %w", m.Position, c.Slug, err)
			}
		} else if err := tx.GetContext(ctx, &m.ID, tx.Rebind(`INSERT INTO course_modules (course_id, position, title, body, draw, minutes)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), c.ID, m.Position, m.Title, m.Body, m.Draw, m.Minutes); err != nil {
			return fmt.Errorf("courses: insert module %d of %s: %w", m.Position, c.Slug, err)
		}
		for j := range m.Questions {
			q := &m.Questions[j]
			q.Position = j + 1
			if err := tx.GetContext(ctx, &q.ID, tx.Rebind(`INSERT INTO course_questions (module_id, position, kind, text, explanation, objective)
				VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), m.ID, q.Position, q.Kind, q.Text, q.Explanation, q.Objective); err != nil {
				return fmt.Errorf("courses: insert question %d of module %d: %w", q.Position, m.Position, err)
			}
			for k := range q.Options {
				o := &q.Options[k]
				o.Position = k + 1
				if err := tx.GetContext(ctx, &o.ID, tx.Rebind(`INSERT INTO course_options (question_id, position, text, correct)
					VALUES (?, ?, ?, ?) RETURNING id`), q.ID, o.Position, o.Text, o.Correct); err != nil {
					return fmt.Errorf("courses: insert option of question %d, module %d: %w", q.Position, m.Position, err)
				}
			}
		}
	}
	return nil
}
