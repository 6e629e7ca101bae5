package policies

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// A change check: a material version of a staff policy may ask the people
// who acknowledge it one to five multiple-choice questions, each about one
// of its sections. Their acknowledgement is recorded only when they answer
// every question right; they may try again as often as they need.

// Limits of a change check.
const (
	MaxQuestions        = 5
	MinChoices          = 2
	MaxChoices          = 6
	MaxPromptChars      = 500
	MaxChoiceChars      = 300
	MaxExplanationChars = 1000
)

// Errors of the change check.
var (
	ErrCheckRequired = errors.New("policies: this version is acknowledged by answering its questions")
	ErrNoCheck       = errors.New("policies: this version asks no questions")
	ErrCheckPassed   = errors.New("policies: the person has passed this check already")
)

// Question is one question of a change check.
type Question struct {
	ID          int64
	Position    int    // from 1
	Section     string // the id of the section's heading
	Prompt      string
	Choices     []string
	Correct     int // index into Choices
	Explanation string
}

// QuestionInput is a question as an author writes it. Correct is the
// index of the right choice, -1 when none was marked.
type QuestionInput struct {
	Section     string
	Prompt      string
	Choices     []string
	Correct     int
	Explanation string
}

// SectionRef is a section of a body that a question can be about.
type SectionRef struct {
	ID      string
	Heading string
}

// Sections lists the sections of a Markdown body that have an id, in
// order.
func Sections(body string) []SectionRef {
	var out []SectionRef
	for _, s := range splitSections(parseBlocks(body).blocks) {
		if s.heading.Kind == kindHeading && s.heading.ID != "" {
			out = append(out, SectionRef{ID: s.heading.ID, Heading: s.title()})
		}
	}
	return out
}

func plainLine(s string) bool {
	return !strings.ContainsFunc(s, unicode.IsControl)
}

// ValidateCheck reports every problem with a check's questions against the
// body they are about. No question at all is valid: the version asks none.
// Fields are named q1.prompt, q1.section, q1.choices, q1.correct,
// q1.explanation, and questions for the whole check.
func ValidateCheck(qs []QuestionInput, body string) error {
	var v ValidationError
	if len(qs) > MaxQuestions {
		v.add("questions", fmt.Sprintf("a check asks at most %d questions", MaxQuestions))
		return &v
	}
	sections := map[string]bool{}
	for _, s := range Sections(body) {
		sections[s.ID] = true
	}
	for i, q := range qs {
		f := "q" + strconv.Itoa(i+1) + "."
		switch prompt := strings.TrimSpace(q.Prompt); {
		case prompt == "":
			v.add(f+"prompt", "is required")
		case utf8.RuneCountInString(prompt) > MaxPromptChars:
			v.add(f+"prompt", fmt.Sprintf("must be at most %d characters", MaxPromptChars))
		case !plainLine(prompt):
			v.add(f+"prompt", "must be plain text without control characters")
		}
		switch {
		case q.Section == "":
			v.add(f+"section", "is required: choose the section the question is about")
		case !sections[q.Section]:
			v.add(f+"section", fmt.Sprintf("%q is not a section of the draft (sections have an id: a heading, or {#id} after it)", q.Section))
		}
		n := 0
		for _, c := range q.Choices {
			c = strings.TrimSpace(c)
			switch {
			case c == "":
				v.add(f+"choices", "must not be empty")
			case utf8.RuneCountInString(c) > MaxChoiceChars:
				v.add(f+"choices", fmt.Sprintf("must be at most %d characters each", MaxChoiceChars))
			case !plainLine(c):
				v.add(f+"choices", "must be plain text without control characters")
			}
			n++
		}
		if n < MinChoices || n > MaxChoices {
			v.add(f+"choices", fmt.Sprintf("a question has %d to %d choices, not %d", MinChoices, MaxChoices, n))
		}
		if q.Correct < 0 || q.Correct >= n {
			v.add(f+"correct", "mark exactly one choice as the right answer")
		}
		switch e := strings.TrimSpace(q.Explanation); {
		case utf8.RuneCountInString(e) > MaxExplanationChars:
			v.add(f+"explanation", fmt.Sprintf("must be at most %d characters", MaxExplanationChars))
		case strings.ContainsFunc(e, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' }):
			v.add(f+"explanation", "must be plain text without control characters")
		}
	}
	return v.orNil()
}

type questionRow struct {
	ID          int64  `db:"id"`
	Position    int    `db:"position"`
	Section     string `db:"section_id"`
	Prompt      string `db:"prompt"`
	Choices     string `db:"choices"`
	Correct     int    `db:"correct"`
	Explanation string `db:"explanation"`
}

func checkOf(ctx context.Context, q sqlx.ExtContext, versionID int64) ([]Question, error) {
	var rows []questionRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT id, position, section_id, prompt, choices, correct, explanation
		FROM policy_check_questions WHERE version_id = ? ORDER BY position`), versionID); err != nil {
		return nil, fmt.Errorf("policies: check of version %d: %w", versionID, err)
	}
	out := make([]Question, len(rows))
	for i, r := range rows {
		out[i] = Question{ID: r.ID, Position: r.Position, Section: r.Section, Prompt: r.Prompt, Correct: r.Correct, Explanation: r.Explanation}
		if err := json.Unmarshal([]byte(r.Choices), &out[i].Choices); err != nil {
			return nil, fmt.Errorf("policies: check question %d: %w", r.ID, err)
		}
	}
	return out, nil
}

// writeCheck replaces the questions of a version row.
func writeCheck(ctx context.Context, tx *sqlx.Tx, versionID int64, qs []QuestionInput) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM policy_check_questions WHERE version_id = ?`), versionID); err != nil {
		return fmt.Errorf("policies: clear check of %d: %w", versionID, err)
	}
	for i, q := range qs {
		choices := make([]string, len(q.Choices))
		for k, c := range q.Choices {
			choices[k] = strings.TrimSpace(c)
		}
		js, err := json.Marshal(choices)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_check_questions
			(version_id, position, section_id, prompt, choices, correct, explanation) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			versionID, i+1, q.Section, strings.TrimSpace(q.Prompt), string(js), q.Correct, strings.TrimSpace(q.Explanation)); err != nil {
			return fmt.Errorf("policies: write check of %d: %w", versionID, err)
		}
	}
	return nil
}

