package handlers

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func entryValues(name, purpose string) url.Values {
	return url.Values{"name": {name}, "purpose": {purpose}, "data_categories": {"Names, email addresses"},
		"locations": {"United States"}, "transfer_mechanism": {"EU SCCs"}}
}

// confirmedSubscriber stands for a customer who subscribed to change
// notices and confirmed.
func confirmedSubscriber(t *testing.T, ts *testServer, email, token string) {
	t.Helper()
	if _, err := ts.db.Exec(ts.db.Rebind(`INSERT INTO policy_subscriptions (email, token, created_at, confirmed_at)
		VALUES (?, ?, ?, ?)`), email, token, testStart, testStart); err != nil {
		t.Fatal(err)
	}
}

// publishFirstRegister publishes a first version naming a hostile-looking
// company, effective today (the first version needs no notice).
func publishFirstRegister(t *testing.T, ts *testServer) *client {
	t.Helper()
	admin := ts.as(adminEmail)
	admin.post("/admin/subprocessors", entryValues(`<b>Evil</b> & Co`, "=HYPERLINK(\"x\")")).expect(t, http.StatusSeeOther)
	admin.post("/admin/subprocessors", entryValues("Stripe", "Payments")).expect(t, http.StatusSeeOther)
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Our register"}, "effective": {"2026-11-28"}}).
		expect(t, http.StatusSeeOther)
	return admin
}

func TestSubprocessorChangeGivesNoticeAndTellsSubscribers(t *testing.T) {
	ts := newTestServer(t)
	confirmedSubscriber(t, ts, "customer@example.net", "tok-customer")
	admin := publishFirstRegister(t, ts)
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'subprocessor_notice'`); n != 1 {
		t.Fatalf("first version: %d notices, want 1", n)
	}
	admin.post("/admin/subprocessors", entryValues("Postmark", "Sends our email")).expect(t, http.StatusSeeOther)

	// 28 November + 30 days is 28 December: the 20th is too soon without a reason.
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Adding Postmark"}, "effective": {"2026-12-20"}}).
		expect(t, http.StatusUnprocessableEntity, "30 days", "2026-12-28", "give the reason")
	if n := ts.count(`SELECT COUNT(*) FROM subprocessor_versions`); n != 1 {
		t.Fatalf("a refused publication made a version: %d", n)
	}
	if n := ts.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'subprocessor_notice'`); n != 1 {
		t.Fatalf("a refused publication sent mail: %d", n)
	}
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Adding Postmark"}, "effective": {"2026-11-27"},
		"reason": {"urgent"}}).expect(t, http.StatusUnprocessableEntity, "today or a later date")

	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Adding Postmark"}, "effective": {"2026-12-20"},
		"reason": {"Our old email provider <closes> on 19 December"}}).expect(t, http.StatusSeeOther)
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'subprocessor.publish'`); n != 2 {
		t.Fatalf("publish audit entries: %d", n)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'subprocessor.add'`); n != 3 {
		t.Fatalf("add audit entries: %d", n)
	}
	var mail struct {
		Recipient string `db:"recipient"`
		Subject   string `db:"subject"`
		Headers   string `db:"headers"`
		Body      string `db:"body_text"`
	}
	if err := ts.db.Get(&mail, `SELECT recipient, subject, headers, body_text FROM outbox
		WHERE kind = 'subprocessor_notice' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if mail.Recipient != "customer@example.net" || !strings.Contains(mail.Subject, "20 December 2026") ||
		!strings.Contains(mail.Body, "Added: Postmark") || !strings.Contains(mail.Body, "/unsubscribe/tok-customer") {
		t.Fatalf("notice = %+v", mail)
	}
	var headers map[string]string
	if err := json.Unmarshal([]byte(mail.Headers), &headers); err != nil {
		t.Fatal(err)
	}
	if headers["List-Unsubscribe"] != "<"+ts.srv.cfg.BaseURL.String()+"/unsubscribe/tok-customer>" ||
		headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
		t.Fatalf("headers = %v", headers)
	}

	// Before the date, the page shows the change as upcoming, with its reason.
	page := ts.client().get("/subprocessors")
	page.expect(t, http.StatusOK, `<link rel="alternate" type="application/atom+xml" title="Subprocessor changes" href="/subprocessors/feed.atom">`,
		"Upcoming changes", "From 20 Dec 2026", "Postmark",
		"Our old email provider &lt;closes&gt; on 19 December", "&lt;b&gt;Evil&lt;/b&gt; &amp; Co")
	if strings.Contains(page.Body, "<b>Evil") {
		t.Fatal("markup in a name reached the page")
	}
	ts.setNow(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC))
	page = ts.client().get("/subprocessors")
	page.expect(t, http.StatusOK, "In effect since 20 Dec 2026 (version 2)")
	if strings.Contains(page.Body, "Upcoming changes") {
		t.Fatal("the change is still upcoming on its date")
	}
	ts.client().get("/subprocessors/diff/1/2").expect(t, http.StatusOK, "Added", "Postmark")
	ts.client().get("/subprocessors/v/1").expect(t, http.StatusOK, "Stripe")
	if strings.Contains(ts.client().get("/subprocessors/v/1").Body, "Postmark") {
		t.Fatal("version 1 shows an entry added in version 2")
	}
}

func TestSubprocessorBadInputChangesNothing(t *testing.T) {
	ts := newTestServer(t)
	admin := publishFirstRegister(t, ts)
	employee := ts.as(employeeEmail) // signing in is audited too
	before := ts.count(`SELECT COUNT(*) FROM audit_log`)
	cases := []struct {
		name string
		form url.Values
		want string
	}{
		{"empty name", entryValues("", "x"), "Enter name"},
		{"duplicate", entryValues("stripe", "x"), "already names"},
		{"too long", entryValues(strings.Repeat("a", 201), "x"), "200 characters"},
		{"bad date", func() url.Values { f := entryValues("Acme", "x"); f.Set("since", "soon"); return f }(), "YYYY-MM-DD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			admin.post("/admin/subprocessors", c.form).expect(t, http.StatusUnprocessableEntity, c.want)
		})
	}
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"nothing"}, "effective": {"2027-02-01"}}).
		expect(t, http.StatusUnprocessableEntity, "same as the last published version")
	admin.post("/admin/subprocessors/999999", entryValues("Ghost", "x")).expect(t, http.StatusNotFound)
	admin.post("/admin/subprocessors/999999/remove", nil).expect(t, http.StatusNotFound)
	employee.post("/admin/subprocessors", entryValues("Sneaky", "x")).expect(t, http.StatusForbidden)
	if n := ts.count(`SELECT COUNT(*) FROM subprocessor_entries`); n != 2 {
		t.Fatalf("entries: %d, want 2", n)
	}
	if n := ts.count(`SELECT COUNT(*) FROM audit_log`); n != before {
		t.Fatalf("bad input was audited: %d entries, had %d", n, before)
	}
	ts.client().get("/subprocessors/v/9").expect(t, http.StatusNotFound)
	ts.client().get("/subprocessors/v/x").expect(t, http.StatusBadRequest)
	ts.client().get("/subprocessors/diff/1/1").expect(t, http.StatusBadRequest)
}

func TestSubprocessorEditAndRemove(t *testing.T) {
	ts := newTestServer(t)
	admin := publishFirstRegister(t, ts)
	var id string
	if err := ts.db.Get(&id, `SELECT CAST(id AS TEXT) FROM subprocessor_entries WHERE name = 'Stripe'`); err != nil {
		t.Fatal(err)
	}
	admin.get("/admin/subprocessors/"+id).expect(t, http.StatusOK, `value="Stripe"`)
	f := entryValues("Stripe", "Payments")
	f.Set("locations", "United States, Ireland")
	admin.post("/admin/subprocessors/"+id, f).expect(t, http.StatusSeeOther)
	admin.get("/admin/subprocessors").expect(t, http.StatusOK, "Changed", "United States, Ireland")
	admin.post("/admin/subprocessors/"+id+"/remove", nil).expect(t, http.StatusSeeOther)
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Stripe goes"}, "effective": {"2026-12-28"}}).
		expect(t, http.StatusSeeOther)
	ts.client().get("/subprocessors/diff/1/2").expect(t, http.StatusOK, "Removed", "Stripe")
	if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('subprocessor.change', 'subprocessor.remove')`); n != 2 {
		t.Fatalf("change and remove audit entries: %d", n)
	}
}

