package courses

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"steward/internal/db"
)

// poolModule has eight questions: six without an objective and two
// variants of "basis", so seven slots.
func poolModule(draw int) *Module {
	m := pooledModule()
	m.Questions = append(m.Questions[:0:0], m.Questions[1])
	for id := int64(7); id <= 11; id++ {
		q := m.Questions[0]
		q.ID, q.Text = id, "fixed "+string(rune('a'+id))
		m.Questions = append(m.Questions, q)
	}
	v := pooledModule().Questions
	m.Questions = append(m.Questions, v[0], v[2]) // ids 1 and 3, objective basis
	m.Draw = draw
	return m
}

func TestDrawKOfN(t *testing.T) {
	m := poolModule(3)
	if m.Slots() != 7 || m.Shown() != 3 {
		t.Fatalf("slots %d, shown %d; want 7 and 3", m.Slots(), m.Shown())
	}
	sets := map[string]bool{}
	seen := map[int64]int{}
	for seed := int64(1); seed <= 300; seed++ {
		d := Drawn(m, seed)
		if again := Drawn(m, seed); !equalIDs(d, again) {
			t.Fatalf("seed %d drew two different quizzes", seed)
		}
		got := ids(d)
		if len(got) != 3 {
			t.Fatalf("seed %d shows %d questions, want 3", seed, len(got))
		}
		// Kept in the module's order, and at most one variant of "basis".
		pos := func(id int64) int {
			return slices.IndexFunc(m.Questions, func(q Question) bool { return q.ID == id })
		}
		if !slices.IsSortedFunc(got, func(a, b int64) int { return pos(a) - pos(b) }) {
			t.Fatalf("seed %d: %v is not in the module's order", seed, got)
		}
		if slices.Contains(got, 1) && slices.Contains(got, 3) {
			t.Fatalf("seed %d shows both variants of one objective: %v", seed, got)
		}
		for _, id := range got {
			seen[id]++
		}
		sets[idsKey(got)] = true
	}
	if len(sets) < 20 {
		t.Errorf("300 seeds drew only %d different sets of 3 questions", len(sets))
	}
	for _, q := range m.Questions {
		if seen[q.ID] == 0 {
			t.Errorf("question %d was never drawn in 300 attempts", q.ID)
		}
	}
	// The two variants share one slot: together they are drawn about as
	// often as one fixed question (3/7 of 300 is about 129).
	if n := seen[1] + seen[3]; n < 80 || n > 180 {
		t.Errorf("the objective's slot was drawn %d times of 300", n)
	}
	if d1, d2 := Drawn(m, 1), Drawn(m, 2); equalIDs(d1, d2) && equalIDs(Drawn(m, 3), d1) {
		t.Error("seeds 1, 2 and 3 draw the same questions")
	}
	// A draw of every slot, or none, shows every slot.
	for _, k := range []int{0, 7} {
		if got := len(Drawn(poolModule(k), 5).Questions); got != 7 {
			t.Errorf("draw %d shows %d questions, want 7", k, got)
		}
	}
}

func idsKey(x []int64) string {
	var b strings.Builder
	for _, id := range x {
		b.WriteByte(byte('a' + id))
	}
	return b.String()
}

func TestEstimatedMinutes(t *testing.T) {
	m := poolModule(3)
	m.Body = strings.Repeat("x", 2600)
	// 2,600 characters at 1,000 a minute and 3 questions at half a minute: 4.1, rounded up.
	if got := m.EstimatedMinutes(); got != 5 {
		t.Errorf("estimate %d minutes, want 5", got)
	}
	m.Draw = 0 // 7 questions: 2.6 + 3.5 = 6.1
	if got := m.EstimatedMinutes(); got != 7 {
		t.Errorf("estimate without a draw %d minutes, want 7", got)
	}
	m.Minutes = 12
	if got := m.EstimatedMinutes(); got != 12 {
		t.Errorf("with minutes: 12 set, the estimate is %d", got)
	}
	short := &Module{Body: "Hi.", Questions: m.Questions[:1]}
	if got := short.EstimatedMinutes(); got != 1 {
		t.Errorf("a tiny module takes %d minutes, want 1", got)
	}
}

