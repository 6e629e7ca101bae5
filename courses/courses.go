// Package courses holds Steward's training: courses, modules and quizzes,
// grading, assignment cycles and their status, certificates, and the
// course folder format (import and export), with the starter course embedded.
package courses

import (
	"errors"
	"time"

	"steward/internal/db"
)

// Domain errors, mapped to HTTP statuses by the handlers.
var (
	ErrNotFound         = errors.New("courses: not found")
	ErrNotAssigned      = errors.New("courses: this course is not assigned to you")
	ErrAttemptLimit     = errors.New("courses: no attempts left for this module in this cycle")
	ErrAlreadySubmitted = errors.New("courses: this attempt was already submitted")
	ErrSlugTaken        = errors.New("courses: another course already uses this slug")
)

// Audience kinds.
const (
	AudienceEveryone = "everyone"
	AudienceTeams    = "teams"
	AudienceRoles    = "roles"
)

// QuestionKind is single, multiple or truefalse.
type QuestionKind string

const (
	Single    QuestionKind = "single"
	Multiple  QuestionKind = "multiple"
	TrueFalse QuestionKind = "truefalse"
)

// Audience says who a course is assigned to: everyone, the named teams or
// the named roles.
type Audience struct {
	Kind   string
	Values []string
}

// Settings are a course's editable settings, as in course.yaml.
type Settings struct {
	Slug               string
	Title              string
	Summary            string
	Audience           Audience
	DueDays            int
	ValidMonths        int // 0: a completion never expires
	RecertWindowDays   int
	PassMark           int // percent needed to pass each module's quiz
	MaxAttempts        int // per module per cycle; 0: unlimited
	Shuffle            bool
	RequiresRetraining bool
}

// Course is a course with its modules.
type Course struct {
	ID int64
	Settings
	Revision    int
	ContentHash string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Modules     []Module
}

// Module is one lesson: a Markdown body and a quiz.
type Module struct {
	ID        int64
	CourseID  int64
	Position  int
	Title     string
	Body      string
	Questions []Question
	// Draw is how many of the quiz's slots (Slots) an attempt shows,
	// drawn at random from its seed; 0 shows every slot.
	Draw int
	// Minutes is how long the author says the module takes; 0 leaves it
	// to the estimate (EstimatedMinutes).
	Minutes int

	file         string // where it was read from, for error messages
	positionLine int
}

// Question is one quiz question. True/false questions have two options,
// "True" and "False", one of them correct.
type Question struct {
	ID          int64
	Position    int
	Kind        QuestionKind
	Text        string
	Explanation string
	Options     []Option
	// Objective names the learning objective the question tests. Questions
	// of a module that share an objective are variants of one another: each
	// attempt shows one of them, drawn at random (Drawn). Empty: the question
	// is always shown.
	Objective string
}

// Option is one possible answer to a question.
type Option struct {
	ID       int64
	Position int
	Text     string
	Correct  bool
}

// Labels of the two options of a true/false question.
const (
	TrueLabel  = "True"
	FalseLabel = "False"
)

// Store keeps courses, cycles and attempts in the database.
type Store struct {
	db *db.DB
}

// NewStore returns a store on d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }
