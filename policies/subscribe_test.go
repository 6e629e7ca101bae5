package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/db"
)

type outboxRow struct {
	Recipient string `db:"recipient"`
	Kind      string `db:"kind"`
	Subject   string `db:"subject"`
	Text      string `db:"body_text"`
	Headers   string `db:"headers"`
}

func TestSubscriptionDoubleOptIn(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		outbox := func() []outboxRow {
			var rows []outboxRow
			if err := d.Select(&rows, `SELECT recipient, kind, subject, body_text, headers FROM outbox ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			return rows
		}

		for _, bad := range []string{"", "not an email", "a@b", "Ann <ann@example.com>", strings.Repeat("a", 250) + "@example.com"} {
			var ve *ValidationError
			if err := s.Subscribe(ctx, bad, now); !errors.As(err, &ve) || ve.Fields["email"] == "" {
				t.Errorf("Subscribe(%q) = %v, want a message for email", bad, err)
			}
		}
		if len(outbox()) != 0 {
			t.Fatal("invalid addresses queued email")
		}

		if err := s.Subscribe(ctx, " Carol@Example.com ", now); err != nil {
			t.Fatal(err)
		}
		if err := s.Subscribe(ctx, "carol@example.com", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		rows := outbox()
		if len(rows) != 1 || rows[0].Kind != "subscribe_confirm" || rows[0].Recipient != "carol@example.com" {
			t.Fatalf("outbox after two requests the same day: %+v", rows)
		}
		var token string
		if err := d.Get(&token, `SELECT token FROM policy_subscriptions WHERE email = 'carol@example.com'`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rows[0].Text, "https://steward.example.com/subscribe/confirm/"+token) {
			t.Errorf("confirmation email lacks the link:\n%s", rows[0].Text)
		}
		var cols []string
		q := `SELECT name FROM pragma_table_info('policy_subscriptions') ORDER BY cid`
		if d.Dialect == db.Postgres {
			q = `SELECT column_name FROM information_schema.columns
				WHERE table_name = 'policy_subscriptions' AND table_schema = current_schema() ORDER BY ordinal_position`
		}
		if err := d.Select(&cols, q); err != nil {
			t.Fatal(err)
		}
		if strings.Join(cols, ",") != "id,email,token,created_at,confirmed_at,confirmation_sent_at,language" {
			t.Errorf("subscriptions keep more than the email, a token, dates and a language: %v", cols)
		}

		// Not confirmed yet: a publication tells nobody.
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		publishVersion(t, s, "privacy", "one", Material, now, now)
		if n := len(outbox()); n != 1 {
			t.Fatalf("unconfirmed subscriber got a notice (%d emails)", n)
		}

		if _, err := s.Confirm(ctx, "wrong-token", now); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown token: %v", err)
		}
		if _, err := s.Confirm(ctx, token, now.Add(ConfirmWithin+time.Minute)); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("late confirmation: %v", err)
		}
		sub, err := s.Confirm(ctx, token, now.Add(time.Hour))
		if err != nil || sub.ConfirmedAt == nil {
			t.Fatalf("confirm: %+v %v", sub, err)
		}
		if _, err := s.Confirm(ctx, token, now.Add(2*time.Hour)); err != nil {
			t.Errorf("confirming twice: %v", err)
		}

		publishVersion(t, s, "privacy", "two", Minor, now.Add(3*time.Hour), now.Add(3*time.Hour))
		if n := len(outbox()); n != 1 {
			t.Fatalf("a minor change sent %d notices", n-1)
		}
		publishVersion(t, s, "privacy", "three", Material, now.AddDate(0, 0, 30), now.Add(4*time.Hour))
		rows = outbox()
		if len(rows) != 2 || rows[1].Kind != "policy_notice" || rows[1].Recipient != "carol@example.com" {
			t.Fatalf("material change notice: %+v", rows)
		}
		var h map[string]string
		if err := json.Unmarshal([]byte(rows[1].Headers), &h); err != nil {
			t.Fatal(err)
		}
		unsub := "https://steward.example.com/unsubscribe/" + token
		if h["List-Unsubscribe"] != "<"+unsub+">" || h["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Errorf("RFC 8058 headers: %v", h)
		}
		if !strings.Contains(rows[1].Text, unsub) || !strings.Contains(rows[1].Text, "/policies/privacy/diff/2/3") {
			t.Errorf("notice text:\n%s", rows[1].Text)
		}

		// Subscribing again once confirmed sends nothing (and says nothing different).
		if err := s.Subscribe(ctx, "carol@example.com", now.AddDate(0, 0, 2)); err != nil || len(outbox()) != 2 {
			t.Errorf("resubscribe of a confirmed address: %v", err)
		}
		if ok, err := s.Unsubscribe(ctx, token); !ok || err != nil {
			t.Errorf("unsubscribe: %v %v", ok, err)
		}
		if ok, err := s.Unsubscribe(ctx, token); ok || err != nil {
			t.Errorf("second unsubscribe: %v %v", ok, err)
		}
		if n, err := confirmedSubscribers(d); n != 0 || err != nil {
			t.Errorf("%d subscribers left", n)
		}
	})
}

// PurgeUnconfirmed deletes exactly the subscriptions Expired names,
// around the boundary of ConfirmWithin.
func TestPurgeUnconfirmed(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
		for i, age := range []time.Duration{8 * 24 * time.Hour, ConfirmWithin + time.Microsecond, ConfirmWithin,
			ConfirmWithin - time.Microsecond, 6 * 24 * time.Hour} {
			if err := s.Subscribe(ctx, fmt.Sprintf("s%d@example.com", i), now.Add(-age)); err != nil {
				t.Fatal(err)
			}
		}
		var before []Subscription
		if err := d.Select(&before, `SELECT `+subscriptionCols+` FROM policy_subscriptions ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		expired := map[int64]bool{}
		for _, sub := range before {
			if sub.Expired(now) {
				expired[sub.ID] = true
			}
		}
		if len(expired) != 2 {
			t.Fatalf("%d expired, want the two older than ConfirmWithin", len(expired))
		}
		n, err := PurgeUnconfirmed(ctx, d, now)
		if err != nil || n != len(expired) {
			t.Errorf("purged %d, %v; want %d", n, err, len(expired))
		}
		var left []Subscription
		if err := d.Select(&left, `SELECT `+subscriptionCols+` FROM policy_subscriptions ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		for _, sub := range left {
			if expired[sub.ID] {
				t.Errorf("%s expired and was kept", sub.Email)
			}
		}
		if len(left)+len(expired) != len(before) {
			t.Errorf("%d left of %d, %d expired", len(left), len(before), len(expired))
		}
	})
}

func TestAtMostOneConfirmationADay(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		sent := func() int {
			var n int
			if err := d.Get(&n, `SELECT COUNT(*) FROM outbox WHERE kind = 'subscribe_confirm'`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for i := 0; i < 50; i++ {
			if err := s.Subscribe(ctx, "dan@example.com", now.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if n := sent(); n != 1 {
			t.Fatalf("%d confirmations for 50 requests within an hour, want 1", n)
		}
		if err := s.Subscribe(ctx, "dan@example.com", now.Add(ConfirmationEvery-time.Second)); err != nil || sent() != 1 {
			t.Fatalf("a second confirmation within a day: %d, %v", sent(), err)
		}
		var token string
		if err := d.Get(&token, `SELECT token FROM policy_subscriptions`); err != nil {
			t.Fatal(err)
		}
		if err := s.Subscribe(ctx, "dan@example.com", now.Add(ConfirmationEvery)); err != nil || sent() != 2 {
			t.Fatalf("no confirmation a day later: %d, %v", sent(), err)
		}
		var again string
		if err := d.Get(&again, `SELECT token FROM policy_subscriptions`); err != nil || again != token {
			t.Errorf("a resent confirmation changed a link that still works")
		}

		// The page a link opens finds the subscription without confirming it.
		sub, err := s.PendingConfirmation(ctx, token, now.Add(ConfirmationEvery))
		if err != nil || sub.ConfirmedAt != nil || sub.Email != "dan@example.com" {
			t.Fatalf("pending confirmation: %+v %v", sub, err)
		}
		if _, err := s.PendingConfirmation(ctx, token, sub.CreatedAt.Add(ConfirmWithin+time.Second)); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("expired link: %v", err)
		}
		if _, err := s.PendingConfirmation(ctx, "nope", now); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown link: %v", err)
		}
		if n, _ := confirmedSubscribers(d); n != 0 {
			t.Error("looking at a confirmation link confirmed it")
		}
	})
}

// TestConfirmationDueAgreesWithSQL checks the Go and SQL forms of the
// once-a-day rule at and around its boundary.
func TestConfirmationDueAgreesWithSQL(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		for i, ago := range []time.Duration{-1, 0, time.Second, ConfirmationEvery - time.Microsecond, ConfirmationEvery, ConfirmationEvery + time.Microsecond, 30 * ConfirmationEvery} {
			var at *time.Time
			if ago >= 0 {
				v := now.Add(-ago)
				at = &v
			}
			email := fmt.Sprintf("due%d@example.com", i)
			if _, err := d.Exec(d.Rebind(`INSERT INTO policy_subscriptions (email, token, created_at, confirmation_sent_at) VALUES (?, ?, ?, ?)`),
				email, email, now.Add(-time.Hour), at); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM policy_subscriptions WHERE email = ? AND `+confirmationDueSQL), email, now.Add(-ConfirmationEvery)); err != nil {
				t.Fatal(err)
			}
			if goRule := (Subscription{ConfirmationSentAt: at}).ConfirmationDue(now); goRule != (n == 1) {
				t.Errorf("sent %v ago: Go says due=%v, SQL says %v", ago, goRule, n == 1)
			}
		}
	})
}

func confirmedSubscribers(d *db.DB) (int, error) {
	var n int
	err := d.Get(&n, `SELECT COUNT(*) FROM policy_subscriptions WHERE confirmed_at IS NOT NULL`)
	return n, err
}
