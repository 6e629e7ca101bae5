package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func enqueueN(t testing.TB, d *db.DB, n int, now time.Time, prefix string) {
	t.Helper()
	err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		for i := 0; i < n; i++ {
			m := Message{To: fmt.Sprintf("person%d@example.com", i), Kind: "test", Subject: fmt.Sprintf("Hello %d", i),
				Text: "plain", HTML: "<p>html</p>", DedupeKey: fmt.Sprintf("%s:%d", prefix, i)}
			if _, err := Enqueue(context.Background(), tx, m, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func newTestWorker(t testing.TB, d *db.DB, smtpURL string, c *clock) *Worker {
	t.Helper()
	dialer, err := ParseSMTPURL(smtpURL)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(d, dialer, "Steward <steward@example.com>", "steward.example.com")
	w.Now = c.Now
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.Jitter = func() float64 { return 0.5 }
	return w
}

func statusCounts(t testing.TB, d *db.DB) map[string]int {
	t.Helper()
	c, err := NewOutbox(d).Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeliveryCarriesHeadersAndBothBodies(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		s := newSink(t)
		c := &clock{now: t0}
		msg := Message{To: "ada@example.com", Kind: "policy_change", Subject: "The privacy policy changed",
			Text: "Read it.", HTML: "<p>Read it.</p>", DedupeKey: "policy:privacy:v3:ada@example.com",
			Headers: map[string]string{"List-Unsubscribe": "<https://steward.example.com/unsubscribe/abc>",
				"List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "Message-ID": "<forged@evil>"}}
		if err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
			_, err := Enqueue(context.Background(), tx, msg, t0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		w := newTestWorker(t, d, s.url(), c)
		res, err := w.Drain(context.Background())
		if err != nil || res.Sent != 1 {
			t.Fatalf("drain = %+v, %v", res, err)
		}
		got := s.messages()
		if len(got) != 1 {
			t.Fatalf("sink got %d messages, want 1", len(got))
		}
		m := got[0]
		checks := map[string]string{
			"To":                       "ada@example.com",
			"Subject":                  "The privacy policy changed",
			"Message-Id":               MessageID(msg.DedupeKey, "steward.example.com"),
			"List-Unsubscribe":         "<https://steward.example.com/unsubscribe/abc>",
			"List-Unsubscribe-Post":    "List-Unsubscribe=One-Click",
			"Auto-Submitted":           "auto-generated",
			"X-Auto-Response-Suppress": "All",
			"Precedence":               "", // one person's email, not bulk
		}
		for h, want := range checks {
			if v := m.Header.Get(h); v != want {
				t.Errorf("header %s = %q, want %q", h, v, want)
			}
		}
		if !strings.HasSuffix(m.MessageID, "@steward.example.com>") {
			t.Errorf("Message-ID %q should end with the base URL's host", m.MessageID)
		}
		if m.From != "steward@example.com" || m.To != "ada@example.com" {
			t.Errorf("envelope from %q to %q", m.From, m.To)
		}
		raw := string(m.Raw)
		if !strings.Contains(raw, "text/plain") || !strings.Contains(raw, "text/html") || !strings.Contains(raw, "Read it.") {
			t.Errorf("want a multipart/alternative with both bodies, got:\n%s", raw)
		}
		row, err := NewOutbox(d).Get(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if row.Status != StatusSent || row.SentAt == nil || !row.SentAt.Equal(t0) || row.Attempts != 1 {
			t.Errorf("row after send: status %s sent_at %v attempts %d", row.Status, row.SentAt, row.Attempts)
		}
	})
}

func TestMessageIDIsStableAndDistinct(t *testing.T) {
	a1 := MessageID("digest:7:2026-11-28", "steward.example.com")
	a2 := MessageID("digest:7:2026-11-28", "steward.example.com")
	b := MessageID("digest:7:2026-11-29", "steward.example.com")
	if a1 != a2 || a1 == b {
		t.Fatalf("Message-IDs: %s %s %s", a1, a2, b)
	}
}

func TestSMTPDownForADayThenUpDeliversEverythingOnce(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		s := newSink(t)
		s.stop()
		c := &clock{now: t0}
		enqueueN(t, d, 30, t0, "down")
		w := newTestWorker(t, d, s.url(), c)
		w.BatchSize = 7
		ctx := context.Background()
		for elapsed := time.Duration(0); elapsed < 24*time.Hour; elapsed += 10 * time.Minute {
			if _, err := w.Drain(ctx); !errors.Is(err, ErrUnreachable) {
				t.Fatalf("drain with the server down: %v, want ErrUnreachable", err)
			}
			c.Add(10 * time.Minute)
		}
		// Nobody lost an attempt to the outage, and admins see why mail waits.
		if n := statusCounts(t, d)[StatusQueued]; n != 30 {
			t.Fatalf("want all 30 still queued, got %v", statusCounts(t, d))
		}
		row, _ := NewOutbox(d).Get(ctx, 1)
		if row.Attempts != 0 || !strings.Contains(row.LastError, "SMTP server unreachable") {
			t.Errorf("after the outage: attempts %d, last error %q", row.Attempts, row.LastError)
		}
		s.start()
		res, err := w.Drain(ctx)
		if err != nil || res.Sent != 30 {
			t.Fatalf("first pass after the server is back: %+v, %v", res, err)
		}
		ids := s.byMessageID()
		if len(ids) != 30 {
			t.Fatalf("delivered %d distinct messages, want 30 (status %v)", len(ids), statusCounts(t, d))
		}
		for id, n := range ids {
			if n != 1 {
				t.Errorf("%s delivered %d times", id, n)
			}
		}
	})
}

func TestServerFailingMidBatchLosesNothing(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		s := newSink(t)
		s.setHook(false, func(n int) error {
			switch n {
			case 5:
				return errCut // connection dies before the server answers
			case 9:
				return &smtp.SMTPError{Code: 451, Message: "try again later"}
			}
			return nil
		})
		c := &clock{now: t0}
		enqueueN(t, d, 20, t0, "mid")
		w := newTestWorker(t, d, s.url(), c)
		res, err := w.Drain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Sent != 18 || res.Failed != 2 {
			t.Fatalf("first pass = %+v, want 18 sent, 2 failed", res)
		}
		c.Add(5 * time.Minute)
		if res, err = w.Drain(context.Background()); err != nil || res.Sent != 2 {
			t.Fatalf("retry pass = %+v, %v", res, err)
		}
		ids := s.byMessageID()
		if len(ids) != 20 {
			t.Fatalf("delivered %d distinct, want 20", len(ids))
		}
		for id, n := range ids {
			if n != 1 {
				t.Errorf("%s delivered %d times", id, n)
			}
		}
	})
}

func TestPermanentRejectionAndMaxAttemptsMakeDeadAndAdminRetryRevives(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		s := newSink(t)
		var mu sync.Mutex
		reject, tempFail := true, false
		s.setHook(false, func(int) error {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case reject:
				return &smtp.SMTPError{Code: 550, Message: "no such mailbox"}
			case tempFail:
				return &smtp.SMTPError{Code: 451, Message: "try again later"}
			}
			return nil
		})
		c := &clock{now: t0}
		enqueueN(t, d, 1, t0, "dead")
		w := newTestWorker(t, d, s.url(), c)
		if res, _ := w.Drain(context.Background()); res.Dead != 1 {
			t.Fatalf("a 550 should make the message dead at once, got %+v", res)
		}
		o := NewOutbox(d)
		row, _ := o.Get(context.Background(), 1)
		if !strings.Contains(row.LastError, "no such mailbox") {
			t.Errorf("last error %q should keep the server's reply", row.LastError)
		}
		admin := int64(1)
		if err := o.Retry(context.Background(), 1, &admin, "user:1", c.Now()); err != nil {
			t.Fatal(err)
		}
		if err := o.Retry(context.Background(), 1, &admin, "user:1", c.Now()); err != ErrNotDead {
			t.Errorf("retrying a queued message: %v, want ErrNotDead", err)
		}
		var actions []string
		if err := d.Select(&actions, `SELECT action || ' ' || target FROM audit_log`); err != nil {
			t.Fatal(err)
		}
		if len(actions) != 1 || actions[0] != "mail.retry outbox:1" {
			t.Errorf("audit log %v", actions)
		}
		mu.Lock()
		reject = false
		mu.Unlock()
		if res, _ := w.Drain(context.Background()); res.Sent != 1 {
			t.Fatalf("after retry: %+v", res)
		}

		// Temporary failures: dead after MaxAttempts, with growing delays.
		mu.Lock()
		tempFail = true
		mu.Unlock()
		enqueueN(t, d, 1, c.Now(), "temp")
		var delays []time.Duration
		for i := 0; i < 8; i++ {
			w.Drain(context.Background())
			row, _ := o.Get(context.Background(), 2)
			if row.Status == StatusDead {
				if row.Attempts != 8 || i != 7 {
					t.Fatalf("dead after %d attempts (pass %d), want 8", row.Attempts, i)
				}
				break
			}
			delays = append(delays, row.NextAttemptAt.Sub(c.Now()))
			c.now = row.NextAttemptAt
		}
		for i := 1; i < len(delays); i++ {
			if delays[i] <= delays[i-1] {
				t.Errorf("backoff not growing: %v", delays)
			}
		}
		if row, _ := o.Get(context.Background(), 2); row.Status != StatusDead {
			t.Errorf("status %s after 8 failures", row.Status)
		}
	})
}

