package mail

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

func TestSecretMessagesAreRedactedForAdmins(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		msgs := []Message{
			{To: "a@example.com", Kind: "notice", Subject: "S", Text: "link /x/SECRET-1", DedupeKey: "k1", Secret: true},
			{To: "b@example.com", Kind: "password_reset", Subject: "S", Text: "link /x/SECRET-2", DedupeKey: "k2"},
			{To: "c@example.com", Kind: "notice", Subject: "S", Text: "plain text", DedupeKey: "k3"},
		}
		if _, err := Enqueue(ctx, d, msgs[0], now); err != nil {
			t.Fatal(err)
		}
		if _, err := EnqueueManyIDs(ctx, d, msgs[1:], now); err != nil {
			t.Fatal(err)
		}
		o := NewOutbox(d)
		list, err := o.List(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			got, err := o.Get(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []Outgoing{m, got} {
				all := m.Text + m.HTML + m.HeadersJSON + m.DedupeKey
				if strings.Contains(all, "SECRET") {
					t.Errorf("message to %s: the admin view holds the secret", m.Recipient)
				}
				if m.Secret != (m.Recipient != "c@example.com") {
					t.Errorf("message to %s: secret = %v", m.Recipient, m.Secret)
				}
			}
		}
		var text string
		if err := d.Get(&text, `SELECT body_text FROM outbox WHERE recipient = 'a@example.com'`); err != nil || text != msgs[0].Text {
			t.Errorf("the stored body, which the worker sends, changed: %q %v", text, err)
		}
	})
}
