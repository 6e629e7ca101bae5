package reminders

import (
	"context"
	"database/sql"
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
	"steward/policies"
)

// What a manager can remind someone of.
const (
	ItemCourse = "course" // an overdue or lapsed course
	ItemPolicy = "policy" // a pending or overdue policy acknowledgement
)

// MaxTargets bounds one request to remind people, so that it is queued in
// one transaction of reasonable size; a larger list is narrowed with the
// report's filters.
const MaxTargets = 5000

// Why Remind refuses the whole request; nothing is queued.
var (
	// ErrNothingChosen: the request names nobody (422).
	ErrNothingChosen = errors.New("reminders: nobody chosen")
	// ErrBadTarget: a target names an unknown kind of item or no item (400).
	ErrBadTarget = errors.New("reminders: unknown item")
	// ErrTooMany: more than MaxTargets targets (413).
	ErrTooMany = errors.New("reminders: too many people at once")
)

// Target is one person and one item to remind them of.
type Target struct {
	UserID int64
	Type   string // ItemCourse or ItemPolicy
	Slug   string
}

// Key is the target's form value: type:slug:user, which ParseTarget reads.
func (t Target) Key() string {
	return t.Type + ":" + t.Slug + ":" + strconv.FormatInt(t.UserID, 10)
}

// ParseTarget reads a Target's Key; anything else is ErrBadTarget.
func ParseTarget(s string) (Target, error) {
	typ, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Target{}, ErrBadTarget
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return Target{}, ErrBadTarget
	}
	id, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil || id <= 0 {
		return Target{}, ErrBadTarget
	}
	t := Target{UserID: id, Type: typ, Slug: rest[:i]}
	return t, t.check()
}

func (t Target) check() error {
	if (t.Type != ItemCourse && t.Type != ItemPolicy) || strings.TrimSpace(t.Slug) == "" || t.UserID <= 0 ||
		len(t.Slug) > 200 || strings.ContainsAny(t.Slug, " \t\r\n") {
		return ErrBadTarget
	}
	return nil
}

// What became of one target.
const (
	Sent            = "sent"
	AlreadyReminded = "already_reminded" // a reminder about it went out today (UTC)
	NotOpen         = "not_open"         // nothing overdue or pending to remind of
	Left            = "left"             // the person has left
	NotAssigned     = "not_assigned"     // no current assignment of that item
)

// Outcome is what became of one target, with the names a message needs.
type Outcome struct {
	Target
	Person string // name
	Title  string // the course's title, or the policy's with its version
	Result string
	lapsed bool // a lapsed course
}

// Result is what a request to remind people did, target by target in the
// order asked.
type Result struct{ Outcomes []Outcome }

// Count is how many targets ended as result.
func (r Result) Count(result string) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Result == result {
			n++
		}
	}
	return n
}