func TestParseDrawAndMinutes(t *testing.T) {
	withFront := func(extra string) func(map[string]string) {
		return func(f map[string]string) {
			f["01-collect-less.md"] = strings.Replace(f["01-collect-less.md"], "title: Collect less\n", "title: Collect less\n"+extra, 1)
		}
	}
	c, err := ParseFolder(folder(t, withFront("draw: 2\nminutes: 9\n")))
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Modules[0]; m.Draw != 2 || m.Minutes != 9 {
		t.Errorf("parsed draw %d, minutes %d; want 2 and 9", m.Draw, m.Minutes)
	}
	for _, tc := range []struct{ front, want string }{
		{"draw: 5\n", "01-collect-less.md:4: draw is 5, but the quiz has only 4 questions to draw from (questions sharing an objective count as one); draw must be from 1 to 4"},
		{"draw: 0\n", "01-collect-less.md:4: draw must be a whole number from 1 to 100"},
		{"draw: two\n", "01-collect-less.md:4: draw must be a whole number from 1 to 100"},
		{"minutes: 0\n", "01-collect-less.md:4: minutes must be a whole number from 1 to 600"},
	} {
		_, err := ParseFolder(folder(t, withFront(tc.front)))
		var ve *ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Error(), tc.want) {
			t.Errorf("front matter %q: err = %v, want %q", tc.front, err, tc.want)
		}
	}
	// The editor's check: the same rule without a file.
	m := c.Modules[0]
	m.Draw = 9
	probs := ValidateModule(&m)
	if len(probs) != 1 || !strings.Contains(probs[0].Message, "module 1: draw is 9, but the quiz has only 4 questions") {
		t.Errorf("ValidateModule of draw 9: %v", probs)
	}
}

// TestDrawGradesWhatWasShown imports a module drawing 2 of its 4
// questions: the quiz shows 2, grading takes answers to those 2 only, and
// the score is out of 2. Export keeps the draw and minutes.
func TestDrawGradesWhatWasShown(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		a := addPerson(t, d, person{email: "a@example.com"})
		mustImport(t, s, folder(t, func(f map[string]string) {
			f["01-collect-less.md"] = strings.Replace(f["01-collect-less.md"], "title: Collect less\n", "title: Collect less\ndraw: 2\nminutes: 6\n", 1)
		}), date(2026, 1, 5))
		mustSync(t, s, date(2026, 1, 5))
		c, err := s.Course(ctx, "basics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := c.Module(1)
		if m.Draw != 2 || m.Minutes != 6 || len(m.Questions) != 4 {
			t.Fatalf("stored draw %d, minutes %d, %d questions", m.Draw, m.Minutes, len(m.Questions))
		}
		q, err := s.StartAttempt(ctx, a, "basics", 1, date(2026, 1, 6))
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Module.Questions) != 2 {
			t.Fatalf("the attempt shows %d questions, want 2", len(q.Module.Questions))
		}
		if _, err := s.Submit(ctx, a, q.Attempt.Token, AnswerAll(m, true), date(2026, 1, 6)); !errors.Is(err, ErrInvalidAnswers) {
			t.Fatalf("answers to questions not drawn: err = %v, want ErrInvalidAnswers", err)
		}
		// One of the two shown answered wrongly: 50%.
		answers := AnswerAll(&q.Module, true)
		wrong := AnswerAll(&q.Module, false)
		first := q.Module.Questions[0].ID
		answers[first] = wrong[first]
		sub, err := s.Submit(ctx, a, q.Attempt.Token, answers, date(2026, 1, 6))
		if err != nil {
			t.Fatal(err)
		}
		if sub.Result.Total != 2 || sub.Result.Score != 50 {
			t.Errorf("score %d%% of %d questions, want 50%% of 2", sub.Result.Score, sub.Result.Total)
		}
		files, err := s.Export(ctx, "basics")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(files[1].Data), "minutes: 6\ndraw: 2\n") {
			t.Errorf("the export lost the draw or minutes:\n%s", files[1].Data)
		}
	})
}
