package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
)

// TestAPIAnswersMatchTheContract sends every kind of request the API
// answers (each endpoint, its successes and its errors) and checks each
// answer against openapi.json with libopenapi-validator: status declared,
// headers and body matching their schemas. It also fails when an API
// route is missing from the description, or a declared answer is never
// exercised here.
func TestAPIAnswersMatchTheContract(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	doc, err := libopenapi.NewDocument(openAPI)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("the description does not load: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("openapi.json: %s: %s", e.Message, e.Reason)
		}
		t.FailNow()
	}

	etag := func(path string) string { return c.get(path).Header.Get("ETag") }
	cases := []struct {
		method, path string
		header       []string
		status       int
		validRequest bool // the request itself follows the description
	}{
		{"GET", "/api/v1/policies", nil, 200, true},
		{"GET", "/api/v1/policies?at=2025-06-30", nil, 200, true},
		{"GET", "/api/v1/policies?at=2024-01-01", nil, 200, true},
		{"GET", "/api/v1/policies?at=30-06-2025", nil, 400, false},
		{"GET", "/api/v1/policies?at=2025-06-30&at=2025-07-01", nil, 400, true},
		{"GET", "/api/v1/policies/privacy", nil, 200, true},
		{"GET", "/api/v1/policies/privacy?at=2025-06-30", nil, 200, true},
		{"GET", "/api/v1/policies/privacy?at=2027-01-01", nil, 200, true},
		{"GET", "/api/v1/policies/privacy", []string{"If-None-Match", etag("/api/v1/policies/privacy")}, 304, true},
		{"GET", "/api/v1/policies/privacy?at=2024-12-31", nil, 404, true},
		{"GET", "/api/v1/policies/privacy?at=soon", nil, 400, false},
		{"GET", "/api/v1/policies/nope", nil, 404, true},
		{"GET", "/api/v1/policies/responsible-use", nil, 404, true},
		{"GET", "/api/v1/policies/privacy/versions/1", nil, 200, true},
		{"GET", "/api/v1/policies/privacy/versions/3", nil, 200, true},
		{"GET", "/api/v1/policies/privacy/versions/3", []string{"If-None-Match", etag("/api/v1/policies/privacy/versions/3")}, 304, true},
		{"GET", "/api/v1/policies/privacy/versions/9", nil, 404, true},
		{"GET", "/api/v1/policies/nope/versions/1", nil, 404, true},
		{"GET", "/api/v1/policies/privacy/versions/0", nil, 400, false},
		{"GET", "/api/v1/policies/privacy/versions/two", nil, 400, false},
		{"GET", "/api/v1/openapi.json", nil, 200, true},
		{"GET", "/api/v1/openapi.json", []string{"If-None-Match", etag("/api/v1/openapi.json")}, 304, true},
		{"GET", "/api/v1/openapi.json?x=%01", nil, 400, true},
		{"OPTIONS", "/api/v1/policies", []string{"Origin", "https://shop.example.net", "Access-Control-Request-Method", "GET"}, 204, true},
		{"OPTIONS", "/api/v1/policies?x=%00", nil, 400, true},
		{"OPTIONS", "/api/v1/policies/privacy", []string{"Origin", "https://shop.example.net", "Access-Control-Request-Method", "GET"}, 204, true},
		{"OPTIONS", "/api/v1/policies/privacy?x=%00", nil, 400, true},
		{"OPTIONS", "/api/v1/policies/privacy/versions/2", []string{"Origin", "https://shop.example.net", "Access-Control-Request-Method", "GET"}, 204, true},
		{"OPTIONS", "/api/v1/policies/privacy/versions/2?x=%00", nil, 400, true},
		{"OPTIONS", "/api/v1/openapi.json", []string{"Origin", "https://shop.example.net", "Access-Control-Request-Method", "GET"}, 204, true},
		{"OPTIONS", "/api/v1/openapi.json?x=%00", nil, 400, true},
		{"GET", "/api/v1/subprocessors", nil, 200, true},
		{"GET", "/api/v1/subprocessors?x=%01", nil, 400, true},
		{"OPTIONS", "/api/v1/subprocessors", []string{"Origin", "https://shop.example.net", "Access-Control-Request-Method", "GET"}, 204, true},
		{"OPTIONS", "/api/v1/subprocessors?x=%00", nil, 400, true},
	}
	exercised := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+" "+strings.Join(tc.header, " "), func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for i := 0; i+1 < len(tc.header); i += 2 {
				req.Header.Set(tc.header[i], tc.header[i+1])
			}
			res := c.do(req)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tc.status, res.Body)
			}
			// What the validator reads: the request as sent and the answer.
			vreq := httptest.NewRequest(tc.method, tc.path, nil)
			vreq.Header = req.Header.Clone()
			vres := &http.Response{StatusCode: res.StatusCode, Header: res.Header, Request: vreq,
				Body: io.NopCloser(strings.NewReader(res.Body))}
			if ok, verrs := v.ValidateHttpResponse(vreq, vres); !ok {
				for _, e := range verrs {
					t.Errorf("answer breaks the contract: %s: %s %v", e.Message, e.Reason, e.SchemaValidationErrors)
				}
			}
			if tc.validRequest {
				if ok, verrs := v.ValidateHttpRequest(vreq); !ok {
					for _, e := range verrs {
						t.Errorf("request breaks the contract: %s: %s", e.Message, e.Reason)
					}
				}
			}
			exercised[tc.method+" "+specPath(req.URL.Path)+" "+http.StatusText(tc.status)] = true
		})
	}

	// Every declared answer was exercised above, and every API route is declared.
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &spec); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for path, item := range spec.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			for code := range op.Responses {
				key := strings.ToUpper(method) + " " + path + " " + http.StatusText(atoi(code))
				if !exercised[key] {
					missing = append(missing, key)
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("declared but never checked: %s", m)
	}
	for _, r := range ts.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == fiber.MethodHead {
			continue
		}
		item, ok := spec.Paths[fiberToSpec(r.Path)]
		if !ok || item[strings.ToLower(r.Method)] == nil {
			t.Errorf("route %s %s is not in openapi.json", r.Method, r.Path)
		}
	}
}

var specParams = regexp.MustCompile(`^/api/v1/policies/[^/]+(/versions/[^/]+)?$`)

// specPath names the description's path an API request went to.
func specPath(p string) string {
	if m := specParams.FindStringSubmatch(p); m != nil {
		if m[1] != "" {
			return "/api/v1/policies/{slug}/versions/{n}"
		}
		return "/api/v1/policies/{slug}"
	}
	return p
}

func fiberToSpec(p string) string {
	return regexp.MustCompile(`:(\w+)`).ReplaceAllString(p, "{$1}")
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func TestOpenAPIIsServed(t *testing.T) {
	ts := withPolicies(t)
	res := ts.client().get("/api/v1/openapi.json")
	res.expect(t, http.StatusOK, `"openapi": "3.1.0"`)
	if res.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("headers %v", res.Header)
	}
}