func TestSubprocessorPublicFormats(t *testing.T) {
	ts := newTestServer(t)
	admin := publishFirstRegister(t, ts)
	admin.post("/admin/subprocessors", entryValues("Postmark", "Sends our email")).expect(t, http.StatusSeeOther)
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Adding Postmark"}, "effective": {"2027-01-05"}}).
		expect(t, http.StatusSeeOther)
	anon := ts.client()

	for _, p := range []string{"/subprocessors", "/subprocessors.csv", "/subprocessors/feed.atom", "/subprocessors/v/1",
		"/subprocessors/diff/1/2", "/api/v1/subprocessors"} {
		res := anon.do(httptest.NewRequest(http.MethodHead, p, nil))
		if res.StatusCode != http.StatusOK || res.Body != "" {
			t.Errorf("HEAD %s: %d, %d bytes", p, res.StatusCode, len(res.Body))
		}
	}

	// The CSV is the page's table: the entries in effect, cell for cell.
	page := anon.get("/subprocessors")
	res := anon.get("/subprocessors.csv")
	res.expect(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "Name" || rows[0][1] != "What they do" {
		t.Fatalf("csv = %q", rows)
	}
	current := page.Body[:strings.Index(page.Body, "Upcoming changes")]
	for _, row := range rows[1:] {
		for i, cell := range row {
			if i == 1 && strings.HasPrefix(cell, "'=") {
				cell = cell[1:] // the CSV guards formulas; the page shows the text
			} else if strings.HasPrefix(cell, "=") {
				t.Fatalf("formula cell not guarded: %q", cell)
			}
			if !strings.Contains(current, ">"+html.EscapeString(cell)+"<") {
				t.Errorf("CSV cell %q is not in the page's table", cell)
			}
		}
		if row[0] == "Postmark" {
			t.Error("the CSV names an entry not yet in effect")
		}
	}

	var feed struct {
		Title   string `xml:"title"`
		Entries []struct {
			Title string `xml:"title"`
			Links []struct {
				Rel  string `xml:"rel,attr"`
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	f := anon.get("/subprocessors/feed.atom")
	if ct := f.Header.Get("Content-Type"); !strings.Contains(ct, "atom+xml") {
		t.Fatalf("feed type %q", ct)
	}
	if err := xml.Unmarshal([]byte(f.Body), &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Entries) != 2 || !strings.HasPrefix(feed.Entries[0].Title, "Subprocessors: version 2, effective 5 January 2027") {
		t.Fatalf("feed = %+v", feed)
	}
	if l := feed.Entries[0].Links; len(l) != 2 || !strings.HasSuffix(l[1].Href, "/subprocessors/diff/1/2") {
		t.Fatalf("feed links = %+v", l)
	}

	var api struct {
		Current *struct {
			Number        int `json:"number"`
			Subprocessors []struct {
				Name string `json:"name"`
			} `json:"subprocessors"`
		} `json:"current"`
		Upcoming []struct {
			Number      int       `json:"number"`
			EffectiveAt time.Time `json:"effective_at"`
		} `json:"upcoming"`
		NoticeDays int `json:"notice_days"`
	}
	if err := json.Unmarshal([]byte(anon.get("/api/v1/subprocessors").Body), &api); err != nil {
		t.Fatal(err)
	}
	if api.Current == nil || api.Current.Number != 1 || len(api.Current.Subprocessors) != 2 || len(api.Upcoming) != 1 ||
		!api.Upcoming[0].EffectiveAt.Equal(time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)) || api.NoticeDays != 30 {
		t.Fatalf("api = %+v", api)
	}

	// Every public policy page links to the register.
	anon.get("/policies/privacy").expect(t, http.StatusOK, `href="/subprocessors"`)
}

func TestSubprocessorNoticeDaysFromEnvironment(t *testing.T) {
	base := newTestServer(t)
	ts := newTestServerEnv(t, base.db, map[string]string{"STEWARD_SUBPROCESSOR_NOTICE_DAYS": "10"})
	admin := publishFirstRegister(t, ts)
	admin.post("/admin/subprocessors", entryValues("Postmark", "Sends our email")).expect(t, http.StatusSeeOther)
	// 28 November + 10 days: 8 December needs no reason.
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Adding Postmark"}, "effective": {"2026-12-07"}}).
		expect(t, http.StatusUnprocessableEntity, "10 days")
	admin.post("/admin/subprocessors/publish", url.Values{"summary": {"Adding Postmark"}, "effective": {"2026-12-08"}}).
		expect(t, http.StatusSeeOther)
}

func TestSubprocessorsNamedInPolicies(t *testing.T) {
	ts := newTestServer(t)
	admin := publishFirstRegister(t, ts)
	admin.post("/admin/policies/privacy/draft", url.Values{"body": {"# Privacy\n\nCard payments go through Stripe, in the United States.\n"},
		"summary": {"Name our payment provider"}, "change": {"minor"}, "action": {"save"}}).expect(t, http.StatusSeeOther)
	approveDraft(t, ts, "privacy")
	admin.post("/admin/policies/privacy/publish", url.Values{"when": {"now"}, "change": {"minor"}}).expect(t, http.StatusSeeOther)

	page := ts.client().get("/subprocessors")
	page.expect(t, http.StatusOK, "Named in our policies")
	named := page.Body[strings.Index(page.Body, "Named in our policies"):]
	named = named[:strings.Index(named, "</ul>")]
	if !strings.Contains(named, `Stripe: <a href="/policies/privacy">`) || strings.Contains(named, "Evil") {
		t.Fatalf("named list = %s", named)
	}
	var api struct {
		Current struct {
			Subprocessors []struct {
				Name    string   `json:"name"`
				NamedIn []string `json:"named_in_policies"`
			} `json:"subprocessors"`
		} `json:"current"`
	}
	if err := json.Unmarshal([]byte(ts.client().get("/api/v1/subprocessors").Body), &api); err != nil {
		t.Fatal(err)
	}
	for _, e := range api.Current.Subprocessors {
		want := 0
		if e.Name == "Stripe" {
			want = 1
		}
		if len(e.NamedIn) != want || (want == 1 && !strings.HasSuffix(e.NamedIn[0], "/policies/privacy")) {
			t.Errorf("%s named in %v", e.Name, e.NamedIn)
		}
	}
}
