package reminders

import (
	"fmt"
	"reflect"
	"testing"

	"steward/internal/mail"
)

// TestDigestRendererMatchesTemplates holds the digest renderer to the
// templates it stands in for: every combination of sections, with one or
// several lines, and strings that need escaping (which must fall back to
// the templates) give byte for byte the message mail.Renderer gives.
func TestDigestRendererMatchesTemplates(t *testing.T) {
	for _, base := range []string{"https://steward.example.com", "http://localhost:8080/steward/"} {
		r, err := mail.NewRenderer(base)
		if err != nil {
			t.Fatal(err)
		}
		dr := newDigestRenderer(r)
		if !dr.ok {
			t.Fatalf("%s: the layout links should take the fast path", base)
		}
		lines := func(n int, tricky bool) []Line {
			var out []Line
			for i := 0; i < n; i++ {
				l := Line{
					Headline: fmt.Sprintf("Complete the course Course %d", i),
					Detail:   "Assigned to you; due by 5 Jun 2027.",
					URL:      r.Link(fmt.Sprintf("/courses/c%d", i)),
				}
				if tricky && i == n-1 {
					l.Headline, l.URL = "Rock & <Roll> 'n' \"more\" + café", r.Link("/courses/a b(c)%20&x=+1")
				}
				out = append(out, l)
			}
			return out
		}
		for shape := 0; shape < 8; shape++ {
			for _, n := range []int{1, 3} {
				for _, tricky := range []bool{false, true} {
					v := digestData{Name: "Person 7", Summary: "2 items for you, 1 in your reporting line"}
					if tricky {
						v.Name = "Zoë O'Brien <zoe>"
					}
					if shape&1 != 0 {
						v.Own = lines(n, tricky)
					}
					if shape&2 != 0 {
						v.Team = lines(n, tricky)
					}
					if shape&4 != 0 {
						v.Also = lines(n, tricky)
					}
					want, err := r.Render(MailKind, v)
					if err != nil {
						t.Fatal(err)
					}
					got, err := dr.render(&v)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s shape %d n %d tricky %v:\ngot  %#v\nwant %#v", base, shape, n, tricky, got, want)
					}
					if !tricky && !v.safe() {
						t.Errorf("shape %d: a plain digest should take the fast path", shape)
					}
				}
			}
		}
	}
	for _, tc := range []struct {
		s    string
		text bool
		url  bool
	}{
		{"https://x.example/courses/c-1_a.b~c?x=1;y=2#top", true, true},
		{"javascript:alert(1)", true, false},
		{"mailto:a@b", true, false},
		{"/a%20b", true, false},
		{"/a&b", false, false},
		{"Due by 5 Jun 2027.", true, false},
		{"a+b", false, false},
		{"Zoë", true, false},
	} {
		if safeText(tc.s) != tc.text || safeURL(tc.s) != tc.url {
			t.Errorf("%q: safeText %v safeURL %v, want %v %v", tc.s, safeText(tc.s), safeURL(tc.s), tc.text, tc.url)
		}
	}
}
