package subprocessors

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/mail"
	"steward/policies"
)

// ValidationError lists what is wrong with input, field by field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "subprocessors: invalid input: " + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Store reads and changes the register.
type Store struct {
	db         *db.DB
	mail       *mail.Renderer
	noticeDays int
}

// NewStore returns a store whose change sets give noticeDays of notice
// (STEWARD_SUBPROCESSOR_NOTICE_DAYS).
func NewStore(d *db.DB, m *mail.Renderer, noticeDays int) *Store {
	return &Store{db: d, mail: m, noticeDays: noticeDays}
}

// NoticeDays is the notice period, in days.
func (s *Store) NoticeDays() int { return s.noticeDays }

// EntryInput is an entry as an admin's form sends it.
type EntryInput struct {
	Name, Purpose, DataCategories, Locations, TransferMechanism, Since string
}

func (in EntryInput) entry() (Entry, error) {
	e := Entry{
		Name: strings.TrimSpace(in.Name), Purpose: strings.TrimSpace(in.Purpose),
		DataCategories: strings.TrimSpace(in.DataCategories), Locations: strings.TrimSpace(in.Locations),
		TransferMechanism: strings.TrimSpace(in.TransferMechanism),
	}
	var v ValidationError
	for _, f := range Fields {
		if f.Key == "since" {
			continue
		}
		val := f.Value(e)
		switch {
		case val == "":
			v.add(f.Key, "enter "+strings.ToLower(f.Label[:1])+f.Label[1:])
		case !utf8.ValidString(val) || utf8.RuneCountInString(val) > f.Max:
			v.add(f.Key, fmt.Sprintf("keep it to %d characters", f.Max))
		case strings.ContainsFunc(val, func(r rune) bool { return r < ' ' && r != '\n' && r != '\r' && r != '\t' }):
			v.add(f.Key, "remove the control characters")
		}
	}
	if strings.ContainsAny(e.Name, "\r\n") {
		v.add("name", "write the name on one line")
	}
	if since := strings.TrimSpace(in.Since); since != "" {
		t, err := time.Parse(time.DateOnly, since)
		if err != nil {
			v.add("since", "write the date as YYYY-MM-DD, or leave it empty for the date the change takes effect")
		} else {
			e.Since = &t
		}
	}
	return e, v.orNil()
}

const entryCols = `id, name, purpose, data_categories, locations, transfer_mechanism, since`

// Draft is the register as admins are editing it: what the next
// publication will freeze, sorted by name.
func (s *Store) Draft(ctx context.Context) ([]Entry, error) {
	return draft(ctx, s.db)
}

func draft(ctx context.Context, q sqlx.QueryerContext) ([]Entry, error) {
	var es []Entry
	if err := sqlx.SelectContext(ctx, q, &es, `SELECT `+entryCols+` FROM subprocessor_entries`); err != nil {
		return nil, fmt.Errorf("subprocessors: read draft: %w", err)
	}
	for i := range es {
		es[i].Since = utcDate(es[i].Since)
	}
	sortEntries(es)
	return es, nil
}

func utcDate(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// Entry is one draft entry.
func (s *Store) Entry(ctx context.Context, id int64) (Entry, error) {
	var e Entry
	err := s.db.GetContext(ctx, &e, s.db.Rebind(`SELECT `+entryCols+` FROM subprocessor_entries WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, ErrNotFound
	}
	if err != nil {
		return Entry{}, fmt.Errorf("subprocessors: read entry %d: %w", id, err)
	}
	e.Since = utcDate(e.Since)
	return e, nil
}

// SaveEntry adds an entry to the draft (id 0) or changes one, audited. A
// name another entry has is refused.
func (s *Store) SaveEntry(ctx context.Context, by audit.Actor, id int64, in EntryInput, now time.Time) (Entry, error) {
	e, err := in.entry()
	if err != nil {
		return Entry{}, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var clash int
		if err := tx.GetContext(ctx, &clash, tx.Rebind(`SELECT COUNT(*) FROM subprocessor_entries
			WHERE LOWER(name) = LOWER(?) AND id <> ?`), e.Name, id); err != nil {
			return fmt.Errorf("subprocessors: save entry: %w", err)
		}
		if clash > 0 {
			return &ValidationError{Fields: map[string]string{"name": "the register already names a subprocessor called this"}}
		}
		action := "subprocessor.change"
		if id == 0 {
			action = "subprocessor.add"
			if err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO subprocessor_entries
				(name, purpose, data_categories, locations, transfer_mechanism, since, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				e.Name, e.Purpose, e.DataCategories, e.Locations, e.TransferMechanism, e.Since, now); err != nil {
				return fmt.Errorf("subprocessors: add entry: %w", err)
			}
		} else {
			res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE subprocessor_entries SET name = ?, purpose = ?,
				data_categories = ?, locations = ?, transfer_mechanism = ?, since = COALESCE(?, since), updated_at = ? WHERE id = ?`),
				e.Name, e.Purpose, e.DataCategories, e.Locations, e.TransferMechanism, e.Since, now, id)
			if err != nil {
				return fmt.Errorf("subprocessors: change entry %d: %w", id, err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return ErrNotFound
			}
		}
		e.ID = id
		return audit.Record(ctx, tx, by.Entry(now, action, fmt.Sprintf("subprocessor:%d", id), "draft: "+e.Name))
	})
	if err != nil {
		return Entry{}, err
	}
	return e, nil
}

