package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/mail"
	"steward/internal/webhooks"
	"steward/policies"
)

var t0 = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

var admin = audit.Actor{Label: "test"}

// received is one request as the receiver saw it.
type received struct {
	Event, Delivery string
	Body            []byte
}

// receiver is a webhook receiver that verifies each delivery as the docs
// tell receivers to, with its own HMAC code, and answers with the next
// status of its script (200 once the script is used up).
type receiver struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	got    []received
	script []int
	bad    []string
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

// verify checks a Steward-Signature the way a receiver written from the
// docs would: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">, the
// timestamp at most five minutes old.
func verify(secret, header string, body []byte, now time.Time) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if now.Sub(time.Unix(sec, 0)) > 5*time.Minute {
		return errors.New("timestamp too old")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, ts+"."+string(body))
	want := mac.Sum(nil)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want) {
		return errors.New("signature does not match")
	}
	return nil
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := verify(r.secret, req.Header.Get("Steward-Signature"), body, time.Now()); err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	r.got = append(r.got, received{req.Header.Get("Steward-Event"), req.Header.Get("Steward-Delivery"), body})
	code := http.StatusOK
	if len(r.script) > 0 {
		code, r.script = r.script[0], r.script[1:]
	}
	w.WriteHeader(code)
}

func (r *receiver) deliveries() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		panic("receiver refused deliveries: " + strings.Join(r.bad, "; "))
	}
	return append([]received(nil), r.got...)
}

