package handlers

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/logfmt"
)

// Links that grant access (invitations, resets, subscription
// confirmations) reach only their recipient: an admin can neither send one
// to a person who has a password nor read one in the outbox, and no log
// line holds one.

func TestAdminCannotSendASignInLinkToSomeoneWithAPassword(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	id := ts.userID(employeeEmail)
	page := admin.get(fmt.Sprintf("/admin/people/%d", id))
	page.expect(t, http.StatusOK, "Forgot your password?", "An admin cannot send one.")
	if strings.Contains(page.Body, "/invite\"") || strings.Contains(page.Body, "Send a password link") {
		t.Error("the page offers to send a link to someone who has a password")
	}
	mail := ts.count(`SELECT COUNT(*) FROM outbox`)
	links := ts.count(`SELECT COUNT(*) FROM one_time_tokens`)
	audits := ts.count(`SELECT COUNT(*) FROM audit_log`)
	admin.post(fmt.Sprintf("/admin/people/%d/invite", id), nil).
		expect(t, http.StatusConflict, "already has a password", "Forgot your password?")
	if ts.count(`SELECT COUNT(*) FROM outbox`) != mail || ts.count(`SELECT COUNT(*) FROM one_time_tokens`) != links ||
		ts.count(`SELECT COUNT(*) FROM audit_log`) != audits {
		t.Fatal("a refused invitation changed something")
	}
}

func TestAnInvitationStopsWorkingOnceAPasswordIsSet(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	admin.post("/admin/people", url.Values{"email": {"newbie@example.com"}, "name": {"Nia Newbie"}, "role": {"employee"}}).expect(t, http.StatusSeeOther)
	id := ts.userID("newbie@example.com")
	admin.post(fmt.Sprintf("/admin/people/%d/invite", id), nil).expect(t, http.StatusSeeOther)
	invite := ts.lastLink(t, "newbie@example.com")
	// Nia resets her password herself before using the invitation.
	ts.client().post("/password/forgot", url.Values{"email": {"newbie@example.com"}}).expect(t, http.StatusOK)
	reset := ts.lastLink(t, "newbie@example.com")
	ts.client().post(reset, url.Values{"new": {"a fine long password"}, "confirm": {"a fine long password"}}).expect(t, http.StatusSeeOther)
	ts.client().get(invite).expect(t, http.StatusGone)
	ts.client().post(invite, url.Values{"new": {"the attacker's password"}, "confirm": {"the attacker's password"}}).expect(t, http.StatusGone)
}

var secretLinkRE = regexp.MustCompile(`/(invite|password/reset|subscribe/confirm)/([A-Za-z0-9_-]{20,})`)

// secretBodies returns each secret message's id and the token its body
// carries, read from the database as only the recipient's mailbox would.
func secretBodies(t *testing.T, ts *testServer) map[int64]string {
	t.Helper()
	var rows []struct {
		ID   int64  `db:"id"`
		Kind string `db:"kind"`
		Text string `db:"body_text"`
	}
	if err := ts.db.Select(&rows, `SELECT id, kind, body_text FROM outbox WHERE kind IN ('invite', 'password_reset', 'subscribe_confirm')`); err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, r := range rows {
		m := secretLinkRE.FindStringSubmatch(r.Text)
		if m == nil {
			t.Fatalf("%s message %d: no link found in\n%s", r.Kind, r.ID, r.Text)
		}
		out[r.ID] = m[2]
	}
	return out
}