// checkFits says why a check cannot go with a version of p: only a
// material change of a staff policy that people acknowledge asks
// questions. "" when it can.
func checkFits(p Policy, kind ChangeKind) string {
	switch {
	case !p.NeedsAck():
		return "only a staff policy that people acknowledge can ask questions"
	case kind != Material:
		return "questions go with a material change: make the draft material first"
	}
	return ""
}

// DraftCheck returns the questions of the policy's draft.
func (s *Store) DraftCheck(ctx context.Context, slug string) ([]Question, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return nil, err
	}
	d, err := draftOf(ctx, s.db, p.ID)
	if err != nil {
		return nil, err
	}
	return checkOf(ctx, s.db, d.ID)
}

// SaveDraftCheck replaces the questions of the policy's draft; none
// removes its check.
func (s *Store) SaveDraftCheck(ctx context.Context, slug string, qs []QuestionInput, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		d, err := draftOf(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		// The questions go to the approver with the text: once submitted,
		// they change only after the draft goes back to its author.
		if st, err := draftApproval(ctx, tx, d); err != nil {
			return err
		} else if st.State == ApprovalSubmitted || st.State == ApprovalApproved {
			return ErrCheckLocked
		}
		if msg := checkFits(p, d.ChangeKind); msg != "" && len(qs) > 0 {
			return &ValidationError{Fields: map[string]string{"questions": msg}}
		}
		if err := ValidateCheck(qs, d.SourceMD); err != nil {
			return err
		}
		if len(qs) == 0 {
			had, err := checkOf(ctx, tx, d.ID)
			if err != nil || len(had) == 0 {
				return err // asked none, asks none: nothing to record
			}
		}
		if err := writeCheck(ctx, tx, d.ID, qs); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by.Entry(now.UTC(), "policy.check.save", "policy:"+slug+"/draft",
			fmt.Sprintf("%d questions", len(qs))))
	})
}

