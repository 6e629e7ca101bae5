package handlers

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"steward/internal/browsertest"
)

// otherSite serves, on its own port of 127.0.0.1 (another origin), a page
// like a company's web developer would write: it fetches the API and the
// feed from Steward with fetch() and frames the policy's embed.
func otherSite(t *testing.T, ln net.Listener, steward string) string {
	t.Helper()
	html := fmt.Sprintf(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>
<h1>Our shop</h1>
<p id="api">pending</p><p id="feed">pending</p>
<iframe id="policy" title="Privacy policy" src="%[1]s/policies/privacy/embed" style="width:100%%;height:30rem"></iframe>
<script>
fetch(%[1]q + "/api/v1/policies/privacy", {headers: {"If-None-Match": "\"nothing\""}})
  .then(r => r.json()).then(j => { document.getElementById("api").textContent = "api " + j.slug + " v" + j.number; })
  .catch(e => { document.getElementById("api").textContent = "api failed: " + e; });
fetch(%[1]q + "/policies/feed.atom")
  .then(r => r.text()).then(x => { document.getElementById("feed").textContent = "feed " + (x.includes("<feed") ? "ok" : "odd"); })
  .catch(e => { document.getElementById("feed").textContent = "feed failed: " + e; });
</script></body></html>`, steward)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestBrowserOtherSitesReadTheAPIAndFrameTheEmbed opens, in chromium, a
// page on an allowed origin and one on another origin: both read the API
// and the feed cross-origin; only the allowed one shows the embed.
func TestBrowserOtherSitesReadTheAPIAndFrameTheEmbed(t *testing.T) {
	b := browsertest.Start(t)
	ts := newTestServer(t)
	allowedLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	otherLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	withEmbedOrigins(t, ts, "http://"+allowedLn.Addr().String())
	steward := ts.listen(t)
	allowed := otherSite(t, allowedLn, steward)
	other := otherSite(t, otherLn, steward)

	for _, site := range []struct {
		url     string
		framed  bool
		caption string
	}{{allowed, true, "allowed origin"}, {other, false, "other origin"}} {
		t.Run(site.caption, func(t *testing.T) {
			ctx := b.Tab(t)
			err := chromedp.Do(ctx,
				chromedp.Navigate(site.url),
				chromedp.Poll[chromedp.Void](`document.getElementById("api").textContent !== "pending" && document.getElementById("feed").textContent !== "pending"`,
					chromedp.WithPollingTimeout(20*time.Second)),
			)
			if err != nil {
				t.Fatal(err)
			}
			api, err := chromedp.Run(ctx, chromedp.Text("#api"))
			if err != nil {
				t.Fatal(err)
			}
			feed, err := chromedp.Run(ctx, chromedp.Text("#feed"))
			if err != nil {
				t.Fatal(err)
			}
			if api != "api privacy v3" || feed != "feed ok" {
				t.Errorf("cross-origin fetch from %s: %q, %q", site.caption, api, feed)
			}
			// The frame's document: the embed when allowed, chromium's
			// error page when frame-ancestors refuses it.
			embedURL := steward + "/policies/privacy/embed"
			var loaded bool
			deadline := time.Now().Add(15 * time.Second)
			var last string
			for time.Now().Before(deadline) {
				res, err := chromedp.Call(ctx, cdppage.GetFrameTree, cdp.Empty{})
				if err != nil {
					t.Fatal(err)
				}
				tree := res.FrameTree
				if len(tree.ChildFrames) == 1 {
					f := tree.ChildFrames[0].Frame
					last = f.URL + " unreachable=" + f.UnreachableURL
					loaded = f.URL == embedURL && f.UnreachableURL == ""
					if loaded == site.framed {
						break
					}
				}
				time.Sleep(200 * time.Millisecond)
			}
			if loaded != site.framed {
				t.Errorf("%s: embed shown %v, want %v (frame: %s)", site.caption, loaded, site.framed, last)
			}
			browsertest.Screenshot(t, ctx, "embed-"+strings.ReplaceAll(site.caption, " ", "-"), 1280)
		})
	}
	// The embed and the as-of page are pages like the others: accessible,
	// fit a phone, valid HTML.
	lookAt(t, ts, "", "/policies/privacy/embed", "/policies/privacy?at=2025-06-30")
	c := ts.client()
	for _, p := range browsertest.ValidateHTML(t, map[string]string{
		"embed": c.get("/policies/privacy/embed").Body, "as-of": c.get("/policies/privacy?at=2025-06-30").Body}) {
		t.Error(p)
	}
}
