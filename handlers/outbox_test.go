package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"steward/internal/mail"
)

func TestOutboxPagesForAdmins(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	queue := func(m mail.Message) {
		t.Helper()
		if err := ts.db.Tx(ctx, func(tx *sqlx.Tx) error {
			_, err := mail.Enqueue(ctx, tx, m, ts.clock())
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	queue(mail.Message{To: "ann@example.com", Kind: "reminders", Subject: "Steward: 1 item for you",
		Text: "Complete the course Data basics", DedupeKey: "outbox-test:1"})
	queue(mail.Message{To: "ben@example.com", Kind: "password_reset", Subject: "Reset your Steward password",
		Text: "https://steward.example.com/password/reset/SECRET-TOKEN", DedupeKey: "outbox-test:2"})
	queue(mail.Message{To: "cat@example.com", Kind: "policy_notice", Subject: "Privacy: version 2",
		Text: "Read it.", DedupeKey: "outbox-test:3", Headers: map[string]string{"List-Unsubscribe": "<https://x/unsub>"}})
	var deadID, resetID int64
	ts.db.Get(&resetID, `SELECT id FROM outbox WHERE dedupe_key = 'outbox-test:2'`)
	ts.db.Get(&deadID, `SELECT id FROM outbox WHERE dedupe_key = 'outbox-test:3'`)
	if _, err := ts.db.Exec(ts.db.Rebind(`UPDATE outbox SET status = 'dead', attempts = 8, last_error = '550 no such mailbox' WHERE id = ?`), deadID); err != nil {
		t.Fatal(err)
	}

	for _, who := range []string{employeeEmail, managerEmail, auditorEmail} {
		if res := ts.as(who).get("/admin/outbox"); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s reading the outbox: status %d, want 403", who, res.StatusCode)
		}
	}
	admin := ts.as(adminEmail)
	admin.get("/admin/outbox").expect(t, http.StatusOK, "Steward: 1 item for you", "Reset your Steward password", "Dead: 1",
		"No SMTP server is configured")
	res := admin.get("/admin/outbox?status=dead")
	res.expect(t, http.StatusOK, "Privacy: version 2")
	if strings.Contains(res.Body, "Steward: 1 item for you") {
		t.Error("the status filter let a queued message through")
	}
	res = admin.get("/admin/outbox?kind=reminders")
	res.expect(t, http.StatusOK, "Steward: 1 item for you")
	if strings.Contains(res.Body, "Privacy: version 2") {
		t.Error("the kind filter let another kind through")
	}

	admin.get("/admin/outbox/"+strconvFormat(deadID)).expect(t, http.StatusOK, "550 no such mailbox", "List-Unsubscribe",
		mail.MessageID("outbox-test:3", ts.srv.cfg.BaseURL.Hostname())[1:20], "Retry this message")
	res = admin.get("/admin/outbox/" + strconvFormat(resetID))
	res.expect(t, http.StatusOK, "its text is not shown")
	if strings.Contains(res.Body, "SECRET-TOKEN") {
		t.Error("the outbox page shows a live password-reset link")
	}
	admin.get("/admin/outbox/999999").expect(t, http.StatusNotFound)

	// Retrying a queued message is a conflict; retrying the dead one
	// queues it again and is audited.
	admin.post("/admin/outbox/"+strconvFormat(resetID)+"/retry", url.Values{}).expect(t, http.StatusConflict)
	res = admin.post("/admin/outbox/"+strconvFormat(deadID)+"/retry", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: status %d\n%s", res.StatusCode, snippet(res.Body))
	}
	admin.get("/admin/outbox/"+strconvFormat(deadID)).expect(t, http.StatusOK, "queued again")
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE id = ? AND status = 'queued' AND attempts = 0`, deadID); n != 1 {
		t.Error("the dead message is not queued again")
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'mail.retry' AND target = ? AND actor_id = ?`,
		"outbox:"+strconvFormat(deadID), ts.userID(adminEmail)); n != 1 {
		t.Error("the retry is not in the audit log")
	}
	if res := admin.postRaw("/admin/outbox/"+strconvFormat(deadID)+"/retry", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("retry without a CSRF token: status %d, want 403", res.StatusCode)
	}
}