// Check is what a person must answer to acknowledge the version in effect
// of a policy: the questions of its base (the material version whose
// acknowledgement counts), and how far the person got.
type Check struct {
	Version   Version // the version that asks the questions
	Questions []Question
	Attempts  int  // the person's attempts so far
	Passed    bool // one of them answered every question right
}

// Asks says whether there is a check to answer.
func (c Check) Asks() bool { return len(c.Questions) > 0 }

// Sections lists the ids of the sections the questions are about, each
// once, in the order of the questions.
func (c Check) Sections() []string {
	var out []string
	seen := map[string]bool{}
	for _, q := range c.Questions {
		if !seen[q.Section] {
			seen[q.Section] = true
			out = append(out, q.Section)
		}
	}
	return out
}

type attemptRow struct {
	ID        int64     `db:"id"`
	UserID    int64     `db:"user_id"`
	VersionID int64     `db:"version_id"`
	Attempt   int       `db:"attempt"`
	Answers   string    `db:"answers"`
	Score     int       `db:"score"`
	Passed    bool      `db:"passed"`
	At        time.Time `db:"attempted_at"`
}

const attemptCols = `id, user_id, version_id, attempt, answers, score, passed, attempted_at`

func (r attemptRow) attempt() (Attempt, error) {
	a := Attempt{ID: r.ID, UserID: r.UserID, VersionID: r.VersionID, Number: r.Attempt, Score: r.Score, Passed: r.Passed, At: r.At.UTC()}
	if err := json.Unmarshal([]byte(r.Answers), &a.Answers); err != nil {
		return Attempt{}, fmt.Errorf("policies: check attempt %d: %w", r.ID, err)
	}
	return a, nil
}

// Attempt is one answer sheet a person sent.
type Attempt struct {
	ID        int64
	UserID    int64
	VersionID int64
	Number    int   // 1 for the first
	Answers   []int // the chosen index per question, in order
	Score     int   // answers right
	Passed    bool
	At        time.Time
}

// Right says whether the answer to question i (from 0) was right.
func (a Attempt) Right(qs []Question, i int) bool {
	return i < len(a.Answers) && i < len(qs) && a.Answers[i] == qs[i].Correct
}