type refuseKind string

func (r refuseKind) StillWanted(_ context.Context, m Outgoing) (bool, error) {
	return m.Kind != string(r), nil
}

func TestMessageWhoseReasonIsGoneIsDropped(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		s := newSink(t)
		c := &clock{now: t0}
		enqueueN(t, d, 2, t0, "keep")
		if err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
			_, err := Enqueue(context.Background(), tx, Message{To: "x@example.com", Kind: "reminders", Subject: "s", Text: "t", DedupeKey: "gone"}, t0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		w := newTestWorker(t, d, s.url(), c)
		w.Check = refuseKind("reminders")
		res, err := w.Drain(context.Background())
		if err != nil || res.Sent != 2 || res.Dropped != 1 {
			t.Fatalf("drain = %+v, %v", res, err)
		}
		for _, m := range s.messages() {
			if m.To == "x@example.com" {
				t.Error("a dropped message reached the server")
			}
		}
		if statusCounts(t, d)[StatusDropped] != 1 {
			t.Errorf("status %v", statusCounts(t, d))
		}
	})
}

func TestTwoWorkersNeverSendTheSameRow(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		d1 := d
		d2 := dbtest.Reopen(t, d)
		s := newSink(t)
		c := &clock{now: t0}
		enqueueN(t, d1, 200, t0, "pair")
		var wg sync.WaitGroup
		for _, d := range []*db.DB{d1, d2} {
			w := newTestWorker(t, d, s.url(), c)
			w.BatchSize = 10
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.Drain(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		ids := s.byMessageID()
		if len(ids) != 200 {
			t.Fatalf("delivered %d distinct, want 200", len(ids))
		}
		for id, n := range ids {
			if n != 1 {
				t.Errorf("%s delivered %d times", id, n)
			}
		}
	})
}

