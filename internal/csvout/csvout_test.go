package csvout

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestCellNeutralisesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\",\"y\")": "'=HYPERLINK(\"http://x\",\"y\")",
		"+1":                             "'+1",
		"-1+2":                           "'-1+2",
		"-2+3+cmd|' /C calc'!A0":         "'-2+3+cmd|' /C calc'!A0",
		"@SUM(1)":                        "'@SUM(1)",
		"\t=1":                           "'\t=1",
		"\r=1":                           "'\r=1",
		"-":                              "'-",
		"-3":                             "-3",
		"-0.5":                           "-0.5",
		"12":                             "12",
		"employee -> manager":            "employee -> manager",
		"Zoë =1":                         "Zoë =1",
		"":                               "",
		"'already quoted":                "'already quoted",
		"2026-11-28T09:00:00Z":           "2026-11-28T09:00:00Z",
		"=cmd|' /C notepad'!'A1'":        "'=cmd|' /C notepad'!'A1'",
		"@@":                             "'@@",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriterWritesBOMHeaderFirstAndNeutralisedRows(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if buf.Len() != 0 {
		t.Fatal("NewWriter wrote before the first record")
	}
	rows := [][]string{{"name", "note"}, {"=HYPERLINK(\"http://evil\")", "a,b\n\"c\""}, {"@SUM(1)", "Zoë"}}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, BOM+"name,note\n") {
		t.Fatalf("file starts %q", out[:min(len(out), 20)])
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"name", "note"}, {"'=HYPERLINK(\"http://evil\")", "a,b\n\"c\""}, {"'@SUM(1)", "Zoë"}}
	if len(got) != len(want) {
		t.Fatalf("read %v", got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, got[i], want[i])
		}
	}
	if strings.Count(out, BOM) != 1 {
		t.Fatal("more than one BOM")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterReportsErrors(t *testing.T) {
	w := NewWriter(failWriter{})
	if err := w.Write([]string{"a"}); err == nil {
		t.Fatal("no error from a failing writer")
	}
	if err := w.Flush(); err == nil {
		t.Fatal("Flush hid the error")
	}
}

func TestTimesAreISO8601InUTC(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 11, 28, 0, 30, 0, 0, paris)
	if got := Time(at); got != "2026-11-27T23:30:00Z" {
		t.Errorf("Time = %q", got)
	}
	if got := Time(at.Add(1500 * time.Millisecond)); got != "2026-11-27T23:30:01.5Z" {
		t.Errorf("Time with fractions = %q", got)
	}
	if got := Date(at); got != "2026-11-27" {
		t.Errorf("Date = %q", got)
	}
	if Time(time.Time{}) != "" || Date(time.Time{}) != "" {
		t.Error("the zero time is not an empty cell")
	}
}

func FuzzCell(f *testing.F) {
	for _, s := range []string{"=1", "-1", "a", "", "@", "\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Cell(s)
		if got != "" && strings.ContainsRune("=+@\t\r", rune(got[0])) {
			t.Fatalf("Cell(%q) = %q starts with a formula character", s, got)
		}
		if got != "" && got[0] == '-' && !isNumber(got) {
			t.Fatalf("Cell(%q) = %q starts with a minus and is not a number", s, got)
		}
	})
}

// BenchmarkWrite is the evidence export's inner loop: a 14-column row,
// against encoding/csv alone.
func BenchmarkWrite(b *testing.B) {
	row := []string{"Amara Nwosu", "amara.nwosu@example.com", "Marketing", "Maya Brooks", "", "course",
		"Responsible use of customer data", "1", "completed", "2025-10-04T09:00:00Z", "2025-11-03T09:00:00Z",
		"2025-10-24T18:00:00Z", "100", "2026-10-24T18:00:00Z"}
	b.Run("csvout", func(b *testing.B) {
		w := NewWriter(io.Discard)
		for b.Loop() {
			w.Write(row)
		}
		w.Flush()
	})
	b.Run("encoding-csv", func(b *testing.B) {
		w := csv.NewWriter(io.Discard)
		for b.Loop() {
			w.Write(row)
		}
		w.Flush()
	})
}
