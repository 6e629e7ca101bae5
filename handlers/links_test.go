package handlers

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/mail"
	"steward/internal/people"
	"steward/internal/reports"
)

var (
	pageLinkRE   = regexp.MustCompile(`<a href="([^"]*)">(Previous page|Next page)</a>`)
	csvLinkRE    = regexp.MustCompile(`<a class="button" href="([^"]*)" download>`)
	reportLinkRE = regexp.MustCompile(`href="(/team/report[?.][^"]*)"`)
)

func TestListURL(t *testing.T) {
	q := url.Values{"status": {"needs_action"}, "team": {"1"}, "q": {""}, "who": {"a&b=c d"}}
	for _, tc := range []struct {
		got, want string
	}{
		{listURL("/team/report.csv", q), "/team/report.csv?status=needs_action&team=1&who=a%26b%3Dc+d"},
		{listURL("/admin/audit", q, "page", "3"), "/admin/audit?page=3&status=needs_action&team=1&who=a%26b%3Dc+d"},
		{listURL("/admin/audit", q, "team", ""), "/admin/audit?status=needs_action&who=a%26b%3Dc+d"},
		{listURL("/admin/outbox", nil), "/admin/outbox"},
		{pageLinks("/x", url.Values{"a": {"1"}}, 1, true, "#p").Prev, ""},
		{pageLinks("/x", url.Values{"a": {"1"}}, 2, true, "#p").Prev, "/x?a=1&page=1#p"},
		{pageLinks("/x", url.Values{"a": {"1"}}, 2, true, "#p").Next, "/x?a=1&page=3#p"},
		{pageLinks("/x", nil, 2, false, "").Next, ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if q.Get("page") != "" || q.Get("q") != "" || len(q) != 4 {
		t.Errorf("listURL changed its argument: %v", q)
	}
}

// walk fetches a list's first page and every page after it by following
// the pages' own links, checking that every page link and the CSV link
// keep all of filter. It returns the bodies in order and the CSV link.
func walk(t *testing.T, c *client, path, csvPath string, filter url.Values) (bodies []string, csvLink string) {
	t.Helper()
	keeps := func(link, wantPath string) {
		t.Helper()
		u, err := url.Parse(link)
		if err != nil {
			t.Fatalf("%s: bad link %q", path, link)
		}
		if u.Path != wantPath {
			t.Fatalf("link %q goes to %s, want %s", link, u.Path, wantPath)
		}
		got := u.Query()
		for k := range filter {
			if got.Get(k) != filter.Get(k) {
				t.Fatalf("link %q drops or changes filter %s=%q (has %q)", link, k, filter.Get(k), got.Get(k))
			}
		}
		for k := range got {
			if k != "page" && !filter.Has(k) {
				t.Fatalf("link %q adds %s, which the filter %v does not have", link, k, filter)
			}
		}
	}
	next := listURL(path, filter)
	for next != "" {
		if len(bodies) > 50 {
			t.Fatalf("%s: more than 50 pages", path)
		}
		res := c.get(next)
		res.expect(t, http.StatusOK)
		bodies = append(bodies, res.Body)
		next = ""
		for _, m := range pageLinkRE.FindAllStringSubmatch(res.Body, -1) {
			link := html.UnescapeString(m[1])
			keeps(link, path)
			if m[2] == "Next page" {
				next = link
			}
		}
		if csvPath != "" {
			if m := csvLinkRE.FindStringSubmatch(res.Body); m != nil {
				csvLink = html.UnescapeString(m[1])
				keeps(csvLink, csvPath)
			}
		}
	}
	return bodies, csvLink
}

// The team report's CSV, reached through the page's own link, holds
// exactly the rows of all its pages, in order, for every filter; and every
// page link keeps the filters.
func TestTeamReportPagesAndCSVKeepFilters(t *testing.T) {
	ts := newTestServer(t)
	addPeople(t, ts, 250)
	// Assign them the course, so that filtering on it has pages too.
	if _, err := courses.NewStore(ts.db).Sync(context.Background(), testStart); err != nil {
		t.Fatal(err)
	}
	admin := ts.as(adminEmail)
	filters := []url.Values{{}, {"status": {"all"}}}
	for _, s := range reports.Statuses {
		filters = append(filters, url.Values{"status": {s}})
	}
	var teams []int64
	if err := ts.db.Select(&teams, `SELECT id FROM teams ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, id := range teams {
		filters = append(filters, url.Values{"status": {"all"}, "team": {itoa(id)}}, url.Values{"team": {itoa(id)}})
	}
	var slugs []string
	if err := ts.db.Select(&slugs, `SELECT slug FROM courses ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, slug := range slugs {
		filters = append(filters, url.Values{"status": {"all"}, "course": {slug}},
			url.Values{"status": {"overdue"}, "course": {slug}, "team": {itoa(teams[0])}})
	}
	paged := 0
	for _, f := range filters {
		// Every link carries the status the page applies, the default too.
		want := url.Values{}
		for k, v := range f {
			want[k] = v
		}
		if !want.Has("status") {
			want.Set("status", reports.NeedsAction)
		}
		bodies, csvLink := walk(t, admin, "/team/report", "/team/report.csv", want)
		// The course table's counts and "see who is overdue" keep the team.
		for _, m := range reportLinkRE.FindAllStringSubmatch(bodies[0], -1) {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || u.Query().Get("team") != f.Get("team") {
				t.Fatalf("%v: link %q drops the team", f, m[1])
			}
		}
		var screen [][]string
		for _, b := range bodies {
			if strings.Contains(b, `<table id="people-table"`) {
				screen = append(screen, peopleRows(t, b)...)
			}
		}
		if len(bodies) > 1 {
			paged++
		}
		if csvLink == "" {
			if len(screen) != 0 {
				t.Fatalf("%v: %d rows on screen and no CSV link", f, len(screen))
			}
			continue
		}
		file := readCSV(t, admin.get(csvLink).Body)[1:]
		if len(file) != len(screen) {
			t.Fatalf("%v: the CSV has %d rows, its %d pages %d", f, len(file), len(bodies), len(screen))
		}
		for i := range screen {
			if strings.Join(file[i], "|") != strings.Join(screen[i], "|") {
				t.Fatalf("%v row %d: CSV %v, screen %v", f, i+1, file[i], screen[i])
			}
		}
	}
	if paged < 6 {
		t.Fatalf("only %d filters gave more than one page; the test needs more people", paged)
	}
}

var auditIDRE = regexp.MustCompile(`<td data-label="#">(\d+)</td>`)

// The audit CSV holds exactly the entries of all the log's pages for every
// filter, and every page link keeps the filter.
func TestAuditPagesAndCSVKeepFilters(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	// Sixty entries over sixty days, so that each kind of filter has pages.
	for i := range 60 {
		if err := ts.db.Tx(ctx, func(tx *sqlx.Tx) error {
			return audit.Record(ctx, tx, audit.System.Entry(testStart.AddDate(0, 0, i-60), "test.bulk", "user:1", "entry "+itoa(int64(i))))
		}); err != nil {
			t.Fatal(err)
		}
	}
	admin := ts.as(adminEmail)
	actions, err := audit.Actions(ctx, ts.db)
	if err != nil {
		t.Fatal(err)
	}
	filters := []url.Values{{}, {"who": {"system"}}, {"who": {"cli"}}, {"who": {"anonymous"}}, {"who": {adminEmail}},
		{"target": {"user:1"}}, {"from": {testStart.AddDate(0, 0, -30).Format(time.DateOnly)}},
		{"to": {testStart.AddDate(0, 0, -20).Format(time.DateOnly)}},
		{"who": {"system"}, "action": {"test."}, "target": {"user:1"}, "from": {testStart.AddDate(0, 0, -58).Format(time.DateOnly)},
			"to": {testStart.AddDate(0, 0, -1).Format(time.DateOnly)}}}
	for _, a := range append(actions, actionFamilies(actions)...) {
		filters = append(filters, url.Values{"action": {a}})
	}
	paged := 0
	for _, f := range filters {
		var last int64
		if err := ts.db.Get(&last, `SELECT MAX(id) FROM audit_log`); err != nil {
			t.Fatal(err)
		}
		bodies, csvLink := walk(t, admin, "/admin/audit", "/admin/audit.csv", f)
		var screen []string
		for _, b := range bodies {
			for _, m := range auditIDRE.FindAllStringSubmatch(b, -1) {
				screen = append(screen, m[1])
			}
		}
		if len(bodies) > 1 {
			paged++
		}
		total := regexp.MustCompile(`(\d+) entr`).FindStringSubmatch(bodies[0])
		if total == nil || total[1] != strconv.Itoa(len(screen)) {
			t.Fatalf("%v: the page says %v entries, its pages list %d", f, total, len(screen))
		}
		if csvLink == "" {
			if len(screen) != 0 {
				t.Fatalf("%v: %d entries and no CSV link", f, len(screen))
			}
			continue
		}
		var file []string
		for _, r := range readCSV(t, admin.get(csvLink).Body)[1:] {
			// The export records itself; that entry came after the pages.
			if id, _ := strconv.ParseInt(r[0], 10, 64); id <= last {
				file = append(file, r[0])
			}
		}
		slices.Reverse(file) // the file is oldest first, the pages newest first
		if strings.Join(file, ",") != strings.Join(screen, ",") {
			t.Fatalf("%v: the CSV holds %d entries, its %d pages %d\nCSV %v\npages %v", f, len(file), len(bodies), len(screen), file, screen)
		}
	}
	if paged < 5 {
		t.Fatalf("only %d filters gave more than one page", paged)
	}
}

var personLinkRE = regexp.MustCompile(`<a href="/admin/people/(\d+)">`)

// Every page link of the people list keeps the filter, and the pages list
// each person the filter counts exactly once.
func TestPeoplePagesKeepFilters(t *testing.T) {
	ts := newTestServer(t)
	team := addPeople(t, ts, 60)
	admin := ts.as(adminEmail)
	filters := []url.Values{{}, {"status": {"all"}}, {"status": {"inactive"}}, {"status": {"active"}},
		{"q": {"Paging"}}, {"q": {"example.com"}}, {"team": {itoa(team)}},
		{"q": {"pager"}, "team": {itoa(team)}, "role": {"employee"}, "status": {"active"}}}
	for _, r := range people.Roles {
		filters = append(filters, url.Values{"role": {string(r)}})
	}
	paged := 0
	for _, f := range filters {
		bodies, _ := walk(t, admin, "/admin/people", "", f)
		seen := map[string]bool{}
		for _, b := range bodies {
			for _, m := range personLinkRE.FindAllStringSubmatch(b, -1) {
				if seen[m[1]] {
					t.Fatalf("%v: person %s on two pages", f, m[1])
				}
				seen[m[1]] = true
			}
		}
		if len(bodies) > 1 {
			paged++
		}
		total := regexp.MustCompile(`(\d+) (people|person)\.`).FindStringSubmatch(bodies[0])
		if total == nil || total[1] != strconv.Itoa(len(seen)) {
			t.Fatalf("%v: the page says %v, its %d pages list %d", f, total, len(bodies), len(seen))
		}
	}
	if paged < 4 {
		t.Fatalf("only %d filters gave more than one page", paged)
	}
}

var outboxLinkRE = regexp.MustCompile(`<a href="/admin/outbox/(\d+)">`)

// Every page link of the outbox keeps the filter, and the pages list
// exactly the messages the filter matches, newest first.
func TestOutboxPagesKeepFilters(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	if err := ts.db.Tx(ctx, func(tx *sqlx.Tx) error {
		for i := range 160 {
			kind := []string{"bulk_a", "bulk_b"}[i%2]
			if _, err := mail.Enqueue(ctx, tx, mail.Message{To: fmt.Sprintf("p%d@example.com", i), Kind: kind,
				Subject: "Message " + itoa(int64(i)), Text: "Hello", DedupeKey: "links-test:" + itoa(int64(i))}, testStart); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`UPDATE outbox SET status = CASE WHEN id % 3 = 0 THEN 'sent' WHEN id % 3 = 1 THEN 'dead' ELSE 'queued' END`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	admin := ts.as(adminEmail)
	filters := []url.Values{{}, {"kind": {"bulk_a"}}, {"kind": {"bulk_b"}}, {"status": {"dead"}, "kind": {"bulk_a"}}}
	for _, s := range outboxStatuses {
		filters = append(filters, url.Values{"status": {s}})
	}
	paged := 0
	for _, f := range filters {
		bodies, _ := walk(t, admin, "/admin/outbox", "", f)
		var screen []int64
		for _, b := range bodies {
			for _, m := range outboxLinkRE.FindAllStringSubmatch(b, -1) {
				id, _ := strconv.ParseInt(m[1], 10, 64)
				screen = append(screen, id)
			}
		}
		if len(bodies) > 1 {
			paged++
		}
		q, args := `SELECT id FROM outbox WHERE 1 = 1`, []any{}
		if s := f.Get("status"); s != "" {
			q, args = q+` AND status = ?`, append(args, s)
		}
		if k := f.Get("kind"); k != "" {
			q, args = q+` AND kind = ?`, append(args, k)
		}
		var want []int64
		if err := ts.db.Select(&want, ts.db.Rebind(q+` ORDER BY id DESC`), args...); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(screen) != fmt.Sprint(want) {
			t.Fatalf("%v: %d pages list %d messages, the filter matches %d", f, len(bodies), len(screen), len(want))
		}
	}
	if paged < 4 {
		t.Fatalf("only %d filters gave more than one page", paged)
	}
}

// addPeople adds n employees named "Paging person N" in a new team and
// returns the team's id.
func addPeople(t *testing.T, ts *testServer, n int) int64 {
	t.Helper()
	ctx := context.Background()
	store := people.NewStore(ts.db)
	team, err := store.CreateTeam(ctx, "Paging", audit.CLI, testStart)
	if err != nil {
		t.Fatal(err)
	}
	mgr := ts.userID(managerEmail)
	for i := range n {
		if _, err := store.Create(ctx, people.Input{Email: fmt.Sprintf("pager%03d@example.com", i), Name: fmt.Sprintf("Paging person %03d", i),
			Role: people.RoleEmployee, TeamID: &team, ManagerID: &mgr}, audit.CLI, testStart.AddDate(0, 0, -40)); err != nil {
			t.Fatal(err)
		}
	}
	return team
}
