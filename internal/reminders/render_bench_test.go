package reminders

import (
	"fmt"
	"testing"

	"steward/internal/mail"
)

// BenchmarkRenderDigest measures one typical digest through the
// templates, the sweep's cost per recipient on a busy day.
//
//	go test -run XXX -bench RenderDigest -benchmem ./internal/reminders/
func BenchmarkRenderDigest(b *testing.B) {
	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		b.Fatal(err)
	}
	v := mail.Digest{Name: "Person 7", Summary: "3 items for you",
		Own: []mail.DigestLine{
			{Headline: "Complete the course Course 1", Detail: "Assigned to you; due by 5 Jun 2027.", URL: r.Link("/courses/c1")},
			{Headline: "Course 3 is overdue", Detail: "It was due on 1 May 2027, 30 days ago.", URL: r.Link("/courses/c3")},
			{Headline: "Please read and acknowledge Privacy", Detail: "A new version needs your acknowledgement by 14 Jun 2027.", URL: r.Link("/policies/privacy")},
		}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Digest(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderManagerDigest measures a manager's digest, whose lines
// about their own people are different in every digest.
func BenchmarkRenderManagerDigest(b *testing.B) {
	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		v := mail.Digest{Name: "Manager 1", Summary: "1 item for you, 3 in your reporting line",
			Own: []mail.DigestLine{{Headline: "Course 3 is overdue", Detail: "It was due on 1 May 2027, 30 days ago.", URL: r.Link("/courses/c3")}},
			Team: []mail.DigestLine{
				{Headline: fmt.Sprintf("Person %d has not completed Course 1", i), Detail: "It was due on 1 May 2027, 30 days ago.", URL: r.Link(fmt.Sprintf("/team/people/%d", i))},
				{Headline: fmt.Sprintf("Person %d has not completed Course 2", i), Detail: "It was due on 1 May 2027, 30 days ago.", URL: r.Link(fmt.Sprintf("/team/people/%d", i))},
				{Headline: "Your reporting line this week", Detail: "19 people with open items, 40 in all, none overdue.", URL: r.Link("/team")},
			}}
		if _, err := r.Digest(&v); err != nil {
			b.Fatal(err)
		}
	}
}
