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
	Bars          []bar
}

type bar struct {
	Label      string
	Y, BarY    int
	W          int // filled width, out of barMax
	TextX      int
	Value      string
	Suppressed bool
}

const (
	barMax  = 400
	barRow  = 46
	barLeft = 0
)

// courseBars draws one bar per course with its completion rate.
func courseBars(cs []reports.CourseFigures) barChart {
	ch := barChart{Title: "Completion rate by course", Width: 640, Height: max(1, len(cs))*barRow + 4}
	var desc []string
	for i, c := range cs {
		b := bar{Label: c.Title, Y: i*barRow + 16, BarY: i*barRow + 22, Suppressed: c.Suppressed}
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
	HasDot bool
}

type gridLine struct {
	Y     int
	Label string
}

// trendChart draws the compliance rate month by month.
func trendChart(ps []reports.TrendPoint, title string) lineChart {
	const left, right, top, bottom = 44, 624, 24, 204
	ch := lineChart{Title: title, Width: 640, Height: 250, Left: left, Right: right}
	for _, v := range []int{0, 25, 50, 75, 100} {
		ch.Grid = append(ch.Grid, gridLine{Y: bottom - v*(bottom-top)/100, Label: strconv.Itoa(v) + "%"})
	}
	var pts, desc []string
	step := 0
	if len(ps) > 1 {
		step = (right - left) / (len(ps) - 1)
	}
	for i, p := range ps {
		d := dot{X: left + i*step, Month: p.At.Format("Jan"), Year: p.At.Format("2006")}
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
