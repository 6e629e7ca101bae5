package logfmt

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The handler writes what slog.TextHandler writes for the records Steward
// logs, so log readers and tools see one format.
func TestSameLinesAsTextHandler(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 123e6, time.UTC)
	records := []func(*slog.Logger){
		func(l *slog.Logger) {
			l.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("method", "GET"), slog.String("path", "/policies/privacy"),
				slog.Int("status", 200), slog.Float64("duration_ms", 0.42), slog.String("request_id", "ab-1"), slog.Int64("user_id", 7))
		},
		func(l *slog.Logger) {
			l.Error("request failed", "path", "/a b", "err", errors.New(`disk "full"`), "n", uint64(3), "ok", false)
		},
		func(l *slog.Logger) {
			l.Warn("quoted", "k", "", "eq", "a=b", "uni", "Tomás", "d", 1500*time.Millisecond)
		},
		func(l *slog.Logger) {
			l.With("app", "steward").WithGroup("g").Info("grouped", "x", 1, slog.Group("h", "y", 2))
		},
	}
	for i, rec := range records {
		var want, got bytes.Buffer
		fix := func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				a.Value = slog.TimeValue(at)
			}
			return a
		}
		rec(slog.New(slog.NewTextHandler(&want, &slog.HandlerOptions{ReplaceAttr: fix})))
		rec(slog.New(New(&got, slog.LevelInfo)))
		// Times differ between the two runs; everything after them must not.
		if stripTime(got.String()) != stripTime(want.String()) || !strings.HasPrefix(got.String(), "time=2") {
			t.Errorf("record %d:\n got  %q\n want %q", i, got.String(), want.String())
		}
	}
}

// LogRequest writes the line Handle writes for the same request record.
func TestLogRequestWritesTheRecordsLine(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 123e6, time.UTC)
	for i, tc := range []struct {
		req   Request
		setup func(*slog.Logger) *slog.Logger
	}{
		{req: Request{Method: "GET", Path: "/policies/privacy", Status: 200, Duration: 420 * time.Microsecond, ID: []byte("ab-1")}},
		{req: Request{Method: "POST", Path: "/a b=\"c\"", Status: 303, Duration: 1500 * time.Millisecond, ID: []byte(strings.Repeat("x", 40)), UserID: 7}},
		{req: Request{Method: "GET", Path: "/", Status: 404, Duration: 3*time.Second + 7*time.Microsecond, ID: []byte("é é"), UserID: -1}},
		{req: Request{Method: "GET", Path: "/x", Status: 200, ID: []byte("id")},
			setup: func(l *slog.Logger) *slog.Logger { return l.With("app", "steward").WithGroup("http") }},
	} {
		var want, got bytes.Buffer
		wl, gl := slog.New(New(&want, slog.LevelInfo)), slog.New(New(&got, slog.LevelInfo))
		if tc.setup != nil {
			wl, gl = tc.setup(wl), tc.setup(gl)
		}
		r := tc.req
		rec := slog.NewRecord(at, slog.LevelInfo, "request", 0)
		rec.AddAttrs(slog.String("method", r.Method), slog.String("path", r.Path), slog.Int("status", r.Status),
			slog.Float64("duration_ms", float64(r.Duration.Microseconds())/1000), slog.String("request_id", string(r.ID)))
		if r.UserID != 0 {
			rec.AddAttrs(slog.Int64("user_id", r.UserID))
		}
		if err := wl.Handler().Handle(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		if err := gl.Handler().(*Handler).LogRequest(at, &r); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("request %d:\n got  %q\n want %q", i, got.String(), want.String())
		}
	}
	var quiet bytes.Buffer
	if err := New(&quiet, slog.LevelWarn).LogRequest(at, &Request{Method: "GET"}); err != nil || quiet.Len() != 0 {
		t.Errorf("a Warn handler wrote a request line: %q, %v", quiet.String(), err)
	}
}

func TestMillisAreWrittenAsFloatsAre(t *testing.T) {
	check := func(us int64) {
		want := strconv.AppendFloat(nil, float64(us)/1000, 'g', -1, 64)
		if got := appendMillis(nil, us); string(got) != string(want) {
			t.Errorf("appendMillis(%d) = %s, want %s", us, got, want)
		}
	}
	for _, us := range []int64{0, 1, 9, 10, 100, 420, 999, 1000, 1001, 1010, 1100, 12345, 999999, 1e6, 123456789, 1e9 - 1, 1e9, 1e12 + 7, -5} {
		check(us)
	}
	for us := int64(0); us < 200000; us += 7 {
		check(us)
	}
}

func TestTimesAreUTCWithMilliseconds(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC),
		time.Date(999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", 3600)),
	} {
		want := at.UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(appendTime(nil, at)); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", at, got, want)
		}
	}
}

func stripTime(line string) string {
	_, rest, _ := strings.Cut(line, " level=")
	return rest
}

func TestLevelAndConcurrentWriters(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(New(&buf, slog.LevelWarn))
	l.Info("hidden")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				l.Warn("line", "j", j)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 800 || strings.Contains(buf.String(), "hidden") {
		t.Fatalf("%d lines; hidden present: %v", len(lines), strings.Contains(buf.String(), "hidden"))
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "time=") || !strings.Contains(line, " level=WARN msg=line j=") {
			t.Fatalf("torn line %q", line)
		}
	}
}

func BenchmarkRequestLine(b *testing.B) {
	b.Run("LogRequest", func(b *testing.B) {
		h := New(discard{}, slog.LevelInfo)
		r := Request{Method: "GET", Path: "/policies/privacy", Status: 200, Duration: 420 * time.Microsecond, ID: []byte("ab-1")}
		for b.Loop() {
			_ = h.LogRequest(time.Now(), &r)
		}
	})
	for _, h := range []struct {
		name string
		h    slog.Handler
	}{{"logfmt", New(discard{}, slog.LevelInfo)}, {"text", slog.NewTextHandler(discard{}, nil)}} {
		l := slog.New(h.h)
		b.Run(h.name, func(b *testing.B) {
			for b.Loop() {
				l.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("method", "GET"), slog.String("path", "/policies/privacy"),
					slog.Int("status", 200), slog.Float64("duration_ms", 0.42), slog.String("request_id", "ab-1"))
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
