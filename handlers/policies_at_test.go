package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The demo privacy policy's versions take effect on 2025-01-15 (v1),
// 2025-09-01 (v2) and 2026-10-01 (v3); the test clock is 2026-11-28.
func TestPolicyAsOfDate(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	cases := []struct {
		at      string
		version string
		text    string
	}{
		{"2025-01-15", "version 1", "three years"},
		{"2025-08-31", "version 1", "three years"},
		{"2025-09-01", "version 2", "three years"},
		{"2026-06-30", "version 2", "three years"},
		{"2026-10-01", "version 3", "18 months"},
		{"2027-01-01", "version 3", "18 months"},
	}
	for _, tc := range cases {
		t.Run(tc.at, func(t *testing.T) {
			res := c.get("/policies/privacy?at=" + tc.at)
			res.expect(t, http.StatusOK, "in effect on <time datetime=\""+tc.at+"\">"+tc.at+"</time>: "+tc.version+".", tc.text)
			if tc.version != "version 3" {
				res.expect(t, http.StatusOK, `<a href="/policies/privacy">Read the version in effect now</a> (version 3)`)
			}
			if res.Header.Get("ETag") == "" || !strings.HasPrefix(res.Header.Get("Cache-Control"), "public") {
				t.Errorf("not cacheable: ETag %q, Cache-Control %q", res.Header.Get("ETag"), res.Header.Get("Cache-Control"))
			}
		})
	}
	// Two days on the same version are two pages: each names its own day.
	if a, b := c.get("/policies/privacy?at=2026-06-29"), c.get("/policies/privacy?at=2026-06-30"); a.Header.Get("ETag") == b.Header.Get("ETag") ||
		strings.Contains(b.Body, "2026-06-29") {
		t.Error("the page for one day is served for another")
	}
	// Without at, the current page does not say "as in effect on".
	if strings.Contains(c.get("/policies/privacy").Body, "as in effect on") {
		t.Error("the current page carries the as-of notice")
	}
}

func TestPolicyAsOfDateAPI(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	var one struct {
		Number  int    `json:"number"`
		Status  string `json:"status"`
		At      string `json:"at"`
		Body    string `json:"body_markdown"`
		History []struct {
			Number int `json:"number"`
		} `json:"history"`
	}
	res := c.get("/api/v1/policies/privacy?at=2025-06-30")
	res.expect(t, http.StatusOK)
	if err := json.Unmarshal([]byte(res.Body), &one); err != nil {
		t.Fatal(err)
	}
	if one.Number != 1 || one.Status != "superseded" || one.At != "2025-06-30" || !strings.Contains(one.Body, "three years") || len(one.History) != 3 {
		t.Errorf("as of 2025-06-30: %+v", one)
	}

	var list struct {
		Policies []struct {
			Slug   string `json:"slug"`
			Number int    `json:"number"`
		} `json:"policies"`
		At string `json:"at"`
	}
	if err := json.Unmarshal([]byte(c.get("/api/v1/policies?at=2025-10-01").Body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Policies) != 1 || list.Policies[0].Slug != "privacy" || list.Policies[0].Number != 2 || list.At != "2025-10-01" {
		t.Errorf("list as of 2025-10-01: %+v", list)
	}
	if err := json.Unmarshal([]byte(c.get("/api/v1/policies?at=2024-01-01").Body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Policies) != 0 {
		t.Errorf("list as of 2024-01-01, before any policy: %+v", list)
	}
}

func TestPolicyAsOfBadDates(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	for _, base := range []string{"/policies/privacy", "/api/v1/policies/privacy", "/api/v1/policies"} {
		for _, q := range []string{
			"at=", "at=30%2F06%2F2026", "at=2026-6-30", "at=2026-02-30", "at=2026-06-30T12:00:00Z",
			"at=" + url.QueryEscape(`<script>alert(1)</script>`), "at=2026-06-30&at=2026-07-01", "at=" + strings.Repeat("9", 500),
		} {
			t.Run(base+"?"+q, func(t *testing.T) {
				res := c.get(base + "?" + q)
				if res.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d, want 400\n%s", res.StatusCode, snippet(res.Body))
				}
				want := "The at parameter must be a date written like 2026-06-30"
				if strings.Contains(q, "&at=") {
					want = "Give the at parameter once"
				}
				if !strings.Contains(res.Body, want) {
					t.Errorf("message: %s", snippet(res.Body))
				}
				if strings.Contains(res.Body, "<script>alert") {
					t.Error("the hostile value is echoed as markup")
				}
			})
		}
	}
	for _, path := range []string{"/policies/privacy?at=2024-12-31", "/api/v1/policies/privacy?at=2025-01-14"} {
		res := c.get(path)
		res.expect(t, http.StatusNotFound, "had no version in effect on", "its first version took effect on 2025-01-15")
	}
	// A date for a policy that does not exist is a plain 404.
	c.get("/policies/nope?at=2026-06-30").expect(t, http.StatusNotFound, "There is no such policy")
}
