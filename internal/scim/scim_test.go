package scim_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/people"
	"steward/internal/scim"
)

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// client talks to the service as a directory does: JSON over HTTP with a
// bearer token.
type client struct {
	t     *testing.T
	srv   *httptest.Server
	token string
}

type reply struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (c *client) do(method, path, body string, header ...string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+scim.Prefix+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/scim+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			c.t.Fatalf("%s %s: the answer is not JSON: %s", method, path, raw)
		}
	}
	return r
}

// must fails the test unless the answer has the status.
func (r reply) must(t *testing.T, status int) reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// scimError checks an RFC 7644 section 3.12 error.
func (r reply) scimError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.must(t, status)
	schemas, _ := r.Body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("the error lacks the Error schema: %s", r.Raw)
	}
	if r.Body["status"] != strconv.Itoa(status) {
		t.Errorf("the error's status is %v, want %q", r.Body["status"], strconv.Itoa(status))
	}
	if scimType != "" && r.Body["scimType"] != scimType {
		t.Errorf("scimType %v, want %s: %s", r.Body["scimType"], scimType, r.Raw)
	}
	if d, _ := r.Body["detail"].(string); d == "" {
		t.Errorf("the error has no detail: %s", r.Raw)
	}
}

func (r reply) total(t *testing.T) int {
	t.Helper()
	n, ok := r.Body["totalResults"].(float64)
	if !ok {
		t.Fatalf("no totalResults: %s", r.Raw)
	}
	return int(n)
}

func (r reply) id(t *testing.T) string {
	t.Helper()
	id, _ := r.Body["id"].(string)
	if id == "" {
		t.Fatalf("no id: %s", r.Raw)
	}
	return id
}

type fixture struct {
	d      *db.DB
	people *people.Store
	c      *client
	admin  int64
}

