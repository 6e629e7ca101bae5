package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/handlers"
	"steward/internal/audit"
	"steward/internal/config"
	"steward/internal/db"
	"steward/internal/mail"
	"steward/internal/subprocessors"
	"steward/internal/translog"
)

// demoInstall loads the demo into a fresh SQLite file and returns its
// environment.
func demoInstall(t *testing.T) (map[string]string, string) {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "s.db")
	env := map[string]string{"STEWARD_DATABASE_URL": dbPath}
	if code, _, stderr := steward(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	return env, dbPath
}

// tamper runs statements as a rogue database user would, dropping the
// triggers that stand in the way first.
func tamper(t *testing.T, dbPath string, stmts ...string) {
	t.Helper()
	d, err := db.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, q := range stmts {
		if _, err := d.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// rechain recomputes every hash of the audit trail from the first entry,
// renumbering the entries 1..n, as an attacker who knows the (public)
// encoding would after deleting and editing entries.
func rechain(t *testing.T, dbPath string) {
	t.Helper()
	d, err := db.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	type row struct {
		ID       int64     `db:"id"`
		At       time.Time `db:"at"`
		ActorID  *int64    `db:"actor_id"`
		Actor    string    `db:"actor"`
		Action   string    `db:"action"`
		Target   string    `db:"target"`
		Detail   string    `db:"detail"`
		PrevHash string    `db:"prev_hash"`
		Hash     string    `db:"hash"`
	}
	var rows []row
	if err := d.Select(&rows, `SELECT id, at, actor_id, actor, action, target, detail, prev_hash, hash FROM audit_log ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`DELETE FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	prev := strings.Repeat("0", 64)
	for i, r := range rows {
		r.ID, r.PrevHash = int64(i+1), prev
		actor := ""
		if r.ActorID != nil {
			actor = strconv.FormatInt(*r.ActorID, 10)
		}
		var b strings.Builder
		for _, f := range []string{strconv.FormatInt(r.ID, 10), r.At.UTC().Format(time.RFC3339Nano), actor, r.Actor, r.Action, r.Target, r.Detail, r.PrevHash} {
			b.WriteString(strconv.Itoa(len(f)) + ":" + f)
		}
		sum := sha256.Sum256([]byte(b.String()))
		r.Hash = hex.EncodeToString(sum[:])
		if _, err := d.Exec(d.Rebind(`INSERT INTO audit_log (id, at, actor_id, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			r.ID, r.At, r.ActorID, r.Actor, r.Action, r.Target, r.Detail, r.PrevHash, r.Hash); err != nil {
			t.Fatal(err)
		}
		prev = r.Hash
	}
}

// TestAuditCheckpointCatchesBothAttacks performs the two attacks that left
// `steward audit verify` saying "intact" (removing the newest entries;
// removing every sign-in entry, editing one and recomputing the chain)
// and wants the checkpoint taken before them to catch each one.
func TestAuditCheckpointCatchesBothAttacks(t *testing.T) {
	for _, attack := range []struct {
		name string
		do   func(t *testing.T, dbPath string)
		want string
	}{
		{"truncate the newest ten", func(t *testing.T, dbPath string) {
			tamper(t, dbPath, `DROP TRIGGER audit_log_no_delete`,
				`DELETE FROM audit_log WHERE id > (SELECT MAX(id) - 10 FROM audit_log)`)
		}, "entries were removed"},
		{"drop sign-ins, edit one, recompute", func(t *testing.T, dbPath string) {
			tamper(t, dbPath, `DROP TRIGGER audit_log_no_delete`, `DROP TRIGGER audit_log_no_update`,
				`DELETE FROM audit_log WHERE action LIKE 'login.%'`,
				`UPDATE audit_log SET actor = 'cli', actor_id = NULL WHERE id = (SELECT MIN(id) FROM audit_log WHERE action = 'policy.publish')`)
			rechain(t, dbPath)
		}, "the trail was rewritten"},
	} {
		t.Run(attack.name, func(t *testing.T) {
			env, dbPath := demoInstall(t)
			// Sign-ins and more entries after the demo, so both attacks have something to remove.
			for i := 0; i < 12; i++ {
				if code, _, stderr := steward(t, env, "a-long-enough-password-"+strconv.Itoa(i)+"\n", "user", "passwd", "employee@example.com"); code != 0 {
					t.Fatalf("passwd: %s", stderr)
				}
			}
			tamper(t, dbPath) // nothing yet: the trail is sound
			cp := filepath.Join(t.TempDir(), "audit.checkpoint")
			if code, out, stderr := steward(t, env, "", "audit", "checkpoint", "--out", cp); code != 0 || !strings.Contains(out, "wrote the audit checkpoint") {
				t.Fatalf("checkpoint: %d %q %q", code, out, stderr)
			}
			if code, out, _ := steward(t, env, "", "audit", "verify", "--checkpoint", cp); code != 0 || !strings.Contains(out, "unchanged") {
				t.Fatalf("verify before the attack: %d %q", code, out)
			}
			attack.do(t, dbPath)
			if code, out, _ := steward(t, env, "", "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
				t.Fatalf("the attack was meant to fool the chain alone: %d %q", code, out)
			}
			code, out, stderr := steward(t, env, "", "audit", "verify", "--checkpoint", cp)
			if code != 1 || !strings.Contains(out, attack.want) {
				t.Fatalf("verify --checkpoint after %q: exit %d, %q %q", attack.name, code, out, stderr)
			}
		})
	}
}

// TestAuditCheckpointIsSigned: a checkpoint edited to match a shortened
// trail, or checked with another key, is refused.
func TestAuditCheckpointIsSigned(t *testing.T) {
	env, _ := demoInstall(t)
	cp := filepath.Join(t.TempDir(), "audit.checkpoint")
	if code, _, stderr := steward(t, env, "", "audit", "checkpoint", "--out", cp); code != 0 {
		t.Fatal(stderr)
	}
	b, _ := os.ReadFile(cp)
	edited := strings.Replace(string(b), "entries ", "entries 1", 1)
	if err := os.WriteFile(cp, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := steward(t, env, "", "audit", "verify", "--checkpoint", cp); code == 0 || !strings.Contains(stderr, "signature") {
		t.Fatalf("an edited checkpoint: %d %q", code, stderr)
	}
}

// TestBackupWritesACheckpoint: a backup has its signed audit checkpoint
// beside it, and the backup verifies against it.
func TestBackupWritesACheckpoint(t *testing.T) {
	env, _ := demoInstall(t)
	out := filepath.Join(t.TempDir(), "backup.db")
	if code, stdout, stderr := steward(t, env, "", "backup", out); code != 0 || !strings.Contains(stdout, "backup.db.audit-checkpoint") {
		t.Fatalf("backup: %d %q %q", code, stdout, stderr)
	}
	restored := map[string]string{"STEWARD_DATABASE_URL": out, "STEWARD_LOG_KEY_FILE": env["STEWARD_DATABASE_URL"] + ".log-key"}
	if code, stdout, stderr := steward(t, restored, "", "audit", "verify", "--checkpoint", out+".audit-checkpoint"); code != 0 {
		t.Fatalf("the backup against its checkpoint: %d %q %q", code, stdout, stderr)
	}
}

// TestLogVerifyOverHTTP runs `steward log verify` against a running site
// from a folder with no database: it passes, saves a checkpoint, passes
// again against it after a new version is published, and fails when an
// old version is rewritten in the database, or when the log is rewritten
// to match.
func TestLogVerifyOverHTTP(t *testing.T) {
	env, dbPath := demoInstall(t)
	d, err := db.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	k, err := translog.LoadKeyFile(cfg.LogKeyFile, handlers.LogOrigin(cfg.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	l, err := translog.Open(d, k)
	if err != nil {
		t.Fatal(err)
	}
	// start serves the database as a freshly started instance would (the
	// public pages are cached in memory once rendered).
	var stop func() error
	start := func() string {
		if stop != nil {
			stop()
		}
		srv, err := handlers.New(handlers.Deps{Config: cfg, DB: d, Log: l})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.App().Listener(ln)
		stop = srv.App().Shutdown
		return "http://" + ln.Addr().String()
	}
	site := start()
	defer func() { stop() }()

	elsewhere := map[string]string{"STEWARD_DATABASE_URL": filepath.Join(t.TempDir(), "never-opened.db")}
	saved := filepath.Join(t.TempDir(), "checkpoint.txt")
	code, out, stderr := steward(t, elsewhere, "", "log", "verify", site, "--save", saved)
	if code != 0 || !strings.Contains(out, "OK:") || !strings.Contains(out, "versions of") {
		t.Fatalf("verify: %d %q %q", code, out, stderr)
	}
	if _, err := os.Stat(elsewhere["STEWARD_DATABASE_URL"]); err == nil {
		t.Fatal("log verify opened a database")
	}

	// A new version: the log grows, and still extends the saved checkpoint.
	policyFile := filepath.Join(t.TempDir(), "privacy.md")
	body := "---\nslug: privacy\ntitle: Privacy policy\nchange: minor\nsummary: Clearer wording.\n---\n\n# Privacy policy\n\nWe keep less than before.\n"
	if err := os.WriteFile(policyFile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"policies", "draft", policyFile, "--as", "admin@example.com"},
		{"policies", "submit", "privacy", "--as", "admin@example.com"},
		{"policies", "approve", "privacy", "--as", "privacy.lead@example.com"},
		{"policies", "publish", policyFile},
	} {
		if code, _, stderr := steward(t, env, "", args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	if code, out, stderr := steward(t, elsewhere, "", "log", "verify", site, "--checkpoint", saved); code != 0 || !strings.Contains(out, "only grew") {
		t.Fatalf("verify after a new version: %d %q %q", code, out, stderr)
	}

	// The subprocessor register's versions are leaves too: a rewritten
	// one is caught, naming it.
	renderer, err := mail.NewRenderer("http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	reg := subprocessors.NewStore(d, renderer, 30)
	if _, err := reg.SaveEntry(context.Background(), audit.CLI, 0, subprocessors.EntryInput{Name: "Stripe, Inc.", Purpose: "Payments",
		DataCategories: "billing contacts", Locations: "United States", TransferMechanism: "EU-US Data Privacy Framework"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Publish(context.Background(), audit.CLI, subprocessors.PublishInput{Summary: "The register as it stands.",
		Effective: time.Now().UTC().Format(time.DateOnly)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	site = start()
	if code, out, stderr := steward(t, elsewhere, "", "log", "verify", site, "--checkpoint", saved); code != 0 || !strings.Contains(out, "1 version of the subprocessor register") {
		t.Fatalf("verify with a register version: %d %q %q", code, out, stderr)
	}
	var entries string
	if err := d.Get(&entries, `SELECT entries FROM subprocessor_versions WHERE number = 1`); err != nil {
		t.Fatal(err)
	}
	tamper(t, dbPath, `UPDATE subprocessor_versions SET entries = replace(entries, 'United States', 'Ireland') WHERE number = 1`)
	site = start()
	if code, out, _ := steward(t, elsewhere, "", "log", "verify", site); code != 1 || !strings.Contains(out, "version 1 of the subprocessor register was changed") {
		t.Fatalf("verify after the register was rewritten: %d %q", code, out)
	}
	if _, err := d.Exec(d.Rebind(`UPDATE subprocessor_versions SET entries = ? WHERE number = 1`), entries); err != nil {
		t.Fatal(err)
	}

	// A rogue database user rewrites version 1 of the privacy policy.
	tamper(t, dbPath, `DROP TRIGGER policy_versions_published_no_update`,
		`UPDATE policy_versions SET body_md = body_md || ' We may sell your data.' WHERE number = 1 AND policy_id = (SELECT id FROM policies WHERE slug = 'privacy')`)
	site = start()
	code, out, _ = steward(t, elsewhere, "", "log", "verify", site)
	if code != 1 || !strings.Contains(out, "privacy version 1 was changed after it was published") {
		t.Fatalf("verify after a rewrite: %d %q", code, out)
	}

	// And the log rewritten to match: the saved checkpoint catches it.
	var leaf translog.Leaf
	if err := d.Get(&leaf, `SELECT idx, kind, ref, data, added_at FROM translog_leaves WHERE ref = 'privacy/v1'`); err != nil {
		t.Fatal(err)
	}
	var bodyMD string
	if err := d.Get(&bodyMD, `SELECT body_md FROM policy_versions WHERE number = 1 AND policy_id = (SELECT id FROM policies WHERE slug = 'privacy')`); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(bodyMD))
	newData := strings.Replace(leaf.Data, leaf.Data[strings.Index(leaf.Data, "body-sha256 "):], "body-sha256 "+hex.EncodeToString(sum[:])+"\n", 1)
	newLeaf := translog.Leaf{Data: newData}
	tamper(t, dbPath, `UPDATE translog_leaves SET data = '`+newData+`', leaf_hash = '`+hex.EncodeToString(newLeaf.Hash())+`' WHERE ref = 'privacy/v1'`)
	site = start()
	if code, out, _ := steward(t, elsewhere, "", "log", "verify", site); code != 0 {
		t.Logf("without a kept checkpoint the rewrite is not provable: %q", out)
	}
	code, out, _ = steward(t, elsewhere, "", "log", "verify", site, "--checkpoint", saved)
	if code != 1 || !strings.Contains(out, "the log was rewritten") {
		t.Fatalf("verify --checkpoint after the log was rewritten: %d %q", code, out)
	}
}

// TestEvidencePackCommands builds a pack from the command line and checks
// it; a pack with one byte changed fails, naming the file.
func TestEvidencePackCommands(t *testing.T) {
	env, _ := demoInstall(t)
	out := filepath.Join(t.TempDir(), "pack.zip")
	if code, stdout, stderr := steward(t, env, "", "evidence", "pack", "--as-of", "2026-11-30", "--out", out); code != 0 || !strings.Contains(stdout, "wrote the evidence pack as of 2026-11-30") {
		t.Fatalf("pack: %d %q %q", code, stdout, stderr)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	k, err := translog.LoadKeyFile(cfg.LogKeyFile, "unused")
	if err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := steward(t, nil, "", "evidence", "verify", out, "--key", k.Public); code != 0 || !strings.HasPrefix(stdout, "PASS: all") {
		t.Fatalf("verify: %d %q", code, stdout)
	}
	b, _ := os.ReadFile(out)
	i := strings.Index(string(b), "requirements.csv")
	i = strings.Index(string(b[i+len("requirements.csv"):]), "\n") + i + len("requirements.csv") + 5 // inside the file's data
	b[i] ^= 0x20
	bad := filepath.Join(t.TempDir(), "bad.zip")
	os.WriteFile(bad, b, 0o644)
	if code, stdout, _ := steward(t, nil, "", "evidence", "verify", bad); code != 1 || !strings.Contains(stdout, "FAIL") {
		t.Fatalf("verify a changed pack: %d %q", code, stdout)
	}
	if code, _, stderr := steward(t, env, "", "evidence", "pack", "--as-of", "2999-01-01", "--out", filepath.Join(t.TempDir(), "x.zip")); code != 2 || !strings.Contains(stderr, "--as-of") {
		t.Fatalf("a future day: %d %q", code, stderr)
	}
}
