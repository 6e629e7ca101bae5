package handlers

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/browsertest"
)

// On a 375 px phone the signed-in menu is one "Menu" button that opens
// without script; the pages of the bulk reminders and invitations pass
// axe at that width, fit it, and the charts' text stays at least 11 px.
func TestBrowserPhoneMenuRemindersAndCharts(t *testing.T) {
	ts := newTestServer(t)
	// A reminder sent, so the list shows one.
	mgr := ts.as(managerEmail)
	items := remindable(mgr.get("/team/report").Body)
	if len(items) == 0 {
		t.Fatal("nobody to remind")
	}
	mgr.post("/team/report/remind", url.Values{"scope": {"selected"}, "item": items[:1]})

	b := browsertest.Start(t)
	base := ts.listen(t)
	for who, paths := range map[string][]string{
		managerEmail: {"/team/report", "/team/report?status=all"},
		adminEmail:   {"/admin/people/new", "/admin/people/import", "/reports"},
	} {
		ctx := b.Tab(t)
		browserLogin(t, ctx, base, who)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, v := range browsertest.Axe(t, ctx) {
				t.Errorf("%s as %s at 375 px: axe %s (%s): %s", p, who, v.ID, v.Impact, v.Description)
			}
			wide := eval[int](t, ctx, `document.documentElement.scrollWidth`)
			linkShown := eval[bool](t, ctx, `[...document.querySelectorAll('header nav a[href="/home"]')].some(a => a.checkVisibility())`)
			menuShown := eval[bool](t, ctx, `document.querySelector('header nav summary').checkVisibility()`)
			// The smallest rendered text of any chart, in CSS pixels.
			smallest := eval[float64](t, ctx, `Math.min(1000, ...[...document.querySelectorAll('svg.chart text')].filter(t => t.getBoundingClientRect().height > 0).map(t => parseFloat(getComputedStyle(t).fontSize) * t.closest('svg').getBoundingClientRect().width / t.closest('svg').viewBox.baseVal.width))`)
			if wide > 375 {
				t.Errorf("%s as %s: %d px wide on a 375 px phone", p, who, wide)
			}
			if linkShown || !menuShown {
				t.Errorf("%s as %s at 375 px: menu links shown %v, Menu button shown %v; want only the button", p, who, linkShown, menuShown)
			}
			if smallest < 11 {
				t.Errorf("%s as %s at 375 px: chart text as small as %.1f px", p, who, smallest)
			}
			browsertest.Screenshot(t, ctx, "phone-"+strings.SplitN(who, "@", 2)[0]+p, 375)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile)); err != nil {
				t.Fatal(err)
			}
		}
		// The menu opens without script (a click on its summary) and
		// lists the links.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav summary`))); err != nil {
			t.Fatal(err)
		}
		shown := eval[bool](t, ctx, `[...document.querySelectorAll('header nav .nav-narrow a')].every(a => a.checkVisibility())`)
		if !shown {
			t.Errorf("as %s: the opened menu does not show its links", who)
		}
		for _, v := range browsertest.Axe(t, ctx) {
			t.Errorf("open menu as %s: axe %s (%s): %s", who, v.ID, v.Impact, v.Description)
		}
		browsertest.Screenshot(t, ctx, "phone-menu-open-"+strings.SplitN(who, "@", 2)[0], 375)
		// At 1280 px the links are in a row and the button is gone.
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		rowShown := eval[bool](t, ctx, `[...document.querySelectorAll('header nav .nav-wide a')].every(a => a.checkVisibility())`)
		buttonShown := eval[bool](t, ctx, `document.querySelector('header nav summary').checkVisibility()`)
		if !rowShown || buttonShown {
			t.Errorf("as %s at 1280 px: links in a row %v, Menu button %v", who, rowShown, buttonShown)
		}
		browsertest.Screenshot(t, ctx, "desktop-"+strings.SplitN(who, "@", 2)[0], 1280)
	}
}

// TestManagersMarkupIsValid runs the Nu HTML checker over the pages of the
// bulk reminders and invitations, the forms with errors too.
func TestManagersMarkupIsValid(t *testing.T) {
	ts := newTestServer(t)
	pages := map[string]string{}
	mgr := ts.as(managerEmail)
	items := remindable(mgr.get("/team/report").Body)
	mgr.post("/team/report/remind", url.Values{"scope": {"selected"}, "item": items[:1]})
	pages["report-reminded"] = mgr.get("/team/report").Body
	pages["report-all"] = mgr.get("/team/report?status=all").Body
	admin := ts.as(adminEmail)
	pages["person-new"] = admin.get("/admin/people/new").Body
	pages["person-new-invalid"] = admin.post("/admin/people", url.Values{"invite": {"x"}}).Body
	pages["import"] = admin.get("/admin/people/import").Body
	pages["reports"] = admin.get("/reports").Body
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}

// eval runs a script expression in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}
