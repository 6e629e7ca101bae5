package main

import (
	"time"
)

// futureSlack is how far past the clock --now may be and still write: a
// time typed a moment ahead, or a clock a little behind, is not the future.
const futureSlack = time.Minute

// parseNow reads a command's --now: empty means the clock's time. A time in
// the future is only for a dry run: written for real, it acts on a day that
// has not come, emailing "54 days overdue" to people who are not, or
// pseudonymising people whose retention period has not ended. what says
// what writing would do, for the message.
func parseNow(e *env, value string, dry bool, example, what string) (time.Time, error) {
	now := e.now()
	if value == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, usagef("--now %q is not an RFC 3339 time like %s", value, example)
	}
	t = t.UTC()
	if !dry && t.After(now.Add(futureSlack)) {
		return time.Time{}, usagef("--now %s is in the future (the time is %s): %s before that day comes. Add --dry-run to see what it would do; nothing was changed",
			t.Format(time.RFC3339), now.Format(time.RFC3339), what)
	}
	return t, nil
}
