package handlers

import (
	"errors"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"steward/courses"
)

// fuzzQuiz is a module whose question and option ids are small numbers, so
// the fuzzer finds valid answers as well as invalid ones.
func fuzzQuiz() *courses.Module {
	return &courses.Module{Questions: []courses.Question{
		{ID: 1, Kind: courses.Single, Text: "One", Options: []courses.Option{{ID: 11, Correct: true}, {ID: 12}}},
		{ID: 2, Kind: courses.Multiple, Text: "Two", Options: []courses.Option{{ID: 21, Correct: true}, {ID: 22, Correct: true}, {ID: 23}}},
		{ID: 3, Kind: courses.TrueFalse, Text: "Three", Options: []courses.Option{{ID: 31, Text: courses.TrueLabel}, {ID: 32, Text: courses.FalseLabel, Correct: true}}},
	}}
}

// FuzzReadAnswers sends arbitrary quiz form bodies through the answer
// decoding of the module submit handler and grades what it accepts. A body
// is either refused with 422 or decoded into answers that grading accepts
// or refuses with ErrInvalidAnswers; neither step panics, and a score stays
// between 0 and 100.
func FuzzReadAnswers(f *testing.F) {
	for _, seed := range []string{
		"",
		"q1=11&q2=21&q2=22&q3=32",
		"q1=12&q2=23&q3=31",
		"q1=11&q1=12&q2=21&q3=32",
		"q1=99&q2=21&q3=32",
		"q9=11",
		"q=1",
		"qq=1",
		"q1=abc",
		"q-1=-11",
		"q9223372036854775807=9223372036854775807",
		"q99999999999999999999=1",
		"q1=11&_csrf=x&attempt=tok&q2=22",
		"q1=%00&q2=%ff%fe&q3=<script>",
		"q1=1%20OR%201%3D1",
		"q%31=11",
		"q1=11&q2=21&q2=21&q3=32",
	} {
		f.Add(seed)
	}
	app := fiber.New()
	module := fuzzQuiz()
	f.Fuzz(func(t *testing.T, body string) {
		c := app.AcquireCtx(&fasthttp.RequestCtx{})
		defer app.ReleaseCtx(c)
		c.Request().Header.SetMethod(fiber.MethodPost)
		c.Request().Header.SetContentType(fiber.MIMEApplicationForm)
		c.Request().SetBodyString(body)
		answers, err := readAnswers(c)
		if err != nil {
			var fe *fiber.Error
			if !errors.As(err, &fe) || fe.Code != fiber.StatusUnprocessableEntity {
				t.Fatalf("refused with %v, want a 422", err)
			}
			return
		}
		res, err := courses.Grade(module, answers, 75)
		if err != nil {
			if !errors.Is(err, courses.ErrInvalidAnswers) {
				t.Fatalf("grading failed with %v, want ErrInvalidAnswers", err)
			}
			return
		}
		if res.Score < 0 || res.Score > 100 || res.Total != 3 || res.Correct > res.Total {
			t.Fatalf("result %+v", res)
		}
		if res.Passed != (res.Score >= 75) {
			t.Fatalf("passed=%v with score %d", res.Passed, res.Score)
		}
	})
}
