package courses

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/webhooks"
)

// ErrStaleAttempt means the course changed after the quiz was shown.
var ErrStaleAttempt = errors.New("courses: the course was updated after this quiz was shown; open the module again")

// Attempt is one showing of a module's quiz to a person, and once
// submitted, its answers and score.
type Attempt struct {
	ID          int64      `db:"id"`
	Token       string     `db:"token"`
	CycleID     int64      `db:"cycle_id"`
	ModuleID    int64      `db:"module_id"`
	UserID      int64      `db:"user_id"`
	Seed        int64      `db:"seed"`
	Revision    int        `db:"revision"`
	StartedAt   time.Time  `db:"started_at"`
	SubmittedAt *time.Time `db:"submitted_at"`
	Score       *int       `db:"score"`
	Passed      *bool      `db:"passed"`
	AnswersJSON string     `db:"answers"`
	// The titles the person saw the quiz under; empty for attempts
	// written without them, which read as the current titles.
	CourseTitle string `db:"course_title"`
	ModuleTitle string `db:"module_title"`
}

// Results decodes the graded questions of a submitted attempt.
func (a *Attempt) Results() ([]QuestionResult, error) {
	if a.AnswersJSON == "" {
		return nil, nil
	}
	var out []QuestionResult
	if err := json.Unmarshal([]byte(a.AnswersJSON), &out); err != nil {
		return nil, fmt.Errorf("courses: attempt %d answers: %w", a.ID, err)
	}
	return out, nil
}

const attemptColumns = `id, token, cycle_id, module_id, user_id, seed, revision, started_at, submitted_at, score, passed, answers,
	COALESCE(course_title, '') AS course_title, COALESCE(module_title, '') AS module_title`

// Quiz is a module ready to be answered: its questions in this attempt's
// order and the token the submission must carry.
type Quiz struct {
	Course       *Course
	Module       Module // shuffled when the course says so
	Attempt      Attempt
	Cycle        *Cycle
	AttemptsUsed int
	AttemptsLeft int // -1: unlimited
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("courses: random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func randomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// 31 bits: the seed must fit an INTEGER column on PostgreSQL too.
	return int64(binary.LittleEndian.Uint64(b[:]) >> 33)
}

func countSubmitted(ctx context.Context, q rebinder, cycleID, moduleID int64) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*) FROM course_attempts
		WHERE cycle_id = ? AND module_id = ? AND submitted_at IS NOT NULL`), cycleID, moduleID)
	if err != nil {
		return 0, fmt.Errorf("courses: count attempts: %w", err)
	}
	return n, nil
}

func attemptsLeft(limit, used int) int {
	if limit == 0 {
		return -1
	}
	return max(0, limit-used)
}

// StartAttempt shows module position of course slug to userID: it returns
// the open attempt of this cycle and module if there is one (same token,
// same order), or issues a new one. It fails with ErrNotAssigned when the
// person has no current cycle of the course and with ErrAttemptLimit when
// the cycle's attempts at this module are used up.
func (s *Store) StartAttempt(ctx context.Context, userID int64, slug string, position int, now time.Time) (*Quiz, error) {
	now = now.UTC()
	var quiz *Quiz
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		c, err := loadCourse(ctx, tx, "slug", slug)
		if err != nil {
			return err
		}
		m, err := c.Module(position)
		if err != nil {
			return err
		}
		cy, err := currentCycle(ctx, tx, userID, c.ID)
		if err != nil {
			return err
		}
		used, err := countSubmitted(ctx, tx, cy.ID, m.ID)
		if err != nil {
			return err
		}
		if c.MaxAttempts > 0 && used >= c.MaxAttempts {
			return ErrAttemptLimit
		}
		var a Attempt
		err = tx.GetContext(ctx, &a, tx.Rebind(`SELECT `+attemptColumns+` FROM course_attempts
			WHERE cycle_id = ? AND module_id = ? AND revision = ? AND submitted_at IS NULL ORDER BY id DESC LIMIT 1`),
			cy.ID, m.ID, c.Revision)
		if errors.Is(err, sql.ErrNoRows) {
			tok, terr := randomToken()
			if terr != nil {
				return terr
			}
			a = Attempt{Token: tok, CycleID: cy.ID, ModuleID: m.ID, UserID: userID, Seed: randomSeed(), Revision: c.Revision, StartedAt: now,
				CourseTitle: c.Title, ModuleTitle: m.Title}
			err = tx.GetContext(ctx, &a.ID, tx.Rebind(`INSERT INTO course_attempts
				(token, cycle_id, module_id, user_id, seed, revision, started_at, course_title, module_title)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				a.Token, a.CycleID, a.ModuleID, a.UserID, a.Seed, a.Revision, a.StartedAt, a.CourseTitle, a.ModuleTitle)
		}
		if err != nil {
			return fmt.Errorf("courses: start attempt on %s module %d: %w", slug, position, err)
		}
		shown := c.shown(m, a.Seed)
		quiz = &Quiz{Course: c, Module: shown, Attempt: a, Cycle: cy, AttemptsUsed: used, AttemptsLeft: attemptsLeft(c.MaxAttempts, used)}
		return nil
	})
	return quiz, err
}

