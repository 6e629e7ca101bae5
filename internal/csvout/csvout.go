// Package csvout is the one CSV writer of every export: a file that
// Excel opens as UTF-8, whose cells a spreadsheet never runs as formulas,
// and whose times read the same everywhere.
package csvout

import (
	"encoding/csv"
	"io"
	"strings"
	"time"
)

// BOM is the UTF-8 byte order mark. Excel reads a CSV without it in the
// machine's legacy code page, which garbles every accented name.
const BOM = "\ufeff"

// ContentType is the media type of the files Writer writes.
const ContentType = "text/csv; charset=utf-8"

// Writer writes records as CSV: the BOM first, then each record with its
// cells neutralised. The first record written is the file's header.
type Writer struct {
	w       io.Writer
	cw      *csv.Writer
	started bool
	err     error
	cells   []string // reused: an export writes many rows
}

// NewWriter returns a Writer onto w. Nothing is written until the first
// record, so a failed export before it leaves w empty.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, cw: csv.NewWriter(w)}
}

// Write writes one record; every cell goes through Cell.
func (w *Writer) Write(record []string) error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		w.started = true
		if _, err := io.WriteString(w.w, BOM); err != nil {
			w.err = err
			return err
		}
	}
	w.cells = w.cells[:0]
	for _, c := range record {
		w.cells = append(w.cells, Cell(c))
	}
	if err := w.cw.Write(w.cells); err != nil {
		w.err = err
	}
	return w.err
}

// Flush writes any buffered data to the underlying writer and returns
// the first error of any write or flush.
func (w *Writer) Flush() error {
	w.cw.Flush()
	if w.err != nil {
		return w.err
	}
	return w.cw.Error()
}

// Cell keeps a spreadsheet from reading a value as a formula (OWASP's CSV
// injection advice): a cell that starts with = + - @, a tab or a carriage
// return gets a leading single quote. A plain number ("-3", "-0.5") is
// left as it is: it is not a formula, and quoting it would turn it into
// text.
func Cell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isNumber(s) {
		return s
	}
	return "'" + s
}

// isNumber reports whether s is an optional minus sign, digits, and at
// most one decimal point followed by digits.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	return digits(whole) && (!dot || digits(frac))
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Time is t in ISO 8601 (RFC 3339) in UTC, with fractions of a second
// only when t has them; the zero time is an empty cell.
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Date is t's day in UTC as YYYY-MM-DD; the zero time is an empty cell.
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}