func TestOutboxNeverShowsALinkThatGrantsAccess(t *testing.T) {
	ts := withPolicies(t)
	admin := ts.as(adminEmail)
	admin.post("/admin/people", url.Values{"email": {"newbie@example.com"}, "name": {"Nia Newbie"}, "role": {"employee"}}).expect(t, http.StatusSeeOther)
	admin.post(fmt.Sprintf("/admin/people/%d/invite", ts.userID("newbie@example.com")), nil).expect(t, http.StatusSeeOther)
	ts.client().post("/password/forgot", url.Values{"email": {managerEmail}}).expect(t, http.StatusOK)
	visitor := ts.client()
	visitor.get("/")
	visitor.post("/subscribe", url.Values{"email": {"dana@example.org"}}).expect(t, http.StatusOK)

	secrets := secretBodies(t, ts)
	if len(secrets) != 3 {
		t.Fatalf("%d secret messages, want an invitation, a reset and a confirmation", len(secrets))
	}
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE secret = FALSE AND kind IN ('invite', 'password_reset', 'subscribe_confirm')`); n != 0 {
		t.Errorf("%d messages carrying a link are not marked secret", n)
	}
	pages := []string{"/admin/outbox", "/admin/outbox?kind=subscribe_confirm"}
	for id := range secrets {
		pages = append(pages, "/admin/outbox/"+strconv.FormatInt(id, 10))
	}
	for _, p := range pages {
		body := admin.get(p).Body
		for id, tok := range secrets {
			if strings.Contains(body, tok) {
				t.Errorf("%s shows the token of message %d", p, id)
			}
		}
	}
	for id := range secrets {
		admin.get("/admin/outbox/"+strconv.FormatInt(id, 10)).expect(t, http.StatusOK, "its text is not shown")
	}
}

func TestRequestLogNeverHoldsAToken(t *testing.T) {
	ts := withPolicies(t)
	var buf bytes.Buffer
	ts.srv.log = slog.New(logfmt.New(&buf, slog.LevelInfo))
	const tok = "c2VjcmV0LXRva2VuLXRoYXQtbXVzdC1ub3QtbGVhaw"
	c := ts.client()
	for _, p := range []string{
		"/invite/" + tok, "/password/reset/" + tok, "/subscribe/confirm/" + tok, "/unsubscribe/" + tok,
		"/INVITE/" + tok, "/password/reset/" + tok + "/more", "/subscribe/confirm/" + tok + "/",
	} {
		c.get(p)
		c.post(p, url.Values{"new": {"a fine long password"}, "confirm": {"a fine long password"}})
	}
	log := buf.String()
	if strings.Contains(log, tok) {
		t.Fatalf("the request log holds a token:\n%s", log)
	}
	if !strings.Contains(log, "/invite/"+redacted) || !strings.Contains(log, "/subscribe/confirm/"+redacted) {
		t.Errorf("the request log does not name the redacted paths:\n%s", log)
	}
}

func TestEveryTokenRouteIsRedactedInLogs(t *testing.T) {
	ts := newTestServer(t)
	for _, r := range ts.srv.App().GetRoutes() {
		for _, p := range r.Params {
			if p != tokenParam {
				continue
			}
			path := strings.Replace(r.Path, ":"+tokenParam, "SECRET", 1)
			if strings.Contains(redactTokenPath(path), "SECRET") {
				t.Errorf("%s %s: a path that matches no route would log the token; add it to tokenPrefixes", r.Method, r.Path)
			}
		}
	}
}

func TestSubscribeIsLimitedAndMailsAnAddressOnceADay(t *testing.T) {
	ts := withPolicies(t)
	confirmations := func(email string) int {
		return ts.count(ts.db.Rebind(`SELECT COUNT(*) FROM outbox WHERE kind = 'subscribe_confirm' AND recipient = ?`), email)
	}
	c := ts.client()
	c.get("/")
	first := c.post("/subscribe", url.Values{"email": {"dana@example.org"}})
	first.expect(t, http.StatusOK, "Check your email")
	again := c.post("/subscribe", url.Values{"email": {"Dana@Example.org"}})
	again.expect(t, http.StatusOK, "Check your email")
	if n := confirmations("dana@example.org"); n != 1 {
		t.Fatalf("%d confirmations after asking twice, want 1", n)
	}
	// The answer does not say whether an email went out.
	if strings.ReplaceAll(first.Body, "dana@example.org", "X") != strings.ReplaceAll(again.Body, "Dana@Example.org", "X") {
		t.Error("the second answer differs from the first")
	}

	// Per address, from many clients.
	for i := 0; i < subscribeAddressLimit; i++ {
		other := ts.client()
		other.ip = fmt.Sprintf("198.51.100.%d", i+1)
		res := other.post("/subscribe", url.Values{"email": {"erin@example.org"}})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("request %d for one address: %d", i, res.StatusCode)
		}
	}
	other := ts.client()
	other.ip = "198.51.100.99"
	other.post("/subscribe", url.Values{"email": {"erin@example.org"}}).expect(t, http.StatusTooManyRequests, "Too many subscription requests")

	// Per client, for many addresses.
	flood := ts.client()
	flood.ip = "203.0.113.7"
	refused := 0
	for i := 0; i < 200; i++ {
		if flood.post("/subscribe", url.Values{"email": {fmt.Sprintf("victim%d@example.org", i)}}).StatusCode == http.StatusTooManyRequests {
			refused++
		}
	}
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'subscribe_confirm' AND recipient LIKE 'victim%'`); n > subscribeClientLimit || refused < 200-subscribeClientLimit {
		t.Fatalf("one client queued %d confirmations and was refused %d times", n, refused)
	}

	// A day later (and a new window), one more confirmation, the same link.
	ts.advanceWall(limitWindow)
	ts.setNow(testStart.Add(23 * time.Hour))
	ts.client().post("/subscribe", url.Values{"email": {"dana@example.org"}}).expect(t, http.StatusOK)
	if n := confirmations("dana@example.org"); n != 1 {
		t.Fatalf("%d confirmations within a day, want 1", n)
	}
	ts.setNow(testStart.Add(24 * time.Hour))
	ts.client().post("/subscribe", url.Values{"email": {"dana@example.org"}}).expect(t, http.StatusOK)
	if n := confirmations("dana@example.org"); n != 2 {
		t.Fatalf("%d confirmations after a day, want 2", n)
	}
}

// Each request's line names the id its answer carries, whichever slog
// handler the server logs with; a client's own id is kept when it is
// printable, and replaced otherwise.
func TestRequestLineNamesTheAnswersID(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	for _, h := range []struct {
		name string
		make func(*bytes.Buffer) slog.Handler
	}{
		{"logfmt", func(b *bytes.Buffer) slog.Handler { return logfmt.New(b, slog.LevelInfo) }},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		ts.srv.log = slog.New(h.make(&buf))
		ours := getWith(c, "/policies/privacy")
		kept := getWith(c, "/policies/privacy", "X-Request-Id", "client-chose-this-1")
		replaced := getWith(c, "/policies/privacy", "X-Request-Id", "two words")
		log := buf.String()
		id := ours.Header.Get("X-Request-Id")
		if id == "" || !strings.Contains(log, "path=/policies/privacy status=200 ") || !strings.Contains(log, " request_id="+id+"\n") {
			t.Errorf("%s: the line does not name the id %q:\n%s", h.name, id, log)
		}
		if got := kept.Header.Get("X-Request-Id"); got != "client-chose-this-1" || !strings.Contains(log, " request_id=client-chose-this-1\n") {
			t.Errorf("%s: the client's id came back as %q:\n%s", h.name, got, log)
		}
		if got := replaced.Header.Get("X-Request-Id"); got == "" || got == "two words" || strings.Contains(log, "two words") {
			t.Errorf("%s: an id with a space was kept: %q", h.name, got)
		}
	}
}
