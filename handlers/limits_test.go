package handlers

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"steward/internal/people"
)

func TestWorkLimiterSlots(t *testing.T) {
	l := newWorkLimiter(2, 1)
	r1, err := l.acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire(1); err == nil || err.Code != http.StatusTooManyRequests {
		t.Fatalf("a second job of the same person: %v", err)
	}
	r2, err := l.acquire(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire(3); err == nil || err.Code != http.StatusServiceUnavailable {
		t.Fatalf("a third job with two slots: %v", err)
	}
	r1()
	r1() // releasing twice frees one slot, not two
	r3, err := l.acquire(3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire(4); err == nil {
		t.Fatal("a double release made room for a fourth job")
	}
	r2()
	r3()
	if l.running != 0 || len(l.byUser) != 0 {
		t.Fatalf("after every release: %d running, %v", l.running, l.byUser)
	}
}

// TestExpensiveRequestsWaitTheirTurn holds an export open and checks that
// the same person's second export is refused with 429 and Retry-After,
// while someone else's still runs and a cheap page is never held up.
func TestExpensiveRequestsWaitTheirTurn(t *testing.T) {
	l := newWorkLimiter(2, 1)
	app := fiber.New()
	app.Use(func(c *fiber.Ctx) error {
		id, _ := strconv.ParseInt(c.Get("X-User"), 10, 64)
		c.Locals(localUser, &people.User{ID: id})
		return c.Next()
	})
	app.Use(l.middleware)
	started, finish := make(chan struct{}), make(chan struct{})
	app.Get("/slow.csv", func(c *fiber.Ctx) error {
		started <- struct{}{}
		<-finish
		return c.SendString("done")
	})
	app.Get("/fast.csv", func(c *fiber.Ctx) error { return c.SendString("fast") })
	app.Get("/page", func(c *fiber.Ctx) error { return c.SendString("page") })
	get := func(path, user string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-User", user)
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if res := get("/slow.csv", "1"); res.StatusCode != http.StatusOK {
			t.Errorf("the slow export: %d", res.StatusCode)
		}
	}()
	<-started
	res := get("/fast.csv", "1")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != strconv.Itoa(retryOwnWork) {
		t.Fatalf("second export of the same person: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := get("/fast.csv", "2"); res.StatusCode != http.StatusOK {
		t.Fatalf("someone else's export: %d", res.StatusCode)
	}
	if res := get("/page", "1"); res.StatusCode != http.StatusOK {
		t.Fatalf("a cheap page while exporting: %d", res.StatusCode)
	}
	close(finish)
	wg.Wait()
	if res := get("/fast.csv", "1"); res.StatusCode != http.StatusOK {
		t.Fatalf("after the first export ended: %d", res.StatusCode)
	}
}

// TestImportAndExportRoutesAreLimited checks the server's own routes: the
// uploads and downloads are under the limit, ordinary forms are not.
func TestImportAndExportRoutesAreLimited(t *testing.T) {
	ts := newTestServer(t)
	var limited []string
	for _, r := range ts.srv.App().GetRoutes(true) {
		if r.Method == fiber.MethodHead || !strings.HasPrefix(r.Path, "/") || r.Path == "/" {
			continue
		}
		if expensive(r.Method, fillParams(r.Path)) {
			limited = append(limited, r.Method+" "+r.Path)
		}
	}
	joined := strings.Join(limited, "\n")
	for _, want := range []string{"POST /admin/people/import", "POST /admin/courses/upload", "GET /admin/courses/:slug/export.zip",
		"GET /admin/audit.csv", "GET /account/data.json", "GET /reports/evidence"} {
		if !strings.Contains(joined, want) {
			t.Errorf("%s is not limited; limited are:\n%s", want, joined)
		}
	}
	for _, cheap := range []string{"POST /login", "POST /admin/people", "GET /admin/audit", "GET /account/data", "GET /api/v1/policies"} {
		for _, l := range limited {
			if l == cheap {
				t.Errorf("%s is limited", cheap)
			}
		}
	}
	// Through the real server: each finished export, streamed or not,
	// gives its slot back, so the same person can export again.
	auditor := ts.as(auditorEmail)
	day := testStart.AddDate(0, 0, -1).Format("2006-01-02")
	for i := 0; i < 3; i++ {
		auditor.get("/reports/evidence?format=csv&as_of="+day).expect(t, http.StatusOK)
		auditor.get("/admin/audit.csv").expect(t, http.StatusOK)
	}
}
