package courses

import "math/rand/v2"

// Drawn is the quiz an attempt with this seed shows of m: every question
// without an objective, and one question drawn at random from each group of
// questions sharing an objective, in the place of the group's first
// question. The same seed always draws the same questions, so grading sees
// what the person saw; a retake has a new seed and may see other variants.
func Drawn(m *Module, seed int64) Module {
	groups := map[string][]int{} // objective -> indexes of its questions
	for i, q := range m.Questions {
		if q.Objective != "" {
			groups[q.Objective] = append(groups[q.Objective], i)
		}
	}
	out := *m
	if len(groups) == 0 {
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
	return out
}
