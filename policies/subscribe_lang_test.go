package policies

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/internal/db"
)

// A subscriber reads their emails in the language they subscribed in:
// the confirmation and every change notice, dates included.
func TestSubscribersReadTheirOwnLanguage(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		if err := s.SubscribeIn(ctx, "dora@example.de", "de", now); err != nil {
			t.Fatal(err)
		}
		if err := s.SubscribeIn(ctx, "ed@example.com", "en", now); err != nil {
			t.Fatal(err)
		}
		if err := s.SubscribeIn(ctx, "odd@example.com", "not a language!", now); err != nil {
			t.Fatal(err)
		}
		langs := map[string]string{}
		var rows []struct {
			Email    string `db:"email"`
			Language string `db:"language"`
			Token    string `db:"token"`
		}
		if err := d.Select(&rows, `SELECT email, language, token FROM policy_subscriptions`); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			langs[r.Email] = r.Language
		}
		if langs["dora@example.de"] != "de" || langs["ed@example.com"] != "en" || langs["odd@example.com"] != "en" {
			t.Fatalf("stored languages: %v", langs)
		}
		mail := func(kind, to string) outboxRow {
			t.Helper()
			var m outboxRow
			if err := d.Get(&m, d.Rebind(`SELECT recipient, kind, subject, body_text, headers FROM outbox
				WHERE kind = ? AND recipient = ? ORDER BY id DESC LIMIT 1`), kind, to); err != nil {
				t.Fatalf("%s to %s: %v", kind, to, err)
			}
			return m
		}
		de := mail("subscribe_confirm", "dora@example.de")
		if de.Subject != "Bestätigen Sie Ihre Anmeldung für Änderungen der Richtlinien von steward.example.com" ||
			!strings.Contains(de.Text, "„Meine Anmeldung bestätigen“") || !strings.Contains(de.Text, "Gesendet von") {
			t.Errorf("German confirmation: %q\n%s", de.Subject, de.Text)
		}
		if en := mail("subscribe_confirm", "ed@example.com"); !strings.HasPrefix(en.Subject, "Confirm your subscription to ") {
			t.Errorf("English confirmation: %q", en.Subject)
		}
		for _, r := range rows {
			if _, err := s.Confirm(ctx, r.Token, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}

		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		publishVersion(t, s, "privacy", "one", Material, time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC), now.Add(2*time.Hour))
		de = mail("policy_notice", "dora@example.de")
		if de.Subject != "steward.example.com: Privacy policy, Version 1" || !strings.Contains(de.Text, "gültig ab 2. März 2027") ||
			!strings.Contains(de.Text, "Mit einem Klick abbestellen:") {
			t.Errorf("German notice: %q\n%s", de.Subject, de.Text)
		}
		en := mail("policy_notice", "ed@example.com")
		if en.Subject != "steward.example.com: Privacy policy, version 1" || !strings.Contains(en.Text, "in effect from 2 March 2027") ||
			strings.Contains(en.Text, "gültig") {
			t.Errorf("English notice: %q\n%s", en.Subject, en.Text)
		}
	})
}
