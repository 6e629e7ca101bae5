package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/browsertest"
	"steward/internal/webhooks"
)

// seedWebhooks registers a receiver with a long URL and gives it a
// delivered, a retrying and a queued delivery.
func seedWebhooks(t *testing.T, ts *testServer) int64 {
	t.Helper()
	ctx := context.Background()
	calls := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls > 1 {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(recv.Close)
	s := webhooks.NewStore(ts.db, false)
	e, _, err := s.Create(ctx, recv.URL+"/hooks/"+strings.Repeat("steward-events-", 6)+"in",
		[]string{webhooks.PolicyPublished, webhooks.CourseCompleted}, audit.Actor{Label: "test"}, ts.clock())
	if err != nil {
		t.Fatal(err)
	}
	w := webhooks.NewWorker(ts.db, false)
	w.Now = ts.clock
	for i := 0; i < 2; i++ {
		if err := s.SendTest(ctx, e.ID, audit.Actor{Label: "test"}, ts.clock()); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SendTest(ctx, e.ID, audit.Actor{Label: "test"}, ts.clock().Add(-1)); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func TestBrowserWebhookPages(t *testing.T) {
	ts := newTestServer(t)
	id := seedWebhooks(t, ts)
	lookAt(t, ts, adminEmail, "/admin/webhooks", "/admin/webhooks/"+strconvFormat(id))
}

func TestWebhookMarkupIsValid(t *testing.T) {
	ts := newTestServer(t)
	id := seedWebhooks(t, ts)
	admin := ts.as(adminEmail)
	pages := map[string]string{
		"webhooks":         admin.get("/admin/webhooks").Body,
		"webhook":          admin.get("/admin/webhooks/" + strconvFormat(id)).Body,
		"webhook-added":    admin.post("/admin/webhooks", url.Values{"url": {"https://hooks.example.com/in"}, "events": {"policy.published"}}).Body,
		"webhook-invalid":  admin.post("/admin/webhooks", url.Values{"url": {"ftp://x"}}).Body,
		"webhook-disabled": "",
	}
	admin.post("/admin/webhooks/"+strconvFormat(id)+"/disable", url.Values{})
	pages["webhook-disabled"] = admin.get("/admin/webhooks/" + strconvFormat(id)).Body
	for _, problem := range browsertest.ValidateHTML(t, pages) {
		t.Error(problem)
	}
}