func setup(t *testing.T, d *db.DB) fixture {
	t.Helper()
	ctx := context.Background()
	st := people.NewStore(d)
	admin, err := st.Create(ctx, people.Input{Email: "admin@corp.example", Name: "Ada Admin", Role: people.RoleAdmin}, audit.CLI, now)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := scim.New(st, func() time.Time { return now }, "https://steward.corp.example", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	token, err := st.CreateSCIMToken(ctx, "Entra ID", audit.UserActor(admin), now)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{d: d, people: st, c: &client{t: t, srv: srv, token: token}, admin: admin}
}

func (f fixture) person(t *testing.T, id string) people.User {
	t.Helper()
	n, _ := strconv.ParseInt(id, 10, 64)
	u, err := f.people.Get(context.Background(), n)
	if err != nil {
		t.Fatalf("person %s: %v", id, err)
	}
	return u
}

func (f fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.d.GetContext(context.Background(), &n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEntraIDSequence replays the requests Microsoft Entra ID sends, in the
// order its SCIM guide documents them: look the user up, create, read,
// find, change multi-valued and single-valued attributes, disable, delete;
// then the same for a group and its members.
func TestEntraIDSequence(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		c := f.c
		ctx := context.Background()

		r := c.do("GET", `/Users?filter=userName+eq+%22Test_User_7c5e1bd4%22`, "").must(t, 200)
		if r.total(t) != 0 {
			t.Fatalf("an unknown userName is found: %s", r.Raw)
		}

		created := c.do("POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "4d2f6a8e-1c0b-4a39-9f57-20b6f0b1c111",
			"userName": "Test_User_7c5e1bd4",
			"active": true,
			"emails": [{"primary": true, "type": "work", "value": "Test_User_7c5e1bd4@testuser.example"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"},
			"roles": []
		}`).must(t, 201)
		id := created.id(t)
		if loc := created.Header.Get("Location"); loc != "https://steward.corp.example/scim/v2/Users/"+id {
			t.Errorf("Location %q", loc)
		}
		u := f.person(t, id)
		if u.Email != "test_user_7c5e1bd4@testuser.example" || u.Name != "Grace Hopper" || u.ManagedBy != people.ManagedBySCIM || !u.Active || u.Role != people.RoleEmployee {
			t.Errorf("created person: %+v", u)
		}

		got := c.do("GET", "/Users/"+id, "").must(t, 200)
		if got.Body["userName"] != "Test_User_7c5e1bd4" || got.Body["externalId"] != "4d2f6a8e-1c0b-4a39-9f57-20b6f0b1c111" {
			t.Errorf("read back: %s", got.Raw)
		}
		etag := got.Header.Get("Etag")
		if etag == "" {
			t.Error("no ETag on a user")
		}
		c.do("GET", "/Users/"+id, "", "If-None-Match", etag).must(t, 304)

		if n := c.do("GET", `/Users?filter=userName+eq+%22Test_User_7c5e1bd4%22`, "").must(t, 200).total(t); n != 1 {
			t.Errorf("filter by userName finds %d", n)
		}
		if n := c.do("GET", `/Users?filter=externalId+eq+%224d2f6a8e-1c0b-4a39-9f57-20b6f0b1c111%22`, "").must(t, 200).total(t); n != 1 {
			t.Errorf("filter by externalId finds %d", n)
		}

		c.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
			{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "grace.hopper@testuser.example"},
			{"op": "Replace", "path": "name.familyName", "value": "Hopper-Murray"},
			{"op": "Replace", "path": "name.formatted", "value": "Grace Hopper-Murray"}
		]}`).must(t, 200)
		u = f.person(t, id)
		if u.Email != "grace.hopper@testuser.example" || u.Name != "Grace Hopper-Murray" {
			t.Errorf("after the multi-valued patch: %q %q", u.Email, u.Name)
		}

		c.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
			{"op": "Replace", "path": "userName", "value": "grace.hopper@testuser.example"}
		]}`).must(t, 200)
		if u = f.person(t, id); u.UserName == nil || *u.UserName != "grace.hopper@testuser.example" {
			t.Errorf("userName after patch: %v", u.UserName)
		}

		// Disabling is the leaver flow: the session she had ends now.
		if err := f.people.StartSession(ctx, "grace-session", u.ID, "Firefox on Linux", "203.0.113.0/24", now); err != nil {
			t.Fatal(err)
		}
		c.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
			{"op": "Replace", "path": "active", "value": false}
		]}`).must(t, 200)
		u = f.person(t, id)
		if u.Active || u.DeactivatedAt == nil {
			t.Errorf("disabled person is active: %+v", u)
		}
		if _, _, err := f.people.SessionUser(ctx, "grace-session"); err == nil {
			t.Error("a disabled person's session still opens")
		}

		c.do("DELETE", "/Users/"+id, "").must(t, 204)
		c.do("GET", "/Users/"+id, "").scimError(t, 404, "")
		if u = f.person(t, id); u.Active {
			t.Error("a deleted person is active")
		}
		if n := c.do("GET", `/Users?filter=userName+eq+%22grace.hopper@testuser.example%22`, "").must(t, 200).total(t); n != 0 {
			t.Errorf("a deleted person is still listed: %d", n)
		}

		// Groups.
		if n := c.do("GET", `/Groups?filter=displayName+eq+%22Field+Marketing%22`, "").must(t, 200).total(t); n != 0 {
			t.Fatalf("unknown group found")
		}
		g := c.do("POST", "/Groups", `{"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Field Marketing",
			"meta": {"resourceType": "Group"}, "members": [],
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}`).must(t, 201)
		gid := g.id(t)
		c.do("GET", "/Groups/"+gid+"?excludedAttributes=members", "").must(t, 200)
		if n := c.do("GET", `/Groups?filter=displayName+eq+%22Field+Marketing%22&excludedAttributes=members`, "").must(t, 200).total(t); n != 1 {
			t.Errorf("group by displayName: %d", n)
		}

		m := c.do("POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alan@testuser.example",
			"active": true, "name": {"formatted": "Alan Turing"}}`).must(t, 201)
		mid := m.id(t)
		c.do("PATCH", "/Groups/"+gid, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
			{"op": "Replace", "path": "displayName", "value": "Field Marketing EMEA"},
			{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "`+mid+`"}]}
		]}`).must(t, 200)
		alan := f.person(t, mid)
		if alan.TeamName == nil || *alan.TeamName != "Field Marketing EMEA" {
			t.Errorf("member's team: %v", alan.TeamName)
		}
		c.do("PATCH", "/Groups/"+gid, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
			{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "`+mid+`"}]}
		]}`).must(t, 200)
		if alan = f.person(t, mid); alan.TeamID != nil {
			t.Errorf("removed member still in team %v", *alan.TeamID)
		}
		c.do("DELETE", "/Groups/"+gid, "").must(t, 204)
		c.do("GET", "/Groups/"+gid, "").scimError(t, 404, "")
	})
}

// TestOktaSequence replays Okta's documented flow: the existence check
// with paging parameters, a create that carries a password, a full
// replace, deactivation by a path-less patch, and groups whose members
// are removed by a filter.
func TestOktaSequence(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		c := f.c
		r := c.do("GET", `/Users?filter=userName%20eq%20%22dana.lee%40corp.example%22&startIndex=1&count=100`, "").must(t, 200)
		if r.total(t) != 0 || r.Body["startIndex"] != float64(1) {
			t.Fatalf("existence check: %s", r.Raw)
		}
		boss := c.do("POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "sam.boss@corp.example",
			"name": {"givenName": "Sam", "familyName": "Boss"}, "emails": [{"primary": true, "value": "sam.boss@corp.example", "type": "work"}],
			"displayName": "Sam Boss", "externalId": "00u1boss", "groups": [], "password": "7fkq0lso", "active": true}`).must(t, 201).id(t)
		dana := c.do("POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"userName": "dana.lee@corp.example",
			"name": {"givenName": "Dana", "familyName": "Lee"}, "emails": [{"primary": true, "value": "dana.lee@corp.example", "type": "work"}],
			"displayName": "Dana Lee", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7", "groups": [], "password": "1mz050nq", "active": true,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Growth", "employeeNumber": "E-1042", "manager": {"value": "`+boss+`"}}}`).must(t, 201).id(t)
		u := f.person(t, dana)
		if u.PasswordHash != "" {
			t.Error("the directory's password was stored")
		}
		if u.Name != "Dana Lee" || u.Department != "Growth" || u.EmployeeNumber != "E-1042" || u.ManagerID == nil || strconv.FormatInt(*u.ManagerID, 10) != boss {
			t.Errorf("created: %+v", u)
		}
		line, err := f.people.ReportingLine(context.Background(), *u.ManagerID)
		if err != nil || len(line) != 1 || line[0].Email != "dana.lee@corp.example" {
			t.Errorf("Sam's reporting line: %v %v", line, err)
		}
		got := c.do("GET", "/Users/"+dana, "").must(t, 200)
		ext, _ := got.Body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
		if ext["department"] != "Growth" {
			t.Errorf("enterprise extension read back: %s", got.Raw)
		}

		// A full replace: new name, no manager any more.
		c.do("PUT", "/Users/"+dana, `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "`+dana+`", "userName": "dana.lee@corp.example",
			"name": {"givenName": "Dana", "familyName": "Lee-Park"}, "emails": [{"primary": true, "value": "dana.lee@corp.example", "type": "work"}],
			"displayName": "Dana Lee-Park", "active": true}`).must(t, 200)
		u = f.person(t, dana)
		if u.Name != "Dana Lee-Park" || u.ManagerID != nil || u.Department != "" {
			t.Errorf("after PUT: %+v", u)
		}

		c.do("PATCH", "/Users/"+dana, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "replace", "value": {"active": false}}]}`).must(t, 200)
		if f.person(t, dana).Active {
			t.Error("deactivated by patch, still active")
		}

		g := c.do("POST", "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Okta Growth", "members": []}`).must(t, 201).id(t)
		c.do("PATCH", "/Groups/"+g, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "replace", "value": {"id": "`+g+`", "displayName": "Growth (Okta)"}}]}`).must(t, 200)
		c.do("PATCH", "/Groups/"+g, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "add", "path": "members", "value": [{"value": "`+dana+`", "display": "dana.lee@corp.example"}, {"value": "`+boss+`", "display": "sam.boss@corp.example"}]}]}`).must(t, 200)
		c.do("PATCH", "/Groups/"+g, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "remove", "path": "members[value eq \"`+dana+`\"]"}]}`).must(t, 200)
		members := c.do("GET", "/Groups/"+g, "").must(t, 200).Body["members"].([]any)
		if len(members) != 1 || members[0].(map[string]any)["value"] != boss {
			t.Errorf("members after the filtered remove: %v", members)
		}
		if tn := f.person(t, boss).TeamName; tn == nil || *tn != "Growth (Okta)" {
			t.Errorf("Sam's team: %v", tn)
		}
		c.do("DELETE", "/Groups/"+g, "").must(t, 204)
		if f.person(t, boss).TeamID != nil {
			t.Error("a deleted group's member keeps the team")
		}
	})
}

