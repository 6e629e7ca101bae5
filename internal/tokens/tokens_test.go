package tokens

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/mail"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func setup(t *testing.T, d *db.DB) *Issuer {
	t.Helper()
	for _, u := range []struct {
		id     int64
		email  string
		active bool
	}{{1, "ada@example.com", true}, {2, "gone@example.com", false}} {
		if _, err := d.Exec(d.Rebind(`INSERT INTO users (id, email, name, role, active, created_at, updated_at)
			VALUES (?, ?, 'Ada', 'employee', ?, ?, ?)`), u.id, u.email, u.active, t0, t0); err != nil {
			t.Fatal(err)
		}
	}
	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return New(r, 0)
}

func tx[T any](t *testing.T, d *db.DB, fn func(tx *sqlx.Tx) (T, error)) (T, error) {
	t.Helper()
	var out T
	err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

func TestResetLinkWorksOnceWithinAnHour(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		iss := setup(t, d)
		ctx := context.Background()
		token, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueReset(ctx, tx, 1, t0) })
		if err != nil {
			t.Fatal(err)
		}
		var stored []string
		if err := d.Select(&stored, `SELECT token_hash FROM one_time_tokens`); err != nil {
			t.Fatal(err)
		}
		if len(stored) != 1 || stored[0] != Hash(token) || strings.Contains(stored[0], token) {
			t.Fatalf("the database must keep only the hash: %v", stored)
		}
		var m struct {
			Recipient string `db:"recipient"`
			Kind      string `db:"kind"`
			Text      string `db:"body_text"`
		}
		if err := d.Get(&m, `SELECT recipient, kind, body_text FROM outbox`); err != nil {
			t.Fatal(err)
		}
		if m.Recipient != "ada@example.com" || m.Kind != "password_reset" ||
			!strings.Contains(m.Text, "https://steward.example.com/password/reset/"+token) {
			t.Fatalf("queued email: %+v", m)
		}
		if _, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeInvite(ctx, tx, token, t0) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("a reset token redeemed as an invitation: %v", err)
		}
		uid, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeReset(ctx, tx, token, t0.Add(59*time.Minute)) })
		if err != nil || uid != 1 {
			t.Fatalf("consume = %d, %v", uid, err)
		}
		if _, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeReset(ctx, tx, token, t0.Add(time.Minute)) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("second use: %v, want ErrInvalid", err)
		}
	})
}

func TestExpiredAndSupersededLinksFail(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		iss := setup(t, d)
		ctx := context.Background()
		old, _ := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueReset(ctx, tx, 1, t0) })
		if _, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeReset(ctx, tx, old, t0.Add(time.Hour)) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("after an hour: %v, want ErrInvalid", err)
		}
		first, _ := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueReset(ctx, tx, 1, t0) })
		second, _ := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueReset(ctx, tx, 1, t0.Add(time.Minute)) })
		if _, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeReset(ctx, tx, first, t0.Add(2*time.Minute)) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("a link superseded by a newer one: %v", err)
		}
		if _, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeReset(ctx, tx, second, t0.Add(2*time.Minute)) }); err != nil {
			t.Errorf("the newest link: %v", err)
		}
		var n int
		d.Get(&n, `SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset'`)
		if n != 3 {
			t.Errorf("%d reset emails queued, want one per request (3)", n)
		}
	})
}

func TestInvitationAndInactiveUsers(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		iss := setup(t, d)
		ctx := context.Background()
		if _, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueInvite(ctx, tx, 2, "Grace", t0) }); !errors.Is(err, ErrInactive) {
			t.Errorf("inviting an inactive user: %v", err)
		}
		if _, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueReset(ctx, tx, 99, t0) }); !errors.Is(err, ErrNoUser) {
			t.Errorf("unknown user: %v", err)
		}
		token, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueInvite(ctx, tx, 1, "Grace", t0) })
		if err != nil {
			t.Fatal(err)
		}
		var text string
		d.Get(&text, `SELECT body_text FROM outbox WHERE kind = 'invite'`)
		if !strings.Contains(text, "Grace has added you") || !strings.Contains(text, "https://steward.example.com/invite/"+token) {
			t.Errorf("invitation text:\n%s", text)
		}
		// Deactivated between the invitation and its use: the link is dead.
		d.Exec(`UPDATE users SET active = FALSE WHERE id = 1`)
		if _, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeInvite(ctx, tx, token, t0) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("invitation of a deactivated user: %v", err)
		}
	})
}