// Remind queues a manager's reminders, the rule of every reminder a
// manager sends by hand: each person is in the manager's reporting line
// (an admin's is the whole organisation), or nothing is sent at all; a
// person who has left gets nothing; a course is reminded of only when
// overdue or lapsed, a policy while its acknowledgement is pending or
// overdue; and at most one reminder goes out per person, item and day
// (UTC), whoever asks, which manager_reminders holds. Each person gets
// one email listing what they were reminded of; the emails, the records
// and their audit entries are queued in one transaction.
func Remind(ctx context.Context, d *db.DB, r *mail.Renderer, managerID int64, targets []Target, now time.Time) (Result, error) {
	var res Result
	if len(targets) == 0 {
		return res, ErrNothingChosen
	}
	if len(targets) > MaxTargets {
		return res, ErrTooMany
	}
	for _, t := range targets {
		if err := t.check(); err != nil {
			return res, err
		}
	}
	ppl := people.NewStore(d)
	me, err := ppl.Get(ctx, managerID)
	if err != nil {
		return res, fmt.Errorf("reminders: manager %d: %w", managerID, err)
	}
	// Everyone first: one person outside the line refuses the request.
	who := map[int64]people.User{}
	for _, t := range targets {
		if _, ok := who[t.UserID]; ok {
			continue
		}
		if me.Role != people.RoleAdmin {
			ok, err := ppl.InLine(ctx, managerID, t.UserID)
			if err != nil {
				return res, fmt.Errorf("reminders: line of %d: %w", managerID, err)
			}
			if !ok {
				return res, ErrNotInLine
			}
		}
		p, err := ppl.Get(ctx, t.UserID)
		if errors.Is(err, people.ErrNotFound) {
			return res, ErrNotInLine
		}
		if err != nil {
			return res, fmt.Errorf("reminders: person %d: %w", t.UserID, err)
		}
		who[p.ID] = p
	}
	st := &standing{d: d, now: now, acks: map[int64][]policies.AckStatus{}}
	seen := map[Target]bool{}
	var open []int // indexes into res.Outcomes of targets to remind of
	for _, t := range targets {
		if seen[t] {
			continue
		}
		seen[t] = true
		o := Outcome{Target: t, Person: who[t.UserID].Name}
		if err := st.of(ctx, &o, who[t.UserID]); err != nil {
			return res, err
		}
		res.Outcomes = append(res.Outcomes, o)
		if o.Result == "" {
			open = append(open, len(res.Outcomes)-1)
		}
	}
	err = d.Tx(ctx, func(tx *sqlx.Tx) error {
		byPerson := map[int64][]int{}
		records := map[int64][]int64{}
		var order []int64
		for _, i := range open {
			o := &res.Outcomes[i]
			o.Result = AlreadyReminded
			var id int64
			err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO manager_reminders
				(user_id, item_type, item, day, manager_id, sent_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (user_id, item_type, item, day) DO NOTHING RETURNING id`),
				o.UserID, o.Type, o.Slug, now.UTC().Format(time.DateOnly), managerID, now.UTC())
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("reminders: record reminder: %w", err)
			}
			o.Result = Sent
			records[o.UserID] = append(records[o.UserID], id)
			if _, ok := byPerson[o.UserID]; !ok {
				order = append(order, o.UserID)
			}
			byPerson[o.UserID] = append(byPerson[o.UserID], i)
			if err := audit.Record(ctx, tx, audit.UserActor(managerID).Entry(now, "reminder.send",
				"user:"+strconv.FormatInt(o.UserID, 10), o.Type+" "+o.Slug)); err != nil {
				return err
			}
		}
		for _, uid := range order {
			p := who[uid]
			var lines []mail.DigestLine
			for _, i := range byPerson[uid] {
				o := &res.Outcomes[i]
				lines = append(lines, reminderLine(r, me.Name, o))
			}
			msg, err := managerReminder(r, p.Name, lines)
			if err != nil {
				return err
			}
			first := res.Outcomes[byPerson[uid][0]]
			msg.To, msg.UserID = p.Email, &p.ID
			msg.DedupeKey = mail.ManagerReminderKey(p.ID, first.Type+"-"+first.Slug, now)
			ids, err := mail.EnqueueManyIDs(ctx, tx, []mail.Message{msg}, now)
			if err != nil {
				return err
			}
			for _, id := range records[uid] {
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE manager_reminders SET outbox_id = ? WHERE id = ?`), ids[0], id); err != nil {
					return fmt.Errorf("reminders: record reminder email: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// standing finds whether a target is open, reading each person's policy
// standing once.
type standing struct {
	d    *db.DB
	now  time.Time
	acks map[int64][]policies.AckStatus
}

// of sets o's title, and its result when there is nothing to remind of.
func (s *standing) of(ctx context.Context, o *Outcome, p people.User) error {
	if o.Type == ItemCourse {
		var rm Reminded
		status, err := currentStatus(ctx, s.d, &rm, p.ID, o.Slug, s.now)
		o.Title = rm.Course
		switch {
		case errors.Is(err, ErrNotAssigned):
			o.Result = NotAssigned
		case err != nil:
			return err
		case !p.Active:
			o.Result = Left
		case status != courses.StatusOverdue && status != courses.StatusLapsed:
			o.Result = NotOpen
		}
		o.lapsed = status == courses.StatusLapsed
		return nil
	}
	if !p.Active {
		o.Result = Left
		return nil
	}
	sts, ok := s.acks[p.ID]
	if !ok {
		var err error
		sts, err = policies.NewStore(s.d, nil).StatusFor(ctx, p.ID, s.now)
		if err != nil {
			return fmt.Errorf("reminders: policies of %d: %w", p.ID, err)
		}
		s.acks[p.ID] = sts
	}
	o.Result = NotAssigned
	for _, a := range sts {
		if a.Policy.Slug != o.Slug || !a.Policy.NeedsAck() {
			continue
		}
		o.Title = fmt.Sprintf("%s, version %d", a.Policy.Title, a.Current.Number)
		o.Result = NotOpen
		if a.State == policies.AckPending || a.State == policies.AckOverdue {
			o.Result = ""
		}
	}
	return nil
}

// reminderLine is one item of a manager's reminder email.
func reminderLine(r *mail.Renderer, manager string, o *Outcome) mail.DigestLine {
	if o.Type == ItemPolicy {
		return mail.DigestLine{
			Headline: "Please read and acknowledge " + o.Title,
			Detail:   manager + " asked for this reminder.",
			URL:      r.Link("/my/policies/" + o.Slug),
		}
	}
	headline := o.Title + " is overdue"
	if o.lapsed {
		headline = o.Title + " has lapsed"
	}
	return mail.DigestLine{
		Headline: headline,
		Detail:   manager + " asked for this reminder. Please complete it as soon as you can.",
		URL:      r.Link("/courses/" + o.Slug),
	}
}

// Last is when a person was last reminded of an item by hand.
type Last struct {
	At        time.Time
	ManagerID int64
}

// LastReminded returns, per person and item (Target), the latest reminder a
// manager sent them by hand: what the team report shows.
func LastReminded(ctx context.Context, q sqlx.ExtContext, userIDs []int64) (map[Target]Last, error) {
	out := map[Target]Last{}
	for start := 0; start < len(userIDs); start += 500 {
		ids := userIDs[start:min(start+500, len(userIDs))]
		query, args, err := sqlx.In(`SELECT user_id, item_type, item, manager_id, sent_at FROM manager_reminders
			WHERE user_id IN (?) ORDER BY sent_at`, ids)
		if err != nil {
			return nil, fmt.Errorf("reminders: last reminded: %w", err)
		}
		var rows []struct {
			UserID    int64     `db:"user_id"`
			Type      string    `db:"item_type"`
			Item      string    `db:"item"`
			ManagerID int64     `db:"manager_id"`
			SentAt    time.Time `db:"sent_at"`
		}
		if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(query), args...); err != nil {
			return nil, fmt.Errorf("reminders: last reminded: %w", err)
		}
		for _, r := range rows {
			out[Target{UserID: r.UserID, Type: r.Type, Slug: r.Item}] = Last{At: r.SentAt.UTC(), ManagerID: r.ManagerID}
		}
	}
	return out, nil
}

// RemindedToday returns, per course slug, when a manager's reminder about
// it went to the person on now's day (UTC): another one that day would be
// skipped.
func RemindedToday(ctx context.Context, q sqlx.ExtContext, userID int64, now time.Time) (map[string]time.Time, error) {
	last, err := LastReminded(ctx, q, []int64{userID})
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	today := now.UTC().Format(time.DateOnly)
	for t, l := range last {
		if t.Type == ItemCourse && l.At.Format(time.DateOnly) == today {
			out[t.Slug] = l.At
		}
	}
	return out, nil
}
