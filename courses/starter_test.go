package courses

import (
	"fmt"
	"testing"
	"unicode/utf8"
)

// bankStats measures a course's quiz bank for the clues a test-wise learner
// uses instead of understanding.
type bankStats struct {
	single, singleLongest int         // single-answer questions; those whose correct option is the longest
	lengthRank            map[int]int // 1 = longest: single-answer questions whose correct option has that length rank
	multiple              int         // multiple-answer questions
	correctCounts         map[int]int // number of correct options -> multiple-answer questions
	trueFalse, trueAnswer int
	noExplanation         []string
}

func measureBank(c *Course) bankStats {
	st := bankStats{correctCounts: map[int]int{}, lengthRank: map[int]int{}}
	for _, m := range c.Modules {
		for i, q := range m.Questions {
			where := fmt.Sprintf("module %d question %d", m.Position, i+1)
			if q.Explanation == "" {
				st.noExplanation = append(st.noExplanation, where)
			}
			switch q.Kind {
			case Single:
				st.single++
				if correctIsLongest(q) {
					st.singleLongest++
				}
				st.lengthRank[correctLengthRank(q)]++
			case Multiple:
				st.multiple++
				n := 0
				for _, o := range q.Options {
					if o.Correct {
						n++
					}
				}
				st.correctCounts[n]++
			case TrueFalse:
				st.trueFalse++
				if q.Options[0].Correct == (q.Options[0].Text == TrueLabel) {
					st.trueAnswer++
				}
			}
		}
	}
	return st
}

// correctIsLongest reports whether the correct option of a single-answer
// question is strictly longer than every wrong one.
func correctIsLongest(q Question) bool {
	longestWrong, correct := 0, 0
	for _, o := range q.Options {
		n := utf8.RuneCountInString(o.Text)
		if o.Correct {
			correct = n
		} else if n > longestWrong {
			longestWrong = n
		}
	}
	return correct > longestWrong
}

// correctLengthRank is 1 plus the number of wrong options longer than the
// correct one of a single-answer question.
func correctLengthRank(q Question) int {
	correct := 0
	for _, o := range q.Options {
		if o.Correct {
			correct = utf8.RuneCountInString(o.Text)
		}
	}
	rank := 1
	for _, o := range q.Options {
		if !o.Correct && utf8.RuneCountInString(o.Text) > correct {
			rank++
		}
	}
	return rank
}

func TestStarterQuizBank(t *testing.T) {
	c, err := ParseFolder(Starter())
	if err != nil {
		t.Fatal(err)
	}
	st := measureBank(c)
	t.Logf("single: %d, correct option longest in %d, length ranks %v; multiple: %d, correct counts %v; true/false: %d, %d true",
		st.single, st.singleLongest, st.lengthRank, st.multiple, st.correctCounts, st.trueFalse, st.trueAnswer)
	if len(st.noExplanation) > 0 {
		t.Errorf("questions without an explanation: %v", st.noExplanation)
	}
	if st.single == 0 || st.multiple == 0 {
		t.Fatalf("the bank needs both single- and multiple-answer questions")
	}
	if 3*st.singleLongest > st.single {
		t.Errorf("the correct option is the longest in %d of %d single-answer questions; at most a third may be", st.singleLongest, st.single)
	}
	// The reverse clue: the correct option always second longest, or always
	// the shortest, is as easy to learn as always the longest.
	for rank, n := range st.lengthRank {
		if 2*n > st.single {
			t.Errorf("the correct option has length rank %d in %d of %d single-answer questions; at most half may share a rank", rank, n, st.single)
		}
	}
	if len(st.correctCounts) < 2 {
		t.Errorf("every multiple-answer question has the same number of correct options: %v", st.correctCounts)
	}
}
