package courses

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/webhooks"
)

func TestCompletionQueuesWebhookOnce(t *testing.T) {
	dialects(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := date(2026, 4, 1)
		hooks := webhooks.NewStore(d, false)
		e, _, err := hooks.Create(ctx, "https://hooks.example.com/in", []string{webhooks.CourseCompleted}, audit.Actor{Label: "test"}, now)
		if err != nil {
			t.Fatal(err)
		}
		alice := addPerson(t, d, person{email: "alice@example.com", team: "Sales"})
		mustImport(t, s, basics, now)
		mustSync(t, s, now)
		take(t, s, alice, "basics", 1, true, now)
		if ds, _ := hooks.Recent(ctx, e.ID, 10); len(ds) != 0 {
			t.Fatalf("queued before the course was complete: %+v", ds)
		}
		done := now.Add(time.Hour)
		if sub := take(t, s, alice, "basics", 2, true, done); !sub.Completed {
			t.Fatal("the course did not complete")
		}
		take(t, s, alice, "basics", 2, true, done.Add(time.Hour)) // passing again completes nothing new
		ds, err := hooks.Recent(ctx, e.ID, 10)
		if err != nil || len(ds) != 1 || ds[0].Event != "course.completed" {
			t.Fatalf("deliveries = %+v, %v; want one course.completed", ds, err)
		}
		var body struct {
			Data struct {
				UserID      int64     `json:"user_id"`
				Course      string    `json:"course"`
				CompletedAt time.Time `json:"completed_at"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(ds[0].Payload), &body); err != nil {
			t.Fatal(err)
		}
		if body.Data.UserID != alice || body.Data.Course != "basics" || !body.Data.CompletedAt.Equal(done) {
			t.Errorf("payload %s", ds[0].Payload)
		}
	})
}