// TestBadRequestsChangeNothing sends what a misconfigured directory or an
// attacker might, and checks each answer is an RFC 7644 error and the
// database is as it was.
func TestBadRequestsChangeNothing(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		c := f.c
		okUser := c.do("POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "kim@corp.example", "name": {"formatted": "Kim Ito"}}`).must(t, 201).id(t)
		boss := c.do("POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "lou@corp.example", "name": {"formatted": "Lou Lead"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "`+okUser+`"}}}`).must(t, 201).id(t)
		users, audits := f.count(t, "users"), f.count(t, "audit_log")
		version := c.do("GET", "/Users/"+okUser, "").must(t, 200).Header.Get("Etag")

		cases := []struct {
			name, method, path, body string
			status                   int
			scimType                 string
			header                   []string
		}{
			{"malformed JSON", "POST", "/Users", `{"userName": `, 400, "invalidSyntax", nil},
			{"no userName", "POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "name": {"formatted": "No One"}}`, 400, "", nil},
			{"no email anywhere", "POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "not-an-address"}`, 400, "invalidValue", nil},
			{"duplicate userName", "POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "kim@corp.example"}`, 409, "uniqueness", nil},
			{"unknown manager", "POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "new@corp.example",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "999999"}}}`, 400, "invalidValue", nil},
			{"control characters", "POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bell@corp.example", "name": {"formatted": "Bell\u0007"}}`, 400, "invalidValue", nil},
			{"markup is text, too long is refused", "POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "long@corp.example", "name": {"formatted": "` + strings.Repeat("<b>x</b>", 40) + `"}}`, 400, "invalidValue", nil},
			{"reporting cycle", "PATCH", "/Users/" + okUser, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
				{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "` + boss + `"}}]}`, 400, "invalidValue", nil},
			{"unsupported path filter", "PATCH", "/Users/" + okUser, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
				{"op": "replace", "path": "emails[type co \"w\"].value", "value": "x@corp.example"}]}`, 400, "invalidFilter", nil},
			{"unknown attribute path", "PATCH", "/Users/" + okUser, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
				{"op": "replace", "path": "favouriteColour", "value": "blue"}]}`, 400, "invalidPath", nil},
			{"not a PatchOp", "PATCH", "/Users/" + okUser, `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": [{"op": "replace", "path": "active", "value": false}]}`, 400, "invalidValue", nil},
			{"stale If-Match", "PATCH", "/Users/" + okUser, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
				{"op": "replace", "path": "active", "value": false}]}`, 412, "", []string{"If-Match", `W/"stale"`}},
			{"someone who does not exist", "PUT", "/Users/424242", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ghost@corp.example"}`, 404, "", nil},
			{"an id that is not Steward's", "GET", "/Users/abc", "", 404, "", nil},
			{"a member who does not exist", "POST", "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ghosts", "members": [{"value": "424242"}]}`, 400, "invalidValue", nil},
			{"a filter it cannot read", "GET", "/Users?filter=userName+eq", "", 400, "invalidFilter", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c.do(tc.method, tc.path, tc.body, tc.header...).scimError(t, tc.status, tc.scimType)
			})
		}
		if n := f.count(t, "users"); n != users {
			t.Errorf("bad requests changed the people: %d, was %d", n, users)
		}
		if n := f.count(t, "teams"); n != 0 {
			t.Errorf("a refused group left %d teams", n)
		}
		if n := f.count(t, "audit_log"); n != audits {
			t.Errorf("bad requests wrote %d audit entries", n-audits)
		}
		if v := c.do("GET", "/Users/"+okUser, "").Header.Get("Etag"); v != version {
			t.Errorf("a refused change altered the user: %s -> %s", version, v)
		}
		// The right version goes through.
		c.do("PATCH", "/Users/"+okUser, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
			{"op": "replace", "path": "active", "value": false}]}`, "If-Match", version).must(t, 200)
	})
}