func attemptsOf(ctx context.Context, q sqlx.ExtContext, userID, versionID int64) ([]Attempt, error) {
	var rows []attemptRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT `+attemptCols+`
		FROM policy_check_attempts WHERE user_id = ? AND version_id = ? ORDER BY attempt`), userID, versionID); err != nil {
		return nil, fmt.Errorf("policies: attempts of %d at %d: %w", userID, versionID, err)
	}
	out := make([]Attempt, len(rows))
	for i, r := range rows {
		a, err := r.attempt()
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// checkFor finds the check a person answers to acknowledge cur.
func checkFor(ctx context.Context, q sqlx.ExtContext, t *Timeline, cur Version, userID int64) (Check, []Attempt, error) {
	base := t.Base(cur)
	if base.ChangeKind != Material || !t.Policy.NeedsAck() {
		return Check{}, nil, nil
	}
	qs, err := checkOf(ctx, q, base.ID)
	if err != nil || len(qs) == 0 {
		return Check{}, nil, err
	}
	as, err := attemptsOf(ctx, q, userID, base.ID)
	if err != nil {
		return Check{}, nil, err
	}
	c := Check{Version: base, Questions: qs, Attempts: len(as)}
	for _, a := range as {
		c.Passed = c.Passed || a.Passed
	}
	return c, as, nil
}

// CheckFor returns the check the person answers to acknowledge the
// version in effect of the policy; one that Asks nothing when there is
// none.
func (s *Store) CheckFor(ctx context.Context, userID int64, slug string, now time.Time) (Check, error) {
	t, err := s.Timeline(ctx, slug)
	if err != nil {
		return Check{}, err
	}
	cur, ok := t.InEffect(now)
	if !ok {
		return Check{}, nil
	}
	c, _, err := checkFor(ctx, s.db, t, cur, userID)
	return c, err
}

// MyAttempt returns one of the person's own attempts; another person's
// is ErrNotFound.
func (s *Store) MyAttempt(ctx context.Context, userID, id int64) (Attempt, error) {
	var r attemptRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+attemptCols+` FROM policy_check_attempts WHERE id = ? AND user_id = ?`), id, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return Attempt{}, ErrNotFound
	}
	if err != nil {
		return Attempt{}, fmt.Errorf("policies: attempt %d: %w", id, err)
	}
	return r.attempt()
}

// AnswerCheck grades the person's answers to the check of version number
// (the one in effect) of the policy: answers maps a question's id to the
// index of the chosen choice. Every attempt is kept; one that answers
// every question right records the acknowledgement with the score of the
// first attempt and the number of attempts, in the same transaction.
func (s *Store) AnswerCheck(ctx context.Context, userID int64, slug string, number int, answers map[int64]int, now time.Time) (Attempt, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var out Attempt
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		who, p, t, v, err := ackTarget(ctx, tx, userID, slug, number, now)
		if err != nil {
			return err
		}
		c, as, err := checkFor(ctx, tx, t, v, userID)
		if err != nil {
			return err
		}
		if !c.Asks() {
			return ErrNoCheck
		}
		if c.Passed {
			return ErrCheckPassed
		}
		sheet, err := grade(c.Questions, answers)
		if err != nil {
			return err
		}
		out = Attempt{UserID: userID, VersionID: c.Version.ID, Number: len(as) + 1, Answers: sheet, At: now}
		for i := range c.Questions {
			if out.Right(c.Questions, i) {
				out.Score++
			}
		}
		out.Passed = out.Score == len(c.Questions)
		js, err := json.Marshal(sheet)
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &out.ID, tx.Rebind(`INSERT INTO policy_check_attempts
			(user_id, version_id, attempt, answers, score, passed, attempted_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			userID, c.Version.ID, out.Number, string(js), out.Score, out.Passed, now); err != nil {
			return fmt.Errorf("policies: record attempt at %s v%d: %w", slug, number, err)
		}
		if !out.Passed {
			return nil
		}
		first := out.Score
		if len(as) > 0 {
			first = as[0].Score
		}
		_, err = recordAck(ctx, tx, who, p, v, &CheckScore{Questions: len(c.Questions), FirstScore: first, Attempts: out.Number}, p.Language, now)
		return err
	})
	return out, err
}

// grade puts the answers in the order of the questions. Every question
// needs an answer among its choices, and no answer may name a question
// the check does not ask.
func grade(qs []Question, answers map[int64]int) ([]int, error) {
	var v ValidationError
	pos := map[int64]int{}
	for i, q := range qs {
		pos[q.ID] = i
	}
	for id := range answers {
		if _, ok := pos[id]; !ok {
			v.add("answers", "an answer names a question this check does not ask; reload the page and answer again")
		}
	}
	sheet := make([]int, len(qs))
	for i, q := range qs {
		a, ok := answers[q.ID]
		switch {
		case !ok:
			v.add("q"+strconv.Itoa(i+1), "choose an answer")
		case a < 0 || a >= len(q.Choices):
			v.add("q"+strconv.Itoa(i+1), "that choice is not one of this question's")
		}
		sheet[i] = a
	}
	return sheet, v.orNil()
}

// CheckScore says how a check was passed: its number of questions, the
// answers right at the first attempt, and the attempts it took.
type CheckScore struct {
	Questions  int
	FirstScore int
	Attempts   int
}

// String is the check's result as reports and exports write it.
func (c CheckScore) String() string {
	return fmt.Sprintf("%d/%d at first try, passed at attempt %d", c.FirstScore, c.Questions, c.Attempts)
}

// ScoreOf reads a check's result as the acknowledgements table keeps it:
// nil when the acknowledgement was made without a check.
func ScoreOf(questions, first, attempts *int) *CheckScore {
	if questions == nil || first == nil || attempts == nil {
		return nil
	}
	return &CheckScore{Questions: *questions, FirstScore: *first, Attempts: *attempts}
}

// CheckResults is how the people who answered a version's check did.
type CheckResults struct {
	Version   Version
	People    int // who sent at least one attempt
	Passed    int // who passed, at any attempt
	FirstTry  int // who passed at the first attempt
	Questions []QuestionResult
	Sections  []SectionResult
}

