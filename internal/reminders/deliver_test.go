package reminders

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"steward/internal/mail"
)

// countingSink is an SMTP server on 127.0.0.1 that counts what it receives.
type countingSink struct{ n atomic.Int64 }

type countingSession struct{ s *countingSink }

func (countingSession) Reset()                               {}
func (countingSession) Logout() error                        { return nil }
func (countingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (countingSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (c countingSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	c.s.n.Add(1)
	return nil
}

func startCountingSink(tb testing.TB) (*countingSink, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &countingSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return countingSession{s}, nil }))
	srv.Domain = "sink.test"
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return s, "smtp://" + ln.Addr().String() + "?starttls=none&timeout=2s"
}

// BenchmarkDeliverDigests measures reminder digests from the outbox to a
// local SMTP server, each checked at send time (mail.Checker) as serve
// does it.
//
//	go test -run XXX -bench DeliverDigests -benchtime 1x ./internal/reminders/
func BenchmarkDeliverDigests(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		o := newOrg(b, "")
		now := time.Date(2027, 6, 1, 6, 0, 0, 0, time.UTC)
		generate(b, o, 5000, 5, now)
		plan := o.sweep(now)
		sink, url := startCountingSink(b)
		dialer, err := mail.ParseSMTPURL(url)
		if err != nil {
			b.Fatal(err)
		}
		w := mail.NewWorker(o.d, dialer, "steward@example.com", "steward.example.com")
		w.Now = func() time.Time { return now.Add(time.Minute) }
		w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		w.Check = &Checker{DB: o.d, Now: w.Now}
		b.StartTimer()
		start := time.Now()
		res, err := w.Drain(context.Background())
		took := time.Since(start)
		if err != nil || res.Sent != plan.Len() || int(sink.n.Load()) != plan.Len() {
			b.Fatalf("drain = %+v, %v; sink got %d of %d", res, err, sink.n.Load(), plan.Len())
		}
		b.ReportMetric(float64(res.Sent)/took.Seconds(), "msgs/s")
	}
}
