package reminders

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"steward/internal/db"
	"steward/internal/db/dbtest"
)

// TestEventsKeepTheirDigestAcrossMigration migrates a database that has
// reminder events from before they named their outbox row: every event
// keeps its columns and finds the email that carried it by outbox id.
func TestEventsKeepTheirDigestAcrossMigration(t *testing.T) {
	urls := map[string]string{"sqlite": filepath.Join(t.TempDir(), "old.db")}
	if dbtest.PostgresURL() != "" {
		urls["postgres"] = dbtest.PostgresSchema(t)
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			d, err := db.Open(url)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ms, err := db.Migrations(d.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := d.ExecContext(ctx, d.Rebind(q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`)
			at := time.Date(2027, 5, 31, 6, 0, 0, 0, time.UTC)
			for _, m := range ms {
				if m.Version >= 34 {
					break
				}
				exec(m.SQL)
				exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, at)
			}
			exec(`INSERT INTO users (id, email, name, role, active, created_at, updated_at)
				VALUES (1, 'ann@example.com', 'Ann', 'employee', TRUE, ?, ?)`, at, at)
			exec(`INSERT INTO outbox (id, dedupe_key, recipient, user_id, kind, subject, body_text, body_html, next_attempt_at, created_at)
				VALUES (7, 'digest:1:2027-05-31', 'ann@example.com', 1, 'reminders', 'Steward', 'text', 'html', ?, ?)`, at, at)
			for i, e := range []struct{ stage, key string }{
				{"assigned", "digest:1:2027-05-31"}, {"due_soon", "digest:1:2027-05-31"}, {"overdue:1", "digest:1:2027-05-20"},
			} {
				exec(`INSERT INTO reminder_events (id, subject_type, subject_id, user_id, round, stage, recipient_id, digest_key, created_at)
					VALUES (?, 'cycle', 3, 1, '', ?, 1, ?, ?)`, i+1, e.stage, e.key, at)
			}

			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var got []struct {
				ID        int64  `db:"id"`
				Stage     string `db:"stage"`
				Key       string `db:"digest_key"`
				Outbox    *int64 `db:"outbox_id"`
				Subject   int64  `db:"subject_id"`
				Recipient int64  `db:"recipient_id"`
			}
			if err := d.SelectContext(ctx, &got, `SELECT id, stage, digest_key, outbox_id, subject_id, recipient_id
				FROM reminder_events ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("%d events after the migration, want 3", len(got))
			}
			for i, e := range got {
				want := int64(7)
				if e.ID != int64(i+1) || e.Subject != 3 || e.Recipient != 1 {
					t.Errorf("event %d changed: %+v", i+1, e)
				}
				switch {
				case i < 2 && (e.Outbox == nil || *e.Outbox != want):
					t.Errorf("event %s of the queued digest: outbox id %v, want %d", e.Stage, e.Outbox, want)
				case i == 2 && e.Outbox != nil:
					t.Errorf("event %s of a digest not in the outbox: outbox id %d, want none", e.Stage, *e.Outbox)
				}
			}
			// A new event for a user who is not in users: the events no
			// longer hold foreign keys.
			exec(`INSERT INTO reminder_events (id, subject_type, subject_id, user_id, round, stage, recipient_id, digest_key, outbox_id, created_at)
				VALUES (4, 'cycle', 4, 99, '', 'assigned', 99, 'digest:99:2027-05-31', 8, ?)`, at)
		})
	}
}
