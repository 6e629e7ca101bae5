package courses

import (
	"math/rand/v2"
	"slices"
	"unicode/utf8"
)

// Drawn is the quiz an attempt with this seed shows of m. The quiz is made
// of slots: each question without an objective is a slot, and each group of
// questions sharing an objective is one slot, showing one of its questions
// drawn at random in the place of the group's first question. When m.Draw
// is set, the attempt shows only that many slots, drawn at random too and
// kept in the module's order. The same seed always draws the same
// questions, so grading sees what the person saw; a retake has a new seed
// and may see other questions.
func Drawn(m *Module, seed int64) Module {
	groups := map[string][]int{} // objective -> indexes of its questions
	for i, q := range m.Questions {
		if q.Objective != "" {
			groups[q.Objective] = append(groups[q.Objective], i)
		}
	}
	out := *m
	draw := m.Draw > 0 && m.Draw < m.Slots()
	if len(groups) == 0 && !draw {
		return out
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x2545f4914f6cdd1d))
	chosen := map[string]int{}
	out.Questions = nil
	for _, q := range m.Questions {
		if q.Objective == "" {
			out.Questions = append(out.Questions, q)
			continue
		}
		if _, done := chosen[q.Objective]; done {
			continue
		}
		g := groups[q.Objective]
		pick := g[rng.IntN(len(g))]
		chosen[q.Objective] = pick
		out.Questions = append(out.Questions, m.Questions[pick])
	}
	if draw {
		keep := rng.Perm(len(out.Questions))[:m.Draw]
		slices.Sort(keep)
		qs := make([]Question, len(keep))
		for i, k := range keep {
			qs[i] = out.Questions[k]
		}
		out.Questions = qs
	}
	return out
}

// Slots is how many questions an attempt at m could show without a draw:
// one per question without an objective and one per objective.
func (m *Module) Slots() int {
	n := 0
	objectives := map[string]bool{}
	for _, q := range m.Questions {
		switch {
		case q.Objective == "":
			n++
		case !objectives[q.Objective]:
			objectives[q.Objective] = true
			n++
		}
	}
	return n
}

// slotsSQL is Slots for the module row m, for queries that do not load the
// questions (a test checks the two agree).
const slotsSQL = `((SELECT COUNT(*) FROM course_questions q WHERE q.module_id = m.id AND q.objective = '')
	+ (SELECT COUNT(DISTINCT q.objective) FROM course_questions q WHERE q.module_id = m.id AND q.objective <> ''))`

// Shown is how many questions each attempt at m shows.
func (m *Module) Shown() int { return shownOf(m.Slots(), m.Draw) }

func shownOf(slots, draw int) int {
	if draw > 0 && draw < slots {
		return draw
	}
	return slots
}

// EstimatedMinutes is how long m takes: the author's Minutes, or else an
// estimate of reading the lesson at 1,000 characters a minute (about 180
// words) and answering each question shown in half a minute, rounded up.
func (m *Module) EstimatedMinutes() int {
	return estimateMinutes(m.Minutes, utf8.RuneCountInString(m.Body), m.Shown())
}

func estimateMinutes(given, bodyChars, questions int) int {
	if given > 0 {
		return given
	}
	return max(1, (bodyChars+500*questions+999)/1000)
}
