package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// What retention asks of the outbox. Retention decides when; these say
// how, on the outbox's own rows.

// pendingStates are the outbox states of a message that may still be sent.
const pendingStates = `('queued', 'failed')`

// ForgetRecipient drops what is still queued for person userID and
// replaces the address on all their email by address, the text deleted:
// the rows keep kind, subject, dates and status as evidence that
// reminders went out. It returns how many queued messages were dropped.
func ForgetRecipient(ctx context.Context, tx *sqlx.Tx, userID int64, address, why string) (int, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET status = 'dropped',
		last_error = ? WHERE user_id = ? AND status IN `+pendingStates), why, userID)
	if err != nil {
		return 0, fmt.Errorf("mail: drop mail to user %d: %w", userID, err)
	}
	dropped := affected(res)
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET recipient = ?, body_text = '', body_html = '',
		headers = '{}' WHERE user_id = ? AND status <> 'sending'`), address, userID); err != nil {
		return 0, fmt.Errorf("mail: forget mail of user %d: %w", userID, err)
	}
	return dropped, nil
}

// DeleteSentBodies deletes the text of every email sent before cutoff;
// the row, its subject, recipient and status stay. It returns how many.
func DeleteSentBodies(ctx context.Context, tx *sqlx.Tx, cutoff time.Time) (int, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET body_text = '', body_html = '', headers = '{}'
		WHERE status = 'sent' AND sent_at < ? AND (body_text <> '' OR body_html <> '')`), cutoff)
	if err != nil {
		return 0, fmt.Errorf("mail: delete sent bodies: %w", err)
	}
	return affected(res), nil
}

// CustomerMail is an email to an address that is not a person's.
type CustomerMail struct {
	ID        int64  `db:"id"`
	Recipient string `db:"recipient"`
	Status    string `db:"status"`
}

// CustomerMails lists, in order, the email to addresses that are not a
// person's, not being sent, whose recipient starts with none of skip.
func CustomerMails(ctx context.Context, tx *sqlx.Tx, skip ...string) ([]CustomerMail, error) {
	q := `SELECT id, recipient, status FROM outbox WHERE user_id IS NULL AND status <> 'sending'`
	var args []any
	for _, p := range skip {
		q += ` AND SUBSTR(recipient, 1, ?) <> ?`
		args = append(args, len(p), p)
	}
	var out []CustomerMail
	if err := tx.SelectContext(ctx, &out, tx.Rebind(q+` ORDER BY id`), args...); err != nil {
		return nil, fmt.Errorf("mail: customer mail: %w", err)
	}
	return out, nil
}

// ReplaceRecipient replaces the address on message m by recipient and
// deletes its text; with why set, a message still queued or failed is
// dropped for that reason (reported true). Nothing changes when the
// message's status is no longer m.Status.
func ReplaceRecipient(ctx context.Context, tx *sqlx.Tx, m CustomerMail, recipient, why string) (bool, error) {
	status, reason := m.Status, ""
	if why != "" && (status == "queued" || status == "failed") {
		status, reason = "dropped", why
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET recipient = ?, status = ?,
		last_error = CASE WHEN ? = '' THEN last_error ELSE ? END,
		body_text = '', body_html = '', headers = '{}' WHERE id = ? AND status = ?`),
		recipient, status, reason, reason, m.ID, m.Status); err != nil {
		return false, fmt.Errorf("mail: replace recipient of message %d: %w", m.ID, err)
	}
	return reason != "", nil
}

// RecipientsStartingWith lists the email to addresses that are not a
// person's whose recipient starts with prefix.
func RecipientsStartingWith(ctx context.Context, tx *sqlx.Tx, prefix string) ([]CustomerMail, error) {
	var out []CustomerMail
	if err := tx.SelectContext(ctx, &out, tx.Rebind(`SELECT id, recipient, status FROM outbox
		WHERE user_id IS NULL AND SUBSTR(recipient, 1, ?) = ? ORDER BY id`), len(prefix), prefix); err != nil {
		return nil, fmt.Errorf("mail: recipients starting %q: %w", prefix, err)
	}
	return out, nil
}

// SetRecipient replaces the address on message id.
func SetRecipient(ctx context.Context, tx *sqlx.Tx, id int64, recipient string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET recipient = ? WHERE id = ?`), recipient, id); err != nil {
		return fmt.Errorf("mail: set recipient of message %d: %w", id, err)
	}
	return nil
}

func affected(res interface{ RowsAffected() (int64, error) }) int {
	n, err := res.RowsAffected()
	if err != nil {
		return 0
	}
	return int(n)
}