// register adds an endpoint for r and gives r its secret.
func register(t *testing.T, s *webhooks.Store, r *receiver, events ...string) webhooks.Endpoint {
	t.Helper()
	e, secret, err := s.Create(context.Background(), r.URL+"/hooks", events, admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	r.secret = secret
	return e
}

func workerAt(d *db.DB, now *time.Time) *webhooks.Worker {
	w := webhooks.NewWorker(d, false)
	w.Now = func() time.Time { return *now }
	w.Jitter = func() float64 { return 0.5 }
	return w
}

func policyStore(t *testing.T, d *db.DB) *policies.Store {
	r, err := mail.NewRenderer("https://steward.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return policies.NewStore(d, r)
}

func delivery(t *testing.T, s *webhooks.Store, endpointID int64) webhooks.Delivery {
	t.Helper()
	ds, err := s.Recent(context.Background(), endpointID, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries of %d = %+v, %v; want one", endpointID, ds, err)
	}
	return ds[0]
}

func TestPolicyPublicationReachesSubscribedReceiver(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := webhooks.NewStore(d, false)
		subscribed, other, paused := newReceiver(t), newReceiver(t), newReceiver(t)
		e := register(t, s, subscribed, webhooks.PolicyPublished, webhooks.CourseCompleted)
		register(t, s, other, webhooks.CourseCompleted)
		p := register(t, s, paused, webhooks.PolicyPublished)
		if err := s.SetEnabled(ctx, p.ID, false, admin, t0); err != nil {
			t.Fatal(err)
		}

		ps := policyStore(t, d)
		if _, err := ps.CreatePolicy(ctx, policies.Settings{Slug: "privacy", Title: "Privacy policy", Audience: policies.Public}, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.SaveDraft(ctx, "privacy", policies.DraftInput{Body: "# Privacy\n\nWe keep little.", Summary: "first", ChangeKind: policies.Material}, admin, t0); err != nil {
			t.Fatal(err)
		}
		// One admin here: four eyes off, so the publisher approves.
		if err := ps.SetFourEyes(ctx, "privacy", false, "one admin in this test", admin, t0); err != nil {
			t.Fatal(err)
		}
		v, _, err := ps.Publish(ctx, "privacy", policies.PublishInput{Kind: policies.Material}, admin, t0)
		if err != nil {
			t.Fatal(err)
		}

		now := t0
		res, err := workerAt(d, &now).Drain(ctx)
		if err != nil || res.Delivered != 1 {
			t.Fatalf("Drain = %+v, %v; want one delivery", res, err)
		}
		got := subscribed.deliveries()
		if len(got) != 1 {
			t.Fatalf("receiver got %d deliveries, want 1", len(got))
		}
		if got[0].Event != "policy.published" {
			t.Errorf("Steward-Event = %q", got[0].Event)
		}
		var body struct {
			Event string `json:"event"`
			Data  struct {
				Policy  string `json:"policy"`
				Version int    `json:"version"`
				SHA256  string `json:"sha256"`
			} `json:"data"`
		}
		if err := json.Unmarshal(got[0].Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Event != "policy.published" || body.Data.Policy != "privacy" || body.Data.Version != 1 || body.Data.SHA256 != v.SHA256 {
			t.Errorf("body = %s", got[0].Body)
		}
		dl := delivery(t, s, e.ID)
		if got[0].Delivery != strconv.FormatInt(dl.ID, 10) || dl.Status != "delivered" || dl.Attempts != 1 || dl.LastStatusCode != 200 {
			t.Errorf("delivery row = %+v, header id %s", dl, got[0].Delivery)
		}
		if n := len(other.deliveries()) + len(paused.deliveries()); n != 0 {
			t.Errorf("unsubscribed or disabled endpoints got %d deliveries", n)
		}
		if ds, _ := s.Recent(ctx, p.ID, 10); len(ds) != 0 {
			t.Errorf("a disabled endpoint had deliveries queued: %+v", ds)
		}
	})
}

func TestFailedDeliveryIsRetriedWithBackoff(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := webhooks.NewStore(d, false)
		r := newReceiver(t, http.StatusInternalServerError)
		e := register(t, s, r, webhooks.PolicyPublished)
		if err := s.SendTest(ctx, e.ID, admin, t0); err != nil {
			t.Fatal(err)
		}
		now := t0
		w := workerAt(d, &now)
		if res, err := w.Drain(ctx); err != nil || res.Retrying != 1 {
			t.Fatalf("first Drain = %+v, %v; want one to retry", res, err)
		}
		dl := delivery(t, s, e.ID)
		if dl.Status != "retrying" || dl.LastStatusCode != 500 || dl.Attempts != 1 || !strings.Contains(dl.LastError, "500") {
			t.Errorf("after a 500: %+v", dl)
		}
		if want := t0.Add(30 * time.Second); !dl.NextAttemptAt.Equal(want) {
			t.Errorf("next attempt at %s, want %s (30 s after the first)", dl.NextAttemptAt, want)
		}
		if res, _ := w.Drain(ctx); res != (webhooks.Result{}) {
			t.Errorf("a delivery not yet due was tried again: %+v", res)
		}
		now = t0.Add(31 * time.Second)
		if res, err := w.Drain(ctx); err != nil || res.Delivered != 1 {
			t.Fatalf("second Drain = %+v, %v", res, err)
		}
		dl = delivery(t, s, e.ID)
		if dl.Status != "delivered" || dl.Attempts != 2 || dl.LastStatusCode != 200 || dl.LastError != "" || dl.DeliveredAt == nil {
			t.Errorf("after retry: %+v", dl)
		}
		if got := r.deliveries(); len(got) != 2 || got[0].Delivery != got[1].Delivery || string(got[0].Body) != string(got[1].Body) {
			t.Errorf("the retry was not the same delivery: %+v", got)
		}
	})
}

func TestGoneIsRetriedUntilADayHasPassed(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	s := webhooks.NewStore(d, false)
	r := newReceiver(t, slicesOf(http.StatusGone, 100)...)
	e := register(t, s, r, webhooks.PolicyPublished)
	if err := s.SendTest(ctx, e.ID, admin, t0); err != nil {
		t.Fatal(err)
	}
	now := t0
	w := workerAt(d, &now)
	for i := 0; i < 50; i++ {
		if _, err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		dl := delivery(t, s, e.ID)
		if dl.Status != "retrying" {
			break
		}
		now = dl.NextAttemptAt
	}
	dl := delivery(t, s, e.ID)
	if dl.Status != "failed" || dl.LastStatusCode != 410 {
		t.Fatalf("after a day of 410s: %+v", dl)
	}
	if dl.Attempts < 10 || now.After(t0.Add(24*time.Hour)) {
		t.Errorf("gave up after %d attempts, the last at %s; want many attempts within a day of %s", dl.Attempts, now, t0)
	}
	if len(r.deliveries()) != dl.Attempts {
		t.Errorf("receiver saw %d attempts, the row counts %d", len(r.deliveries()), dl.Attempts)
	}
}

