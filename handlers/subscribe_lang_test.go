package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Someone who subscribes on the German page (?lang=de, or a German
// browser) is written to in German from then on: the confirmation email
// and the notices of published changes; an English subscriber in English.
func TestSubscribersAreWrittenToInTheirLanguage(t *testing.T) {
	ts := withPolicies(t)
	subscribe := func(email, query, acceptLanguage, wantPage string) {
		t.Helper()
		c := ts.client()
		c.get("/" + query)
		form := url.Values{"email": {email}, "_csrf": {c.token()}}
		req := httptest.NewRequest(http.MethodPost, "/subscribe"+query, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if acceptLanguage != "" {
			req.Header.Set("Accept-Language", acceptLanguage)
		}
		c.do(req).expect(t, http.StatusOK, wantPage)
		var token string
		if err := ts.db.Get(&token, ts.db.Rebind(`SELECT token FROM policy_subscriptions WHERE email = ?`), email); err != nil {
			t.Fatal(err)
		}
		c.post("/subscribe/confirm/"+token+query, nil).expect(t, http.StatusOK)
	}
	subscribe("query@example.de", "?lang=de", "", "Sehen Sie in Ihr Postfach")
	subscribe("browser@example.de", "", "de-DE,de;q=0.9", "Sehen Sie in Ihr Postfach")
	subscribe("english@example.com", "", "en-GB,en;q=0.8", "Check your email")

	var stored []string
	if err := ts.db.Select(&stored, `SELECT email || ' ' || language FROM policy_subscriptions ORDER BY email`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stored, ", "); got != "browser@example.de de, english@example.com en, query@example.de de" {
		t.Fatalf("stored languages: %s", got)
	}

	mail := func(kind, to string) (subject, text string) {
		t.Helper()
		var m struct {
			Subject string `db:"subject"`
			Text    string `db:"body_text"`
		}
		if err := ts.db.Get(&m, ts.db.Rebind(`SELECT subject, body_text FROM outbox WHERE kind = ? AND recipient = ?
			ORDER BY id DESC LIMIT 1`), kind, to); err != nil {
			t.Fatalf("%s to %s: %v", kind, to, err)
		}
		return m.Subject, m.Text
	}
	for _, to := range []string{"query@example.de", "browser@example.de"} {
		subject, text := mail("subscribe_confirm", to)
		if !strings.HasPrefix(subject, "Bestätigen Sie Ihre Anmeldung für Änderungen der Richtlinien von ") ||
			!strings.Contains(text, "Guten Tag,") || !strings.Contains(text, "/subscribe/confirm/") {
			t.Errorf("confirmation to %s: %q\n%s", to, subject, text)
		}
	}
	if subject, _ := mail("subscribe_confirm", "english@example.com"); !strings.HasPrefix(subject, "Confirm your subscription to ") {
		t.Errorf("English confirmation: %q", subject)
	}

	publishFirstRegister(t, ts)
	subject, text := mail("subprocessor_notice", "browser@example.de")
	if subject != "Änderungen bei den Unterauftragsverarbeitern ab 28. November 2026" || !strings.Contains(text, "Neu: Stripe") ||
		!strings.Contains(text, "Mit einem Klick abbestellen:") {
		t.Errorf("German notice: %q\n%s", subject, text)
	}
	subject, text = mail("subprocessor_notice", "english@example.com")
	if subject != "Subprocessor changes from 28 November 2026" || !strings.Contains(text, "Added: Stripe") {
		t.Errorf("English notice: %q\n%s", subject, text)
	}
}
