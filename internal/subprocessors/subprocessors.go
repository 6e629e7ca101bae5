// Package subprocessors owns the published register of subprocessors: the
// partners who handle customers' personal data on the organisation's
// behalf, named in the open. Admins edit the register as a draft
// (subprocessor_entries); publishing freezes the whole list as a numbered
// version with an effective date (subprocessor_versions), after the notice
// period customers were promised unless a public reason for a shorter
// notice is recorded. Subscribers to the organisation's change notices
// get one email per published change set.
package subprocessors

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// Sentinel errors, mapped to HTTP statuses by handlers.
var (
	ErrNotFound         = errors.New("subprocessors: not found")
	ErrNothingToPublish = errors.New("subprocessors: the draft is the same as the last published version")
)

// Entry is one subprocessor as the register names it.
type Entry struct {
	ID                int64      `db:"id" json:"id"`
	Name              string     `db:"name" json:"name"`
	Purpose           string     `db:"purpose" json:"purpose"`
	DataCategories    string     `db:"data_categories" json:"data_categories"`
	Locations         string     `db:"locations" json:"locations"`
	TransferMechanism string     `db:"transfer_mechanism" json:"transfer_mechanism"`
	Since             *time.Time `db:"since" json:"since,omitempty"`
}

// Field is one of an entry's published fields: its form name and what
// pages call it. Fields is the one list, in the order pages show them.
type Field struct {
	Key   string
	Label string
	Max   int
	value func(Entry) string
}

// Fields are the text fields of an entry, in the order pages, the CSV and
// the redline show them.
var Fields = []Field{
	{"name", "Name", 200, func(e Entry) string { return e.Name }},
	{"purpose", "What they do", 1000, func(e Entry) string { return e.Purpose }},
	{"data_categories", "Categories of personal data", 1000, func(e Entry) string { return e.DataCategories }},
	{"locations", "Where they process it", 300, func(e Entry) string { return e.Locations }},
	{"transfer_mechanism", "Transfer mechanism", 300, func(e Entry) string { return e.TransferMechanism }},
	{"since", "Since", 10, func(e Entry) string { return SinceText(e.Since) }},
}

// Value is the entry's field as text.
func (f Field) Value(e Entry) string { return f.value(e) }

// SinceText is a since date as pages and the CSV write it.
func SinceText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// Version is one published state of the whole register.
type Version struct {
	ID                int64     `db:"id"`
	Number            int       `db:"number"`
	EntriesJSON       string    `db:"entries"`
	Summary           string    `db:"summary"`
	ShortNoticeReason string    `db:"short_notice_reason"`
	EffectiveAt       time.Time `db:"effective_at"`
	PublishedAt       time.Time `db:"published_at"`
	PublishedBy       *int64    `db:"published_by"`
	Entries           []Entry   `db:"-"`
}

// InEffect reports whether the version has taken effect at now.
func (v Version) InEffect(now time.Time) bool { return !v.EffectiveAt.After(now) }

// Register is the register as the public page shows it at a moment.
type Register struct {
	Current  *Version  // in effect now; nil before the first version takes effect
	Upcoming []Version // published, not yet in effect, soonest first
	Versions []Version // every version, newest first
}

// Earliest is the first effective date a change set published at now may
// have without a recorded reason: the start of the day noticeDays after
// now's (UTC). It is the notice rule, written once.
func Earliest(now time.Time, noticeDays int) time.Time {
	d := now.UTC().Truncate(24 * time.Hour)
	return d.AddDate(0, 0, noticeDays)
}

// Today is the first effective date any change set may have: a register
// is never published into the past.
func Today(now time.Time) time.Time { return Earliest(now, 0) }

// Change is an entry that two versions both name, with what differs.
type Change struct {
	Before, After Entry
	Fields        []Field
}

// Changes is the redline between two lists of entries.
type Changes struct {
	Added   []Entry
	Removed []Entry
	Changed []Change
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool { return len(c.Added)+len(c.Removed)+len(c.Changed) == 0 }

// Diff compares two lists of entries by identity (an entry keeps its id
// across versions, even when renamed).
func Diff(before, after []Entry) Changes {
	var c Changes
	old := map[int64]Entry{}
	for _, e := range before {
		old[e.ID] = e
	}
	seen := map[int64]bool{}
	for _, e := range after {
		seen[e.ID] = true
		b, ok := old[e.ID]
		if !ok {
			c.Added = append(c.Added, e)
			continue
		}
		var fs []Field
		for _, f := range Fields {
			if f.Value(b) != f.Value(e) {
				fs = append(fs, f)
			}
		}
		if len(fs) > 0 {
			c.Changed = append(c.Changed, Change{Before: b, After: e, Fields: fs})
		}
	}
	for _, e := range before {
		if !seen[e.ID] {
			c.Removed = append(c.Removed, e)
		}
	}
	return c
}

// sortEntries orders a list as pages show it: by name, case-insensitively.
func sortEntries(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := strings.ToLower(es[i].Name), strings.ToLower(es[j].Name)
		if a != b {
			return a < b
		}
		return es[i].ID < es[j].ID
	})
}