// shown is module m as an attempt with seed shows it: one variant per
// objective (Drawn), shuffled when the course says so.
func (c *Course) shown(m *Module, seed int64) Module {
	d := Drawn(m, seed)
	if c.Shuffle {
		d = Shuffled(&d, seed)
	}
	return d
}

// Submission is the outcome of Submit.
type Submission struct {
	Attempt      Attempt
	Result       Result
	Course       *Course
	Module       *Module
	AttemptsLeft int  // -1: unlimited
	Completed    bool // this submission completed the course for the cycle
	Cycle        *Cycle
}

// Submit grades the answers to the attempt token for userID and stores
// them with the score. Nothing is written when it fails: ErrNotFound for a
// token that is not the caller's, ErrAlreadySubmitted for a second
// submission, ErrNotAssigned when the cycle was closed, ErrStaleAttempt when
// the course changed, ErrAttemptLimit, or ErrInvalidAnswers. When every
// module of the course is passed in the cycle, the cycle is completed, its
// expiry set and a certificate issued.
func (s *Store) Submit(ctx context.Context, userID int64, token string, answers Answers, now time.Time) (*Submission, error) {
	now = now.UTC()
	var sub *Submission
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var a Attempt
		err := tx.GetContext(ctx, &a, tx.Rebind(`SELECT `+attemptColumns+` FROM course_attempts WHERE token = ? AND user_id = ?`), token, userID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("courses: submit: load attempt: %w", err)
		}
		if a.SubmittedAt != nil {
			return ErrAlreadySubmitted
		}
		// Touch the cycle row first: on PostgreSQL this locks it, so two
		// submissions in one cycle are counted one after the other (SQLite
		// transactions here already hold the write lock).
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_cycles SET started_at = COALESCE(started_at, ?) WHERE id = ?`),
			now, a.CycleID); err != nil {
			return fmt.Errorf("courses: submit: lock cycle: %w", err)
		}
		var cy Cycle
		if err := tx.GetContext(ctx, &cy, tx.Rebind(`SELECT `+cycleColumns+` FROM course_cycles WHERE id = ?`), a.CycleID); err != nil {
			return fmt.Errorf("courses: submit: load cycle: %w", err)
		}
		if cy.ClosedAt != nil {
			return ErrNotAssigned
		}
		c, err := loadCourse(ctx, tx, "id", cy.CourseID)
		if err != nil {
			return err
		}
		if c.Revision != a.Revision {
			return ErrStaleAttempt
		}
		var m *Module
		for i := range c.Modules {
			if c.Modules[i].ID == a.ModuleID {
				m = &c.Modules[i]
			}
		}
		if m == nil {
			return ErrStaleAttempt
		}
		used, err := countSubmitted(ctx, tx, cy.ID, m.ID)
		if err != nil {
			return err
		}
		if c.MaxAttempts > 0 && used >= c.MaxAttempts {
			return ErrAttemptLimit
		}
		// Grade the questions in the order they were shown, so an error
		// names a question by the number the person saw.
		shown := c.shown(m, a.Seed)
		res, err := Grade(&shown, answers, c.PassMark)
		if err != nil {
			return err
		}
		blob, err := json.Marshal(res.Questions)
		if err != nil {
			return fmt.Errorf("courses: submit: encode answers: %w", err)
		}
		// The titles are stored with the answers: history shows what the
		// person saw, whatever the course and module are called later.
		r, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_attempts SET submitted_at = ?, score = ?, passed = ?, answers = ?,
			course_title = ?, module_title = ? WHERE id = ? AND submitted_at IS NULL`),
			now, res.Score, res.Passed, string(blob), c.Title, m.Title, a.ID)
		if err != nil {
			return fmt.Errorf("courses: submit: store attempt: %w", err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return ErrAlreadySubmitted
		}
		a.SubmittedAt, a.Score, a.Passed, a.AnswersJSON = &now, &res.Score, &res.Passed, string(blob)
		a.CourseTitle, a.ModuleTitle = c.Title, m.Title
		sub = &Submission{Attempt: a, Result: res, Course: c, Module: m, AttemptsLeft: attemptsLeft(c.MaxAttempts, used+1), Cycle: &cy}
		if res.Passed && cy.CompletedAt == nil {
			done, err := completeIfDone(ctx, tx, c, &cy, now)
			if err != nil {
				return err
			}
			sub.Completed = done
		}
		return nil
	})
	return sub, err
}

