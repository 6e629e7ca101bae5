package policies

import (
	"context"
	"fmt"
	"testing"

	"steward/internal/db/dbtest"
)

func BenchmarkRender(b *testing.B) {
	body := demoBody(b, "demo/privacy/v3.md")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Render(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	older, newer := demoBody(b, "demo/privacy/v1.md"), demoBody(b, "demo/privacy/v3.md")
	b.SetBytes(int64(len(older) + len(newer)))
	for b.Loop() {
		Compare(older, newer)
	}
}

func demoBody(b *testing.B, name string) string {
	data, err := DemoFS.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	f, err := ParseFile(name, data)
	if err != nil {
		b.Fatal(err)
	}
	return f.Body
}

// BenchmarkOpenAcknowledgements10000People evaluates one staff policy
// for 10,000 people, half of whom acknowledged it: what the reminder
// sweep reads of policies (its own benchmark runs it for 100,000).
func BenchmarkOpenAcknowledgements10000People(b *testing.B) {
	ctx := context.Background()
	_, d := storeOver(b, dbtest.Open(b))
	joined := t0.AddDate(-1, 0, 0)
	tx := d.MustBegin()
	tx.MustExec(tx.Rebind(`INSERT INTO policies (id, slug, title, audience, requires_ack, ack_within_days, created_at, updated_at)
		VALUES (1, 'privacy', 'Privacy', 'staff', TRUE, 14, ?, ?)`), joined, joined)
	tx.MustExec(tx.Rebind(`INSERT INTO policy_versions (id, policy_id, status, number, change_kind, sha256, created_at, updated_at, published_at, effective_at)
		VALUES (1, 1, 'published', 1, 'material', 's', ?, ?, ?, ?)`), joined, joined, joined, joined)
	for i := 1; i <= 10_000; i++ {
		tx.MustExec(tx.Rebind(`INSERT INTO users (id, email, name, role, active, created_at, updated_at) VALUES (?, ?, ?, 'employee', TRUE, ?, ?)`),
			i, fmt.Sprintf("p%d@example.com", i), fmt.Sprintf("Person %d", i), joined, joined)
		if i%2 == 0 {
			tx.MustExec(tx.Rebind(`INSERT INTO policy_acknowledgements (user_id, version_id, acknowledged_at) VALUES (?, 1, ?)`), i, joined)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := OpenAcknowledgements(ctx, d, t0, func(OpenAck) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 5_000 {
			b.Fatalf("%d open", n)
		}
	}
}
