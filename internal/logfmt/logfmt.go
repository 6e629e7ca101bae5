// Package logfmt is a slog.Handler that writes the same key=value lines as
// slog.TextHandler at a fraction of the cost: Steward logs one line per
// request, so the handler sits on the hottest path there is. It formats
// into a pooled buffer with strconv's append functions and writes each line
// with one call.
package logfmt

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Handler writes records as logfmt lines: time=... level=... msg=... k=v,
// with times in UTC.
type Handler struct {
	w     io.Writer
	mu    *sync.Mutex
	level slog.Leveler
	pre   []byte // attributes from WithAttrs, already formatted
	group string // prefix from WithGroup, with a trailing dot
}

// New returns a handler writing to w records at level or above.
func New(w io.Writer, level slog.Leveler) *Handler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &Handler{w: w, mu: &sync.Mutex{}, level: level}
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Enabled reports whether l is at or above the handler's level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// Handle formats r as one line and writes it.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	p := bufs.Get().(*[]byte)
	b := (*p)[:0]
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = appendTime(b, r.Time)
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = append(b, r.Level.String()...)
	b = append(b, " msg="...)
	b = appendString(b, r.Message)
	b = append(b, h.pre...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.group, a)
		return true
	})
	b = append(b, '\n')
	h.mu.Lock()
	_, err := h.w.Write(b)
	h.mu.Unlock()
	if cap(b) <= 16<<10 {
		*p = b
		bufs.Put(p)
	}
	return err
}

// Request is what the line of one served request says. LogRequest writes
// it as Handle writes a record with the message "request" and the
// attributes method, path, status, duration_ms (float, to the
// microsecond), request_id and, when UserID is not 0, user_id.
type Request struct {
	Method   string
	Path     string
	Status   int
	Duration time.Duration
	ID       []byte
	UserID   int64
}

var requestKeys = [...]string{"method", "path", "status", "duration_ms", "request_id", "user_id"}

// LogRequest writes the line of one request, at level Info, timed at. It
// writes what Handle would for the same record, without building one:
// it runs for every request, and a record's attributes cost more to
// make and walk than the line costs to write.
func (h *Handler) LogRequest(at time.Time, r *Request) error {
	if slog.LevelInfo < h.level.Level() {
		return nil
	}
	p := bufs.Get().(*[]byte)
	b := (*p)[:0]
	b = append(b, "time="...)
	b = appendTime(b, at)
	b = append(b, " level=INFO msg=request"...)
	b = append(b, h.pre...)
	b = h.appendKey(b, 0)
	b = appendString(b, r.Method)
	b = h.appendKey(b, 1)
	b = appendString(b, r.Path)
	b = h.appendKey(b, 2)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = h.appendKey(b, 3)
	b = appendMillis(b, r.Duration.Microseconds())
	b = h.appendKey(b, 4)
	b = appendBytes(b, r.ID)
	if r.UserID != 0 {
		b = h.appendKey(b, 5)
		b = strconv.AppendInt(b, r.UserID, 10)
	}
	b = append(b, '\n')
	h.mu.Lock()
	_, err := h.w.Write(b)
	h.mu.Unlock()
	if cap(b) <= 16<<10 {
		*p = b
		bufs.Put(p)
	}
	return err
}

// appendMillis writes us microseconds in milliseconds as
// strconv.AppendFloat(b, float64(us)/1000, 'g', -1, 64) does, without
// floating point below 1,000 seconds: digits, then up to three decimals
// with the trailing zeros dropped.
func appendMillis(b []byte, us int64) []byte {
	if us < 0 || us >= 1e9 {
		return strconv.AppendFloat(b, float64(us)/1000, 'g', -1, 64)
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return b
	}
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 3
	for digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
}

// appendKey writes " key=" for the request line's i-th key, in the
// handler's group.
func (h *Handler) appendKey(b []byte, i int) []byte {
	b = append(b, ' ')
	if h.group == "" {
		b = append(b, requestKeys[i]...)
	} else {
		b = appendString(b, h.group+requestKeys[i])
	}
	return append(b, '=')
}

// appendBytes is appendString for bytes, without copying them to a string
// when they need no quotes.
func appendBytes(b, s []byte) []byte {
	if needsQuoting(string(s)) {
		return strconv.AppendQuote(b, string(s))
	}
	return append(b, s...)
}

// WithAttrs returns a handler that adds attrs to every line.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.pre = append([]byte(nil), h.pre...)
	for _, a := range attrs {
		h2.pre = appendAttr(h2.pre, h.group, a)
	}
	return &h2
}

// WithGroup returns a handler that prefixes later keys with name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			b = appendAttr(b, p, g)
		}
		return b
	}
	b = append(b, ' ')
	if prefix == "" {
		b = appendString(b, a.Key)
	} else {
		b = appendString(b, prefix+a.Key)
	}
	b = append(b, '=')
	v := a.Value
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return appendString(b, v.Duration().String())
	case slog.KindTime:
		return v.Time().AppendFormat(b, time.RFC3339Nano)
	}
	switch x := v.Any().(type) {
	case error:
		return appendString(b, x.Error())
	case fmt.Stringer:
		return appendString(b, x.String())
	default:
		return appendString(b, fmt.Sprint(x))
	}
}

// appendTime writes t in UTC with milliseconds (2026-11-28T09:00:00.123Z)
// without parsing a layout each time.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(mo), 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	b = appendDigits(b, s, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}

func appendDigits(b []byte, n, width int) []byte {
	var tmp [8]byte
	i := len(tmp)
	for ; width > 0 || n > 0; width-- {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, tmp[i:]...)
}

// appendString writes s bare when it is safe to, quoted otherwise, the
// way slog.TextHandler does.
func appendString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
