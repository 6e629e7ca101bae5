package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/courses"
	"steward/internal/browsertest"
)

// TestBrowserStarterModuleTakenTwice takes the starter course's module 2
// twice in Chromium, as a learner who has not passed it: a failed attempt
// marks what was wrong without giving the right answers away, the retake
// shows other variants of the questions, and once the module is passed the
// right answers appear, on the new result and on the old one.
//
// Each attempt's draw comes from its seed. The test sets the seeds of the
// two attempts (1 and 2) in the database after the page has started them
// and reloads, so the draws are the same on every run.
func TestBrowserStarterModuleTakenTwice(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	const pos = 2
	slug := courses.StarterSlug

	// The module as written in the starter course's files: the source the
	// page is checked against.
	course, err := courses.ParseFolder(courses.Starter())
	if err != nil {
		t.Fatal(err)
	}
	mod, err := course.Module(pos)
	if err != nil {
		t.Fatal(err)
	}
	byText := map[string]courses.Question{}
	objectives := map[string]bool{}
	for _, q := range mod.Questions {
		byText[normalSpace(q.Text)] = q
		objectives[q.Objective] = true
	}

	// A learner with the course assigned who has never attempted module 2.
	var email string
	err = ts.db.GetContext(ctx, &email, ts.db.Rebind(`
		SELECT u.email FROM users u
		JOIN course_cycles cy ON cy.user_id = u.id
		JOIN courses c ON c.id = cy.course_id AND c.slug = ?
		WHERE u.role = 'employee' AND u.deactivated_at IS NULL AND u.password_hash <> ''
		  AND cy.completed_at IS NULL AND cy.exempt = FALSE
		  AND NOT EXISTS (SELECT 1 FROM course_attempts a JOIN course_modules m ON m.id = a.module_id
		                  WHERE a.user_id = u.id AND m.position = ?)
		ORDER BY u.id LIMIT 1`), slug, pos)
	if err != nil {
		t.Fatalf("no demo learner without an attempt at module %d: %v", pos, err)
	}

	b := browsertest.Start(t)
	base := ts.listen(t)
	tab := b.Tab(t)
	browserLogin(t, tab, base, email)
	modURL := fmt.Sprintf("%s/courses/%s/modules/%d", base, slug, pos)

	// open starts an attempt, gives it the seed, reloads, and returns the
	// questions the page shows, as written in the module's files.
	open := func(seed int) []courses.Question {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Navigate(modURL), chromedp.WaitVisible(chromedp.CSS(`form.quiz`))); err != nil {
			t.Fatal(err)
		}
		res, err := ts.db.ExecContext(ctx, ts.db.Rebind(`UPDATE course_attempts SET seed = ?
			WHERE submitted_at IS NULL AND user_id = (SELECT id FROM users WHERE email = ?)`), seed, email)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("opening the module left %d unsubmitted attempts, want 1", n)
		}
		if err := chromedp.Do(tab, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`form.quiz`))); err != nil {
			t.Fatal(err)
		}
		legends, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('form.quiz legend')].map(l => l.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		var shown []courses.Question
		seen := map[string]bool{}
		for _, l := range legends {
			text := normalSpace(l[strings.Index(l, ".")+1:])
			q, ok := byText[text]
			if !ok {
				t.Fatalf("the page asks %q, which is not a question of module %d", text, pos)
			}
			if seen[q.Objective] {
				t.Errorf("the page asks two questions for the objective %q", q.Objective)
			}
			seen[q.Objective] = true
			shown = append(shown, q)
		}
		if len(seen) != len(objectives) {
			t.Errorf("the page tests %d of the module's %d objectives", len(seen), len(objectives))
		}
		return shown
	}

	// answer ticks, for each question, the right options or only wrong
	// ones, and submits; it returns the result page's URL and text.
	answer := func(shown []courses.Question, right bool) (string, string) {
		t.Helper()
		for i, q := range shown {
			var pick []string
			for _, o := range q.Options {
				if o.Correct == right {
					pick = append(pick, o.Text)
				}
			}
			if !right && len(pick) == 0 { // every option is right: one alone is still wrong
				pick = []string{q.Options[0].Text}
			}
			if !right && len(pick) > 1 && q.Kind != courses.Multiple {
				pick = pick[:1]
			}
			for _, text := range pick {
				sel := fmt.Sprintf(`(//form[@class="quiz"]/fieldset)[%d]//label[normalize-space(span)=%s]/input`, i+1, xpathString(normalSpace(text)))
				if err := chromedp.Do(tab, chromedp.Click(chromedp.Search(sel))); err != nil {
					t.Fatalf("tick %q: %v", text, err)
				}
			}
		}
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`form.quiz button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`ol.results`))); err != nil {
			t.Fatal(err)
		}
		return location(t, tab), mainText(t, tab)
	}

	// hidden lists the right options the result page names although the
	// learner did not choose them.
	revealedIn := func(body string, shown []courses.Question) []string {
		var out []string
		for _, q := range shown {
			for _, o := range q.Options {
				if o.Correct && q.Kind != courses.TrueFalse && strings.Contains(body, "“"+normalSpace(o.Text)+"”") {
					out = append(out, o.Text)
				}
			}
		}
		return out
	}

	first := open(1)
	failedURL, body := answer(first, false)
	if !strings.Contains(body, "not passed") {
		t.Fatalf("a quiz answered all wrong is not marked as failed: %.300s", body)
	}
	if !strings.Contains(body, "Wrong") {
		t.Error("the failed result marks nothing as wrong")
	}
	if got := revealedIn(body, first); len(got) > 0 {
		t.Errorf("the failed first attempt shows right answers before a pass: %q", got)
	}

	second := open(2)
	if slices.EqualFunc(first, second, func(a, b courses.Question) bool { return a.Text == b.Text }) {
		t.Fatal("the retake shows exactly the questions of the first attempt")
	}
	_, body = answer(second, true)
	if !strings.Contains(body, "passed") || strings.Contains(body, "not passed") {
		t.Fatalf("a quiz answered all right is not passed: %.300s", body)
	}

	// Passed: the failed attempt's result now names its right answers.
	if err := chromedp.Do(tab, chromedp.Navigate(failedURL), chromedp.WaitVisible(chromedp.CSS(`ol.results`))); err != nil {
		t.Fatal(err)
	}
	old := mainText(t, tab)
	if !strings.Contains(old, "The right answer") || len(revealedIn(old, first)) == 0 {
		t.Errorf("after the pass, the first attempt's result still hides the right answers: %.400s", old)
	}
}

func location(t *testing.T, tab context.Context) string {
	t.Helper()
	url, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// mainText is the text of the page's main element, its spaces collapsed.
func mainText(t *testing.T, tab context.Context) string {
	t.Helper()
	text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	return normalSpace(text)
}

func normalSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// xpathString quotes s as an XPath 1.0 string literal, which has no escapes:
// a text with both kinds of quote becomes a concat() of pieces.
func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	parts := strings.Split(s, `"`)
	for i, p := range parts {
		parts[i] = `"` + p + `"`
	}
	return "concat(" + strings.Join(parts, `, '"', `) + ")"
}