func slicesOf(code, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = code
	}
	return out
}

func TestRedirectIsNotFollowed(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	s := webhooks.NewStore(d, false)
	target := newReceiver(t)
	bounce := newReceiver(t)
	bounce.Config.Handler = http.RedirectHandler(target.URL+"/hooks", http.StatusTemporaryRedirect)
	e := register(t, s, bounce, webhooks.PolicyPublished)
	target.secret = bounce.secret
	if err := s.SendTest(ctx, e.ID, admin, t0); err != nil {
		t.Fatal(err)
	}
	now := t0
	if _, err := workerAt(d, &now).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if dl := delivery(t, s, e.ID); dl.Status != "retrying" || dl.LastStatusCode != 307 {
		t.Errorf("after a redirect: %+v", dl)
	}
	if n := len(target.deliveries()); n != 0 {
		t.Errorf("the redirect was followed: the target got %d", n)
	}
}

func TestProductionRefusesInternalAddressesAtDelivery(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	s := webhooks.NewStore(d, false) // registered outside production
	r := newReceiver(t)
	e := register(t, s, r, webhooks.PolicyPublished)
	if err := s.SendTest(ctx, e.ID, admin, t0); err != nil {
		t.Fatal(err)
	}
	w := webhooks.NewWorker(d, true) // delivered in production
	w.Now = func() time.Time { return t0 }
	if _, err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if dl := delivery(t, s, e.ID); dl.Status != "retrying" || !strings.Contains(dl.LastError, "private") {
		t.Errorf("delivery to 127.0.0.1 in production: %+v", dl)
	}
	if n := len(r.deliveries()); n != 0 {
		t.Errorf("the receiver on loopback got %d deliveries in production", n)
	}
}

func TestTwoWorkersNeverSendTheSameDelivery(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := webhooks.NewStore(d, false)
		r := newReceiver(t)
		e := register(t, s, r, webhooks.PolicyPublished)
		for i := 0; i < 30; i++ {
			if err := s.SendTest(ctx, e.ID, admin, t0); err != nil {
				t.Fatal(err)
			}
		}
		now := t0
		w1, w2 := workerAt(d, &now), workerAt(dbtest.Reopen(t, d), &now)
		w1.BatchSize, w2.BatchSize = 4, 4
		var wg sync.WaitGroup
		for _, w := range []*webhooks.Worker{w1, w2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.Drain(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		seen := map[string]int{}
		for _, g := range r.deliveries() {
			seen[g.Delivery]++
		}
		if len(seen) != 30 {
			t.Errorf("%d distinct deliveries received, want 30", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("delivery %s sent %d times", id, n)
			}
		}
	})
}

func TestBadEndpointsAreRefused(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dev, prod := webhooks.NewStore(d, false), webhooks.NewStore(d, true)
		if _, _, err := dev.Create(ctx, "https://hooks.example.com/a", []string{"policy.published"}, admin, t0); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			store  *webhooks.Store
			url    string
			events []string
			field  string
		}{
			{dev, "http://hooks.example.com/a", []string{"policy.published"}, "url"},
			{dev, "ftp://hooks.example.com/a", []string{"policy.published"}, "url"},
			{dev, "hooks.example.com", []string{"policy.published"}, "url"},
			{dev, "", []string{"policy.published"}, "url"},
			{dev, "https://hooks.example.com/" + strings.Repeat("a", 2000), []string{"policy.published"}, "url"},
			{dev, "https://hooks.example.com/a\r\nX: y", []string{"policy.published"}, "url"},
			{dev, "https://user:pw@hooks.example.com/a", []string{"policy.published"}, "url"},
			{dev, "https://hooks.example.com/b", []string{"policy.deleted"}, "events"},
			{dev, "https://hooks.example.com/b", []string{"course.lapsed"}, "events"}, // not raised, so not offered
			{dev, "https://hooks.example.com/b", []string{"<script>"}, "events"},
			{dev, "https://hooks.example.com/b", nil, "events"},
			{dev, "https://hooks.example.com/a", []string{"course.completed"}, "url"}, // a duplicate
			{prod, "http://127.0.0.1:8080/hooks", []string{"policy.published"}, "url"},
			{prod, "https://127.0.0.1/hooks", []string{"policy.published"}, "url"},
			{prod, "https://localhost/hooks", []string{"policy.published"}, "url"},
			{prod, "https://10.1.2.3/hooks", []string{"policy.published"}, "url"},
			{prod, "https://192.168.0.10/hooks", []string{"policy.published"}, "url"},
			{prod, "https://169.254.169.254/latest/meta-data", []string{"policy.published"}, "url"},
			{prod, "https://[::1]/hooks", []string{"policy.published"}, "url"},
			{prod, "https://[fd00::1]/hooks", []string{"policy.published"}, "url"},
		}
		for _, c := range cases {
			_, _, err := c.store.Create(ctx, c.url, c.events, admin, t0)
			var ve *webhooks.ValidationError
			if !errors.As(err, &ve) || ve.Fields[c.field] == "" {
				t.Errorf("Create(%.60q, %q, production=%v) = %v; want a message about %s", c.url, c.events, c.store.Production, err, c.field)
			}
		}
		es, err := dev.List(ctx)
		if err != nil || len(es) != 1 {
			t.Errorf("endpoints after refused input = %+v, %v; want only the first", es, err)
		}
		// Allowed: http to this machine outside production, https anywhere public.
		for _, u := range []string{"http://127.0.0.1:9/hooks", "http://localhost:9/hooks", "https://93.184.216.34/hooks"} {
			if _, _, err := dev.Create(ctx, u, []string{"policy.acknowledged"}, admin, t0); err != nil {
				t.Errorf("Create(%s) = %v", u, err)
			}
		}
	})
}

