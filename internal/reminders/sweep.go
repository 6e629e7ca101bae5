package reminders

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/webhooks"
)

// MailKind is the outbox kind of a reminder digest.
const MailKind = mail.KindDigest

// ErrBusy means another sweep holds the lease right now.
var ErrBusy = errors.New("reminders: another sweep is running")

// Sweeper runs the sweep.
type Sweeper struct {
	DB       *db.DB
	Mail     *mail.Renderer
	Sources  []Source
	Logger   *slog.Logger
	Clock    func() time.Time // wall clock for the lease; the sweep's own time is its now argument
	LeaseTTL time.Duration
	// WriteChunk is how many digests share one write transaction.
	WriteChunk int
	// TeamWeekly adds, on TeamDay, a summary of their reporting line to
	// every manager's digest (unless they opted out).
	TeamWeekly bool
	TeamDay    time.Weekday
	// Assign, when set, brings assignments up to date before the plan is
	// made (new hires, audience changes, recertification cycles opening),
	// under the sweep's lease so two processes never assign at once. A
	// dry run skips it: it must not write.
	Assign func(ctx context.Context, now time.Time) error
}

// New returns a sweeper over the courses and policies tables.
func New(d *db.DB, r *mail.Renderer) *Sweeper {
	return &Sweeper{
		DB: d, Mail: r,
		Sources:    []Source{Courses{}, Policies{}},
		Logger:     slog.Default(),
		Clock:      func() time.Time { return time.Now().UTC() },
		LeaseTTL:   15 * time.Minute,
		WriteChunk: 500,
		TeamWeekly: true,
		TeamDay:    time.Monday,
	}
}

// Event is one stage of one item, told to one recipient.
type Event struct {
	Subject   Subject
	Stage     string
	Kind      string
	Recipient int64
	Item      Item
	// Owner names whose item it is, when the recipient is their manager.
	Owner string
}

// Digest is the one email a recipient gets on a day.
type Digest struct {
	To        Person
	DedupeKey string
	Events    []Event
	// Also are the recipient's other open items, listed for completeness.
	Also []Item
	// Team is the weekly summary of a manager's reporting line, or nil.
	Team *TeamSummary
}

// Plan is what a sweep decided. It keeps its digests compact (indexes
// into one store of items) because on a busy day it holds an event for
// most of the organisation; Digests builds the readable form.
type Plan struct {
	Now    time.Time
	DryRun bool
	// Deferred counts digests not queued because the recipient already
	// has one for that day; their events wait for the next day.
	Deferred int
	// Reviews counts the reminders queued to policy owners whose review
	// falls due soon or is overdue (reviews.go); a dry run queues none.
	Reviews int

	digests []digest // by recipient id
	items   arena
	people  map[int64]Person
	events  int
}

type digest struct {
	to     int64
	events []event
	also   []int32
	team   *TeamSummary
}

type event struct {
	item  int32
	stage string
	// becameOverdue marks a cycle's first overdue stage: the sweep raises
	// the course.overdue webhook with it.
	becameOverdue bool
}

// arena stores items in fixed chunks, so indexes stay valid and growing
// never copies the whole set. It holds every open item of the
// organisation while the sweep runs, so it keeps them compact: the
// strings most items share (subject type, title, path, state) are stored
// once and an item names them by number.
type arena struct {
	chunks [][]storedItem
	kinds  []itemKind
	kindOf map[itemKind]int32
}

// itemKind is what many items have in common.
type itemKind struct{ typ, title, path, state string }

// storedItem is an Item without its shared strings.
type storedItem struct {
	id, userID int64
	round      string
	start, due time.Time
	kind       int32
	recert     bool
}

const arenaChunk = 8192

func (a *arena) add(it Item) int32 {
	k := itemKind{it.Subject.Type, it.Title, it.Path, it.State}
	ki, ok := a.kindOf[k]
	if !ok {
		if a.kindOf == nil {
			a.kindOf = map[itemKind]int32{}
		}
		ki = int32(len(a.kinds))
		a.kinds = append(a.kinds, k)
		a.kindOf[k] = ki
	}
	n := len(a.chunks)
	if n == 0 || len(a.chunks[n-1]) == arenaChunk {
		a.chunks = append(a.chunks, make([]storedItem, 0, arenaChunk))
		n++
	}
	a.chunks[n-1] = append(a.chunks[n-1], storedItem{
		id: it.Subject.ID, userID: it.Subject.UserID, round: it.Subject.Round,
		start: it.Start, due: it.Due, kind: ki, recert: it.Recert,
	})
	return int32((n-1)*arenaChunk + len(a.chunks[n-1]) - 1)
}

