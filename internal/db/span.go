package db

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Remembered answers (the standings of course cycles, staff policies and
// people) are kept with the span of time [from, until) over which they
// hold, in Unix nanoseconds: an answer that is a step function of time
// holds from the last moment at or before the one it was worked out at
// at which something it depends on changes, until the first after it.

// Nanos is t in Unix nanoseconds, held to the range int64 can count (the
// years 1678 to 2262), which only moves an edge outside it further away
// than any report looks.
func Nanos(t time.Time) int64 {
	switch {
	case t.Year() < 1700:
		return math.MinInt64 + 1
	case t.Year() > 2200:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Span narrows [From, Until) around a moment to the instants nearest it
// at which something changes (Edge).
type Span struct {
	at          int64
	From, Until int64
}

// SpanAround starts a span around at: unbounded until edges narrow it.
func SpanAround(at time.Time) Span {
	return Span{at: Nanos(at), From: math.MinInt64, Until: math.MaxInt64}
}

// Edge narrows the span by a moment at which the answer may change.
func (sp *Span) Edge(t time.Time) {
	n := Nanos(t)
	if n <= sp.at {
		sp.From = max(sp.From, n)
	} else {
		sp.Until = min(sp.Until, n)
	}
}

// IDList is ids for an IN (...) list: numbers from the database itself,
// written inline so that a chunk of thousands of people needs no bind
// variables.
func IDList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}
