package db

import (
	"strings"
	"testing"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// TestParseSQLiteTimeAsTheDriver holds parseSQLiteTime to the result of
// the driver's own reading of a TIMESTAMP column.
func TestParseSQLiteTimeAsTheDriver(t *testing.T) {
	driver := func(s string) time.Time {
		s = strings.TrimSuffix(s, "Z")
		for _, layout := range sqlite3.SQLiteTimestampFormats {
			if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
				return t
			}
		}
		return time.Time{}
	}
	var in []string
	for _, at := range []time.Time{
		time.Date(2027, 5, 31, 6, 0, 0, 0, time.UTC),
		time.Date(2027, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2028, 2, 29, 0, 0, 0, 120000000, time.UTC),
		time.Date(1999, 1, 1, 12, 30, 15, 1, time.UTC),
		time.Date(2027, 5, 31, 6, 0, 0, 0, time.FixedZone("", 2*3600)),
	} {
		for _, layout := range append(sqlite3.SQLiteTimestampFormats, time.RFC3339Nano, time.RFC3339) {
			in = append(in, at.Format(layout))
		}
	}
	in = append(in, "", "garbage", "2027-04-31 10:00:00+00:00", "2027-13-01 10:00:00+00:00", "2027-05-31 24:00:00+00:00",
		"2027-05-31 06:00:00.+00:00", "2027-05-31 06:00:00.1234567891+00:00", "2027-05-31 06:00:00x+00:00",
		"2027-05-31 06:00:00-00:00", "2027-05-31 06:00:00 +00:00", "2027-05-31 06:00:00.5Z")
	for _, s := range in {
		got, want := parseSQLiteTime(s), driver(s)
		if !got.Equal(want) || got.Location().String() != want.Location().String() {
			t.Errorf("%q: got %v, the driver reads %v", s, got, want)
		}
	}
}

// BenchmarkScanSQLiteTime is what the organisation-wide readers
// (courses.OpenCycles, policies.OpenAcknowledgements) pay per timestamp
// through Time, against the driver's own reading through its list of
// layouts: the reason Time exists.
func BenchmarkScanSQLiteTime(b *testing.B) {
	s := time.Date(2027, 5, 31, 6, 0, 0, 123456000, time.UTC).Format(sqlite3.SQLiteTimestampFormats[0])
	b.Run("Time", func(b *testing.B) {
		b.ReportAllocs()
		var t Time
		for b.Loop() {
			if err := t.Scan(s); err != nil || !t.Valid {
				b.Fatal(err)
			}
		}
	})
	b.Run("driver-layouts", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ok bool
			for _, layout := range sqlite3.SQLiteTimestampFormats {
				if _, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
					ok = true
					break
				}
			}
			if !ok {
				b.Fatal(s)
			}
		}
	})
}
