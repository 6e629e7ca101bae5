package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"steward/internal/mail"
)

func TestMyDataShowsEverythingKeptAboutMe(t *testing.T) {
	ts := newTestServer(t)
	eli := ts.userID(employeeEmail)
	tx := ts.db.MustBegin()
	if _, err := mail.Enqueue(context.Background(), tx, mail.Message{To: employeeEmail, UserID: &eli, Kind: "training_due",
		Subject: "Your training is due", Text: "Hello Eli, finish the course.", DedupeKey: "mydata-1"}, testStart); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.Enqueue(context.Background(), tx, mail.Message{To: employeeEmail, UserID: &eli, Kind: "password_reset",
		Subject: "Reset your password", Text: "Use https://steward.test/reset/SECRET-TOKEN", DedupeKey: "mydata-2"}, testStart); err != nil {
		t.Fatal(err)
	}
	tx.Commit()

	c := ts.as(employeeEmail)
	res := c.get("/account/data")
	res.expect(t, http.StatusOK, "My data", "Eli Turner", employeeEmail, "Responsible use of customer data",
		"Your training is due", "Hello Eli, finish the course.", "withheld: it held a one-time sign-in link",
		"login.success", "No IP addresses", "Download a copy (JSON)")
	if strings.Contains(res.Body, "SECRET-TOKEN") {
		t.Fatal("the page shows a live password-reset link")
	}
	if !strings.Contains(c.get("/home").Body, `href="/account/data"`) {
		t.Fatal("no link to My data for a signed-in person")
	}

	dl := c.get("/account/data.json")
	dl.expect(t, http.StatusOK)
	if cd := dl.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="steward-my-data-`) {
		t.Fatalf("content disposition %q", cd)
	}
	for _, secret := range []string{"$2a$", "$2b$", "password_hash", "SECRET-TOKEN"} {
		if strings.Contains(dl.Body, secret) {
			t.Fatalf("the download contains %q", secret)
		}
	}
	var got struct {
		Profile struct {
			ID          int64  `json:"id"`
			Email       string `json:"email"`
			PasswordSet bool   `json:"password_set"`
		} `json:"profile"`
		Cycles   []struct{ Course string } `json:"training_cycles"`
		Attempts []struct {
			Module  string            `json:"module"`
			Answers []json.RawMessage `json:"answers"`
		} `json:"quiz_attempts"`
		Acks   []json.RawMessage `json:"policy_acknowledgements"`
		Emails []struct {
			Subject, Text, TextNote string
		} `json:"emails"`
		Audit []struct{ Action, Target string } `json:"audit_entries"`
	}
	if err := json.Unmarshal([]byte(dl.Body), &got); err != nil {
		t.Fatalf("the download is not JSON: %v", err)
	}
	if got.Profile.ID != eli || got.Profile.Email != employeeEmail || !got.Profile.PasswordSet {
		t.Fatalf("profile %+v", got.Profile)
	}
	if len(got.Cycles) == 0 || len(got.Attempts) == 0 || len(got.Emails) != 2 || len(got.Audit) == 0 {
		t.Fatalf("cycles %d, attempts %d, emails %d, audit %d", len(got.Cycles), len(got.Attempts), len(got.Emails), len(got.Audit))
	}
	answered := false
	for _, a := range got.Attempts {
		answered = answered || len(a.Answers) > 0
	}
	if !answered {
		t.Fatal("no attempt carries its answers")
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'mydata.export' AND actor_id = ?`, eli); n != 1 {
		t.Fatalf("download audited %d times", n)
	}
	// Nobody else's record is in it.
	for _, other := range []string{"growth.lead@example.com", "sales.lead@example.com", adminEmail} {
		if strings.Contains(dl.Body, other) {
			t.Fatalf("the download contains %s", other)
		}
	}
	// Each person sees their own.
	ts.as(managerEmail).get("/account/data").expect(t, http.StatusOK, managerEmail)
	if res := ts.client().get("/account/data.json"); res.StatusCode != http.StatusFound {
		t.Fatalf("anonymous download: %d", res.StatusCode)
	}
}
