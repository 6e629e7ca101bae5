package mail

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRenderEveryKindWithAbsoluteLinks(t *testing.T) {
	r, err := NewRenderer("https://steward.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		kind    string
		data    any
		subject string
		link    string
	}{
		{"invite", map[string]any{"Name": "Ada <Admin>", "InvitedBy": "Grace", "Token": "tok123", "Expires": exp},
			"You are invited to Steward", "https://steward.example.com/invite/tok123"},
		{"password_reset", map[string]any{"Name": "Ada <Admin>", "Token": "tok456", "Expires": exp},
			"Reset your Steward password", "https://steward.example.com/password/reset/tok456"},
		{"reminders", Digest{Name: "Ada <Admin>", Summary: "2 open items",
			Own:  []DigestLine{{"Acknowledge the Privacy policy, version 3", "Due by 5 Dec 2026.", "https://steward.example.com/policies/privacy/v/3"}},
			Team: []DigestLine{{"Bob has not completed Data basics", "12 days overdue.", "https://steward.example.com/team"}}},
			"Steward: 2 open items", "https://steward.example.com/policies/privacy/v/3"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			m, err := r.Render(tt.kind, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tt.kind || m.Subject != tt.subject {
				t.Errorf("kind %q subject %q", m.Kind, m.Subject)
			}
			if !strings.Contains(m.Text, tt.link) || !strings.Contains(m.HTML, `href="`+tt.link+`"`) {
				t.Errorf("want the absolute link %s in both bodies:\n%s\n%s", tt.link, m.Text, m.HTML)
			}
			if !strings.Contains(m.Text, "Hello Ada <Admin>,") {
				t.Errorf("plain text must not be HTML-escaped:\n%s", m.Text)
			}
			if !strings.Contains(m.HTML, "Ada &lt;Admin&gt;") || strings.Contains(m.HTML, "<Admin>") {
				t.Errorf("HTML must escape the name:\n%s", m.HTML)
			}
		})
	}
	if _, err := r.Render("no_such_kind", nil); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := r.Render("invite", map[string]any{"Name": "x"}); err == nil {
		t.Error("missing data should fail, not render a half-empty email")
	}
	if _, err := NewRenderer("steward.example.com"); err == nil {
		t.Error("a relative base URL must be refused")
	}
}
