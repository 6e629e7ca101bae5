package reminders

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	"steward/internal/webhooks"
)

// A course falling overdue raises course.overdue once per person and
// cycle, from the sweep, delivered through the webhook queue to a local
// receiver that checks the signature as docs/webhooks.md tells it to.
func TestOverdueCourseRaisesSignedWebhookOnce(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		o := orgOn(t, d)
		ctx := context.Background()
		now := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
		start := now.AddDate(-1, 0, 0)
		o.user(1, "Mia", 0, true, start)
		o.user(2, "Noah", 1, true, start)
		o.user(3, "Lea", 1, true, start)
		o.course(1, "data", 12, start)
		late := o.cycle(2, 1, 1, now.AddDate(0, -2, 0), now.AddDate(0, 0, -10), time.Time{}, false)
		o.cycle(3, 1, 1, now.AddDate(0, -1, 0), now.AddDate(0, 0, 3), time.Time{}, false)

		var (
			mu     sync.Mutex
			secret string
			got    [][]byte
			bad    []string
		)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			var ts, sig string
			for _, part := range strings.Split(r.Header.Get("Steward-Signature"), ",") {
				k, v, _ := strings.Cut(part, "=")
				if k == "t" {
					ts = v
				} else if k == "v1" {
					sig = v
				}
			}
			mac := hmac.New(sha256.New, []byte(secret))
			io.WriteString(mac, ts+"."+string(body))
			want := hex.EncodeToString(mac.Sum(nil))
			sec, err := strconv.ParseInt(ts, 10, 64)
			if err != nil || time.Since(time.Unix(sec, 0)) > 5*time.Minute || !hmac.Equal([]byte(sig), []byte(want)) ||
				r.Header.Get("Steward-Event") != webhooks.CourseOverdue {
				bad = append(bad, r.Header.Get("Steward-Signature"))
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			got = append(got, body)
		}))
		defer srv.Close()
		hooks := webhooks.NewStore(d, false)
		_, sec, err := hooks.Create(ctx, srv.URL+"/steward", []string{webhooks.CourseOverdue}, audit.Actor{Label: "test"}, now)
		if err != nil {
			t.Fatal(err)
		}
		secret = sec
		other, _, err := hooks.Create(ctx, srv.URL+"/completions", []string{webhooks.CourseCompleted}, audit.Actor{Label: "test"}, now)
		if err != nil {
			t.Fatal(err)
		}

		deliver := func(at time.Time) {
			t.Helper()
			w := webhooks.NewWorker(d, false)
			w.Now = func() time.Time { return at }
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		o.sweep(now)
		o.sweep(now.Add(2 * time.Hour))
		deliver(now.Add(2 * time.Hour))
		// A week on, Noah's second overdue reminder, and Lea now overdue.
		o.sweep(now.AddDate(0, 0, 7))
		deliver(now.AddDate(0, 0, 7))

		mu.Lock()
		defer mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("the receiver refused %d deliveries: %v", len(bad), bad)
		}
		if len(got) != 2 {
			t.Fatalf("%d deliveries, want one for Noah and one for Lea:\n%s", len(got), got)
		}
		var first struct {
			Event string `json:"event"`
			Data  struct {
				UserID  int64     `json:"user_id"`
				Course  string    `json:"course"`
				Title   string    `json:"title"`
				CycleID int64     `json:"cycle_id"`
				DueAt   time.Time `json:"due_at"`
			} `json:"data"`
		}
		if err := json.Unmarshal(got[0], &first); err != nil {
			t.Fatal(err)
		}
		if first.Event != "course.overdue" || first.Data.UserID != 2 || first.Data.Course != "data" || first.Data.Title != "Course data" ||
			first.Data.CycleID != late || !first.Data.DueAt.Equal(now.AddDate(0, 0, -10)) {
			t.Errorf("first delivery: %s", got[0])
		}
		if !strings.Contains(string(got[1]), `"user_id":3`) {
			t.Errorf("second delivery is not Lea's: %s", got[1])
		}
		ds, err := hooks.Recent(ctx, other.ID, 10)
		if err != nil || len(ds) != 0 {
			t.Errorf("an endpoint subscribed to course.completed only got %d deliveries (%v)", len(ds), err)
		}
	})
}
