package reminders

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/mail"
	"steward/policies"
)

// EffectiveWindow is how long after a version takes effect the
// scheduler's minute-by-minute check still tells its people at once;
// after that the daily sweep has told them.
const EffectiveWindow = day

// NotifyEffective tells, at now, the people who must acknowledge a staff
// policy version that has just taken effect (a material version, or a
// first one): one email each, as the daily digest would word it, queued
// the moment the version takes effect rather than at the next morning's
// sweep. Each notice is recorded as the item's notice event, so the sweep
// never repeats it, and each version is looked at once
// (reminder_version_notices). It holds the sweep's lease while it writes
// and reports how many people it told; another process sweeping is not an
// error (the next check, a minute later, does it).
func (s *Sweeper) NotifyEffective(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	due, err := s.effectiveDue(ctx, now)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	holder, err := s.takeLease(ctx)
	if errors.Is(err, ErrBusy) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer s.releaseLease(context.WithoutCancel(ctx), holder)
	people, err := loadPeople(ctx, s.DB)
	if err != nil {
		return 0, err
	}
	told := 0
	for _, t := range due {
		n, err := s.notifyVersion(ctx, t, people, holder, now)
		if err != nil {
			return told, err
		}
		told += n
	}
	return told, nil
}

// effectiveDue lists the staff policies whose version in effect at now
// asks everyone to acknowledge it afresh, took effect within
// EffectiveWindow, and has not been looked at yet.
func (s *Sweeper) effectiveDue(ctx context.Context, now time.Time) ([]*policies.Timeline, error) {
	ts, err := policies.AckTimelines(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	var done []int64
	if err := s.DB.SelectContext(ctx, &done, s.DB.Rebind(`SELECT version_id FROM reminder_version_notices
		WHERE notified_at >= ?`), now.Add(-2*EffectiveWindow)); err != nil {
		return nil, fmt.Errorf("reminders: versions told: %w", err)
	}
	seen := make(map[int64]bool, len(done))
	for _, id := range done {
		seen[id] = true
	}
	var out []*policies.Timeline
	for _, t := range ts {
		cur, ok := t.InEffect(now)
		if !ok || t.Base(cur).ID != cur.ID || now.Sub(cur.EffectiveAt) > EffectiveWindow || seen[cur.ID] {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// notifyVersion queues the notices of the version of t in effect at now
// to the people who must acknowledge it and have not been told, records
// them as notice events and the version as looked at, in one
// transaction.
func (s *Sweeper) notifyVersion(ctx context.Context, t *policies.Timeline, people map[int64]Person, holder string, now time.Time) (int, error) {
	cur, _ := t.InEffect(now)
	var told []struct {
		User  int64  `db:"user_id"`
		Round string `db:"round"`
	}
	if err := s.DB.SelectContext(ctx, &told, s.DB.Rebind(`SELECT user_id, round FROM reminder_events
		WHERE subject_type = 'ack' AND subject_id = ? AND stage = ?`), cur.ID, StageNotice); err != nil {
		return 0, fmt.Errorf("reminders: notices of version %d: %w", cur.ID, err)
	}
	already := make(map[Subject]bool, len(told))
	for _, r := range told {
		already[Subject{Type: SubjectAck, ID: cur.ID, UserID: r.User, Round: r.Round}] = true
	}
	var digests []Digest
	path := "/my/policies/" + t.Policy.Slug
	err := policies.OpenAcknowledgementsOf(ctx, s.DB, t, now, func(o policies.OpenAck) error {
		if o.Base.ID != cur.ID {
			return nil
		}
		it := ackItem(o, ackTitle(o), path)
		to, ok := people[o.UserID]
		if !ok || already[it.Subject] {
			return nil
		}
		digests = append(digests, Digest{To: to, DedupeKey: EffectiveKey(cur.ID, o.UserID, it.Subject.Round),
			Events: []Event{{Subject: it.Subject, Stage: StageNotice, Kind: KindPolicyNotice, Recipient: to.ID, Item: it}}})
		return nil
	})
	if err != nil {
		return 0, err
	}
	msgs := make([]mail.Message, len(digests))
	for i := range digests {
		d := &digests[i]
		v := digestView(d, now, s.Mail.Link)
		msg, err := s.Mail.Digest(&v)
		if err != nil {
			return 0, err
		}
		uid := d.To.ID
		msg.To, msg.UserID, msg.DedupeKey = d.To.Email, &uid, d.DedupeKey
		msgs[i] = msg
	}
	sent := 0
	err = s.DB.Tx(ctx, func(tx *sqlx.Tx) error {
		if err := s.renewLeaseIn(ctx, tx, holder); err != nil {
			return err
		}
		ids, err := mail.EnqueueManyIDs(ctx, tx, msgs, now)
		if err != nil {
			return err
		}
		rec := &eventWriter{tx: tx, dialect: s.DB.Dialect, now: now}
		defer rec.close()
		for i, d := range digests {
			if ids[i] == 0 {
				continue // queued before: its key is in the outbox
			}
			sent++
			if err := rec.add(ctx, d.Events[0].Subject, StageNotice, d.To.ID, d.DedupeKey, ids[i]); err != nil {
				return err
			}
		}
		if err := rec.flush(ctx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO reminder_version_notices (version_id, notified_at, people)
			VALUES (?, ?, ?) ON CONFLICT (version_id) DO NOTHING`), cur.ID, now, sent)
		if err != nil {
			return fmt.Errorf("reminders: record notices of version %d: %w", cur.ID, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.Logger.Info("reminders: version took effect", "policy", t.Policy.Slug, "version", cur.Number, "told", sent)
	return sent, nil
}

// EffectiveKey is the outbox key of the notice a person gets when a
// version they must acknowledge takes effect.
func EffectiveKey(versionID, userID int64, round string) string {
	return "policy_effective:" + strconv.FormatInt(versionID, 10) + ":" + strconv.FormatInt(userID, 10) + ":" + round
}