// RemoveEntry takes an entry out of the draft, audited. Published versions
// keep it.
func (s *Store) RemoveEntry(ctx context.Context, by audit.Actor, id int64, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var name string
		err := tx.GetContext(ctx, &name, tx.Rebind(`SELECT name FROM subprocessor_entries WHERE id = ?`), id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("subprocessors: remove entry %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM subprocessor_entries WHERE id = ?`), id); err != nil {
			return fmt.Errorf("subprocessors: remove entry %d: %w", id, err)
		}
		return audit.Record(ctx, tx, by.Entry(now, "subprocessor.remove", fmt.Sprintf("subprocessor:%d", id), "draft: "+name))
	})
}

const versionCols = `id, number, entries, summary, short_notice_reason, effective_at, published_at, published_by`

func decode(vs []Version) error {
	for i := range vs {
		vs[i].EffectiveAt = vs[i].EffectiveAt.UTC()
		vs[i].PublishedAt = vs[i].PublishedAt.UTC()
		if err := json.Unmarshal([]byte(vs[i].EntriesJSON), &vs[i].Entries); err != nil {
			return fmt.Errorf("subprocessors: version %d: %w", vs[i].Number, err)
		}
		for j := range vs[i].Entries {
			vs[i].Entries[j].Since = utcDate(vs[i].Entries[j].Since)
		}
	}
	return nil
}

func versions(ctx context.Context, q sqlx.QueryerContext) ([]Version, error) {
	var vs []Version
	if err := sqlx.SelectContext(ctx, q, &vs, `SELECT `+versionCols+` FROM subprocessor_versions ORDER BY number DESC`); err != nil {
		return nil, fmt.Errorf("subprocessors: read versions: %w", err)
	}
	return vs, decode(vs)
}

// Versions lists every published version, newest first.
func (s *Store) Versions(ctx context.Context) ([]Version, error) { return versions(ctx, s.db) }

// Version is the published version numbered n.
func (s *Store) Version(ctx context.Context, n int) (Version, error) {
	var vs []Version
	if err := s.db.SelectContext(ctx, &vs, s.db.Rebind(`SELECT `+versionCols+` FROM subprocessor_versions WHERE number = ?`), n); err != nil {
		return Version{}, fmt.Errorf("subprocessors: read version %d: %w", n, err)
	}
	if len(vs) == 0 {
		return Version{}, ErrNotFound
	}
	return vs[0], decode(vs)
}

// Register is the register at now: the version in effect, those
// published to take effect later, and all of them.
func (s *Store) Register(ctx context.Context, now time.Time) (Register, error) {
	vs, err := s.Versions(ctx)
	if err != nil {
		return Register{}, err
	}
	r := Register{Versions: vs}
	for i := range vs {
		if vs[i].InEffect(now) {
			r.Current = &vs[i]
			break
		}
		r.Upcoming = append([]Version{vs[i]}, r.Upcoming...)
	}
	return r, nil
}

// Pending is the draft change set: how the draft differs from the last
// published version.
func (s *Store) Pending(ctx context.Context) (Changes, error) {
	d, err := s.Draft(ctx)
	if err != nil {
		return Changes{}, err
	}
	vs, err := s.Versions(ctx)
	if err != nil {
		return Changes{}, err
	}
	var last []Entry
	if len(vs) > 0 {
		last = vs[0].Entries
	}
	return Diff(last, d), nil
}

// PublishInput is a publication as the admin's form sends it.
type PublishInput struct {
	Summary   string
	Effective string // YYYY-MM-DD
	// Reason is why the change takes effect sooner than the notice period;
	// published with the version.
	Reason string
}