// TestTokens: no token, a wrong one and a revoked one are refused with
// 401; the token is stored only as a hash; its use is noted.
func TestTokens(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		good := f.c.token
		var stored string
		if err := d.GetContext(ctx, &stored, "SELECT hash FROM scim_tokens"); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, good) || stored == good {
			t.Fatal("the token is stored as it is")
		}
		for name, tok := range map[string]string{"none": "", "wrong": "stwscim_" + strings.Repeat("A", 43), "not ours": "eyJhbGciOi"} {
			f.c.token = tok
			r := f.c.do("GET", "/Users", "")
			r.scimError(t, 401, "")
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", name)
			}
		}
		f.c.token = good
		f.c.do("GET", "/Users", "").must(t, 200)
		toks, err := f.people.SCIMTokens(ctx)
		if err != nil || len(toks) != 1 || toks[0].LastUsedAt == nil {
			t.Fatalf("token use not noted: %+v %v", toks, err)
		}
		if err := f.people.RevokeSCIMToken(ctx, toks[0].ID, audit.UserActor(f.admin), now); err != nil {
			t.Fatal(err)
		}
		f.c.do("GET", "/Users", "").scimError(t, 401, "")
		if cfg := f.c.do("GET", "/ServiceProviderConfig", ""); cfg.Status != 401 {
			t.Errorf("the configuration answers without a token: %d", cfg.Status)
		}
	})
}

