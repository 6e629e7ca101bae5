package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is an SMTP server on 127.0.0.1 that keeps what it receives and
// can be stopped and started on the same address.
type smtpSink struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	got  []*netmail.Message
	srv  *smtp.Server
	ln   net.Listener
}

type sinkSession struct{ s *smtpSink }

func (ss sinkSession) Reset()                               {}
func (ss sinkSession) Logout() error                        { return nil }
func (ss sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, m)
	ss.s.mu.Unlock()
	return nil
}

func (s *smtpSink) start() {
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }))
	srv.Domain = "sink.test"
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	s.srv, s.ln = srv, ln
	go srv.Serve(ln)
}

func (s *smtpSink) stop() {
	if s.srv != nil {
		s.ln.Close()
		s.srv.Close()
		s.srv = nil
	}
}

func (s *smtpSink) messages() []*netmail.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*netmail.Message(nil), s.got...)
}

// TestRemindAndMailSend is the path an operator takes: load the demo, see
// the plan, queue it, deliver it while the mail server is down and then up,
// and move the clock to read the overdue and escalation emails.
func TestRemindAndMailSend(t *testing.T) {
	sink := &smtpSink{t: t}
	sink.start()
	t.Cleanup(sink.stop)
	env := map[string]string{
		"STEWARD_DATABASE_URL": filepath.Join(t.TempDir(), "steward.db"),
		"STEWARD_BASE_URL":     "https://steward.example.com",
		"STEWARD_SMTP_URL":     "smtp://" + sink.addr + "?starttls=none&timeout=2s",
	}
	if code, _, errOut := steward(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	code, out, errOut := steward(t, env, "", "remind", "--dry-run")
	if code != 0 || !strings.Contains(out, "would queue (dry run)") || !strings.Contains(out, "policy_notice") {
		t.Fatalf("remind --dry-run: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = steward(t, env, "", "remind")
	if code != 0 || !strings.Contains(out, "queued") {
		t.Fatalf("remind: %d %s", code, out)
	}
	var digests int
	_, rest, _ := strings.Cut(out, "queued ")
	if _, err := fmt.Sscan(rest, &digests); err != nil || digests == 0 {
		t.Fatalf("cannot read the digest count from %q", out)
	}

	sink.stop()
	code, out, errOut = steward(t, env, "", "mail", "send")
	if code != 1 || !strings.Contains(errOut, "SMTP server unreachable") || !strings.Contains(out, "sent 0") {
		t.Fatalf("mail send with the server down: %d\n%s%s", code, out, errOut)
	}
	sink.start()
	code, out, errOut = steward(t, env, "", "mail", "send")
	if code != 0 || len(sink.messages()) != digests {
		t.Fatalf("mail send with the server back: %d, sink has %d of %d\n%s%s", code, len(sink.messages()), digests, out, errOut)
	}
	ids := map[string]bool{}
	for _, m := range sink.messages() {
		ids[m.Header.Get("Message-Id")] = true
	}
	if len(ids) != digests {
		t.Errorf("%d distinct Message-IDs for %d digests", len(ids), digests)
	}

	// Forty days on: overdue training, escalations to managers.
	fortyDaysOn := time.Now().UTC().AddDate(0, 0, 40)
	later := fortyDaysOn.Format(time.RFC3339)
	code, out, _ = stewardAt(t, func() time.Time { return fortyDaysOn }, env, "", "remind", "--now", later)
	if code != 0 || !strings.Contains(out, "training_overdue") || !strings.Contains(out, "training_escalation") {
		t.Fatalf("remind --now %s: %d\n%s", later, code, out)
	}
	before := len(sink.messages())
	if code, out, errOut = steward(t, env, "", "mail", "send"); code != 0 {
		t.Fatalf("mail send: %s%s", out, errOut)
	}
	overdue := 0
	for _, m := range sink.messages()[before:] {
		body, _ := io.ReadAll(m.Body)
		if strings.Contains(string(body), "is overdue") || strings.Contains(string(body), "has not completed") {
			overdue++
		}
	}
	if overdue == 0 {
		t.Error("no delivered email tells of overdue training")
	}
	if code, _, _ := steward(t, env, "", "remind", "--now", "yesterday"); code != 2 {
		t.Errorf("a bad --now exits %d, want 2", code)
	}
}

// The reminders `steward remind` queues carry the organisation's name, as
// the emails of `serve` do, not the host name of the base URL.
func TestRemindMailCarriesTheOrganisationsName(t *testing.T) {
	sink := &smtpSink{t: t}
	sink.start()
	t.Cleanup(sink.stop)
	env := map[string]string{
		"STEWARD_DATABASE_URL": filepath.Join(t.TempDir(), "steward.db"),
		"STEWARD_BASE_URL":     "https://steward.example.com",
		"STEWARD_SMTP_URL":     "smtp://" + sink.addr + "?starttls=none&timeout=2s",
		"STEWARD_ORG_NAME":     "Quillfeather Ltd",
	}
	if code, _, errOut := steward(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	if code, out, errOut := steward(t, env, "", "remind"); code != 0 || !strings.Contains(out, "queued") {
		t.Fatalf("remind: %d %s%s", code, out, errOut)
	}
	if code, out, errOut := steward(t, env, "", "mail", "send"); code != 0 || len(sink.messages()) == 0 {
		t.Fatalf("mail send: %d, %d messages\n%s%s", code, len(sink.messages()), out, errOut)
	}
	for _, m := range sink.messages() {
		subject := m.Header.Get("Subject")
		body, err := io.ReadAll(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(subject, "Quillfeather Ltd: ") || !strings.Contains(string(body), "Quillfeather Ltd") {
			t.Fatalf("a reminder does not carry the organisation's name: %q\n%s", subject, body)
		}
		if strings.Contains(subject, "steward.example.com") {
			t.Errorf("a reminder's subject names the host: %q", subject)
		}
	}
}