func (a *arena) stored(i int32) *storedItem { return &a.chunks[i/arenaChunk][i%arenaChunk] }

// get returns item i as the source gave it.
func (a *arena) get(i int32) Item {
	s := a.stored(i)
	k := &a.kinds[s.kind]
	return Item{
		Subject: Subject{Type: k.typ, ID: s.id, UserID: s.userID, Round: s.round},
		Title:   k.title, Path: k.path, State: k.state,
		Start: s.start, Due: s.due, Recert: s.recert,
	}
}

// subject returns item i's subject.
func (a *arena) subject(i int32) Subject {
	s := a.stored(i)
	return Subject{Type: a.kinds[s.kind].typ, ID: s.id, UserID: s.userID, Round: s.round}
}

// Len is the number of digests.
func (p Plan) Len() int { return len(p.digests) }

// Events counts the events in the plan.
func (p Plan) Events() int { return p.events }

// Digests returns every digest in readable form, by recipient id.
func (p Plan) Digests() []Digest {
	out := make([]Digest, len(p.digests))
	for i := range p.digests {
		out[i] = p.digest(i)
	}
	return out
}

func (p *Plan) digest(i int) Digest {
	d := &p.digests[i]
	to := p.people[d.to]
	out := Digest{To: to, DedupeKey: DigestKey(to.ID, p.Now), Events: make([]Event, 0, len(d.events)), Team: d.team}
	for _, e := range d.events {
		it := p.items.get(e.item)
		ev := Event{Subject: it.Subject, Stage: e.stage, Kind: Kind(it.Subject.Type, e.stage), Recipient: to.ID, Item: it}
		if it.Subject.UserID != to.ID {
			ev.Owner = p.people[it.Subject.UserID].Name
		}
		out.Events = append(out.Events, ev)
	}
	for _, j := range d.also {
		out.Also = append(out.Also, p.items.get(j))
	}
	return out
}

// DigestKey is the dedupe key of a recipient's digest for a day.
func DigestKey(userID int64, now time.Time) string {
	return "digest:" + strconv.FormatInt(userID, 10) + ":" + now.UTC().Format("2006-01-02")
}

// Sweep decides the reminders due at now and, unless dryRun, queues them.
// Only one sweep runs at a time across every process on the database.
func (s *Sweeper) Sweep(ctx context.Context, now time.Time, dryRun bool) (Plan, error) {
	return s.sweep(ctx, now, dryRun, nil)
}

// errNotDue means another process swept while this one waited for the lease.
var errNotDue = errors.New("reminders: the sweep already ran")

// sweep runs the sweep; when stillDue is set it is asked again once the
// lease is held, so that two processes that both found a sweep due run it
// once between them.
func (s *Sweeper) sweep(ctx context.Context, now time.Time, dryRun bool, stillDue func(context.Context) (bool, error)) (Plan, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var holder string
	if !dryRun {
		var err error
		holder, err = s.takeLease(ctx)
		if err != nil {
			return Plan{Now: now}, err
		}
		defer s.releaseLease(context.WithoutCancel(ctx), holder)
		if stillDue != nil {
			due, err := stillDue(ctx)
			if err != nil {
				return Plan{Now: now}, err
			}
			if !due {
				return Plan{Now: now}, errNotDue
			}
		}
	}
	started := s.Clock()
	if s.Assign != nil && !dryRun {
		if err := s.Assign(ctx, now); err != nil {
			return Plan{Now: now}, fmt.Errorf("reminders: assign before sweeping: %w", err)
		}
	}
	plan, err := s.plan(ctx, now)
	plan.DryRun = dryRun
	if err != nil || dryRun {
		return plan, err
	}
	if err := s.write(ctx, &plan, holder); err != nil {
		return plan, err
	}
	if plan.Reviews, err = s.remindReviews(ctx, now); err != nil {
		return plan, err
	}
	if _, err := s.DB.ExecContext(ctx, s.DB.Rebind(`INSERT INTO reminder_runs
		(ran_for, started_at, finished_at, digests, events) VALUES (?, ?, ?, ?, ?)`),
		now, started, s.Clock(), plan.Len(), plan.Events()); err != nil {
		return plan, fmt.Errorf("reminders: record run: %w", err)
	}
	return plan, nil
}

