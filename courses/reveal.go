package courses

// AnswersRevealed reports whether a person may see the correct answers to a
// module's quiz and the explanations that give them away: once they have
// passed the module in their current cycle, or have used up their attempts
// at it. Until then a result says which questions were wrong but not what
// was right, so that a retake tests understanding rather than memory.
//
// mp is the person's standing with the module in their current cycle, nil
// when they have none (the course is no longer assigned to them); then only
// a passed attempt reveals its own answers.
func AnswersRevealed(mp *ModuleProgress, attemptPassed bool) bool {
	if mp == nil {
		return attemptPassed
	}
	return mp.Passed || mp.AttemptsLeft == 0
}
