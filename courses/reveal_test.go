package courses

import "testing"

func TestAnswersRevealed(t *testing.T) {
	tests := []struct {
		name          string
		mp            *ModuleProgress
		attemptPassed bool
		want          bool
	}{
		{"failed, attempts left", &ModuleProgress{AttemptsUsed: 1, AttemptsLeft: 2}, false, false},
		{"failed, unlimited attempts", &ModuleProgress{AttemptsUsed: 5, AttemptsLeft: -1}, false, false},
		{"failed, last attempt used", &ModuleProgress{AttemptsUsed: 3, AttemptsLeft: 0}, false, true},
		{"passed", &ModuleProgress{Passed: true, AttemptsUsed: 1, AttemptsLeft: 2}, true, true},
		{"failed attempt after an earlier pass", &ModuleProgress{Passed: true, AttemptsUsed: 2, AttemptsLeft: 1}, false, true},
		// A pass in an earlier cycle does not reveal the answers of the current one.
		{"passed attempt of an earlier cycle, current one open", &ModuleProgress{AttemptsLeft: 3}, true, false},
		{"no current cycle, failed attempt", nil, false, false},
		{"no current cycle, passed attempt", nil, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AnswersRevealed(tt.mp, tt.attemptPassed); got != tt.want {
				t.Errorf("AnswersRevealed = %v, want %v", got, tt.want)
			}
		})
	}
}