// Publish freezes the draft as the next version, effective at the start
// of the given day (UTC), audited, and queues one notice per confirmed
// subscriber, in one transaction. An effective date before today, before
// the previous version's, or sooner than the notice period without a
// reason is refused; the register's first version needs no notice.
func (s *Store) Publish(ctx context.Context, by audit.Actor, in PublishInput, now time.Time) (Version, error) {
	now = now.UTC().Truncate(time.Microsecond)
	in.Summary, in.Reason = strings.TrimSpace(in.Summary), strings.TrimSpace(in.Reason)
	var v ValidationError
	switch {
	case in.Summary == "":
		v.add("summary", "say in a sentence what changes")
	case utf8.RuneCountInString(in.Summary) > 500 || strings.ContainsAny(in.Summary, "\r\n"):
		v.add("summary", "keep the summary to one line of 500 characters")
	}
	if utf8.RuneCountInString(in.Reason) > 1000 {
		v.add("reason", "keep the reason to 1000 characters")
	}
	effective, err := time.Parse(time.DateOnly, strings.TrimSpace(in.Effective))
	if err != nil {
		v.add("effective", "write the date as YYYY-MM-DD")
	}
	var out Version
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		// One publisher at a time: the number and the notices follow.
		if s.db.Dialect == db.Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE subprocessor_versions IN EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("subprocessors: publish: %w", err)
			}
		}
		vs, err := versions(ctx, tx)
		if err != nil {
			return err
		}
		if len(v.Fields) == 0 || v.Fields["effective"] == "" {
			switch {
			case effective.Before(Today(now)):
				v.add("effective", "choose today or a later date")
			case len(vs) > 0 && effective.Before(vs[0].EffectiveAt):
				v.add("effective", fmt.Sprintf("choose %s or later: version %d takes effect then",
					vs[0].EffectiveAt.Format(time.DateOnly), vs[0].Number))
			case len(vs) > 0 && effective.Before(Earliest(now, s.noticeDays)) && in.Reason == "":
				v.add("effective", fmt.Sprintf("customers were promised %d days' notice: choose %s or later, or give the reason for a shorter notice",
					s.noticeDays, Earliest(now, s.noticeDays).Format(time.DateOnly)))
			}
		}
		if err := v.orNil(); err != nil {
			return err
		}
		d, err := draft(ctx, tx)
		if err != nil {
			return err
		}
		var last []Entry
		if len(vs) > 0 {
			last = vs[0].Entries
		}
		changes := Diff(last, d)
		if changes.Empty() {
			return ErrNothingToPublish
		}
		// An entry without a since date is in the register from the day
		// its first version takes effect.
		for i := range d {
			if d[i].Since == nil {
				since := effective
				d[i].Since = &since
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE subprocessor_entries SET since = ? WHERE id = ?`), since, d[i].ID); err != nil {
					return fmt.Errorf("subprocessors: publish: %w", err)
				}
			}
		}
		body, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("subprocessors: publish: %w", err)
		}
		number := 1
		if len(vs) > 0 {
			number = vs[0].Number + 1
		}
		reason := in.Reason
		if len(vs) == 0 || !effective.Before(Earliest(now, s.noticeDays)) {
			reason = "" // a reason is only published for a notice actually shortened
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO subprocessor_versions
			(number, entries, summary, short_notice_reason, effective_at, published_at, published_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), number, string(body), in.Summary, reason, effective, now, by.ID); err != nil {
			return fmt.Errorf("subprocessors: publish version %d: %w", number, err)
		}
		out = Version{Number: number, Entries: d, EntriesJSON: string(body), Summary: in.Summary,
			ShortNoticeReason: reason, EffectiveAt: effective, PublishedAt: now, PublishedBy: by.ID}
		detail := fmt.Sprintf("effective %s; %d added, %d removed, %d changed", effective.Format(time.DateOnly),
			len(changes.Added), len(changes.Removed), len(changes.Changed))
		if reason != "" {
			detail += "; shorter notice: " + reason
		}
		if err := audit.Record(ctx, tx, by.Entry(now, "subprocessor.publish", fmt.Sprintf("subprocessors/v%d", number), detail)); err != nil {
			return err
		}
		return s.queueNotices(ctx, tx, out, changes, now)
	})
	return out, err
}

// queueNotices tells every confirmed subscriber about a change set: one
// email each, with the one-click unsubscribe headers policy notices carry.
func (s *Store) queueNotices(ctx context.Context, tx *sqlx.Tx, v Version, c Changes, now time.Time) error {
	subs, err := policies.ConfirmedSubscribers(ctx, tx)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		data := struct {
			Number, Previous int
			Summary, Reason  string
			Effective        time.Time
			Changes          Changes
			Token, Lang      string
		}{v.Number, v.Number - 1, v.Summary, v.ShortNoticeReason, v.EffectiveAt, c, sub.Token, sub.Language}
		m, err := s.mail.Render("subprocessor_notice", data)
		if err != nil {
			return fmt.Errorf("subprocessors: notice email: %w", err)
		}
		m.To = sub.Email
		m.Headers = policies.UnsubscribeHeaders(s.mail.Link("/unsubscribe/", sub.Token))
		m.DedupeKey = fmt.Sprintf("subprocessor_notice:v%d:subscription:%d", v.Number, sub.ID)
		if _, err := mail.Enqueue(ctx, tx, m, now); err != nil {
			return err
		}
	}
	return nil
}
