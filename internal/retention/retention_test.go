package retention_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/demo"
	"steward/internal/mail"
	"steward/internal/people"
	"steward/internal/retention"
	"steward/policies"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func demoDB(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	if _, err := demo.Seed(context.Background(), d, t0, demo.Options{BcryptCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	return d
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Get(&n, d.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// snapshot is every row of the tables retention touches, to show that a
// dry run leaves them as they were.
func snapshot(t *testing.T, d *db.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, email, name, password_hash, pseudonymised_at IS NULL FROM users ORDER BY id`,
		`SELECT id, recipient, status, body_text FROM outbox ORDER BY id`,
		`SELECT id, email FROM policy_subscriptions ORDER BY id`,
		`SELECT id, hash FROM audit_log ORDER BY id`,
	} {
		rows, err := d.Queryx(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// evidence counts the rows that prove what someone did.
func evidence(t *testing.T, d *db.DB, id int64) [3]int {
	return [3]int{
		count(t, d, `SELECT COUNT(*) FROM course_cycles WHERE user_id = ?`, id),
		count(t, d, `SELECT COUNT(*) FROM course_attempts WHERE user_id = ?`, id),
		count(t, d, `SELECT COUNT(*) FROM policy_acknowledgements WHERE user_id = ?`, id),
	}
}

func TestPeopleArePseudonymisedAfterTheRetentionPeriodWithTheirEvidenceKept(t *testing.T) {
	dbtest.Dialects(t, testPseudonymise)
}

func testPseudonymise(t *testing.T, d *db.DB) {
	ctx := context.Background()
	demoDB(t, d)
	store := people.NewStore(d)
	eli, err := store.ByEmail(ctx, "employee@example.com")
	if err != nil {
		t.Fatal(err)
	}
	before := evidence(t, d, eli.ID)
	if before[0] == 0 || before[1] == 0 {
		t.Fatalf("the demo employee has no training evidence to keep: %v", before)
	}
	// Eli signs in with single sign-on: the provider's subject is Eli's too.
	if _, _, err := store.SignInSSO(ctx, people.Claims{Issuer: "https://login.example.com", Subject: "sub-eli",
		Email: eli.Email, EmailVerified: true}, people.SSOPolicy{Domains: []string{"example.com"}}, t0); err != nil {
		t.Fatal(err)
	}
	left := t0.AddDate(0, 1, 0)
	// Eli leaves through the company directory, which had given Steward
	// a department, an employee number and its own names for him.
	if _, err := store.Reprovision(ctx, eli.ID, people.Provisioned{UserName: "eturner", Email: eli.Email, Name: eli.Name,
		ExternalID: "00u-eli", Department: "Marketing", EmployeeNumber: "E-600", Active: false}, audit.System, left); err != nil {
		t.Fatal(err)
	}
	tx := d.MustBegin()
	if _, err := mail.Enqueue(ctx, tx, mail.Message{To: eli.Email, UserID: &eli.ID, Kind: "training_due", Subject: "Training due",
		Text: "Hi Eli Turner, your training is due.", DedupeKey: "k-eli"}, left); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	policy := retention.NewPolicy(365, policies.PurgeUnconfirmed, policies.SubscribedAddresses)

	// A day short of the period: Eli is still Eli.
	rep, err := retention.Run(ctx, d, policy, left.AddDate(0, 0, 364), false)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := store.Get(ctx, eli.ID); u.Name != "Eli Turner" {
		t.Fatalf("pseudonymised too early: %+v, %q", rep, u.Name)
	}

	later := left.AddDate(0, 0, 366)
	snap := snapshot(t, d)
	dry, err := retention.Run(ctx, d, policy, later, true)
	if err != nil {
		t.Fatal(err)
	}
	if dry.People != 1 || !dry.DryRun {
		t.Fatalf("dry run found %+v", dry)
	}
	if snapshot(t, d) != snap {
		t.Fatal("a dry run changed the database")
	}

	rep, err = retention.Run(ctx, d, policy, later, false)
	if err != nil {
		t.Fatal(err)
	}
	promised := dry
	promised.DryRun = false
	if rep != promised {
		t.Fatalf("the run did %+v, the dry run promised %+v", rep, dry)
	}
	u, err := store.Get(ctx, eli.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Department != "" || u.EmployeeNumber != "" || u.UserName != nil || u.ExternalID != nil {
		t.Errorf("the directory's details outlive pseudonymisation: %q %q %v %v", u.Department, u.EmployeeNumber, u.UserName, u.ExternalID)
	}
	if u.Name != people.PseudonymName(eli.ID) || u.Email != people.PseudonymEmail(eli.ID) || u.PasswordHash != "" || u.HiredOn != nil {
		t.Fatalf("after retention: %+v", u)
	}
	if _, err := store.ByEmail(ctx, "employee@example.com"); err == nil {
		t.Fatal("the old email still finds the person")
	}
	if n := count(t, d, `SELECT COUNT(*) FROM identities WHERE user_id = ?`, eli.ID); n != 0 {
		t.Fatalf("%d single sign-on identities still point to the person", n)
	}
	if got := evidence(t, d, eli.ID); got != before {
		t.Fatalf("evidence %v became %v", before, got)
	}
	// Their mail keeps its kind and status but not the address or the text.
	if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE recipient LIKE '%employee@example.com%' OR body_text LIKE '%Eli%'`); n != 0 {
		t.Fatalf("%d emails still carry Eli's address or name", n)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE user_id = ? AND status = 'dropped'`, eli.ID); n == 0 {
		t.Fatal("the queued email to Eli was not dropped")
	}
	// Only counts reach the audit log, and the chain still holds.
	var detail string
	if err := d.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'retention.run' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, fmt.Sprintf("people_pseudonymised=%d", rep.People)) {
		t.Fatalf("audit detail %q", detail)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%Eli%' OR detail LIKE '%employee@%'`); n != 0 {
		t.Fatal("the audit log names the person")
	}
	if n, err := audit.Verify(ctx, d); err != nil || n == 0 {
		t.Fatalf("verify after retention: %d, %v", n, err)
	}
	if last, err := retention.LastRun(ctx, d); err != nil || !last.Equal(later) {
		t.Fatalf("last run %v, %v", last, err)
	}

	// A second run finds nothing more to do.
	again, err := retention.Run(ctx, d, policy, later.Add(time.Hour), false)
	if err != nil || (again != retention.Report{Now: again.Now}) {
		t.Fatalf("second run: %+v, %v", again, err)
	}
}

func TestSubscriptionsExpireAndUnsubscribedAddressesAreOnlyHashed(t *testing.T) {
	dbtest.Dialects(t, testSubscriptions)
}

func testSubscriptions(t *testing.T, d *db.DB) {
	ctx := context.Background()
	r, err := mail.NewRenderer("http://steward.test")
	if err != nil {
		t.Fatal(err)
	}
	pol := policies.NewStore(d, r)
	for _, e := range []string{"stays@example.com", "leaves@example.com", "never@example.com"} {
		if err := pol.Subscribe(ctx, e, t0); err != nil {
			t.Fatal(err)
		}
	}
	token := func(email string) string {
		var tok string
		if err := d.Get(&tok, d.Rebind(`SELECT token FROM policy_subscriptions WHERE email = ?`), email); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, e := range []string{"stays@example.com", "leaves@example.com"} {
		if _, err := pol.Confirm(ctx, token(e), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// A notice queued before leaves@ unsubscribed must not go after.
	tx := d.MustBegin()
	mail.Enqueue(ctx, tx, mail.Message{To: "leaves@example.com", Kind: "policy_notice", Subject: "Changed", Text: "x", DedupeKey: "n1"}, t0)
	tx.Commit()
	if gone, err := pol.Unsubscribe(ctx, token("leaves@example.com")); err != nil || !gone {
		t.Fatalf("unsubscribe: %v %v", gone, err)
	}
	check := retention.SuppressionCheck{DB: d}
	var queued mail.Outgoing
	if err := d.Get(&queued, `SELECT id, recipient, user_id, kind FROM outbox WHERE dedupe_key = 'n1'`); err != nil {
		t.Fatal(err)
	}
	if wanted, err := check.StillWanted(ctx, queued); err != nil || wanted {
		t.Fatalf("a notice to an unsubscribed address is still wanted: %v %v", wanted, err)
	}
	staff := queued
	staff.UserID = new(int64)
	for _, tc := range []struct {
		name   string
		checks retention.AllChecks
		m      mail.Outgoing
		want   bool
	}{
		{"suppressed customer", retention.AllChecks{check}, queued, false},
		{"staff at the same address", retention.AllChecks{check}, staff, true},
		{"no checks", retention.AllChecks{}, queued, true},
		{"every check must agree", retention.AllChecks{retention.AllChecks{}, check}, queued, false},
	} {
		if got, err := tc.checks.StillWanted(ctx, tc.m); err != nil || got != tc.want {
			t.Errorf("%s: wanted %v (%v), want %v", tc.name, got, err, tc.want)
		}
	}
	if n := count(t, d, `SELECT COUNT(*) FROM policy_subscriptions WHERE email = 'leaves@example.com'`); n != 0 {
		t.Fatal("the unsubscribed address is still stored")
	}

	rep, err := retention.Run(ctx, d, retention.NewPolicy(365, policies.PurgeUnconfirmed, policies.SubscribedAddresses), t0.Add(7*24*time.Hour+time.Minute), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Subscriptions != 1 || rep.DroppedMail < 1 {
		t.Fatalf("report %+v", rep)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM policy_subscriptions`); n != 1 {
		t.Fatalf("%d subscriptions left, want only the confirmed one", n)
	}
	for _, gone := range []string{"leaves@example.com", "never@example.com"} {
		if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE recipient = ? OR body_text LIKE ?`, gone, "%"+gone+"%"); n != 0 {
			t.Fatalf("%s is still in %d emails", gone, n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE recipient = ?`, retention.HashedPrefix+hasher(t, d).Hash(gone)); n == 0 {
			t.Fatalf("%s's emails lost their hashed recipient", gone)
		}
	}
	if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE recipient = 'stays@example.com'`); n == 0 {
		t.Fatal("the subscriber's own emails were touched")
	}
	if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'n1' AND status = 'dropped'`); n != 1 {
		t.Fatal("the queued notice to the unsubscribed address was not dropped")
	}

	// Subscribing and confirming again is a fresh request: mail flows again.
	if err := pol.Subscribe(ctx, "leaves@example.com", t0.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := pol.Confirm(ctx, token("leaves@example.com"), t0.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if s, err := retention.Suppressed(ctx, d, hasher(t, d), "Leaves@Example.com"); err != nil || s {
		t.Fatalf("still suppressed after confirming again: %v %v", s, err)
	}
}

func TestSentBodiesAreDeletedAfterTheirPeriod(t *testing.T) { dbtest.Dialects(t, testSentBodies) }

func testSentBodies(t *testing.T, d *db.DB) {
	ctx := context.Background()
	sentAt := t0
	for i, status := range []string{"sent", "sent", "queued", "dead"} {
		tx := d.MustBegin()
		if _, err := mail.Enqueue(ctx, tx, mail.Message{To: "x@example.com", Kind: "training_due", Subject: "S",
			Text: "body", HTML: "<p>body</p>", DedupeKey: fmt.Sprint("k", i)}, t0); err != nil {
			t.Fatal(err)
		}
		tx.MustExec(tx.Rebind(`UPDATE outbox SET status = ?, sent_at = ? WHERE dedupe_key = ?`), status, sentAt.Add(time.Duration(i)*24*time.Hour), fmt.Sprint("k", i))
		tx.Commit()
	}
	// Mail to a member of staff, so that only the rule for bodies applies.
	id, err := people.NewStore(d).Create(ctx, people.Input{Email: "x@example.com", Name: "X", Role: people.RoleEmployee}, audit.CLI, t0)
	if err != nil {
		t.Fatal(err)
	}
	d.MustExec(d.Rebind(`UPDATE outbox SET user_id = ?`), id)
	p := retention.NewPolicy(365, policies.PurgeUnconfirmed, policies.SubscribedAddresses)
	rep, err := retention.Run(ctx, d, p, t0.Add(p.MailBodies).Add(12*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MailBodies != 1 {
		t.Fatalf("%d bodies deleted, want the one sent more than 90 days ago", rep.MailBodies)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM outbox WHERE body_text = '' AND subject = 'S' AND status = 'sent'`); n != 1 {
		t.Fatalf("%d rows emptied", n)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM outbox`); n != 4 {
		t.Fatalf("%d rows left, want all 4", n)
	}
}

func TestSessionRecordsGoAfterTheirPeriod(t *testing.T) { dbtest.Dialects(t, testSessionRecords) }

func testSessionRecords(t *testing.T, d *db.DB) {
	ctx := context.Background()
	demoDB(t, d)
	store := people.NewStore(d)
	eli, err := store.ByEmail(ctx, "employee@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// One session ended long ago, one abandoned long ago, one in use.
	for i, at := range []time.Time{t0.AddDate(0, 0, -40), t0.AddDate(0, 0, -35), t0.Add(-time.Hour)} {
		if err := store.StartSession(ctx, fmt.Sprintf("session-%d", i), eli.ID, "Firefox on Linux", "192.0.2.x", at); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.EndSession(ctx, "session-0", people.EndedLogout, t0.AddDate(0, 0, -40)); err != nil {
		t.Fatal(err)
	}
	rep, err := retention.Run(ctx, d, retention.NewPolicy(365, policies.PurgeUnconfirmed, policies.SubscribedAddresses), t0, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sessions != 2 || !strings.Contains(rep.Detail(), "sessions=2") {
		t.Fatalf("report: %+v", rep)
	}
	live, err := store.Sessions(ctx, eli.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 1 || live[0].IDHash != people.HashSessionID("session-2") {
		t.Fatalf("left %d sessions: %+v", len(live), live)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d session records left, want the one in use", n)
	}
	if n := count(t, d, `SELECT sessions FROM retention_runs ORDER BY id DESC LIMIT 1`); n != 2 {
		t.Fatalf("the run recorded %d sessions", n)
	}
}