// QuestionResult is how people answered one question.
type QuestionResult struct {
	Question
	Heading      string
	RightAtFirst int // people whose first attempt answered it right
	People       int
	WrongChoice  string // the wrong choice chosen most often, over every attempt; "" when none was
	WrongCount   int
}

// Share is the percentage of people right at the first try.
func (q QuestionResult) Share() int { return percent(q.RightAtFirst, q.People) }

// SectionResult is how people answered the questions about one section.
type SectionResult struct {
	ID, Heading  string
	Questions    int
	RightAtFirst int // people whose first attempt answered all its questions right
	People       int
}

// Share is the percentage of people right at the first try.
func (s SectionResult) Share() int { return percent(s.RightAtFirst, s.People) }

func percent(n, of int) int {
	if of == 0 {
		return 0
	}
	return (100*n + of/2) / of
}

// CheckResults returns how people answered the check of published
// version number of the policy, or ErrNoCheck.
func (s *Store) CheckResults(ctx context.Context, slug string, number int) (CheckResults, error) {
	t, err := s.loadTimeline(ctx, slug)
	if err != nil {
		return CheckResults{}, err
	}
	v, ok := t.Version(number)
	if !ok {
		return CheckResults{}, ErrNotFound
	}
	qs, err := checkOf(ctx, s.db, v.ID)
	if err != nil {
		return CheckResults{}, err
	}
	if len(qs) == 0 {
		return CheckResults{}, ErrNoCheck
	}
	var rows []attemptRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+attemptCols+`
		FROM policy_check_attempts WHERE version_id = ? ORDER BY user_id, attempt`), v.ID); err != nil {
		return CheckResults{}, fmt.Errorf("policies: results of %s v%d: %w", slug, number, err)
	}
	return tally(v, qs, rows)
}

func tally(v Version, qs []Question, rows []attemptRow) (CheckResults, error) {
	res := CheckResults{Version: v, Questions: make([]QuestionResult, len(qs))}
	headings := map[string]string{}
	for _, s := range Sections(v.BodyMD) {
		headings[s.ID] = s.Heading
	}
	secIndex := map[string]int{}
	for i, q := range qs {
		res.Questions[i] = QuestionResult{Question: q, Heading: headings[q.Section]}
		if _, ok := secIndex[q.Section]; !ok {
			secIndex[q.Section] = len(res.Sections)
			res.Sections = append(res.Sections, SectionResult{ID: q.Section, Heading: headings[q.Section]})
		}
		res.Sections[secIndex[q.Section]].Questions++
	}
	wrong := make([]map[int]int, len(qs))
	for i := range wrong {
		wrong[i] = map[int]int{}
	}
	var prev int64 = -1
	passed := false
	for _, r := range rows {
		a, err := r.attempt()
		if err != nil {
			return CheckResults{}, err
		}
		if a.UserID != prev {
			prev, passed = a.UserID, false
			res.People++
			if a.Passed {
				res.FirstTry++
			}
			sectionRight := make([]bool, len(res.Sections))
			for k := range sectionRight {
				sectionRight[k] = true
			}
			for i, q := range qs {
				res.Questions[i].People++
				if a.Right(qs, i) {
					res.Questions[i].RightAtFirst++
				} else {
					sectionRight[secIndex[q.Section]] = false
				}
			}
			for k, ok := range sectionRight {
				res.Sections[k].People++
				if ok {
					res.Sections[k].RightAtFirst++
				}
			}
		}
		if a.Passed && !passed {
			passed = true
			res.Passed++
		}
		for i := range qs {
			if i < len(a.Answers) && !a.Right(qs, i) {
				wrong[i][a.Answers[i]]++
			}
		}
	}
	for i, q := range qs {
		best, n := -1, 0
		for c, k := range wrong[i] {
			if k > n || (k == n && c < best) {
				best, n = c, k
			}
		}
		if best >= 0 && best < len(q.Choices) {
			res.Questions[i].WrongChoice, res.Questions[i].WrongCount = q.Choices[best], n
		}
	}
	return res, nil
}