func TestSecretIsGeneratedPerEndpointAndNeverAudited(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	s := webhooks.NewStore(d, false)
	_, s1, err := s.Create(ctx, "https://a.example.com/h", []string{"policy.published"}, admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	_, s2, err := s.Create(ctx, "https://b.example.com/h", []string{"policy.published"}, admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	if s1 == s2 || len(s1) < 40 {
		t.Errorf("secrets %q and %q", s1, s2)
	}
	entries, _, err := audit.List(ctx, d, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range entries {
		if e.Action == "webhook.create" {
			found++
		}
		if strings.Contains(e.Detail, s1) || strings.Contains(e.Detail, s2) {
			t.Errorf("audit entry %s holds the secret", e.Action)
		}
	}
	if found != 2 {
		t.Errorf("%d webhook.create audit entries, want 2", found)
	}
}

func TestSignature(t *testing.T) {
	body := []byte(`{"event":"webhook.test"}`)
	at := time.Unix(1767000000, 0)
	h := webhooks.Sign("whsec_k", at, body)
	if !strings.HasPrefix(h, "t=1767000000,v1=") {
		t.Fatalf("header %q", h)
	}
	if err := verify("whsec_k", h, body, at.Add(4*time.Minute)); err != nil {
		t.Errorf("a fresh signature: %v", err)
	}
	if err := verify("whsec_k", h, body, at.Add(6*time.Minute)); err == nil {
		t.Error("a six-minute-old signature was accepted")
	}
	if err := verify("whsec_other", h, body, at); err == nil {
		t.Error("a signature verified with another secret")
	}
	if err := verify("whsec_k", h, []byte(`{"event":"webhook.tesT"}`), at); err == nil {
		t.Error("a changed body verified")
	}
}

func TestFinishedDeliveriesArePurgedAfterThirtyDays(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	s := webhooks.NewStore(d, false)
	r := newReceiver(t, http.StatusOK, http.StatusInternalServerError)
	e := register(t, s, r, webhooks.PolicyPublished)
	now := t0
	w := workerAt(d, &now)
	for i := 0; i < 2; i++ { // one delivered, one retrying
		if err := s.SendTest(ctx, e.ID, admin, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	now = t0.Add(29 * 24 * time.Hour)
	if n, err := w.Purge(ctx); err != nil || n != 0 {
		t.Errorf("purge after 29 days = %d, %v; want nothing", n, err)
	}
	now = t0.Add(31 * 24 * time.Hour)
	if n, err := w.Purge(ctx); err != nil || n != 1 {
		t.Errorf("purge after 31 days = %d, %v; want the delivered one", n, err)
	}
	if dl := delivery(t, s, e.ID); dl.Status != "retrying" {
		t.Errorf("left %+v; want the one still retrying", dl)
	}
}