func (s *Sweeper) plan(ctx context.Context, now time.Time) (Plan, error) {
	plan := Plan{Now: now}
	// Every read of the plan runs at once, each on a connection of its
	// own (SQLite in WAL mode serves concurrent readers): the people,
	// what was announced, and each source's items, read ahead while the
	// plan waits for the rest. The items are still taken source by
	// source, in order, so a digest lists its events as before. That is
	// 1 + 2 connections per source at once, well within the pools db.Open
	// makes.
	ctx, cancel := context.WithCancel(ctx)
	streams := make([]*itemStream, len(s.Sources))
	for i, src := range s.Sources {
		streams[i] = readItems(ctx, src, s.DB, now)
	}
	defer func() {
		// A failed plan stops the readers; either way none outlives it.
		cancel()
		for _, st := range streams {
			for range st.batches {
			}
		}
	}()
	var (
		wg       sync.WaitGroup
		people   map[int64]Person
		errs     = make([]error, 1+len(s.Sources))
		seen     = newSeenSet()
		seenLock sync.Mutex
	)
	wg.Add(1 + len(s.Sources))
	go func() {
		defer wg.Done()
		people, errs[0] = loadPeople(ctx, s.DB)
	}()
	for i, src := range s.Sources {
		go func() {
			defer wg.Done()
			errs[1+i] = src.Announced(ctx, s.DB, now, func(sub Subject, stage string) error {
				seenLock.Lock()
				seen.add(sub, stage)
				seenLock.Unlock()
				return nil
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return plan, err
	}
	plan.people = people
	// The digests are built in place in plan.digests; byTo finds a
	// recipient's. A digest pointer would not survive the slice growing.
	byTo := map[int64]int32{}
	digestOf := func(to int64) *digest {
		i, ok := byTo[to]
		if !ok {
			i = int32(len(plan.digests))
			plan.digests = append(plan.digests, digest{to: to})
			byTo[to] = i
		}
		return &plan.digests[i]
	}
	open := map[int64][]int32{}
	teamDay := s.TeamWeekly && now.Weekday() == s.TeamDay
	var counts map[int64]ownerCount
	if teamDay {
		counts = map[int64]ownerCount{}
	}
	for _, st := range streams {
		err := st.each(func(it *Item) {
			owner, ok := people[it.Subject.UserID]
			if !ok {
				return
			}
			if teamDay {
				c := counts[owner.ID]
				if it.State == StateOverdue || it.State == StateLapsed {
					c.overdue++
				} else {
					c.open++
				}
				counts[owner.ID] = c
			}
			var stages []string
			a, ok := seen.get(it.Subject)
			if ok {
				stages = Stages(*it, now, &a)
			} else {
				stages = Stages(*it, now, nil)
			}
			firstOverdue := it.Subject.Type == SubjectCycle && (!ok || a.overdue == 0)
			idx := plan.items.add(*it)
			if len(stages) == 0 {
				open[owner.ID] = append(open[owner.ID], idx)
				return
			}
			for _, st := range stages {
				to := owner.ID
				if toManager(st) {
					if owner.ManagerID == nil {
						continue
					}
					if _, ok := people[*owner.ManagerID]; !ok {
						continue
					}
					to = *owner.ManagerID
				}
				d := digestOf(to)
				d.events = append(d.events, event{item: idx, stage: st,
					becameOverdue: firstOverdue && strings.HasPrefix(st, StageOverdue+":")})
				plan.events++
			}
		})
		if err != nil {
			return plan, err
		}
	}
	seen = seenSet{}
	if teamDay {
		out, err := optedOut(ctx, s.DB)
		if err != nil {
			return plan, err
		}
		for m, sum := range teamSummaries(people, counts) {
			if out[m] {
				continue
			}
			digestOf(m).team = &sum
		}
	}
	byTo = nil
	for i := range plan.digests {
		d := &plan.digests[i]
		d.also = open[d.to]
		sort.Slice(d.also, func(i, j int) bool { return plan.items.stored(d.also[i]).due.Before(plan.items.stored(d.also[j]).due) })
	}
	sort.Slice(plan.digests, func(i, j int) bool { return plan.digests[i].to < plan.digests[j].to })
	return plan, nil
}

// itemBatch is how many items a source hands the plan at a time, and
// itemsAhead how many batches it reads before the plan takes them.
const (
	itemBatch  = 1024
	itemsAhead = 64
)

// itemStream is one source's items, read by a goroutine of their own.
type itemStream struct {
	batches chan []Item
	err     error       // set before batches is closed
	free    chan []Item // batches the plan is done with, for reuse
}

// readItems starts reading src's items. The reader stops when ctx is
// cancelled; batches is closed when it has stopped.
func readItems(ctx context.Context, src Source, q sqlx.ExtContext, now time.Time) *itemStream {
	st := &itemStream{batches: make(chan []Item, itemsAhead), free: make(chan []Item, 2)}
	go func() {
		defer close(st.batches)
		batch := make([]Item, 0, itemBatch)
		send := func() error {
			select {
			case st.batches <- batch:
				select {
				case batch = <-st.free:
				default:
					batch = make([]Item, 0, itemBatch)
				}
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := src.Items(ctx, q, now, func(it Item) error {
			batch = append(batch, it)
			if len(batch) == itemBatch {
				return send()
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			err = send()
		}
		st.err = err
	}()
	return st
}

// each calls fn for every item of the stream, in the order the source
// gave them, and returns the source's error.
func (st *itemStream) each(fn func(*Item)) error {
	for batch := range st.batches {
		for i := range batch {
			fn(&batch[i])
		}
		select {
		case st.free <- batch[:0]:
		default:
		}
	}
	return st.err
}

// seenSet is what has been announced about each subject. After a busy
// day it holds an entry for most open items of the organisation, so the
// common subject, a course cycle, is keyed by its two numbers alone.
type seenSet struct {
	cycles map[[2]int64]announced // by cycle id and user id
	other  map[Subject]announced
}

func newSeenSet() seenSet {
	return seenSet{cycles: map[[2]int64]announced{}, other: map[Subject]announced{}}
}

func (s seenSet) add(sub Subject, stage string) {
	if sub.Type == SubjectCycle && sub.Round == "" {
		k := [2]int64{sub.ID, sub.UserID}
		a := s.cycles[k]
		a.add(stage)
		s.cycles[k] = a
		return
	}
	a := s.other[sub]
	a.add(stage)
	s.other[sub] = a
}

func (s seenSet) get(sub Subject) (announced, bool) {
	if sub.Type == SubjectCycle && sub.Round == "" {
		a, ok := s.cycles[[2]int64{sub.ID, sub.UserID}]
		return a, ok
	}
	a, ok := s.other[sub]
	return a, ok
}

// eventBatch is how many events one INSERT statement records.
const eventBatch = 100

// write queues every digest with its events, a chunk of digests per
// transaction, each of which renews the lease. A digest whose key is
// already in the outbox (a second run on the same day) is not queued, and
// its events are not recorded, so they go out in tomorrow's digest
// instead of being lost.
func (s *Sweeper) write(ctx context.Context, plan *Plan, holder string) error {
	chunk := max(1, s.WriteChunk)
	// Rendering the next chunk overlaps writing this one: the database
	// writes on one thread, the templates use the other CPUs.
	type rendered struct {
		start int
		msgs  []mail.Message
		err   error
	}
	chunks := make(chan rendered, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(chunks)
		for start := 0; start < plan.Len(); start += chunk {
			msgs, err := s.render(plan, start, min(start+chunk, plan.Len()))
			select {
			case chunks <- rendered{start, msgs, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	inTx := s.DB.Tx
	if s.DB.Dialect == db.SQLite {
		w, err := newWALWriter(ctx, s.DB)
		if err != nil {
			return err
		}
		defer w.close()
		inTx = w.tx
	}
	hooks, err := webhooks.Subscribed(ctx, s.DB, webhooks.CourseOverdue)
	if err != nil {
		return err
	}
	deferred := 0
	for c := range chunks {
		if c.err != nil {
			return c.err
		}
		err := inTx(ctx, func(tx *sqlx.Tx) error {
			if err := s.renewLeaseIn(ctx, tx, holder); err != nil {
				return err
			}
			// Mail from a sweep run for a future date (remind --now) is due
			// at once, not on that date.
			ids, err := mail.EnqueueManyIDs(ctx, tx, c.msgs, earliest(plan.Now, s.Clock()))
			if err != nil {
				return err
			}
			rec := &eventWriter{tx: tx, dialect: s.DB.Dialect, now: plan.Now}
			defer rec.close()
			for i, msg := range c.msgs {
				if ids[i] == 0 {
					deferred++
					continue
				}
				d := &plan.digests[c.start+i]
				for _, e := range d.events {
					if err := rec.add(ctx, plan.items.subject(e.item), e.stage, d.to, msg.DedupeKey, ids[i]); err != nil {
						return err
					}
					if hooks && e.becameOverdue {
						if err := webhooks.Enqueue(ctx, tx, webhooks.CourseOverdue, overdueEvent(plan.items.get(e.item)), plan.Now); err != nil {
							return err
						}
					}
				}
			}
			return rec.flush(ctx)
		})
		if err != nil {
			return err
		}
	}
	// The renderer has finished (chunks is closed): plan is ours again.
	plan.Deferred += deferred
	return nil
}

// overdueData is the data of the course.overdue webhook (docs/webhooks.md).
type overdueData struct {
	UserID  int64     `json:"user_id"`
	Course  string    `json:"course"`
	Title   string    `json:"title"`
	CycleID int64     `json:"cycle_id"`
	DueAt   time.Time `json:"due_at"`
}

func overdueEvent(it Item) overdueData {
	return overdueData{
		UserID: it.Subject.UserID, Course: strings.TrimPrefix(it.Path, "/courses/"), Title: it.Title,
		CycleID: it.Subject.ID, DueAt: it.Due.UTC(),
	}
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// render builds the emails of digests [start, end) on every CPU: on a
// busy day rendering, not the database, is the larger part of the sweep.
func (s *Sweeper) render(plan *Plan, start, end int) ([]mail.Message, error) {
	msgs := make([]mail.Message, end-start)
	errs := make([]error, end-start)
	workers := min(runtime.GOMAXPROCS(0), end-start)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := start + w; i < end; i += workers {
				d := plan.digest(i)
				v := digestView(&d, plan.Now, s.Mail.Link)
				msg, err := s.Mail.Digest(&v)
				uid := d.To.ID
				msg.To, msg.UserID, msg.DedupeKey = d.To.Email, &uid, d.DedupeKey
				msgs[i-start], errs[i-start] = msg, err
			}
		}()
	}
	wg.Wait()
	return msgs, errors.Join(errs...)
}

// eventWriter records events a batch of rows per INSERT. Full batches
// share one statement prepared for the transaction; close releases it.
// Every event of a sweep has the same created_at, so a statement binds it
// once (parameter 1) instead of once per row: on a busy day the sweep
// binds millions of parameters, each a call into the driver.
type eventWriter struct {
	tx      *sqlx.Tx
	dialect db.Dialect
	now     time.Time
	args    []any
	full    *sql.Stmt
}

// eventColumns is how many parameters an event binds besides created_at.
const eventColumns = 8

// add records that the email with the given key and outbox id told
// recipient about the stage of sub.
func (w *eventWriter) add(ctx context.Context, sub Subject, stage string, recipient int64, digestKey string, outboxID int64) error {
	if w.args == nil {
		w.args = make([]any, 0, 1+eventBatch*eventColumns)
		w.args = append(w.args, w.now)
	}
	w.args = append(w.args, sub.Type, sub.ID, sub.UserID, sub.Round, stage, recipient, digestKey, outboxID)
	if len(w.args) == 1+eventBatch*eventColumns {
		return w.flush(ctx)
	}
	return nil
}

func (w *eventWriter) flush(ctx context.Context) error {
	if len(w.args) <= 1 {
		return nil
	}
	n := (len(w.args) - 1) / eventColumns
	var err error
	if n == eventBatch {
		if w.full == nil {
			w.full, err = w.tx.PrepareContext(ctx, eventQuery(w.dialect, eventBatch))
		}
		if err == nil {
			_, err = w.full.ExecContext(ctx, w.args...)
		}
	} else {
		_, err = w.tx.ExecContext(ctx, eventQuery(w.dialect, n), w.args...)
	}
	if err != nil {
		return fmt.Errorf("reminders: record events: %w", err)
	}
	w.args = w.args[:1]
	return nil
}

func (w *eventWriter) close() {
	if w.full != nil {
		w.full.Close()
		w.full = nil
	}
}

// eventQuery records n events. Its parameters are numbered, not bound in
// order, so that every row can use parameter 1 as its created_at: ?N on
// SQLite, $N on PostgreSQL.
func eventQuery(d db.Dialect, n int) string {
	mark := "?"
	if d == db.Postgres {
		mark = "$"
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO reminder_events
		(subject_type, subject_id, user_id, round, stage, recipient_id, digest_key, outbox_id, created_at) VALUES `)
	p := 2
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < eventColumns; c++ {
			b.WriteString(mark)
			b.WriteString(strconv.Itoa(p))
			b.WriteString(", ")
			p++
		}
		b.WriteString(mark)
		b.WriteString("1)")
	}
	b.WriteString(` ON CONFLICT (subject_type, subject_id, user_id, round, stage) DO NOTHING`)
	return b.String()
}

// stageRank orders the stages of one subject: the line shows the highest.
var stageRank = map[string]int{
	StageAssigned: 1, StageDueSoon: 2, StageRecertOpen: 3, StageOverdue: 4, StageEscalation: 5, StageLapsed: 6,
	StageNotice: 1, StageReminder: 2, StageOverdueManager: 3,
}

func rank(stage string) int {
	base, _, _ := strings.Cut(stage, ":")
	return stageRank[base]
}

func date(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func daysBetween(a, b time.Time) int { return int(b.Sub(a) / day) }

// digestView merges a digest's events into one line per item.
func digestView(d *Digest, now time.Time, link func(...string) string) mail.Digest {
	// best holds, in order of first appearance, the index of the event
	// each line shows. A digest has a handful of events (a manager's a few
	// dozen), so a linear search beats a map per digest.
	best := make([]int, 0, len(d.Events))
	for i := range d.Events {
		e := &d.Events[i]
		team := toManager(e.Stage)
		found := false
		for j, b := range best {
			cur := &d.Events[b]
			if cur.Subject == e.Subject && toManager(cur.Stage) == team {
				if rank(e.Stage) > rank(cur.Stage) {
					best[j] = i
				}
				found = true
				break
			}
		}
		if !found {
			best = append(best, i)
		}
	}
	v := mail.Digest{Name: d.To.Name}
	for _, b := range best {
		e := &d.Events[b]
		l := line(e, now)
		l.URL = link(l.URL)
		if toManager(e.Stage) {
			v.Team = append(v.Team, l)
		} else {
			v.Own = append(v.Own, l)
		}
	}
	if t := d.Team; t != nil {
		l := mail.DigestLine{Headline: "Your reporting line this week", URL: link("/team")}
		switch {
		case t.Overdue > 0:
			l.Detail = fmt.Sprintf("%s with open items; %s overdue or lapsed (%s), %s otherwise open.",
				plural(t.People, "person", "people"), plural(t.Overdue, "item", "items"),
				plural(t.PeopleOverdue, "person", "people"), plural(t.Open, "item", "items"))
		default:
			l.Detail = fmt.Sprintf("%s with open items, %s in all, none overdue.",
				plural(t.People, "person", "people"), plural(t.Open, "item", "items"))
		}
		v.Team = append(v.Team, l)
	}
	for _, it := range d.Also {
		v.Also = append(v.Also, mail.DigestLine{Headline: it.Title, Detail: stateDetail(it, now), URL: link(it.Path)})
	}
	var parts []string
	switch n := len(v.Own); {
	case n == 1:
		parts = append(parts, "1 item for you")
	case n > 1:
		parts = append(parts, fmt.Sprintf("%d items for you", n))
	}
	switch n := len(v.Team); {
	case n == 1:
		parts = append(parts, "1 in your reporting line")
	case n > 1:
		parts = append(parts, fmt.Sprintf("%d in your reporting line", n))
	}
	if len(parts) == 0 && d.Team != nil {
		parts = append(parts, "your reporting line this week")
	}
	v.Summary = strings.Join(parts, ", ")
	return v
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func stateDetail(it Item, now time.Time) string {
	switch it.State {
	case StateOverdue:
		return fmt.Sprintf("Overdue since %s.", date(it.Due))
	case StateLapsed:
		return "Lapsed: complete it again to renew your certification."
	default:
		return fmt.Sprintf("Due by %s.", date(it.Due))
	}
}

func line(e *Event, now time.Time) mail.DigestLine {
	it := e.Item
	l := mail.DigestLine{URL: it.Path}
	base, _, _ := strings.Cut(e.Stage, ":")
	switch base {
	case StageAssigned:
		l.Headline = "Complete the course " + it.Title
		l.Detail = fmt.Sprintf("Assigned to you; due by %s.", date(it.Due))
	case StageDueSoon:
		l.Headline = it.Title + " is due soon"
		l.Detail = fmt.Sprintf("Due by %s, in %d days.", date(it.Due), max(0, daysBetween(now, it.Due)))
	case StageRecertOpen:
		l.Headline = "Time to renew " + it.Title
		l.Detail = fmt.Sprintf("Your certification runs out on %s; complete the course again before then.", date(it.Due))
	case StageOverdue:
		l.Headline = it.Title + " is overdue"
		l.Detail = fmt.Sprintf("It was due on %s, %d days ago.", date(it.Due), daysBetween(it.Due, now))
	case StageLapsed:
		l.Headline = "Your " + it.Title + " certification has lapsed"
		l.Detail = "Complete the course again to renew it."
	case StageEscalation:
		l.Headline = e.personName() + " has not completed " + it.Title
		l.Detail = fmt.Sprintf("It was due on %s, %d days ago.", date(it.Due), daysBetween(it.Due, now))
		l.URL = "/team/people/" + strconv.FormatInt(it.Subject.UserID, 10)
	case StageNotice:
		l.Headline = "Please read and acknowledge " + it.Title
		l.Detail = fmt.Sprintf("A new version needs your acknowledgement by %s.", date(it.Due))
	case StageReminder:
		l.Headline = "Reminder: acknowledge " + it.Title
		if it.State == StateOverdue {
			l.Detail = fmt.Sprintf("Your acknowledgement was due on %s.", date(it.Due))
		} else {
			l.Detail = fmt.Sprintf("Please acknowledge it by %s.", date(it.Due))
		}
	case StageOverdueManager:
		l.Headline = e.personName() + " has not acknowledged " + it.Title
		l.Detail = fmt.Sprintf("It was due on %s.", date(it.Due))
		l.URL = "/team/people/" + strconv.FormatInt(it.Subject.UserID, 10)
	}
	return l
}

// personName names whose item a manager's line is about.
func (e *Event) personName() string {
	if e.Owner != "" {
		return e.Owner
	}
	return "Person " + strconv.FormatInt(e.Item.Subject.UserID, 10)
}

// WriteTo prints the plan for `steward remind --dry-run`.
func (p Plan) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	mode := "queued"
	if p.DryRun {
		mode = "would queue (dry run)"
	}
	fmt.Fprintf(&b, "Reminders at %s: %s %d digests with %d events", p.Now.Format(time.RFC3339), mode, p.Len(), p.Events())
	if p.Deferred > 0 {
		fmt.Fprintf(&b, "; %d recipients already had today's digest, their events wait for tomorrow", p.Deferred)
	}
	if p.Reviews > 0 {
		fmt.Fprintf(&b, "; %d review reminders to policy owners", p.Reviews)
	}
	b.WriteString("\n")
	for _, d := range p.Digests() {
		fmt.Fprintf(&b, "\n%s <%s> (user %d)\n", d.To.Name, d.To.Email, d.To.ID)
		for _, e := range d.Events {
			about := ""
			if e.Subject.UserID != d.To.ID {
				about = " (about " + e.personName() + ")"
			}
			fmt.Fprintf(&b, "  %-22s %s%s\n", e.Kind, e.Item.Title, about)
		}
		if t := d.Team; t != nil {
			fmt.Fprintf(&b, "  %-22s %d people with open items, %d overdue\n", KindTeamWeekly, t.People, t.PeopleOverdue)
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func newHolder() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
