package courses

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
)

// ErrInvalidAnswers wraps every reason a submission cannot be graded.
var ErrInvalidAnswers = errors.New("courses: invalid answers")

// Answers maps a question id to the option ids chosen for it.
type Answers map[int64][]int64

// QuestionResult is how one question went.
type QuestionResult struct {
	QuestionID  int64        `json:"question_id"`
	Kind        QuestionKind `json:"kind"`
	Text        string       `json:"text"`
	Explanation string       `json:"explanation"`
	Chosen      []int64      `json:"chosen"`
	ChosenText  []string     `json:"chosen_text"`
	CorrectText []string     `json:"correct_text"`
	Correct     bool         `json:"correct"`
}

// Result is a graded quiz.
type Result struct {
	Score     int // percent, rounded down
	Correct   int
	Total     int
	Passed    bool
	Questions []QuestionResult
}

// Grade scores answers against module m's quiz, whose questions are in the
// order they were shown: errors name a question by that number. Every question needs an
// answer, every answer must name options of its own question, single and
// true/false questions take exactly one option. A single or true/false
// question is right when its correct option is chosen; a multiple-choice
// one when all correct options and no wrong one are chosen. The quiz passes
// when the score reaches passMark percent.
func Grade(m *Module, answers Answers, passMark int) (Result, error) {
	byID := make(map[int64]*Question, len(m.Questions))
	for i := range m.Questions {
		byID[m.Questions[i].ID] = &m.Questions[i]
	}
	for qid := range answers {
		if byID[qid] == nil {
			return Result{}, fmt.Errorf("%w: an answer names a question (id %d) that is not part of this quiz", ErrInvalidAnswers, qid)
		}
	}
	res := Result{Total: len(m.Questions), Questions: make([]QuestionResult, 0, len(m.Questions))}
	for i := range m.Questions {
		q := &m.Questions[i]
		chosen := answers[q.ID]
		if len(chosen) == 0 {
			return Result{}, fmt.Errorf("%w: question %d (%q) has no answer", ErrInvalidAnswers, i+1, clip(q.Text))
		}
		if q.Kind != Multiple && len(chosen) > 1 {
			return Result{}, fmt.Errorf("%w: question %d (%q) takes exactly one answer", ErrInvalidAnswers, i+1, clip(q.Text))
		}
		qr := QuestionResult{QuestionID: q.ID, Kind: q.Kind, Text: q.Text, Explanation: q.Explanation, Chosen: chosen}
		right := true
		picked := make(map[int64]bool, len(chosen))
		for _, oid := range chosen {
			if picked[oid] {
				return Result{}, fmt.Errorf("%w: question %d (%q) names option %d twice", ErrInvalidAnswers, i+1, clip(q.Text), oid)
			}
			picked[oid] = true
		}
		for _, o := range q.Options {
			if picked[o.ID] {
				qr.ChosenText = append(qr.ChosenText, o.Text)
				delete(picked, o.ID)
			}
			if o.Correct {
				qr.CorrectText = append(qr.CorrectText, o.Text)
			}
			// Correct options must be chosen and wrong ones must not.
			if o.Correct != slices.Contains(chosen, o.ID) {
				right = false
			}
		}
		if len(picked) > 0 {
			oid := slices.Sorted(maps.Keys(picked))[0]
			return Result{}, fmt.Errorf("%w: option %d is not an option of question %d (%q)", ErrInvalidAnswers, oid, i+1, clip(q.Text))
		}
		qr.Correct = right
		if right {
			res.Correct++
		}
		res.Questions = append(res.Questions, qr)
	}
	if res.Total > 0 {
		res.Score = res.Correct * 100 / res.Total
		res.Passed = res.Correct*100 >= passMark*res.Total
	}
	return res, nil
}

func clip(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return s
}

// Shuffled returns a copy of m with questions and options in an order
// derived from seed alone, so one attempt always shows the same order.
// True/false options keep their True, False order.
func Shuffled(m *Module, seed int64) Module {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	out := *m
	out.Questions = make([]Question, len(m.Questions))
	for i, q := range m.Questions {
		q.Options = slices.Clone(q.Options)
		if q.Kind != TrueFalse {
			rng.Shuffle(len(q.Options), func(a, b int) { q.Options[a], q.Options[b] = q.Options[b], q.Options[a] })
		}
		out.Questions[i] = q
	}
	rng.Shuffle(len(out.Questions), func(a, b int) { out.Questions[a], out.Questions[b] = out.Questions[b], out.Questions[a] })
	return out
}
