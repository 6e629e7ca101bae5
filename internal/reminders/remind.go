package reminders

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/people"
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
// "send a reminder now" of the person's page. The rule: the person is in
// the manager's reporting line (an admin's is the whole organisation) and
// still active, the course is overdue or lapsed for them, and at most one
// such reminder goes out per person, course and day (UTC). The email is
// queued with its audit entry in one transaction.
func RemindNow(ctx context.Context, d *db.DB, r *mail.Renderer, managerID, personID int64, courseSlug string, now time.Time) (Reminded, error) {
	out := Reminded{PersonID: personID}
	if strings.TrimSpace(courseSlug) == "" {
		return out, ErrNoCourse
	}
	ppl := people.NewStore(d)
	me, err := ppl.Get(ctx, managerID)
	if err != nil {
		return out, fmt.Errorf("reminders: manager %d: %w", managerID, err)
	}
	if me.Role != people.RoleAdmin {
		ok, err := ppl.InLine(ctx, managerID, personID)
		if err != nil {
			return out, fmt.Errorf("reminders: line of %d: %w", managerID, err)
		}
		if !ok {
			return out, ErrNotInLine
		}
	}
	p, err := ppl.Get(ctx, personID)
	if errors.Is(err, people.ErrNotFound) {
		return out, ErrNotInLine
	}
	if err != nil {
		return out, fmt.Errorf("reminders: person %d: %w", personID, err)
	}
	out.Person = p.Name
	status, err := currentStatus(ctx, d, &out, personID, courseSlug, now)
	if err != nil {
		return out, err
	}
	if !p.Active {
		return out, ErrLeft
	}
	if status != courses.StatusOverdue && status != courses.StatusLapsed {
		return out, ErrNotOpen
	}
	msg, err := managerReminder(r, p.Name, me.Name, out.Course, courseSlug, status == courses.StatusLapsed)
	if err != nil {
		return out, err
	}
	msg.To, msg.UserID = p.Email, &p.ID
	msg.DedupeKey = mail.ManagerReminderKey(p.ID, courseSlug, now)
	err = d.Tx(ctx, func(tx *sqlx.Tx) error {
		queued, err := mail.Enqueue(ctx, tx, msg, now)
		if err != nil {
			return err
		}
		if !queued {
			return ErrAlreadyReminded
		}
		return audit.Record(ctx, tx, audit.UserActor(managerID).Entry(now, "reminder.send",
			"user:"+strconv.FormatInt(p.ID, 10), "course "+courseSlug))
	})
	return out, err
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

// managerReminder renders the email of a manager's reminder: a digest of
// one line, without recipient or dedupe key.
func managerReminder(r *mail.Renderer, person, manager, title, slug string, lapsed bool) (mail.Message, error) {
	headline := title + " is overdue"
	if lapsed {
		headline = title + " has lapsed"
	}
	msg, err := r.Digest(&mail.Digest{
		Name:    person,
		Summary: headline,
		Own: []mail.DigestLine{{
			Headline: headline,
			Detail:   manager + " asked for this reminder. Please complete it as soon as you can.",
			URL:      r.Link("/courses/" + slug),
		}},
	})
	msg.Kind = mail.KindManagerReminder
	return msg, err
}
