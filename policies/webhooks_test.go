package policies

import (
	"context"
	"encoding/json"
	"testing"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/webhooks"
)

func TestAcknowledgementQueuesWebhookOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		hooks := webhooks.NewStore(d, false)
		e, _, err := hooks.Create(ctx, "https://hooks.example.com/in", []string{webhooks.PolicyAcknowledged}, audit.Actor{Label: "test"}, day(0))
		if err != nil {
			t.Fatal(err)
		}
		ann := addUser(t, d, "ann@example.com", true, day(-300))
		mustCreate(t, s, Settings{Slug: "aup", Title: "Acceptable use", Audience: Staff, RequiresAck: true, AckWithinDays: 14})
		publishVersion(t, s, "aup", "one", Material, day(0), day(0))
		for _, at := range []int{5, 6} { // the second changes nothing
			if _, err := s.Acknowledge(ctx, ann, "aup", 1, day(at)); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := hooks.Recent(ctx, e.ID, 10)
		if err != nil || len(ds) != 1 || ds[0].Event != "policy.acknowledged" {
			t.Fatalf("deliveries = %+v, %v; want one policy.acknowledged (publication is not subscribed)", ds, err)
		}
		var body struct {
			Data struct {
				UserID  int64  `json:"user_id"`
				Policy  string `json:"policy"`
				Version int    `json:"version"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(ds[0].Payload), &body); err != nil {
			t.Fatal(err)
		}
		if body.Data.UserID != ann || body.Data.Policy != "aup" || body.Data.Version != 1 {
			t.Errorf("payload %s", ds[0].Payload)
		}
	})
}
