package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"steward/internal/webhooks"
)

func TestWebhookPagesAddTestAndShowDeliveries(t *testing.T) {
	ts := newTestServer(t)
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get("Steward-Event")+" "+string(b))
		mu.Unlock()
	}))
	defer recv.Close()

	for _, who := range []string{employeeEmail, managerEmail, auditorEmail} {
		if res := ts.as(who).get("/admin/webhooks"); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s reading webhooks: status %d, want 403", who, res.StatusCode)
		}
	}
	admin := ts.as(adminEmail)
	admin.get("/admin/webhooks").expect(t, http.StatusOK, "No endpoint is registered yet", "policy.published", "policy.acknowledged", "course.completed")

	res := admin.post("/admin/webhooks", url.Values{"url": {recv.URL + "/in"}, "events": {"policy.published", "course.completed"}})
	res.expect(t, http.StatusCreated, "shown only this once", recv.URL+"/in")
	secret := regexp.MustCompile(`whsec_[0-9a-f]{64}`).FindString(res.Body)
	if secret == "" {
		t.Fatalf("no secret on the page that added the endpoint:\n%s", snippet(res.Body))
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with the secret may be cached: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	var id int64
	if err := ts.db.Get(&id, `SELECT id FROM webhook_endpoints`); err != nil {
		t.Fatal(err)
	}
	path := "/admin/webhooks/" + strconvFormat(id)
	for _, p := range []string{"/admin/webhooks", path} {
		if body := admin.get(p).Body; strings.Contains(body, secret) {
			t.Errorf("%s shows the secret again", p)
		}
	}

	admin.post(path+"/test", url.Values{}).expect(t, http.StatusSeeOther)
	admin.get(path).expect(t, http.StatusOK, "A test delivery is queued", "webhook.test", "queued")
	w := webhooks.NewWorker(ts.db, false)
	w.Now = ts.clock
	if r, err := w.Drain(context.Background()); err != nil || r.Delivered != 1 {
		t.Fatalf("Drain = %+v, %v", r, err)
	}
	mu.Lock()
	if len(got) != 1 || !strings.HasPrefix(got[0], "webhook.test {") {
		t.Errorf("receiver got %q", got)
	}
	mu.Unlock()
	admin.get(path).expect(t, http.StatusOK, "delivered", "<td>200</td>")

	admin.post(path+"/disable", url.Values{}).expect(t, http.StatusSeeOther)
	admin.get(path).expect(t, http.StatusOK, "The endpoint is disabled", "Enable")
	admin.post(path+"/enable", url.Values{}).expect(t, http.StatusSeeOther)
	admin.get(path).expect(t, http.StatusOK, "The endpoint is enabled", "Disable")
	admin.post(path+"/delete", url.Values{}).expect(t, http.StatusSeeOther)
	admin.get("/admin/webhooks").expect(t, http.StatusOK, "The endpoint and its deliveries are deleted", "No endpoint is registered yet")
	if n := ts.count(`SELECT COUNT(*) FROM webhook_deliveries`); n != 0 {
		t.Errorf("%d deliveries left after the endpoint was deleted", n)
	}
	for _, a := range []string{"webhook.create", "webhook.test", "webhook.disable", "webhook.enable", "webhook.delete"} {
		if n := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, a); n != 1 {
			t.Errorf("%d audit entries %s, want 1", n, a)
		}
	}
	admin.get(path).expect(t, http.StatusNotFound)
	admin.post("/admin/webhooks/999999/test", url.Values{}).expect(t, http.StatusNotFound)
	admin.get("/admin/webhooks/x").expect(t, http.StatusNotFound)
}

func TestWebhookFormRefusesBadInputAndWritesNothing(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.as(adminEmail)
	cases := []struct {
		form url.Values
		msg  string
	}{
		{url.Values{"url": {"http://hooks.example.com/in"}, "events": {"policy.published"}}, "Use an https:// URL"},
		{url.Values{"url": {"https://hooks.example.com/" + strings.Repeat("a", 2001)}, "events": {"policy.published"}}, "at most 2000 characters"},
		{url.Values{"url": {"https://hooks.example.com/in"}, "events": {"policy.deleted"}}, "Choose among"},
		{url.Values{"url": {"https://hooks.example.com/in"}}, "Choose at least one event"},
		{url.Values{"url": {"<script>alert(1)</script>"}, "events": {"policy.published"}}, "Enter a full URL"},
		{url.Values{"url": {"=HYPERLINK(\"https://evil\")"}, "events": {"policy.published"}}, "Enter a full URL"},
	}
	for _, c := range cases {
		res := admin.post("/admin/webhooks", c.form)
		res.expect(t, http.StatusUnprocessableEntity, c.msg)
		if strings.Contains(res.Body, "<script>alert(1)") {
			t.Error("the page echoed markup unescaped")
		}
	}
	if n := ts.count(`SELECT COUNT(*) FROM webhook_endpoints`); n != 0 {
		t.Errorf("%d endpoints written from bad input", n)
	}
}

func TestWebhookFormRefusesInternalAddressesInProduction(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.cfg.Env = "production"
	admin := ts.as(adminEmail)
	for _, u := range []string{"http://127.0.0.1:8080/in", "https://10.0.0.5/in", "https://169.254.169.254/latest", "https://localhost/in"} {
		admin.post("/admin/webhooks", url.Values{"url": {u}, "events": {"policy.published"}}).expect(t, http.StatusUnprocessableEntity)
	}
	if n := ts.count(`SELECT COUNT(*) FROM webhook_endpoints`); n != 0 {
		t.Errorf("%d endpoints written", n)
	}
}
