package db

import (
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// Time scans a timestamp column, or NULL (Valid false), in UTC. It is for
// large reads: selected with TimeColumn, a SQLite timestamp arrives as
// its text, not through the driver, which tries each of its layouts with
// time.Parse; parseSQLiteTime reads the layout the driver writes directly
// and gives the driver's result for any other. PostgreSQL's driver
// returns a time.
type Time struct {
	time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Time, t.Valid = time.Time{}, false
	case time.Time:
		t.Time, t.Valid = x.UTC(), true
	case string:
		t.Time, t.Valid = parseSQLiteTime(x), true
	case []byte:
		t.Time, t.Valid = parseSQLiteTime(string(x)), true
	case int64:
		// As the driver reads an integer timestamp: unix milliseconds if
		// it has 13 digits, else seconds.
		if x > 1e12 || x < -1e12 {
			t.Time = time.Unix(0, x*int64(time.Millisecond)).UTC()
		} else {
			t.Time = time.Unix(x, 0).UTC()
		}
		t.Valid = true
	default:
		return fmt.Errorf("db: %T is not a time", v)
	}
	return nil
}

// Ptr is the time, or nil for NULL.
func (t *Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	c := t.Time
	return &c
}

// TimeColumn selects col for a Time: as +col on SQLite, the same value
// without the column's declared type, so the driver hands over its text.
func TimeColumn(q sqlx.ExtContext, col string) string {
	if q.DriverName() == "sqlite3" {
		return "+" + col
	}
	return col
}

// parseSQLiteTime reads a timestamp as mattn/go-sqlite3 reads one from a
// TIMESTAMP column. The layout it writes times in (its first, with a UTC
// offset of +00:00, as Steward stores every time) is read here; any other
// string goes through the driver's own list of layouts, and a string none
// fits is the zero time, as with the driver.
func parseSQLiteTime(s string) time.Time {
	if t, ok := parseUTCTimestamp(s); ok {
		return t
	}
	s = strings.TrimSuffix(s, "Z")
	for _, layout := range sqlite3.SQLiteTimestampFormats {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// parseUTCTimestamp reads "2006-01-02 15:04:05[.fraction]+00:00".
func parseUTCTimestamp(s string) (time.Time, bool) {
	if len(s) < 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
		!strings.HasSuffix(s, "+00:00") {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	dd, ok3 := num(8, 10)
	hh, ok4 := num(11, 13)
	mm, ok5 := num(14, 16)
	ss, ok6 := num(17, 19)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || dd < 1 || dd > 31 || hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if rest := s[19 : len(s)-6]; rest != "" {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return time.Time{}, false
		}
		f, ok := num(20, 19+len(rest))
		if !ok {
			return time.Time{}, false
		}
		for i := len(rest) - 1; i < 9; i++ {
			f *= 10
		}
		nsec = f
	}
	t := time.Date(year, time.Month(month), dd, hh, mm, ss, nsec, time.UTC)
	if t.Day() != dd { // 31 April: time.Parse refuses it, time.Date would not
		return time.Time{}, false
	}
	return t, true
}