func TestRecoverRequeuesOnlyAbandonedClaims(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		c := &clock{now: t0}
		enqueueN(t, d, 3, t0, "rec")
		w := newTestWorker(t, d, "smtp://127.0.0.1:1?starttls=none", c)
		if _, _, err := w.claim(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, _ := w.Recover(context.Background()); n != 0 {
			t.Fatalf("recovered %d rows another worker is sending right now", n)
		}
		c.Add(w.StaleAfter)
		if n, _ := w.Recover(context.Background()); n != 3 {
			t.Fatalf("recovered %d abandoned rows, want 3", n)
		}
		if got := statusCounts(t, d)[StatusQueued]; got != 3 {
			t.Fatalf("queued = %d", got)
		}
	})
}

// TestCrashWhileSendingResendsWithSameMessageID kills a real worker process
// in the middle of a batch: the server has received a message but the
// worker never saw the reply, so the row is still "sending". After restart
// nothing is lost, and the one message sent twice carries the same
// Message-ID both times.
func TestCrashWhileSendingResendsWithSameMessageID(t *testing.T) {
	if os.Getenv("STEWARD_MAIL_CRASH_CHILD") != "" {
		return
	}
	path := t.TempDir() + "/steward.db"
	d := openTestDB(t, path)
	s := newSink(t)
	hung := make(chan struct{})
	release := make(chan struct{})
	// The server stores the 4th message, then holds its reply until the
	// worker is dead.
	s.setHook(true, func(n int) error {
		if n == 4 {
			close(hung)
			<-release
			return errCut
		}
		return nil
	})
	enqueueN(t, d, 10, t0, "crash")

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), "STEWARD_MAIL_CRASH_CHILD=1", "CRASH_DB="+path, "CRASH_SMTP="+s.url())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hung:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child never reached the 4th message")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(release)

	if n := statusCounts(t, d)[StatusSending]; n == 0 {
		t.Fatalf("the killed worker should have left rows sending: %v", statusCounts(t, d))
	}
	c := &clock{now: t0.Add(3 * time.Minute)}
	w := newTestWorker(t, d, s.url(), c)
	if _, err := w.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := statusCounts(t, d)[StatusSent]; got != 10 {
		t.Fatalf("sent %d of 10 after restart: %v", got, statusCounts(t, d))
	}
	ids := s.byMessageID()
	if len(ids) != 10 {
		t.Fatalf("%d distinct Message-IDs, want 10", len(ids))
	}
	twice := 0
	for id, n := range ids {
		switch n {
		case 1:
		case 2:
			twice++
			if id != MessageID("crash:3", "steward.example.com") {
				t.Errorf("resent %s, want the 4th message", id)
			}
		default:
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if twice != 1 {
		t.Errorf("%d messages resent, want exactly the one in flight at the crash", twice)
	}
}

// TestCrashChild is the worker process the crash test kills.
func TestCrashChild(t *testing.T) {
	if os.Getenv("STEWARD_MAIL_CRASH_CHILD") == "" {
		t.Skip("run by TestCrashWhileSendingResendsWithSameMessageID")
	}
	d, err := db.Open(os.Getenv("CRASH_DB"))
	if err != nil {
		t.Fatal(err)
	}
	w := newTestWorker(t, d, os.Getenv("CRASH_SMTP"), &clock{now: t0})
	w.Drain(context.Background())
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		raw     string
		host    string
		port    int
		user    string
		ssl     bool
		timeout time.Duration
		wantErr bool
	}{
		{raw: "smtp://u:p@mail.example.com:2525?starttls=mandatory", host: "mail.example.com", port: 2525, user: "u", timeout: 10 * time.Second},
		{raw: "smtp://mail.example.com", host: "mail.example.com", port: 587, timeout: 10 * time.Second},
		{raw: "smtps://u:p@mail.example.com", host: "mail.example.com", port: 465, user: "u", ssl: true, timeout: 10 * time.Second},
		{raw: "smtp://localhost:1025?starttls=none&timeout=3s", host: "localhost", port: 1025, timeout: 3 * time.Second},
		{raw: "smtp://localhost:1025?starttls=sometimes", wantErr: true},
		{raw: "http://localhost", wantErr: true},
		{raw: "smtp://:25", wantErr: true},
		{raw: "smtp://h:99999", wantErr: true},
		{raw: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			d, err := ParseSMTPURL(tt.raw)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Host != tt.host || d.Port != tt.port || d.Username != tt.user || d.SSL != tt.ssl || d.Timeout != tt.timeout {
				t.Errorf("got %+v", d)
			}
		})
	}
}

