package policies

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
)

const checkV1 = "# Acceptable use\n\n## Passwords {#passwords}\n\nUse a password manager.\n\n## Laptops {#laptops}\n\nLock your screen.\n"
const checkV2 = "# Acceptable use\n\n## Passwords {#passwords}\n\nUse a password manager and a second factor.\n\n## Laptops {#laptops}\n\nLock your screen.\n"

func twoQuestions() []QuestionInput {
	return []QuestionInput{
		{Section: "passwords", Prompt: "What must you use besides a password manager?", Choices: []string{"Nothing", "A second factor", "A notebook"},
			Correct: 1, Explanation: "Passwords now asks for a second factor."},
		{Section: "laptops", Prompt: "What do you do when you leave your laptop?", Choices: []string{"Lock the screen", "Nothing"}, Correct: 0},
	}
}

func TestValidateCheck(t *testing.T) {
	ok := twoQuestions()
	if err := ValidateCheck(ok, checkV2); err != nil {
		t.Fatalf("valid check refused: %v", err)
	}
	if err := ValidateCheck(nil, checkV2); err != nil {
		t.Fatalf("no questions refused: %v", err)
	}
	mut := func(f func(q *QuestionInput)) []QuestionInput {
		qs := twoQuestions()
		f(&qs[1])
		return qs
	}
	six := append(append(twoQuestions(), twoQuestions()...), twoQuestions()...)
	cases := []struct {
		name, field, says string
		qs                []QuestionInput
	}{
		{"six questions", "questions", "at most 5", six},
		{"unknown section", "q2.section", "not a section", mut(func(q *QuestionInput) { q.Section = "travel" })},
		{"no section", "q2.section", "is required", mut(func(q *QuestionInput) { q.Section = "" })},
		{"one choice", "q2.choices", "2 to 6 choices, not 1", mut(func(q *QuestionInput) { q.Choices = q.Choices[:1]; q.Correct = 0 })},
		{"seven choices", "q2.choices", "not 7", mut(func(q *QuestionInput) { q.Choices = strings.Split("a b c d e f g", " ") })},
		{"empty choice", "q2.choices", "must not be empty", mut(func(q *QuestionInput) { q.Choices[1] = "  " })},
		{"none correct", "q2.correct", "exactly one", mut(func(q *QuestionInput) { q.Correct = -1 })},
		{"correct out of range", "q2.correct", "exactly one", mut(func(q *QuestionInput) { q.Correct = 2 })},
		{"no prompt", "q2.prompt", "is required", mut(func(q *QuestionInput) { q.Prompt = " " })},
		{"control character", "q2.prompt", "control", mut(func(q *QuestionInput) { q.Prompt = "a\x00b" })},
		{"long explanation", "q2.explanation", "at most", mut(func(q *QuestionInput) { q.Explanation = strings.Repeat("x", 1001) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ve *ValidationError
			if err := ValidateCheck(c.qs, checkV2); !errors.As(err, &ve) || !strings.Contains(ve.Fields[c.field], c.says) {
				t.Fatalf("got %v, want %s: ...%s...", err, c.field, c.says)
			}
		})
	}
}

// checkFixture publishes v1 of a staff policy, has ana acknowledge it,
// then publishes a material v2 asking two questions.
func checkFixture(t *testing.T, s *Store, d *db.DB) (ana, bo int64) {
	t.Helper()
	ctx := context.Background()
	mustCreate(t, s, Settings{Slug: "aup", Title: "Acceptable use", Audience: Staff, RequiresAck: true, AckWithinDays: 14})
	publishVersion(t, s, "aup", checkV1, Material, t0, t0)
	ana = addUser(t, d, "ana@example.com", true, t0.AddDate(-1, 0, 0))
	bo = addUser(t, d, "bo@example.com", true, t0.AddDate(-1, 0, 0))
	if _, err := s.Acknowledge(ctx, ana, "aup", 1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	by := audit.Actor{Label: "test"}
	if _, err := s.SaveDraft(ctx, "aup", DraftInput{Body: checkV2, Summary: "second factor", ChangeKind: Material}, by, t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDraftCheck(ctx, "aup", twoQuestions(), by, t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	approveDraft(t, s, "aup", t0.AddDate(0, 0, 1))
	// Approved, the questions are locked with the text.
	if err := s.SaveDraftCheck(ctx, "aup", twoQuestions()[:1], by, t0.AddDate(0, 0, 1)); !errors.Is(err, ErrCheckLocked) {
		t.Fatalf("questions changed after approval: %v", err)
	}
	if _, _, err := s.Publish(ctx, "aup", PublishInput{Kind: Material, Effective: t0.AddDate(0, 0, 2)}, by, t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	return ana, bo
}

func answersFor(t *testing.T, c Check, picks ...int) map[int64]int {
	t.Helper()
	out := map[int64]int{}
	for i, q := range c.Questions {
		out[q.ID] = picks[i]
	}
	return out
}

func TestCheckFailThenPass(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		ana, bo := checkFixture(t, s, d)
		now := t0.AddDate(0, 0, 3)
		c, err := s.CheckFor(ctx, ana, "aup", now)
		if err != nil || !c.Asks() || len(c.Questions) != 2 || c.Version.Number != 2 || c.Passed || c.Attempts != 0 {
			t.Fatalf("check %+v, %v", c, err)
		}
		if got := c.Sections(); strings.Join(got, ",") != "passwords,laptops" {
			t.Fatalf("sections %v", got)
		}
		// The button alone no longer acknowledges.
		if _, err := s.Acknowledge(ctx, ana, "aup", 2, now); !errors.Is(err, ErrCheckRequired) {
			t.Fatalf("acknowledge without the check: %v", err)
		}
		// A wrong answer: kept as an attempt, no acknowledgement.
		a1, err := s.AnswerCheck(ctx, ana, "aup", 2, answersFor(t, c, 0, 0), now)
		if err != nil || a1.Passed || a1.Score != 1 || a1.Number != 1 {
			t.Fatalf("first attempt %+v, %v", a1, err)
		}
		st := statusOf(t, s, ana, now)
		if st.State != AckPending {
			t.Fatalf("after a failed attempt: %s", st.State)
		}
		a2, err := s.AnswerCheck(ctx, ana, "aup", 2, answersFor(t, c, 1, 0), now.Add(time.Minute))
		if err != nil || !a2.Passed || a2.Score != 2 || a2.Number != 2 {
			t.Fatalf("second attempt %+v, %v", a2, err)
		}
		st = statusOf(t, s, ana, now.Add(time.Hour))
		if st.State != AckAcknowledged || st.Last == nil || st.Last.Number != 2 {
			t.Fatalf("after passing: %+v", st)
		}
		if sc := st.Last.Check(); sc == nil || *sc != (CheckScore{Questions: 2, FirstScore: 1, Attempts: 2}) {
			t.Fatalf("recorded check %+v", sc)
		}
		c, _ = s.CheckFor(ctx, ana, "aup", now.Add(time.Hour))
		if !c.Passed || c.Attempts != 2 {
			t.Fatalf("check after passing %+v", c)
		}
		if _, err := s.AnswerCheck(ctx, ana, "aup", 2, answersFor(t, c, 1, 0), now.Add(time.Hour)); !errors.Is(err, ErrCheckPassed) {
			t.Fatalf("answering again after passing: %v", err)
		}

		// Another person's attempt is not theirs to read.
		if _, err := s.MyAttempt(ctx, bo, a1.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("bo reads ana's attempt: %v", err)
		}
		if got, err := s.MyAttempt(ctx, ana, a1.ID); err != nil || got.Score != 1 || got.Answers[0] != 0 {
			t.Fatalf("ana's own attempt %+v, %v", got, err)
		}
		// Bo passes at once; answers naming another check's question, a
		// missing answer or a choice out of range are refused and kept
		// nowhere.
		bad := []map[int64]int{
			{c.Questions[0].ID: 1},
			{c.Questions[0].ID: 1, c.Questions[1].ID: 5},
			{c.Questions[0].ID: 1, c.Questions[1].ID: 0, 99999: 0},
		}
		for _, b := range bad {
			var ve *ValidationError
			if _, err := s.AnswerCheck(ctx, bo, "aup", 2, b, now); !errors.As(err, &ve) {
				t.Fatalf("answers %v: %v", b, err)
			}
		}
		if c, _ := s.CheckFor(ctx, bo, "aup", now); c.Attempts != 0 {
			t.Fatalf("refused answers were counted: %d", c.Attempts)
		}
		if a, err := s.AnswerCheck(ctx, bo, "aup", 2, answersFor(t, c, 1, 0), now); err != nil || !a.Passed || a.Number != 1 {
			t.Fatalf("bo %+v, %v", a, err)
		}
		// Only the version in effect.
		if _, err := s.AnswerCheck(ctx, bo, "aup", 1, answersFor(t, c, 1, 0), now); !errors.Is(err, ErrNotInEffect) {
			t.Fatalf("answering v1: %v", err)
		}

		res, err := s.CheckResults(ctx, "aup", 2)
		if err != nil {
			t.Fatal(err)
		}
		if res.People != 2 || res.Passed != 2 || res.FirstTry != 1 {
			t.Fatalf("results %+v", res)
		}
		q1 := res.Questions[0]
		if q1.RightAtFirst != 1 || q1.People != 2 || q1.Share() != 50 || q1.WrongChoice != "Nothing" || q1.WrongCount != 1 || q1.Heading != "Passwords" {
			t.Fatalf("question 1 %+v", q1)
		}
		if q2 := res.Questions[1]; q2.Share() != 100 || q2.WrongChoice != "" {
			t.Fatalf("question 2 %+v", q2)
		}
		if len(res.Sections) != 2 || res.Sections[0].ID != "passwords" || res.Sections[0].Share() != 50 || res.Sections[1].Share() != 100 {
			t.Fatalf("sections %+v", res.Sections)
		}
		if _, err := s.CheckResults(ctx, "aup", 1); !errors.Is(err, ErrNoCheck) {
			t.Fatalf("results of v1: %v", err)
		}
	})
}

func statusOf(t *testing.T, s *Store, userID int64, now time.Time) AckStatus {
	t.Helper()
	sts, err := s.StatusFor(context.Background(), userID, now)
	if err != nil || len(sts) != 1 {
		t.Fatalf("status %v, %v", sts, err)
	}
	return sts[0]
}

func TestDraftCheckRules(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		by := audit.Actor{Label: "test"}
		mustCreate(t, s, Settings{Slug: "aup", Title: "Acceptable use", Audience: Staff, RequiresAck: true, AckWithinDays: 14})
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy", Audience: Public})
		if err := s.SaveDraftCheck(ctx, "aup", twoQuestions(), by, t0); !errors.Is(err, ErrNoDraft) {
			t.Fatalf("without a draft: %v", err)
		}
		for _, slug := range []string{"aup", "privacy"} {
			if _, err := s.SaveDraft(ctx, slug, DraftInput{Body: checkV2, Summary: "x", ChangeKind: Minor}, by, t0); err != nil {
				t.Fatal(err)
			}
		}
		var ve *ValidationError
		if err := s.SaveDraftCheck(ctx, "aup", twoQuestions(), by, t0); !errors.As(err, &ve) || !strings.Contains(ve.Fields["questions"], "material") {
			t.Fatalf("minor draft: %v", err)
		}
		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: checkV2, Summary: "x", ChangeKind: Material}, by, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveDraftCheck(ctx, "privacy", twoQuestions(), by, t0); !errors.As(err, &ve) || !strings.Contains(ve.Fields["questions"], "staff") {
			t.Fatalf("public policy: %v", err)
		}
		if _, err := s.SaveDraft(ctx, "aup", DraftInput{Body: checkV2, Summary: "x", ChangeKind: Material}, by, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveDraftCheck(ctx, "aup", twoQuestions(), by, t0); err != nil {
			t.Fatal(err)
		}
		qs, err := s.DraftCheck(ctx, "aup")
		if err != nil || len(qs) != 2 || qs[0].Choices[1] != "A second factor" || qs[0].Correct != 1 || qs[1].Position != 2 {
			t.Fatalf("draft check %+v, %v", qs, err)
		}
		// Saving fewer replaces them; none removes the check.
		if err := s.SaveDraftCheck(ctx, "aup", twoQuestions()[:1], by, t0); err != nil {
			t.Fatal(err)
		}
		if qs, _ := s.DraftCheck(ctx, "aup"); len(qs) != 1 {
			t.Fatalf("after saving one: %d", len(qs))
		}
		// Discarding the draft takes its questions along.
		_, dr, _ := s.Draft(ctx, "aup")
		if err := s.DeleteDraft(ctx, dr.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM policy_check_questions`); err != nil || n != 0 {
			t.Fatalf("questions left after discarding: %d, %v", n, err)
		}
	})
}

func TestCompareChangedShowsOnlyChangedSections(t *testing.T) {
	r := CompareChanged(checkV1, checkV2)
	if !strings.Contains(r.HTML, "<ins>and a second factor</ins>") && !strings.Contains(r.HTML, "<ins> and a second factor</ins>") {
		t.Fatalf("the change is not shown: %s", r.HTML)
	}
	if strings.Contains(r.HTML, "Lock your screen") || strings.Contains(r.HTML, "Laptops") {
		t.Fatalf("an unchanged section is shown: %s", r.HTML)
	}
	if !strings.Contains(r.HTML, `id="redline.passwords"`) || len(r.Sections) != 1 || r.Sections[0].Heading != "Passwords" {
		t.Fatalf("sections %+v in %s", r.Sections, r.HTML)
	}
	if full := Compare(checkV1, checkV2); !strings.Contains(full.HTML, "Lock your screen") {
		t.Fatalf("Compare no longer shows everything: %s", full.HTML)
	}
}

const checkFile = `---
slug: aup
title: Acceptable use
audience: staff
acknowledge: true
acknowledge_within_days: 14
summary: A second factor for every account.
change: material
check:
  - section: passwords
    question: What must you use besides a password manager?
    choices:
      - Nothing
      - A second factor
    answer: 2
    explanation: Passwords now asks for a second factor.
---
` + checkV2

func TestPolicyFileCheck(t *testing.T) {
	f, err := ParseFile("aup.md", []byte(checkFile))
	if err != nil {
		t.Fatal(err)
	}
	want := QuestionInput{Section: "passwords", Prompt: "What must you use besides a password manager?",
		Choices: []string{"Nothing", "A second factor"}, Correct: 1, Explanation: "Passwords now asks for a second factor."}
	if len(f.Check) != 1 || f.Check[0].Prompt != want.Prompt || f.Check[0].Correct != 1 || strings.Join(f.Check[0].Choices, "|") != "Nothing|A second factor" {
		t.Fatalf("check %+v", f.Check)
	}
	bad := []struct{ from, to, field, says string }{
		{"answer: 2", "answer: 3", "check.q1.answer", "exactly one"},
		{"answer: 2", "answer: two", "check.q1.answer", "whole number"},
		{"    answer: 2\n", "", "check.q1.answer", "is required"},
		{"section: passwords", "section: travel", "check.q1.section", "not a section"},
		{"      - Nothing\n", "", "check.q1.choices", "2 to 6"},
		{"change: material", "change: minor", "check", "material"},
		{"audience: staff", "audience: public", "check", "staff"},
		{"    explanation:", "    colour: red\n    explanation:", "check.q1.colour", "unknown field"},
		{"check:\n", "check: yes\n", "check", "list of questions"},
	}
	for _, b := range bad {
		src := strings.Replace(checkFile, b.from, b.to, 1)
		_, err := ParseFile("aup.md", []byte(src))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(fe.Fields[b.field], b.says) {
			t.Errorf("%q -> %q: got %v, want %s: ...%s...", b.from, b.to, err, b.field, b.says)
		}
	}
}

func TestPublishFileWithCheckAndExport(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		f, err := ParseFile("aup.md", []byte(checkFile))
		if err != nil {
			t.Fatal(err)
		}
		approveFile(t, s, f, t0)
		if c, err := s.DraftCheck(ctx, "aup"); err != nil || len(c) != 1 {
			t.Fatalf("the file's draft carries %d questions, %v; want 1", len(c), err)
		}
		res, err := s.PublishFile(ctx, f, audit.Actor{Label: "test"}, t0)
		if err != nil || !res.Published {
			t.Fatalf("%+v, %v", res, err)
		}
		ana := addUser(t, d, "ana@example.com", true, t0.AddDate(-1, 0, 0))
		c, err := s.CheckFor(ctx, ana, "aup", t0.Add(time.Hour))
		if err != nil || len(c.Questions) != 1 || c.Questions[0].Explanation != want1Explanation {
			t.Fatalf("check %+v, %v", c, err)
		}
		dir := t.TempDir()
		paths, err := s.Export(ctx, dir)
		if err != nil || len(paths) != 1 {
			t.Fatalf("%v, %v", paths, err)
		}
		data, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseFile("v1.md", data)
		if err != nil {
			t.Fatalf("exported file does not parse: %v\n%s", err, data)
		}
		if len(back.Check) != 1 || back.Check[0].Correct != 1 || back.Check[0].Explanation != want1Explanation {
			t.Fatalf("exported check %+v", back.Check)
		}
	})
}

const want1Explanation = "Passwords now asks for a second factor."
