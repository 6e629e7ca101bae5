package courses

import (
	"context"
	"errors"
	"strings"
	"testing"

	"steward/internal/db"
)

func pooledModule() *Module {
	q := func(id int64, obj string) Question {
		return Question{ID: id, Kind: TrueFalse, Text: "q" + string(rune('0'+id)), Objective: obj,
			Options: []Option{{ID: id * 10, Text: TrueLabel, Correct: true}, {ID: id*10 + 1, Text: FalseLabel}}}
	}
	return &Module{Position: 1, Title: "Pools", Body: "b", Questions: []Question{
		q(1, "basis"), q(2, ""), q(3, "basis"), q(4, "rights"), q(5, "basis"), q(6, "rights"),
	}}
}

func TestDrawnShowsOneVariantPerObjective(t *testing.T) {
	m := pooledModule()
	drawn := map[int64]int{}
	for seed := int64(1); seed <= 200; seed++ {
		d := Drawn(m, seed)
		if again := Drawn(m, seed); !equalIDs(d, again) {
			t.Fatalf("seed %d drew two different quizzes", seed)
		}
		if len(d.Questions) != 3 {
			t.Fatalf("seed %d: %d questions shown, want 3 (one per objective and the one without)", seed, len(d.Questions))
		}
		// In the place of each group's first question: basis, the fixed one, rights.
		if d.Questions[0].Objective != "basis" || d.Questions[1].ID != 2 || d.Questions[2].Objective != "rights" {
			t.Fatalf("seed %d: order %v", seed, ids(d))
		}
		for _, q := range d.Questions {
			drawn[q.ID]++
		}
	}
	for id := int64(1); id <= 6; id++ {
		if drawn[id] == 0 {
			t.Errorf("question %d was never drawn in 200 attempts", id)
		}
	}
	if drawn[2] != 200 {
		t.Errorf("the question without an objective was shown %d times of 200", drawn[2])
	}
	if len(m.Questions) != 6 {
		t.Error("Drawn changed the module it was given")
	}
	plain := testModule()
	if d := Drawn(plain, 7); !equalIDs(d, *plain) {
		t.Error("a module without objectives is not shown whole")
	}
}

func ids(m Module) []int64 {
	var out []int64
	for _, q := range m.Questions {
		out = append(out, q.ID)
	}
	return out
}

func equalIDs(a, b Module) bool {
	x, y := ids(a), ids(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// pooledFolder is the basics course with module 2's true/false question
// given two variants sharing the objective "responsibility".
func pooledFolder(t *testing.T) func(map[string]string) {
	return func(f map[string]string) {
		f["02-share-carefully.md"] = strings.Replace(f["02-share-carefully.md"], `  - kind: truefalse
    text: A vendor's security is our problem too.`, `  - kind: truefalse
    objective: responsibility
    text: A vendor's security is our problem too.
    answer: true
    explanation: We remain responsible for data we hand over.
  - kind: truefalse
    objective: responsibility
    text: Once a vendor has our data, its breaches are its own business.
    answer: false
    explanation: We remain responsible for data we hand over.
  - kind: truefalse
    objective: responsibility
    text: A processor's breach can be our breach to report.`, 1)
	}
}

func TestPooledQuizGradesWhatWasShown(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		a := addPerson(t, d, person{email: "a@example.com"})
		mustImport(t, s, folder(t, pooledFolder(t)), date(2026, 1, 5))
		mustSync(t, s, date(2026, 1, 5))
		c, err := s.Course(ctx, "basics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := c.Module(2)
		if len(m.Questions) != 4 || m.Questions[1].Objective != "responsibility" {
			t.Fatalf("module 2 stored %d questions, objective %q", len(m.Questions), m.Questions[1].Objective)
		}
		q, err := s.StartAttempt(ctx, a, "basics", 2, date(2026, 1, 6))
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Module.Questions) != 2 {
			t.Fatalf("the attempt shows %d questions, want 2", len(q.Module.Questions))
		}
		// Answers to every variant name questions that were not shown.
		if _, err := s.Submit(ctx, a, q.Attempt.Token, AnswerAll(m, true), date(2026, 1, 6)); !errors.Is(err, ErrInvalidAnswers) {
			t.Fatalf("answers to variants not shown: err = %v, want ErrInvalidAnswers", err)
		}
		sub, err := s.Submit(ctx, a, q.Attempt.Token, AnswerAll(&q.Module, true), date(2026, 1, 6))
		if err != nil {
			t.Fatal(err)
		}
		if sub.Result.Score != 100 || sub.Result.Total != 2 {
			t.Errorf("score %d of %d questions, want 100 of 2", sub.Result.Score, sub.Result.Total)
		}
	})
}

func TestParseObjective(t *testing.T) {
	bad := folder(t, func(f map[string]string) {
		f["02-share-carefully.md"] = strings.Replace(f["02-share-carefully.md"], "  - kind: truefalse\n", "  - kind: truefalse\n    objective: Who Is Responsible\n", 1)
	})
	_, err := ParseFolder(bad)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Error(), "02-share-carefully.md:") || !strings.Contains(ve.Error(), "objective must be") {
		t.Errorf("a bad objective: err = %v", err)
	}
	c, err := ParseFolder(folder(t, pooledFolder(t)))
	if err != nil {
		t.Fatal(err)
	}
	if probs := ValidateModule(&c.Modules[1]); len(probs) != 0 {
		t.Errorf("ValidateModule: %v", probs)
	}
	c.Modules[1].Questions[1].Objective = "Not a slug"
	if probs := ValidateModule(&c.Modules[1]); len(probs) != 1 {
		t.Errorf("ValidateModule of a bad objective: %v", probs)
	}
}
