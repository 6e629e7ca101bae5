package reminders

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/internal/mail"
	"steward/policies"
)

var updateEmails = flag.Bool("update-emails", false, "rewrite testdata/emails from the current renderer")

// hostile is a name or title that html/template must escape.
const hostile = `<script>alert("x")</script> "quoted" O'Brien & Co + café`

// emailCases are the digests and manager's reminders whose rendering
// testdata/emails holds. It began as what the hand-written renderer and
// the handler's map gave before every email went through mail.Renderer;
// it was rewritten (-update-emails) when the emails took the brand, a
// <title> and inline styles, and reviewed line by line.
func emailCases(r *mail.Renderer) map[string]func() (mail.Message, error) {
	line := func(h, d, u string) mail.DigestLine { return mail.DigestLine{Headline: h, Detail: d, URL: r.Link(u)} }
	plain := mail.Digest{Name: "Person 7", Summary: "2 items for you, 1 in your reporting line",
		Own: []mail.DigestLine{
			line("Complete the course Course 1", "Assigned to you; due by 5 Jun 2027.", "/courses/c1"),
			line("Privacy is due soon", "Due by 3 Jun 2027, in 3 days.", "/policies/privacy"),
		},
		Team: []mail.DigestLine{line("Your reporting line this week", "3 people with open items, 5 in all, none overdue.", "/team")},
		Also: []mail.DigestLine{line("Course 2", "Due by 1 Jul 2027.", "/courses/c2")},
	}
	tricky := mail.Digest{Name: hostile, Summary: "1 item for you",
		Own:  []mail.DigestLine{line("Complete the course "+hostile, "Assigned to you; due by 5 Jun 2027.", "/courses/a b(c)%20&x=+1")},
		Team: []mail.DigestLine{line(hostile+" has not completed Course 1", "It was due on 1 May 2027, 30 days ago.", "/team/people/12")},
	}
	teamOnly := mail.Digest{Name: "Manager 1", Summary: "your reporting line this week",
		Team: []mail.DigestLine{line("Your reporting line this week", "20 people with open items; 7 items overdue or lapsed (4 people), 12 items otherwise open.", "/team")},
	}
	return map[string]func() (mail.Message, error){
		"digest-plain":     func() (mail.Message, error) { return renderDigest(r, plain) },
		"digest-hostile":   func() (mail.Message, error) { return renderDigest(r, tricky) },
		"digest-team-only": func() (mail.Message, error) { return renderDigest(r, teamOnly) },
		"manager-overdue": func() (mail.Message, error) {
			return renderManagerReminder(r, "Noah Fischer", "Mia Manager", "Data basics", "data-basics", false)
		},
		"manager-lapsed": func() (mail.Message, error) {
			return renderManagerReminder(r, "Noah Fischer", "Mia Manager", "Data basics", "data-basics", true)
		},
		"manager-hostile": func() (mail.Message, error) {
			return renderManagerReminder(r, hostile, `"Quoted" <Boss>`, hostile, "data-basics", false)
		},
		"policy-review-due": func() (mail.Message, error) {
			return reviewMessage(r, reviewReminder("Privacy policy", "Hana Kim", policies.ReviewDueSoon))
		},
		"policy-review-hostile": func() (mail.Message, error) {
			return reviewMessage(r, reviewReminder(hostile, hostile, policies.ReviewOverdue))
		},
	}
}

// reviewReminder is a policy owner's reminder: last reviewed on 3 June
// 2026, every 12 months.
func reviewReminder(title, owner string, stage policies.ReviewStage) policies.ReviewReminder {
	last := time.Date(2026, 6, 3, 9, 0, 0, 0, time.UTC)
	return policies.ReviewReminder{OwnerID: 7, Email: "owner@example.com", Name: owner, Standing: policies.ReviewStanding{
		Policy: policies.Policy{ID: 3, Slug: "privacy", Title: title}, ReviewMonths: 12, LastReviewed: last,
		NextDue: policies.NextReview(last, 12), Stage: stage}}
}

// renderDigest is how the sweep renders a digest.
func renderDigest(r *mail.Renderer, v mail.Digest) (mail.Message, error) {
	return r.Digest(&v)
}

// renderManagerReminder is how RemindNow renders a manager's reminder.
func renderManagerReminder(r *mail.Renderer, person, manager, title, slug string, lapsed bool) (mail.Message, error) {
	o := &Outcome{Target: Target{Type: ItemCourse, Slug: slug}, Title: title, lapsed: lapsed}
	return managerReminder(r, person, []mail.DigestLine{reminderLine(r, manager, o)})
}

// TestEmailsSayWhatTheySaid holds the digest and the manager's reminder
// to what testdata/emails says: the same subject, the same text modulo
// whitespace, the same HTML, and hostile names escaped in the HTML.
func TestEmailsSayWhatTheySaid(t *testing.T) {
	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "emails")
	for name, render := range emailCases(r) {
		t.Run(name, func(t *testing.T) {
			m, err := render()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{".subject": m.Subject + "\n", ".txt": m.Text, ".html": m.HTML}
			for ext, body := range got {
				file := filepath.Join(dir, name+ext)
				if *updateEmails {
					if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				want := string(b)
				if ext == ".txt" {
					want, body = strings.Join(strings.Fields(want), " "), strings.Join(strings.Fields(body), " ")
				}
				if body != want {
					t.Errorf("%s changed:\n got %q\nwant %q", file, body, want)
				}
			}
			if strings.Contains(name, "hostile") {
				if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, `"quoted"`) || strings.Contains(m.HTML, `"Quoted"`) {
					t.Errorf("HTML shows a hostile name unescaped:\n%s", m.HTML)
				}
				if !strings.Contains(m.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &#34;quoted&#34;") {
					t.Errorf("HTML does not show the hostile name escaped:\n%s", m.HTML)
				}
				if !strings.Contains(m.Text, hostile) {
					t.Errorf("the text body must show names as they are:\n%s", m.Text)
				}
			}
		})
	}
}
