package courses

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func BenchmarkGrade20Questions(b *testing.B) {
	m := &Module{ID: 1}
	answers := Answers{}
	for i := range 20 {
		q := Question{ID: int64(i + 1), Kind: []QuestionKind{Single, Multiple, TrueFalse}[i%3], Text: fmt.Sprintf("question %d", i)}
		for j := range 4 {
			if q.Kind == TrueFalse && j > 1 {
				break
			}
			q.Options = append(q.Options, Option{ID: int64(100*(i+1) + j), Text: fmt.Sprintf("option %d", j), Correct: j == 0 || (q.Kind == Multiple && j == 1)})
		}
		m.Questions = append(m.Questions, q)
	}
	for _, q := range m.Questions {
		for _, o := range q.Options {
			if o.Correct {
				answers[q.ID] = append(answers[q.ID], o.ID)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Grade(m, answers, 80)
		if err != nil || res.Correct != 20 {
			b.Fatal(res.Correct, err)
		}
	}
}

// BenchmarkStatuses10000x10 derives the status of 10,000 people in 10
// courses: 100,000 cycles spread over every state.
func BenchmarkStatuses10000x10(b *testing.B) {
	now := date(2026, 11, 28)
	cycles := make([]Cycle, 0, 100_000)
	for p := range 10_000 {
		for c := range 10 {
			assigned := now.AddDate(0, 0, -(p+c)%400)
			cy := Cycle{UserID: int64(p), CourseID: int64(c), AssignedAt: assigned, Dates: Dates{DueAt: assigned.AddDate(0, 0, 30)}}
			switch (p + c) % 5 {
			case 0:
				done := assigned.AddDate(0, 0, 10)
				exp := done.AddDate(1, 0, 0)
				cy.CompletedAt, cy.ExpiresAt = &done, &exp
			case 1:
				started := assigned.Add(time.Hour)
				cy.StartedAt = &started
			case 2:
				cy.Exempt = p%50 == 0
			}
			cycles = append(cycles, cy)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for i := range cycles {
			if cycles[i].Status(now) != StatusCompleted {
				n++
			}
		}
		if n == 0 || n == len(cycles) {
			b.Fatal(n)
		}
	}
}

// BenchmarkSync10000People assigns one course to 10,000 people from
// scratch: the set-based statements at the scale of a large organisation.
func BenchmarkSync10000People(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s, d := newTestStore(b)
		mustImport(b, s, basics, date(2026, 1, 1))
		now := date(2024, 1, 1)
		tx := d.MustBegin()
		for i := range 10_000 {
			tx.MustExec(`INSERT INTO users (email, name, role, active, created_at, updated_at) VALUES (?, ?, 'employee', TRUE, ?, ?)`,
				fmt.Sprintf("p%d@example.com", i), fmt.Sprintf("Person %d", i), now, now)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res := mustSync(b, s, date(2026, 1, 2))
		if res.Opened != 10_000 {
			b.Fatalf("opened %d", res.Opened)
		}
	}
}

// BenchmarkOpenCycles10000People streams the open cycles of 10,000
// people, what the reminder sweep reads of courses (its own benchmark
// runs it for 100,000 people x 5 courses).
func BenchmarkOpenCycles10000People(b *testing.B) {
	ctx := context.Background()
	s, d := newTestStore(b)
	start := date(2026, 1, 1)
	mustImport(b, s, basics, start)
	tx := d.MustBegin()
	for i := range 10_000 {
		tx.MustExec(`INSERT INTO users (email, name, role, active, created_at, updated_at) VALUES (?, ?, 'employee', TRUE, ?, ?)`,
			fmt.Sprintf("p%d@example.com", i), fmt.Sprintf("Person %d", i), start, start)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	mustSync(b, s, start)
	now := date(2026, 2, 10)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := OpenCycles(ctx, d, now, func(*OpenCycle) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 10_000 {
			b.Fatalf("%d open cycles", n)
		}
	}
}