// completeIfDone completes cy when every module of c has a passed attempt
// in it. The cycle's score is the mean of each module's best score.
func completeIfDone(ctx context.Context, tx *sqlx.Tx, c *Course, cy *Cycle, now time.Time) (bool, error) {
	var best []struct {
		ModuleID int64 `db:"module_id"`
		Score    int   `db:"score"`
	}
	if err := tx.SelectContext(ctx, &best, tx.Rebind(`SELECT module_id, MAX(score) AS score FROM course_attempts
		WHERE cycle_id = ? AND passed = TRUE GROUP BY module_id`), cy.ID); err != nil {
		return false, fmt.Errorf("courses: check completion: %w", err)
	}
	scores := map[int64]int{}
	for _, b := range best {
		scores[b.ModuleID] = b.Score
	}
	sum := 0
	for _, m := range c.Modules {
		sc, ok := scores[m.ID]
		if !ok {
			return false, nil
		}
		sum += sc
	}
	score := sum / max(1, len(c.Modules))
	var expires *time.Time
	if c.ValidMonths > 0 {
		e := now.AddDate(0, c.ValidMonths, 0)
		expires = &e
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE course_cycles SET completed_at = ?, completed_revision = ?,
		expires_at = ?, score = ? WHERE id = ?`), now, c.Revision, expires, score, cy.ID); err != nil {
		return false, fmt.Errorf("courses: complete cycle %d: %w", cy.ID, err)
	}
	cy.CompletedAt, cy.ExpiresAt, cy.Score = &now, expires, &score
	rev := c.Revision
	cy.CompletedRevision = &rev
	if err := issueCertificate(ctx, tx, cy.ID, now); err != nil {
		return false, err
	}
	if err := webhooks.Enqueue(ctx, tx, webhooks.CourseCompleted, completedEvent(c, cy), now); err != nil {
		return false, err
	}
	return true, nil
}

// AttemptResult returns a submitted attempt of userID with its course and
// module, for the result page. The module carries the title the attempt
// was made under; the course is as it is now (the attempt keeps the
// course title it was made under in CourseTitle).
func (s *Store) AttemptResult(ctx context.Context, userID, attemptID int64) (*Attempt, *Course, *Module, error) {
	var a Attempt
	err := s.db.GetContext(ctx, &a, s.db.Rebind(`SELECT `+attemptColumns+` FROM course_attempts
		WHERE id = ? AND user_id = ? AND submitted_at IS NOT NULL`), attemptID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("courses: attempt %d: %w", attemptID, err)
	}
	var row struct {
		CourseID int64  `db:"course_id"`
		Position int    `db:"position"`
		Title    string `db:"title"`
	}
	if err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT course_id, position, title FROM course_modules WHERE id = ?`), a.ModuleID); err != nil {
		return nil, nil, nil, fmt.Errorf("courses: attempt %d module: %w", attemptID, err)
	}
	c, err := s.CourseByID(ctx, row.CourseID)
	if err != nil {
		return nil, nil, nil, err
	}
	m := &Module{ID: a.ModuleID, CourseID: row.CourseID, Position: row.Position, Title: cmp.Or(a.ModuleTitle, row.Title)}
	return &a, c, m, nil
}
