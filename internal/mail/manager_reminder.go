package mail

import (
	"strconv"
	"time"
)

// KindManagerReminder is the kind of a reminder a manager sends by hand,
// from a person's page or the team report.
const KindManagerReminder = "manager_reminder"

// managerReminderPrefix starts the dedupe key of a manager's reminder.
const managerReminderPrefix = "manager-reminder:"

// ManagerReminderKey is the dedupe key of a manager's reminder email to a
// person: one key per person, item and day (UTC). The rule of one a day
// is reminders' (manager_reminders); the key only keeps a retried request
// from queueing the email twice.
func ManagerReminderKey(userID int64, course string, now time.Time) string {
	return managerReminderPrefix + strconv.FormatInt(userID, 10) + ":" + course + ":" + now.UTC().Format(time.DateOnly)
}
