package reminders

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/mail"
	"steward/policies"
)

// KindPolicyReview is the outbox kind of a policy owner's review reminder.
const KindPolicyReview = "policy_review"

// ReviewReminderKey is the dedupe key of the reminder about one stage
// ("due" or "overdue") of one review period, named by its due date: a
// later sweep finds it in the outbox and sends nothing, and a review
// recorded since starts a period with another due date.
func ReviewReminderKey(policyID int64, due time.Time, stage policies.ReviewStage) string {
	return "policy_review:" + strconv.FormatInt(policyID, 10) + ":" + due.UTC().Format(time.RFC3339) + ":" + string(stage)
}

// reviewMessage renders the owner's reminder of a review due or overdue.
func reviewMessage(r *mail.Renderer, due policies.ReviewReminder) (mail.Message, error) {
	st := due.Standing
	msg, err := r.Render(KindPolicyReview, struct {
		Name, Title, Slug string
		Due, Last         time.Time
		Months            int
		Overdue           bool
	}{due.Name, st.Policy.Title, st.Policy.Slug, st.NextDue, st.LastReviewed, st.ReviewMonths, st.Stage == policies.ReviewOverdue})
	if err != nil {
		return mail.Message{}, fmt.Errorf("reminders: review of %s: %w", st.Policy.Slug, err)
	}
	id := due.OwnerID
	msg.To, msg.UserID = due.Email, &id
	msg.DedupeKey = ReviewReminderKey(st.Policy.ID, st.NextDue, st.Stage)
	return msg, nil
}

// remindReviews queues a reminder to the owner of every policy whose
// review falls due within policies.ReviewWindow or is overdue: once per
// stage of each review period (the dedupe key), never again by a later
// sweep. It returns how many were queued.
func (s *Sweeper) remindReviews(ctx context.Context, now time.Time) (int, error) {
	due, err := policies.ReviewsDue(ctx, s.DB, now)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	queued := 0
	err = s.DB.Tx(ctx, func(tx *sqlx.Tx) error {
		for _, d := range due {
			msg, err := reviewMessage(s.Mail, d)
			if err != nil {
				return err
			}
			ok, err := mail.Enqueue(ctx, tx, msg, now)
			if err != nil {
				return err
			}
			if ok {
				queued++
			}
		}
		return nil
	})
	return queued, err
}
