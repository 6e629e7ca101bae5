package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/internal/browsertest"
	"steward/internal/db"
)

// newSCIMServer is a demo server whose people come from the directory.
func newSCIMServer(t *testing.T) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "steward.db")
	if err := os.WriteFile(path, demoTemplate(t), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return newTestServerEnv(t, d, map[string]string{"STEWARD_PEOPLE_SOURCE": "scim"})
}

// scimCall sends one SCIM request with the bearer token (none if empty)
// and the cookies of c (nil for none).
func scimCall(t *testing.T, ts *testServer, c *client, token, method, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, "/scim/v2"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c != nil {
		return c.do(req).StatusCode, ""
	}
	res, err := ts.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

var (
	tokenRE = regexp.MustCompile(`value="(stwscim_[A-Za-z0-9_-]+)"`)
	idRE    = regexp.MustCompile(`"id":"([0-9]+)"`)
)

// TestSCIMDirectoryDrivesPeople follows an admin who connects the
// directory and watches Steward follow it: the provisioning page makes a
// token shown once; a person the directory creates appears in their
// manager's team report; a manager change moves them to the new
// manager's report; deactivating someone ends their sessions; and people
// the directory manages cannot be changed by hand or by roster.
func TestSCIMDirectoryDrivesPeople(t *testing.T) {
	ts := newSCIMServer(t)
	admin := ts.as("admin@example.com")

	admin.get("/admin/provisioning").expect(t, http.StatusOK, "People come from your company directory", "/scim/v2")
	admin.post("/admin/provisioning/tokens", url.Values{"name": {""}}).expect(t, http.StatusUnprocessableEntity, "Give the token a name")
	created := admin.post("/admin/provisioning/tokens", url.Values{"name": {"Okta"}})
	created.expect(t, http.StatusCreated, "Copy this token now")
	m := tokenRE.FindStringSubmatch(created.Body)
	if m == nil {
		t.Fatalf("no token on the page: %s", snippet(created.Body))
	}
	token := m[1]
	if again := admin.get("/admin/provisioning"); strings.Contains(again.Body, token) {
		t.Fatal("the token is shown a second time")
	}

	// Without the token nothing is provisioned, not even with an admin's
	// signed-in cookie.
	if status, _ := scimCall(t, ts, nil, "", "GET", "/Users", ""); status != http.StatusUnauthorized {
		t.Errorf("no token: %d", status)
	}
	if status, _ := scimCall(t, ts, admin, "", "GET", "/Users", ""); status != http.StatusUnauthorized {
		t.Errorf("an admin's cookie instead of a token: %d", status)
	}

	maya := strconv.FormatInt(ts.userID("manager@example.com"), 10)
	grace := strconv.FormatInt(ts.userID("sales.lead@example.com"), 10)
	status, body := scimCall(t, ts, nil, token, "POST", "/Users", `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"userName": "rosa.quill@example.com", "name": {"formatted": "Rosa Quill"}, "active": true, "externalId": "00u9rosa",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "`+maya+`"}, "department": "Marketing"}}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	rosa := idRE.FindStringSubmatch(body)[1]

	ts.as("manager@example.com").get("/team/report?status=pending").expect(t, http.StatusOK, "Rosa Quill")
	status, body = scimCall(t, ts, nil, token, "PATCH", "/Users/"+rosa, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "`+grace+`"}}]}`)
	if status != http.StatusOK {
		t.Fatalf("manager change: %d %s", status, body)
	}
	if r := ts.as("manager@example.com").get("/team/report?status=pending"); strings.Contains(r.Body, "Rosa Quill") {
		t.Error("Rosa is still in her old manager's report")
	}
	ts.as("sales.lead@example.com").get("/team/report?status=pending").expect(t, http.StatusOK, "Rosa Quill")

	// The directory finds a person Steward already had by userName, and
	// deactivates them: their session ends at once.
	eli := ts.as("employee@example.com")
	eli.get("/home").expect(t, http.StatusOK)
	status, body = scimCall(t, ts, nil, token, "GET", `/Users?filter=userName+eq+%22employee@example.com%22`, "")
	if status != http.StatusOK || !strings.Contains(body, `"totalResults":1`) {
		t.Fatalf("find by userName: %d %s", status, body)
	}
	eliID := idRE.FindStringSubmatch(body)[1]
	status, body = scimCall(t, ts, nil, token, "PATCH", "/Users/"+eliID, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [{"op": "replace", "value": {"active": false}}]}`)
	if status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", status, body)
	}
	if r := eli.get("/home"); r.StatusCode == http.StatusOK {
		t.Error("a person the directory deactivated is still signed in")
	}

	// Hand edits of a directory person are refused, and say why.
	page := admin.get("/admin/people/" + rosa)
	page.expect(t, http.StatusOK, "Managed by your company directory")
	if strings.Contains(page.Body, "/deactivate") {
		t.Error("the page offers to deactivate a directory person by hand")
	}
	admin.post("/admin/people/"+rosa, url.Values{"name": {"Rosa Q."}, "email": {"rosa.quill@example.com"}, "role": {"employee"}}).
		expect(t, http.StatusConflict, "managed by your company directory")
	admin.post("/admin/people/"+rosa+"/deactivate", nil).expect(t, http.StatusConflict, "managed by your company directory")
	if n := ts.count(`SELECT COUNT(*) FROM users WHERE name = 'Rosa Quill' AND active = TRUE`); n != 1 {
		t.Error("a refused hand edit changed Rosa")
	}
	admin.get("/admin/people/import").expect(t, http.StatusOK, "the roster import is off")
	admin.upload("/admin/people/import", "roster", "roster.csv", []byte("email,name,team,manager_email,role,hired_on\nnew@example.com,New Person,,,employee,\n"), nil).
		expect(t, http.StatusConflict, "roster import is off")
	if n := ts.count(`SELECT COUNT(*) FROM users WHERE email = 'new@example.com'`); n != 0 {
		t.Error("the roster import added someone while the directory is the source")
	}
}

// TestSCIMIsOffUnlessChosen: where people come from Steward, /scim/v2
// says provisioning is off, with a token or without.
func TestSCIMIsOffUnlessChosen(t *testing.T) {
	ts := newTestServer(t)
	status, body := scimCall(t, ts, nil, "stwscim_anything", "GET", "/Users", "")
	if status != http.StatusNotFound || !strings.Contains(body, "STEWARD_PEOPLE_SOURCE=scim") {
		t.Errorf("SCIM while off: %d %s", status, body)
	}
	ts.as("admin@example.com").get("/admin/provisioning").expect(t, http.StatusOK, "People come from this site")
}

// TestSCIMPagesLookRight checks the provisioning pages and a directory
// person's page with the Nu checker, axe-core and a 375 px phone.
func TestSCIMPagesLookRight(t *testing.T) {
	ts := newSCIMServer(t)
	admin := ts.as(adminEmail)
	created := admin.post("/admin/provisioning/tokens", url.Values{"name": {"Entra ID"}})
	token := tokenRE.FindStringSubmatch(created.Body)[1]
	_, body := scimCall(t, ts, nil, token, "POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName": "ines.ortiz@example.com", "name": {"formatted": "Inés Ortiz"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Brand", "employeeNumber": "E-77"}}`)
	ines := idRE.FindStringSubmatch(body)[1]
	pages := map[string]string{
		"provisioning":         admin.get("/admin/provisioning").Body,
		"provisioning-created": created.Body,
		"provisioning-invalid": admin.post("/admin/provisioning/tokens", url.Values{"name": {""}}).Body,
		"directory-person":     admin.get("/admin/people/" + ines).Body,
		"import-off":           admin.get("/admin/people/import").Body,
	}
	if !strings.Contains(pages["directory-person"], "department: Brand") {
		t.Error("the person's page does not show the directory's department")
	}
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
	lookAt(t, ts, adminEmail, "/admin/provisioning", "/admin/people/"+ines, "/admin/people/import")
}
