package mail

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// KindManagerReminder is the kind of a reminder a manager sends by hand
// from a person's page.
const KindManagerReminder = "manager_reminder"

// managerReminderPrefix starts the dedupe key of a manager's reminder.
const managerReminderPrefix = "manager-reminder:"

// ManagerReminderKey is the dedupe key of a manager's reminder to a person
// about a course: one key per person, course and day (UTC), so at most one
// such reminder a day is queued.
func ManagerReminderKey(userID int64, course string, now time.Time) string {
	return managerReminderPrefix + strconv.FormatInt(userID, 10) + ":" + course + ":" + now.UTC().Format(time.DateOnly)
}

// ManagerRemindersOn returns, per course slug, when a manager's reminder to
// the person was queued on now's day (UTC): the reminders that make another
// one that day a no-op.
func (o *Outbox) ManagerRemindersOn(ctx context.Context, userID int64, now time.Time) (map[string]time.Time, error) {
	prefix := managerReminderPrefix + strconv.FormatInt(userID, 10) + ":"
	suffix := ":" + now.UTC().Format(time.DateOnly)
	var rows []struct {
		Key       string    `db:"dedupe_key"`
		CreatedAt time.Time `db:"created_at"`
	}
	// The prefix and suffix hold only digits, letters, '-' and ':', none
	// of which LIKE treats specially.
	if err := o.DB.SelectContext(ctx, &rows, o.DB.Rebind(`SELECT dedupe_key, created_at FROM outbox
		WHERE user_id = ? AND kind = ? AND dedupe_key LIKE ?`), userID, KindManagerReminder, prefix+"%"+suffix); err != nil {
		return nil, fmt.Errorf("mail: manager reminders to user %d: %w", userID, err)
	}
	out := map[string]time.Time{}
	for _, r := range rows {
		course := strings.TrimSuffix(strings.TrimPrefix(r.Key, prefix), suffix)
		out[course] = r.CreatedAt.UTC()
	}
	return out, nil
}
