package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// seed records n entries an hour apart: sign-ins by user 7, role changes
// by user 1 about user 7, and purges by the system.
func seed(t *testing.T, d *db.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		at := t0.Add(time.Duration(i) * time.Hour)
		var e audit.Entry
		switch i % 3 {
		case 0:
			e = audit.UserActor(7).Entry(at, "login.success", "user:7", "")
		case 1:
			e = audit.UserActor(1).Entry(at, "user.role", "user:7", "employee -> manager")
		default:
			e = audit.System.Entry(at, "retention.run", "", "people=0")
		}
		if err := d.Tx(ctx, func(tx *sqlx.Tx) error { return audit.Record(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
}

// tamper runs SQL as an attacker with write access to the database file
// would: the append-only triggers are dropped first.
func tamper(t *testing.T, d *db.DB, stmts ...string) {
	t.Helper()
	on := ""
	if d.Dialect == db.Postgres {
		on = " ON audit_log"
	}
	all := append([]string{`DROP TRIGGER audit_log_no_update` + on, `DROP TRIGGER audit_log_no_delete` + on}, stmts...)
	for _, s := range all {
		if _, err := d.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerifyNamesTheFirstTamperedEntry(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		sql    []string
		wantID int64
	}{
		{"edited detail", []string{`UPDATE audit_log SET detail = 'employee -> admin' WHERE id = 5`}, 5},
		{"edited time", []string{`UPDATE audit_log SET at = '2020-01-01 00:00:00+00:00' WHERE id = 3`}, 3},
		{"edited and rehashed", []string{`UPDATE audit_log SET actor = 'cli', hash = '` + "ab" + `' WHERE id = 4`}, 4},
		{"deleted", []string{`DELETE FROM audit_log WHERE id = 6`}, 6},
		{"deleted early", []string{`DELETE FROM audit_log WHERE id = 2`}, 2},
		{"reordered", []string{
			`UPDATE audit_log SET id = 100 WHERE id = 7`,
			`UPDATE audit_log SET id = 7 WHERE id = 8`,
			`UPDATE audit_log SET id = 8 WHERE id = 100`}, 7},
	}
	// A fresh database per case, on each dialect under test.
	opens := map[string]func(testing.TB) *db.DB{"sqlite": dbtest.Open}
	if dbtest.PostgresURL() != "" {
		opens["postgres"] = dbtest.OpenPostgres
	}
	for dialect, open := range opens {
		for _, tc := range cases {
			t.Run(dialect+"/"+tc.name, func(t *testing.T) {
				d := open(t)
				seed(t, d, 10)
				if n, err := audit.Verify(ctx, d); err != nil || n != 10 {
					t.Fatalf("before tampering: %d entries, %v", n, err)
				}
				tamper(t, d, tc.sql...)
				n, err := audit.Verify(ctx, d)
				var br *audit.Break
				if !errors.As(err, &br) {
					t.Fatalf("verify after tampering: %d entries, %v", n, err)
				}
				if br.ID != tc.wantID || n != int(tc.wantID-1) {
					t.Fatalf("break at %d after %d good entries (%s), want %d", br.ID, n, br.Reason, tc.wantID)
				}
			})
		}
	}
}

func TestTheAppendOnlyTriggersRefuseEditsAndDeletes(t *testing.T) {
	dbtest.Dialects(t, testTriggers)
}

func testTriggers(t *testing.T, d *db.DB) {
	seed(t, d, 2)
	if _, err := d.Exec(`UPDATE audit_log SET detail = 'x' WHERE id = 1`); err == nil {
		t.Fatal("an UPDATE of the audit log went through")
	}
	if _, err := d.Exec(`DELETE FROM audit_log`); err == nil {
		t.Fatal("a DELETE of the audit log went through")
	}
}

func TestListFiltersAndPages(t *testing.T) { dbtest.Dialects(t, testList) }

func testList(t *testing.T, d *db.DB) {
	ctx := context.Background()
	seed(t, d, 30) // ids 1..30, one an hour from t0
	seven, one := int64(7), int64(1)
	cases := []struct {
		name  string
		f     audit.Filter
		total int
		first int64 // newest first
		paged int
	}{
		{"everything", audit.Filter{}, 30, 30, 30},
		{"by a person", audit.Filter{ActorID: &seven}, 10, 28, 10},
		{"by the admin about someone", audit.Filter{ActorID: &one, Target: "user:7"}, 10, 29, 10},
		{"by label", audit.Filter{Actor: "system"}, 10, 30, 10},
		{"one action", audit.Filter{Action: "user.role"}, 10, 29, 10},
		{"a family", audit.Filter{Action: "login."}, 10, 28, 10},
		{"a family with wildcards means itself", audit.Filter{Action: "%."}, 0, 0, 0},
		{"date range", audit.Filter{From: t0.Add(3 * time.Hour), Until: t0.Add(6 * time.Hour)}, 3, 6, 3},
		{"page", audit.Filter{Limit: 7, Offset: 7}, 30, 23, 7},
		{"page past the end", audit.Filter{Limit: 7, Offset: 70}, 30, 0, 0},
		{"nonsense paging", audit.Filter{Limit: -1, Offset: -5}, 30, 30, 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := audit.List(ctx, d, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.total || len(got) != tc.paged {
				t.Fatalf("total %d, page %d; want %d, %d", total, len(got), tc.total, tc.paged)
			}
			if len(got) > 0 && got[0].ID != tc.first {
				t.Fatalf("first entry %d, want %d", got[0].ID, tc.first)
			}
		})
	}

	var streamed []int64
	err := audit.Stream(ctx, d, audit.Filter{Action: "retention.run"}, func(e audit.Entry) error {
		streamed = append(streamed, e.ID)
		return nil
	})
	if err != nil || len(streamed) != 10 || streamed[0] != 3 || streamed[9] != 30 {
		t.Fatalf("streamed %v, %v", streamed, err)
	}
	stop := errors.New("stop")
	n := 0
	if err := audit.Stream(ctx, d, audit.Filter{}, func(audit.Entry) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("stream did not stop at the first error: %d, %v", n, err)
	}

	about, err := audit.About(ctx, d, 7)
	if err != nil || len(about) != 20 {
		t.Fatalf("entries about user 7: %d, %v", len(about), err)
	}
	actions, err := audit.Actions(ctx, d)
	if err != nil || len(actions) != 3 || actions[0] != "login.success" {
		t.Fatalf("actions %v, %v", actions, err)
	}
}
