package reminders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// TeamWeekly reports whether a manager gets the weekly summary of their
// reporting line (the default) or has opted out.
func TeamWeekly(ctx context.Context, q sqlx.ExtContext, userID int64) (bool, error) {
	var on bool
	err := sqlx.GetContext(ctx, q, &on, q.Rebind(`SELECT team_weekly FROM reminder_preferences WHERE user_id = ?`), userID)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("reminders: read preferences of %d: %w", userID, err)
	}
	return on, nil
}

// SetTeamWeekly records a manager's choice about the weekly summary.
func SetTeamWeekly(ctx context.Context, q sqlx.ExtContext, userID int64, on bool, now time.Time) error {
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO reminder_preferences (user_id, team_weekly, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET team_weekly = excluded.team_weekly, updated_at = excluded.updated_at`),
		userID, on, now.UTC())
	if err != nil {
		return fmt.Errorf("reminders: save preferences of %d: %w", userID, err)
	}
	return nil
}

func optedOut(ctx context.Context, q sqlx.ExtContext) (map[int64]bool, error) {
	var ids []int64
	if err := sqlx.SelectContext(ctx, q, &ids, `SELECT user_id FROM reminder_preferences WHERE team_weekly = FALSE`); err != nil {
		return nil, fmt.Errorf("reminders: read preferences: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// TeamSummary is the weekly count of open items in a manager's reporting
// line (everyone below them), carried in that day's digest.
type TeamSummary struct {
	People        int // people in the line with something open
	PeopleOverdue int // of whom with something overdue or lapsed
	Open          int // open items that are not overdue
	Overdue       int // overdue or lapsed items
}

type ownerCount struct{ open, overdue int32 }

// teamSummaries sums every person's open items up their reporting line.
func teamSummaries(people map[int64]Person, counts map[int64]ownerCount) map[int64]TeamSummary {
	out := map[int64]TeamSummary{}
	for id, c := range counts {
		// people refuses reporting cycles; the step limit only keeps a
		// damaged tree from looping here.
		steps := 0
		for p := people[id]; p.ManagerID != nil && steps < 100; p = people[*p.ManagerID] {
			m := *p.ManagerID
			if _, ok := people[m]; !ok || m == id {
				break
			}
			steps++
			s := out[m]
			s.People++
			s.Open += int(c.open)
			s.Overdue += int(c.overdue)
			if c.overdue > 0 {
				s.PeopleOverdue++
			}
			out[m] = s
		}
	}
	return out
}