func BenchmarkOutboxToSMTP(b *testing.B) {
	d := openTestDB(b, "")
	s := newSink(b)
	c := &clock{now: t0}
	enqueueN(b, d, b.N, t0, "bench")
	w := newTestWorker(b, d, s.url(), c)
	b.ResetTimer()
	start := time.Now()
	res, err := w.Drain(context.Background())
	if err != nil || res.Sent != b.N {
		b.Fatalf("drain = %+v, %v", res, err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func TestEnqueueManyIDsQueuesNewKeysOnly(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		enqueueN(t, d, 1, t0, "many") // many:0 exists already
		var msgs []Message
		for i := 0; i < 120; i++ {
			msgs = append(msgs, Message{To: "x@example.com", Kind: "test", Subject: "s", Text: "t", DedupeKey: fmt.Sprintf("many:%d", i)})
		}
		msgs = append(msgs, msgs[5]) // a repeated key in the same call
		var ids []int64
		err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
			var err error
			ids, err = EnqueueManyIDs(context.Background(), tx, msgs, t0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		queued := make([]bool, len(ids))
		for i, id := range ids {
			if queued[i] = id != 0; queued[i] {
				n++
			}
		}
		if queued[0] || !queued[1] || !queued[119] || queued[120] || n != 119 {
			t.Errorf("queued %d (first %v, last %v, repeat %v), want 119 new", n, queued[0], queued[119], queued[120])
		}
		if c := statusCounts(t, d)[StatusQueued]; c != 120 {
			t.Errorf("outbox holds %d, want 120", c)
		}
	})
}

func TestEnqueueManyIDsNamesEachNewRow(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		enqueueN(t, d, 1, t0, "ids") // ids:0 exists already
		var msgs []Message
		for i := 0; i < 60; i++ {
			msgs = append(msgs, Message{To: "x@example.com", Kind: "test", Subject: "s", Text: "t", DedupeKey: fmt.Sprintf("ids:%d", i)})
		}
		var ids []int64
		err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
			var err error
			ids, err = EnqueueManyIDs(context.Background(), tx, msgs, t0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ids[0] != 0 {
			t.Errorf("a key already queued got id %d, want 0", ids[0])
		}
		for i, id := range ids[1:] {
			var key string
			if err := d.Get(&key, d.Rebind(`SELECT dedupe_key FROM outbox WHERE id = ?`), id); err != nil {
				t.Fatalf("message %d: id %d: %v", i+1, id, err)
			}
			if key != msgs[i+1].DedupeKey {
				t.Errorf("id %d holds %s, want %s", id, key, msgs[i+1].DedupeKey)
			}
		}
	})
}

// Bulk mail (the reminder digest, a policy's notice to its subscribers)
// goes out with Precedence: bulk; an invitation does not; none of them
// invites an out-of-office reply, and a message cannot take those headers
// off.
func TestBulkMailKeepsAutoRepliesAway(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		s := newSink(t)
		c := &clock{now: t0}
		kinds := map[string]string{KindDigest: "bulk", "policy_notice": "bulk", "invite": "", KindManagerReminder: ""}
		r, err := NewRenderer("https://steward.example.com")
		if err != nil {
			t.Fatal(err)
		}
		r.Brand = func() Brand { return Brand{Name: "Acme Ltd"} }
		digest, err := r.Digest(&Digest{Name: "Ada", Summary: "1 item for you",
			Own: []DigestLine{{"Read Privacy", "Due by 5 Dec 2026.", r.Link("/policies/privacy")}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Tx(context.Background(), func(tx *sqlx.Tx) error {
			for kind := range kinds {
				m := Message{To: kind + "@example.com", Kind: kind, Subject: "s", Text: "t", HTML: "<p>t</p>", DedupeKey: "k:" + kind,
					Headers: map[string]string{"Precedence": "list", "Auto-Submitted": "no", "X-Auto-Response-Suppress": "None"}}
				if kind == KindDigest {
					m.Subject, m.Text, m.HTML = digest.Subject, digest.Text, digest.HTML
				}
				if _, err := Enqueue(context.Background(), tx, m, t0); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if res, err := newTestWorker(t, d, s.url(), c).Drain(context.Background()); err != nil || res.Sent != len(kinds) {
			t.Fatalf("drain = %+v, %v", res, err)
		}
		got := s.messages()
		if len(got) != len(kinds) {
			t.Fatalf("sink got %d messages, want %d", len(got), len(kinds))
		}
		for _, m := range got {
			kind := strings.TrimSuffix(m.To, "@example.com")
			if p := m.Header.Get("Precedence"); p != kinds[kind] {
				t.Errorf("%s: Precedence %q, want %q", kind, p, kinds[kind])
			}
			if v := m.Header.Get("X-Auto-Response-Suppress"); v != "All" {
				t.Errorf("%s: X-Auto-Response-Suppress %q", kind, v)
			}
			if v := m.Header.Get("Auto-Submitted"); v != "auto-generated" {
				t.Errorf("%s: Auto-Submitted %q", kind, v)
			}
			if kind == KindDigest {
				raw := string(m.Raw)
				if m.Subject != "Acme Ltd: 1 item for you" || !strings.Contains(raw, "text/plain") || !strings.Contains(raw, "text/html") ||
					!strings.Contains(raw, "<title>Acme Ltd: 1 item for you</title>") {
					t.Errorf("the digest arrived as %q:\n%s", m.Subject, raw)
				}
			}
		}
	})
}