func TestNoInvitationForSomeoneWithAPassword(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		iss := setup(t, d)
		ctx := context.Background()
		token, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueInvite(ctx, tx, 1, "Grace", t0) })
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE secret = TRUE`); n != 1 {
			t.Errorf("%d secret messages, want the invitation", n)
		}
		d.Exec(`UPDATE users SET password_hash = 'x' WHERE id = 1`)
		if _, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueInvite(ctx, tx, 1, "Grace", t0) }); !errors.Is(err, ErrHasPassword) {
			t.Errorf("inviting someone with a password: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM outbox`); n != 1 {
			t.Errorf("a refused invitation queued mail: %d messages", n)
		}
		if ok, _ := Valid(ctx, d, PurposeInvite, token, t0); ok {
			t.Error("an earlier invitation still opens once a password is set")
		}
		if _, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeInvite(ctx, tx, token, t0) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("an earlier invitation sets a password: %v", err)
		}
	})
}

func count(t *testing.T, d *db.DB, q string) int {
	t.Helper()
	var n int
	if err := d.Get(&n, q); err != nil {
		t.Fatal(err)
	}
	return n
}

// An invitation works for seven days by default, not an hour; the email
// says so; sending it again retires the earlier link at once.
func TestInvitationLastsSevenDaysAndResendRetiresTheOldLink(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		iss := setup(t, d)
		ctx := context.Background()
		first, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueInvite(ctx, tx, 1, "Grace", t0) })
		if err != nil {
			t.Fatal(err)
		}
		var text string
		d.Get(&text, `SELECT body_text FROM outbox WHERE kind = 'invite'`)
		if !strings.Contains(text, "works once, for 7 days, until 5 Dec 2026 09:00 UTC") {
			t.Errorf("invitation text does not say 7 days:\n%s", text)
		}
		for _, at := range []time.Time{t0.Add(2 * time.Hour), t0.Add(7*24*time.Hour - time.Minute)} {
			if ok, _ := Valid(ctx, d, PurposeInvite, first, at); !ok {
				t.Errorf("the invitation no longer opens at %s", at)
			}
		}
		if ok, _ := Valid(ctx, d, PurposeInvite, first, t0.Add(7*24*time.Hour)); ok {
			t.Error("the invitation still opens after 7 days")
		}
		// Sent again on day 3: the first link is dead, the new one works
		// for 7 days from then.
		day3 := t0.Add(3 * 24 * time.Hour)
		second, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueInvite(ctx, tx, 1, "Grace", day3) })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeInvite(ctx, tx, first, day3.Add(time.Minute)) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("the first link after a resend: %v", err)
		}
		if id, err := tx(t, d, func(tx *sqlx.Tx) (int64, error) { return iss.ConsumeInvite(ctx, tx, second, day3.Add(6*24*time.Hour)) }); err != nil || id != 1 {
			t.Errorf("the resent link on its sixth day: %d, %v", id, err)
		}
		// A reset link still lasts an hour.
		reset, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueReset(ctx, tx, 1, t0) })
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := Valid(ctx, d, PurposeReset, reset, t0.Add(61*time.Minute)); ok {
			t.Error("a reset link outlives its hour")
		}
	})
}

// InvitePending invites everyone without a password or a working
// invitation, once: a second run invites nobody.
func TestInvitePending(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		iss := New(nil, 3*24*time.Hour)
		iss.Mail = setup(t, d).Mail
		ctx := context.Background()
		for _, u := range []struct {
			id       int64
			password string
			source   string
		}{{3, "", "local"}, {4, "hash", "local"}, {5, "", "sso"}, {6, "", "local"}} {
			if _, err := d.Exec(d.Rebind(`INSERT INTO users (id, email, name, role, password_hash, source, created_at, updated_at)
				VALUES (?, ?, 'P', 'employee', ?, ?, ?, ?)`), u.id, "p"+strconv.FormatInt(u.id, 10)+"@example.com", u.password, u.source, t0, t0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx(t, d, func(tx *sqlx.Tx) (string, error) { return iss.IssueInvite(ctx, tx, 6, "Grace", t0) }); err != nil {
			t.Fatal(err)
		}
		ids, err := tx(t, d, func(tx *sqlx.Tx) ([]int64, error) { return iss.InvitePending(ctx, tx, "Grace", t0.Add(time.Hour)) })
		if err != nil || len(ids) != 2 || ids[0] != 1 || ids[1] != 3 {
			t.Fatalf("invited %v, %v; want Ada (1) and 3: not the one with a password, from SSO, already invited or inactive", ids, err)
		}
		ids, err = tx(t, d, func(tx *sqlx.Tx) ([]int64, error) { return iss.InvitePending(ctx, tx, "Grace", t0.Add(2*time.Hour)) })
		if err != nil || len(ids) != 0 {
			t.Errorf("a second run invited %v, %v", ids, err)
		}
		// Once 6's 3-day link has expired, they are invited again.
		ids, err = tx(t, d, func(tx *sqlx.Tx) ([]int64, error) { return iss.InvitePending(ctx, tx, "Grace", t0.Add(3*24*time.Hour)) })
		if err != nil || len(ids) != 1 || ids[0] != 6 {
			t.Errorf("after 3 days: %v, %v; want 6", ids, err)
		}
	})
}
