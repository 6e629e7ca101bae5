package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	netmail "net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

// received is one email as the sink got it.
type received struct {
	From, To  string
	MessageID string
	Subject   string
	Header    netmail.Header
	Raw       []byte
}

// sink is an in-process SMTP server on 127.0.0.1 that records what it
// receives. It can be stopped and started again on the same address, and
// its beforeAccept hook can refuse, hang or cut the connection.
type sink struct {
	t    testing.TB
	addr string

	mu  sync.Mutex
	got []received
	srv *smtp.Server
	ln  net.Listener
	// beforeAccept runs after a message's data is read and before it is
	// recorded; n counts DATA commands so far (1-based). A non-nil error
	// rejects the message; errCut closes the connection without a reply.
	beforeAccept func(n int) error
	// recordFirst records a message before beforeAccept runs: the server
	// stored it, and the reply is what gets lost.
	recordFirst bool
	datas       int
}

var errCut = errors.New("cut the connection")

func newSink(t testing.TB) *sink {
	t.Helper()
	s := &sink{t: t}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *sink) start() {
	s.t.Helper()
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("sink listen: %v", err)
	}
	s.addr = l.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s, c: c}, nil
	}))
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 5 * time.Second
	srv.WriteTimeout = 5 * time.Second
	s.mu.Lock()
	s.srv, s.ln = srv, l
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

func (s *sink) stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Serve may not have registered the listener yet; closing it
		// here makes the stop certain.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// setHook installs beforeAccept (and recordFirst) under the sink's lock:
// the server's goroutines read them.
func (s *sink) setHook(recordFirst bool, hook func(n int) error) {
	s.mu.Lock()
	s.beforeAccept, s.recordFirst = hook, recordFirst
	s.mu.Unlock()
}

func (s *sink) url() string { return "smtp://steward:secret@" + s.addr + "?starttls=none&timeout=2s" }

func (s *sink) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// byMessageID counts deliveries per Message-ID.
func (s *sink) byMessageID() map[string]int {
	out := map[string]int{}
	for _, m := range s.messages() {
		out[m.MessageID]++
	}
	return out
}

type sinkSession struct {
	s        *sink
	c        *smtp.Conn
	from, to string
}

func (ss *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "steward" || password != "secret" {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", "" }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = to
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	rec := received{From: ss.from, To: ss.to, MessageID: msg.Header.Get("Message-ID"),
		Subject: msg.Header.Get("Subject"), Header: msg.Header, Raw: raw}
	s.mu.Lock()
	s.datas++
	n, hook, first := s.datas, s.beforeAccept, s.recordFirst
	if first {
		s.got = append(s.got, rec)
	}
	s.mu.Unlock()
	if hook != nil {
		if err := hook(n); err != nil {
			if errors.Is(err, errCut) {
				_ = ss.c.Conn().Close()
			}
			return err
		}
	}
	if !first {
		s.mu.Lock()
		s.got = append(s.got, rec)
		s.mu.Unlock()
	}
	return nil
}

// clock is a settable time source for the worker.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func openTestDB(t testing.TB, path string) *db.DB {
	t.Helper()
	if path == "" {
		return dbtest.Open(t)
	}
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}
