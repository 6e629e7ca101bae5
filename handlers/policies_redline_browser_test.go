package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/browsertest"
)

// TestBrowserRedline looks at the redline, the history with its section
// list and a page with key points and section links in Chromium, at a
// phone's width and a desktop's: axe-core finds no serious violation at
// either, nothing scrolls sideways, and the Nu checker finds the markup
// valid.
func TestBrowserRedline(t *testing.T) {
	ts := withPolicies(t)
	tl, err := ts.srv.policies.Timeline(context.Background(), "privacy")
	if err != nil {
		t.Fatal(err)
	}
	v3, _ := tl.Version(3)
	v4 := strings.Replace(strings.Replace(v3.BodyMD, "## How long we keep it\n", "## Retention periods {#retention}\n", 1),
		"- Usage logs: 13 months.\n", "- Usage logs: 6 months.\n- Backups: 35 days, then overwritten.\n", 1)
	publishVersion(t, ts, v4, "Usage logs kept 6 months; backups named.",
		"We keep support conversations for 18 months and usage logs for 6.", "We never sell personal data.")
	paths := []string{"/policies/privacy/diff/2/3", "/policies/privacy/diff/3/4", "/policies/privacy/history", "/policies/privacy"}

	b := browsertest.Start(t)
	base := ts.listen(t)
	ctx := b.Tab(t)
	for _, width := range []int64{375, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900, chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
				t.Fatalf("%s at %d px: %v", p, width, err)
			}
			for _, v := range browsertest.Axe(t, ctx) {
				var where []string
				for _, n := range v.Nodes {
					where = append(where, n.HTML)
				}
				t.Errorf("%s at %d px: axe %s (%s): %s\n  %s", p, width, v.ID, v.Impact, v.Description, strings.Join(where, "\n  "))
			}
			scroll, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if scroll > int(width) {
				t.Errorf("%s at %d px: the page is %d px wide", p, width, scroll)
			}
			browsertest.Screenshot(t, ctx, "redline"+p+"-"+itoa(width), width)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900, chromedp.EmulateMobile)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// What a screen reader is told where text was deleted or inserted.
	var said []string
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/policies/privacy/diff/3/4"), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
		t.Fatal(err)
	}
	said, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.redline del, .redline ins')].slice(0, 2).map(e =>
		getComputedStyle(e, '::before').content + ' ' + getComputedStyle(e, '::after').content)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(said) != 2 || said[0] != `" [deletion start] " " [deletion end] "` || said[1] != `" [insertion start] " " [insertion end] "` {
		t.Errorf("a deletion and an insertion are announced as %q", said)
	}

	// A link made before the section had an id of its own still opens it.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/policies/privacy#how-long-we-keep-it"), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
		t.Fatal(err)
	}
	landed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(':target')?.closest('h2')?.textContent ?? '') + ' ' + (window.scrollY > 0)`))
	if err != nil {
		t.Fatal(err)
	}
	if landed != "Retention periods true" {
		t.Errorf("#how-long-we-keep-it lands on %q", landed)
	}

	c := ts.client()
	pages := map[string]string{}
	for _, p := range append(paths, "/policies/privacy/v/3") {
		pages[p] = c.get(p).Body
	}
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}
