package handlers

import (
	"net/url"
	"strconv"
)

// listURL is the one place that links to a list page keep its filters: the
// CSV export, the previous and next pages. q is the filter as parsed by the
// list's handler; set is pairs of keys and values that replace q's ("page",
// "2"). Empty values are left out. Templates receive the finished URL:
// html/template escapes a query string put in after a '?' as one value
// ('=' and '&' percent-encoded), which silently dropped every filter.
func listURL(path string, q url.Values, set ...string) string {
	v := url.Values{}
	for k, vs := range q {
		for _, s := range vs {
			if s != "" {
				v.Add(k, s)
			}
		}
	}
	for i := 0; i+1 < len(set); i += 2 {
		v.Del(set[i])
		if set[i+1] != "" {
			v.Set(set[i], set[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// pager is the links of a paged list, each keeping the list's filters;
// an empty link means there is no such page.
type pager struct {
	Prev, Next string
}

// pageLinks builds the previous and next links of page of a list at path
// with filter q; fragment ("#people") is appended to both.
func pageLinks(path string, q url.Values, page int, hasNext bool, fragment string) pager {
	var p pager
	if page > 1 {
		p.Prev = listURL(path, q, "page", strconv.Itoa(page-1)) + fragment
	}
	if hasNext {
		p.Next = listURL(path, q, "page", strconv.Itoa(page+1)) + fragment
	}
	return p
}
