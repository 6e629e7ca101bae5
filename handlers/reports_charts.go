package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"steward/internal/reports"
)

// Charts are drawn on the server as SVG with presentation attributes (the
// CSP allows no inline style). Every value is also written as text, so
// they read without colour, and the title and description carry them for
// screen readers.

type barChart struct {
	Title, Desc   string
	Width, Height int
	Max           int // width of a full bar
	Bars          []bar
}

type bar struct {
	Label      string
	Lines      []line // the label, wrapped to fit a phone
	BarY       int
	W          int // filled width, out of barMax
	TextX      int
	Value      string
	Suppressed bool
}

// line is one line of a wrapped label.
type line struct {
	Y    int
	Text string
}

// The bar chart is drawn 360 units wide, the width of a phone, so that on
// a 375 px screen it is shown at about its own size and its 14-unit text
// stays 13 px or more; long course titles wrap onto more lines.
const (
	barMax    = 220
	barRow    = 46
	barLeft   = 0
	barWidth  = 360
	barLine   = 18 // height of a label line
	labelWrap = 40 // characters on a label line
)

// wrap breaks text into lines of at most n characters, at spaces; a word
// longer than n stays whole.
func wrap(text string, n int) []string {
	var out []string
	cur := ""
	for _, w := range strings.Fields(text) {
		if cur != "" && len([]rune(cur))+1+len([]rune(w)) > n {
			out = append(out, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// courseBars draws one bar per course with its completion rate.
func courseBars(cs []reports.CourseFigures) barChart {
	ch := barChart{Title: "Completion rate by course", Width: barWidth, Max: barMax}
	var desc []string
	y := 0
	for _, c := range cs {
		b := bar{Label: c.Title, Suppressed: c.Suppressed}
		for j, l := range wrap(c.Title, labelWrap) {
			b.Lines = append(b.Lines, line{Y: y + 16 + j*barLine, Text: l})
		}
		extra := (len(b.Lines) - 1) * barLine
		b.BarY = y + 22 + extra
		y += barRow + extra
		switch {
		case c.Suppressed:
			b.Value = "hidden: fewer people than the minimum group size"
		case c.Required() == 0:
			b.Value = "nobody assigned"
		default:
			b.W = c.Rate() * barMax / 100
			b.Value = fmt.Sprintf("%d%% (%d of %d)", c.Rate(), c.Completed, c.Required())
		}
		b.TextX = barLeft + b.W + 8
		if b.Suppressed || c.Required() == 0 {
			b.TextX = barLeft
		}
		ch.Bars = append(ch.Bars, b)
		desc = append(desc, c.Title+": "+b.Value)
	}
	ch.Height = max(barRow, y) + 4
	if len(cs) == 0 {
		desc = append(desc, "no courses yet")
	}
	ch.Desc = "Share of people who have completed each course, of those who must: " + strings.Join(desc, "; ") + "."
	return ch
}

type lineChart struct {
	Title, Desc   string
	Width, Height int
	Points        string
	Dots          []dot
	Grid          []gridLine
	Left, Right   int
}

type dot struct {
	X, Y   int
	ValueY int
	Value  string
	Month  string
	Year   string
	Label  string // the month in words, for the table under the chart
	HasDot bool
	// Minor marks every other point counted back from the last: on a
	// phone only the others keep their labels, in larger text.
	Minor bool
}

type gridLine struct {
	Y     int
	Label string
}

// trendChart draws the compliance rate month by month.
func trendChart(ps []reports.TrendPoint, title string) lineChart {
	const left, right, top, bottom = 60, 604, 30, 204
	ch := lineChart{Title: title, Width: 640, Height: 256, Left: left, Right: right}
	for _, v := range []int{0, 25, 50, 75, 100} {
		ch.Grid = append(ch.Grid, gridLine{Y: bottom - v*(bottom-top)/100, Label: strconv.Itoa(v) + "%"})
	}
	var pts, desc []string
	step := 0
	if len(ps) > 1 {
		step = (right - left) / (len(ps) - 1)
	}
	for i, p := range ps {
		d := dot{X: left + i*step, Month: p.At.Format("Jan"), Year: p.At.Format("2006"), Label: p.Label, Minor: (len(ps)-1-i)%2 == 1}
		if p.Items == 0 {
			d.Value, d.Y, d.ValueY = "none", bottom, bottom-8
			desc = append(desc, p.Label+": nothing assigned")
		} else {
			d.HasDot = true
			d.Y = bottom - p.Rate()*(bottom-top)/100
			d.ValueY = d.Y - 9
			d.Value = strconv.Itoa(p.Rate()) + "%"
			pts = append(pts, fmt.Sprintf("%d,%d", d.X, d.Y))
			desc = append(desc, fmt.Sprintf("%s: %d%% (%d of %d)", p.Label, p.Rate(), p.Good, p.Items))
		}
		ch.Dots = append(ch.Dots, d)
	}
	ch.Points = strings.Join(pts, " ")
	ch.Desc = "Share of assigned courses not overdue or lapsed at the end of each month: " + strings.Join(desc, "; ") + "."
	return ch
}
