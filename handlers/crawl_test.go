package handlers

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestNoLinkGoesNowhere crawls Steward as each kind of visitor, from / and
// /home, following every link and submitting every GET form (with the
// values the form shows) on every page it reaches, and fails on any answer
// other than 2xx or 3xx.
func TestNoLinkGoesNowhere(t *testing.T) {
	ts := newTestServer(t)
	for _, who := range []string{"", employeeEmail, managerEmail, adminEmail, auditorEmail} {
		name := who
		if name == "" {
			name = "anonymous"
		}
		t.Run(name, func(t *testing.T) {
			c := ts.client()
			if who != "" {
				c.login(who)
			}
			visited, broken := crawl(c, "/", "/home")
			for _, b := range broken {
				t.Error(b)
			}
			if visited < 10 {
				t.Errorf("reached only %d pages", visited)
			}
			t.Logf("%d addresses visited", visited)
		})
	}
}

// crawlLimit bounds a crawl: the demo organisation has far fewer pages.
const crawlLimit = 3000

// crawl visits start and everything reachable from it, and returns how many
// addresses it asked for and a line for each one that answered badly, with
// the page that led there.
func crawl(c *client, start ...string) (int, []string) {
	c.t.Helper()
	from := map[string]string{}
	queue := []string{}
	add := func(target, page string) {
		u, ok := sameSite(target, page)
		if !ok {
			return
		}
		if _, seen := from[u]; !seen {
			from[u] = page
			queue = append(queue, u)
		}
	}
	for _, s := range start {
		add(s, "/")
	}
	var broken []string
	for len(queue) > 0 && len(from) <= crawlLimit {
		u := queue[0]
		queue = queue[1:]
		res := c.get(u)
		switch {
		case res.StatusCode >= 300 && res.StatusCode < 400:
			add(res.Header.Get("Location"), u)
			continue
		case res.StatusCode < 200 || res.StatusCode >= 300:
			broken = append(broken, u+" answered "+http.StatusText(res.StatusCode)+" (linked from "+from[u]+")")
			continue
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, target := range pageTargets(res.Body) {
			add(target, u)
		}
	}
	if len(from) > crawlLimit {
		broken = append(broken, "more than the crawl limit of addresses: a link may generate addresses without end")
	}
	sort.Strings(broken)
	return len(from), broken
}

// sameSite resolves target against page and keeps it if it stays on this
// site, without its fragment.
func sameSite(target, page string) (string, bool) {
	base, err := url.Parse("http://steward.test" + page)
	if err != nil {
		return "", false
	}
	u, err := base.Parse(strings.TrimSpace(target))
	if err != nil || u.Host != "steward.test" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	u.Fragment = ""
	return u.RequestURI(), true
}

// pageTargets returns every link's href and every GET form's address with
// the values its fields show, as a browser would submit it unchanged.
func pageTargets(body string) []string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "a", "link":
				if href := attr(n, "href"); href != "" && !strings.HasPrefix(href, "mailto:") {
					out = append(out, href)
				}
			case "form":
				if m := strings.ToLower(attr(n, "method")); m == "" || m == "get" {
					out = append(out, formURL(n))
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	return out
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// formURL is the address a GET form goes to when submitted as shown.
func formURL(form *html.Node) string {
	q := url.Values{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, "name") != "" && !hasAttr(n, "disabled") {
			name := attr(n, "name")
			switch n.Data {
			case "input":
				switch strings.ToLower(attr(n, "type")) {
				case "checkbox", "radio":
					if hasAttr(n, "checked") {
						q.Add(name, valueOr(n, "on"))
					}
				case "submit", "button", "image", "reset", "file":
				default:
					q.Add(name, attr(n, "value"))
				}
			case "select":
				if v, ok := selected(n); ok {
					q.Add(name, v)
				}
			case "textarea":
				if n.FirstChild != nil {
					q.Add(name, n.FirstChild.Data)
				} else {
					q.Add(name, "")
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(form)
	action := attr(form, "action")
	if i := strings.IndexByte(action, '?'); i >= 0 {
		action = action[:i] // a GET form replaces the action's query
	}
	if len(q) == 0 {
		return action + "?"
	}
	return action + "?" + q.Encode()
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

func valueOr(n *html.Node, def string) string {
	if hasAttr(n, "value") {
		return attr(n, "value")
	}
	return def
}

// selected is the option a select submits: the one marked selected, or
// the first.
func selected(sel *html.Node) (string, bool) {
	var first, chosen *html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "option" {
			if first == nil {
				first = n
			}
			if hasAttr(n, "selected") && chosen == nil {
				chosen = n
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(sel)
	if chosen == nil {
		chosen = first
	}
	if chosen == nil {
		return "", false
	}
	if hasAttr(chosen, "value") {
		return attr(chosen, "value"), true
	}
	if chosen.FirstChild != nil {
		return strings.TrimSpace(chosen.FirstChild.Data), true
	}
	return "", true
}
