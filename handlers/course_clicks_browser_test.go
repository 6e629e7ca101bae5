package handlers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/courses"
	"steward/internal/browsertest"
)

// TestBrowserStarterCourseClicks takes the whole starter course in
// Chromium on a 375 px phone, as an employee who has not started it, from
// the home page to the certificate, and counts the clicks beyond answering
// (ticking options): the goal is at most two per module. A module's clicks
// are those that bring its quiz up (Start on home, or Next module on the
// previous result) and Submit; the last Submit lands on the certificate.
// The first page of each kind is checked with axe and for sideways
// scrolling.
func TestBrowserStarterCourseClicks(t *testing.T) {
	ts := newTestServer(t)
	email := starterLearner(t, ts)
	slug := courses.StarterSlug
	c, err := ts.srv.courses.Course(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	correct := map[string]bool{} // "q<question id>=<option id>" of every right option
	for _, m := range c.Modules {
		for _, q := range m.Questions {
			for _, o := range q.Options {
				if o.Correct {
					correct[fmt.Sprintf("q%d=%d", q.ID, o.ID)] = true
				}
			}
		}
	}

	b := browsertest.Start(t)
	base := ts.listen(t)
	tab := b.Tab(t)
	browserLogin(t, tab, base, email)
	phone := func() {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
	}
	phone()
	checked := map[string]bool{}
	check := func(kind string) {
		t.Helper()
		if checked[kind] {
			return
		}
		checked[kind] = true
		for _, v := range browsertest.Axe(t, tab) {
			t.Errorf("%s page: axe %s (%s): %s", kind, v.ID, v.Impact, v.Description)
		}
		if ok, width := browsertest.FitsPhone(t, tab); !ok {
			t.Errorf("%s page: %d px wide on a 375 px phone", kind, width)
		}
		browsertest.Screenshot(t, tab, "starter-walk-"+kind, 375)
		phone()
	}
	clicks := 0
	// click follows a link or button the way a person would, by its text.
	click := func(xpath, then string) {
		t.Helper()
		clicks++
		if err := chromedp.Do(tab, chromedp.Click(chromedp.Search(xpath)), chromedp.WaitVisible(chromedp.Search(then))); err != nil {
			t.Fatalf("click %s: %v (at %s)", xpath, err, location(t, tab))
		}
	}
	const quiz, result, certificate = `//form[@class="quiz"]`, `//ol[@class="results"]`, `//article[contains(@class, "certificate")]`

	if err := chromedp.Do(tab, chromedp.Navigate(base+"/home"), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
		t.Fatal(err)
	}
	check("home")
	perModule := make([]int, len(c.Modules))
	for i, m := range c.Modules {
		start := clicks
		// The click that brings the module's quiz up.
		if i == 0 {
			click(`//main//a[starts-with(normalize-space(.), "Start: 1. ")]`, quiz)
		} else {
			click(fmt.Sprintf(`//main//a[normalize-space(.)="Next module: %d. %s"]`, m.Position, m.Title), quiz)
		}
		check("module")
		// Answering: tick each right option shown (not counted).
		inputs, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('form.quiz input[type=radio], form.quiz input[type=checkbox]')].map(i => i.name + "=" + i.value)`))
		if err != nil {
			t.Fatal(err)
		}
		ticked := 0
		for _, in := range inputs {
			if correct[in] {
				name, value, _ := strings.Cut(in, "=")
				if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(fmt.Sprintf(`form.quiz input[name=%q][value=%q]`, name, value)))); err != nil {
					t.Fatalf("module %d: tick %s: %v", i+1, in, err)
				}
				ticked++
			}
		}
		if ticked == 0 {
			t.Fatalf("module %d shows no option this test knows", i+1)
		}
		if i == len(c.Modules)-1 {
			click(`//form[@class="quiz"]//button[@type="submit"]`, certificate)
			perModule[i] = clicks - start
			break
		}
		click(`//form[@class="quiz"]//button[@type="submit"]`, result)
		perModule[i] = clicks - start
		check("result")
		if i == 0 {
			// The course page and home after the first module, looked at
			// without clicking; the walk goes on from this result.
			here := location(t, tab)
			for _, p := range []string{"/courses/" + slug, "/home"} {
				if err := chromedp.Do(tab, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
					t.Fatal(err)
				}
				check(p)
				if text := mainText(t, tab); !strings.Contains(text, fmt.Sprintf("Continue: 2. %s", c.Modules[1].Title)) {
					t.Errorf("%s after module 1 does not offer to continue with module 2: %.300s", p, text)
				}
			}
			if err := chromedp.Do(tab, chromedp.Navigate(here), chromedp.WaitVisible(chromedp.Search(result))); err != nil {
				t.Fatal(err)
			}
		}
	}
	check("certificate")
	text := mainText(t, tab)
	if !strings.Contains(text, "Certificate of completion") || !strings.Contains(text, "You have completed "+c.Title) {
		t.Errorf("the last Submit did not land on the certificate: %.300s", text)
	}
	worst := 0
	for i, n := range perModule {
		worst = max(worst, n)
		if n > 2 {
			t.Errorf("module %d took %d clicks beyond answering, want at most 2", i+1, n)
		}
	}
	if clicks > 2*len(c.Modules) {
		t.Errorf("%d clicks for %d modules, want at most %d", clicks, len(c.Modules), 2*len(c.Modules))
	}
	t.Logf("starter course, home to certificate: %d clicks beyond answering for %d modules (at most %d per module): %v",
		clicks, len(c.Modules), worst, perModule)
}
