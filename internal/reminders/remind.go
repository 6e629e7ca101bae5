package reminders

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"steward/courses"
	"steward/internal/db"
	"steward/internal/mail"
)

// Why RemindNow refuses; handlers map them to HTTP statuses.
var (
	// ErrNoCourse: the request names no course (422).
	ErrNoCourse = errors.New("reminders: no course named")
	// ErrNotInLine: the person is unknown or outside the manager's
	// reporting line, which to the manager is the same thing (404).
	ErrNotInLine = errors.New("reminders: person not in the manager's reporting line")
	// ErrNotAssigned: no such course, or no current cycle of it (404).
	ErrNotAssigned = errors.New("reminders: no current assignment of that course")
	// ErrLeft: the person has left; Steward sends them nothing (409).
	ErrLeft = errors.New("reminders: the person has left")
	// ErrNotOpen: the course is neither overdue nor lapsed (409).
	ErrNotOpen = errors.New("reminders: nothing overdue to remind of")
	// ErrAlreadyReminded: a reminder about the course went to the person
	// today (UTC) already; nothing was queued (409).
	ErrAlreadyReminded = errors.New("reminders: already reminded today")
)

// Reminded names who was, or would have been, reminded of what: as much
// of it as RemindNow learnt before it refused, for the message that says
// why.
type Reminded struct {
	PersonID int64
	Person   string // name
	Course   string // title
}

// RemindNow queues a manager's reminder to a person about one course, the
// "send a reminder now" of the person's page: Remind with one target, its
// outcome told as an error.
func RemindNow(ctx context.Context, d *db.DB, r *mail.Renderer, managerID, personID int64, courseSlug string, now time.Time) (Reminded, error) {
	out := Reminded{PersonID: personID}
	if strings.TrimSpace(courseSlug) == "" {
		return out, ErrNoCourse
	}
	res, err := Remind(ctx, d, r, managerID, []Target{{UserID: personID, Type: ItemCourse, Slug: courseSlug}}, now)
	if errors.Is(err, ErrBadTarget) {
		return out, ErrNotAssigned
	}
	if err != nil {
		return out, err
	}
	o := res.Outcomes[0]
	out.Person, out.Course = o.Person, o.Title
	switch o.Result {
	case NotAssigned:
		return out, ErrNotAssigned
	case Left:
		return out, ErrLeft
	case NotOpen:
		return out, ErrNotOpen
	case AlreadyReminded:
		return out, ErrAlreadyReminded
	}
	return out, nil
}

// currentStatus is the status of the person's current cycle of the
// course, whose title it sets.
func currentStatus(ctx context.Context, d *db.DB, out *Reminded, personID int64, slug string, now time.Time) (courses.Status, error) {
	cs := courses.NewStore(d)
	c, err := cs.Course(ctx, slug)
	if errors.Is(err, courses.ErrNotFound) {
		return "", ErrNotAssigned
	}
	if err != nil {
		return "", fmt.Errorf("reminders: course %s: %w", slug, err)
	}
	out.Course = c.Title
	cyc, err := cs.CurrentCycle(ctx, personID, c.ID)
	if errors.Is(err, courses.ErrNotAssigned) {
		return "", ErrNotAssigned
	}
	if err != nil {
		return "", fmt.Errorf("reminders: cycle of %d in %s: %w", personID, slug, err)
	}
	return cyc.Status(now), nil
}

// managerReminder renders the email of a manager's reminders to one
// person: a digest of a line per item, without recipient or dedupe key.
func managerReminder(r *mail.Renderer, person string, lines []mail.DigestLine) (mail.Message, error) {
	summary := lines[0].Headline
	if len(lines) > 1 {
		summary = fmt.Sprintf("%d things to finish", len(lines))
	}
	msg, err := r.Digest(&mail.Digest{Name: person, Summary: summary, Own: lines})
	msg.Kind = mail.KindManagerReminder
	return msg, err
}