// TestHandEditsOfDirectoryPeopleAreRefused: once the directory manages a
// person, Steward's own forms and the roster import leave the
// directory's fields alone, while the role stays Steward's to set.
func TestHandEditsOfDirectoryPeopleAreRefused(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		id := f.c.do("POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "pat@corp.example", "name": {"formatted": "Pat Kay"}}`).must(t, 201).id(t)
		u := f.person(t, id)
		by := audit.UserActor(f.admin)
		in := people.Input{Email: u.Email, Name: "Patricia Kay", Role: u.Role}
		if err := f.people.Update(ctx, u.ID, in, by, now); err != people.ErrManaged {
			t.Errorf("renaming by hand: %v", err)
		}
		if err := f.people.SetActive(ctx, u.ID, false, by, now); err != people.ErrManaged {
			t.Errorf("deactivating by hand: %v", err)
		}
		in = people.Input{Email: u.Email, Name: u.Name, Role: people.RoleManager}
		if err := f.people.Update(ctx, u.ID, in, by, now); err != nil {
			t.Errorf("changing the role: %v", err)
		}
		rows, err := people.ParseRoster(strings.NewReader("email,name,team,manager_email,role,hired_on\npat@corp.example,Pat Changed,,,employee,\n"))
		if err != nil {
			t.Fatal(err)
		}
		var re *people.RosterError
		if _, err := f.people.Import(ctx, rows, by, now); !asRoster(err, &re) || !strings.Contains(re.Error(), "managed by the company directory") {
			t.Errorf("roster import of a directory person: %v", err)
		}
		if u = f.person(t, id); u.Name != "Pat Kay" || u.Role != people.RoleManager {
			t.Errorf("after the refused edits: %q %s", u.Name, u.Role)
		}
	})
}

func asRoster(err error, re **people.RosterError) bool {
	e, ok := err.(*people.RosterError)
	if ok {
		*re = e
	}
	return ok
}
