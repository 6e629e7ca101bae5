package evidencepack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/browsertest"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/demo"
	"steward/internal/evidencepack"
	"steward/internal/mail"
	"steward/internal/people"
	"steward/internal/reports"
	"steward/internal/translog"
	"steward/policies"
)

var start = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Stop()
	os.Exit(code)
}

func build(t *testing.T, d *db.DB, asOf time.Time) ([]byte, *translog.Log) {
	t.Helper()
	ctx := context.Background()
	k, err := translog.NewKey("policies.example.com/steward-log")
	if err != nil {
		t.Fatal(err)
	}
	l, err := translog.Open(d, k)
	if err != nil {
		t.Fatal(err)
	}
	src := evidencepack.Sources{DB: d, People: people.NewStore(d), Courses: courses.NewStore(d),
		Policies: policies.NewStore(d, nil), Reports: reports.New(d, 5, 365), Log: l}
	var buf bytes.Buffer
	if err := evidencepack.Build(ctx, src, evidencepack.Request{AsOf: asOf, GeneratedAt: start.Add(time.Hour), GeneratedBy: "Omar Haddad <auditor@example.com>"}, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), l
}

func seeded(t *testing.T) *db.DB {
	t.Helper()
	d := dbtest.Open(t)
	if _, err := demo.Seed(context.Background(), d, start, demo.Options{BcryptCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	return d
}

func files(t *testing.T, pack []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		out[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}

// TestPackHoldsTheRecordsAndVerifies: a pack as of the demo's day holds
// what an auditor asks for, verifies with the installation's key, and its
// summary's counts are those of its own requirements.csv.
func TestPackHoldsTheRecordsAndVerifies(t *testing.T) {
	d := seeded(t)
	asOf := start.Truncate(24 * time.Hour).Add(24*time.Hour - time.Nanosecond)
	pack, l := build(t, d, asOf)
	res, err := evidencepack.Verify(pack, l.PublicKey())
	if err != nil {
		t.Fatalf("a fresh pack does not verify: %v", err)
	}
	if res.AsOf != "2026-11-28" || res.Origin != "policies.example.com/steward-log" {
		t.Errorf("result %+v", res)
	}
	fs := files(t, pack)
	for _, want := range []string{"manifest.json", "manifest.sig", "verify.html", "summary.html", "controls.json", "rules.json",
		"roster.csv", "requirements.csv", "requirements.json", "policies/governance.csv", "reminders.csv", "exemptions.csv", "audit/entries.csv", "audit/checkpoint.txt",
		"courses/responsible-use-of-customer-data/course.yaml", "policies/privacy/v1.md", "policies/staff-privacy-notice/v1.md"} {
		if _, ok := fs[want]; !ok {
			t.Errorf("the pack lacks %s", want)
		}
	}
	// Approvals and reviews: the demo's second admin approved what the
	// first wrote, and reviewed the privacy policy without changing it.
	gov := string(fs["policies/governance.csv"])
	for _, want := range []string{"policy,at,event,version,who,content_sha256,detail",
		",approved,3,Zuri Adebayo <privacy.lead@example.com>,", ",submitted,3,Priya Raman <admin@example.com>,",
		"reviewed-no-change,,Zuri Adebayo <privacy.lead@example.com>,,Checked against this year's processing register"} {
		if !strings.Contains(gov, want) {
			t.Errorf("governance.csv lacks %q:\n%s", want, gov)
		}
	}
	controls := string(fs["controls.json"])
	for _, c := range []string{"CC1.4", "CC2.2", "A.6.3", "Art. 39(1)(b)", "164.308(a)(5)(i)", "PR.AT-01", `"14"`} {
		if !strings.Contains(controls, c) {
			t.Errorf("controls.json lacks %s", c)
		}
	}
	// The summary's table against the rows of requirements.csv.
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(fs["requirements.csv"], []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	overdue := 0
	for _, r := range rows[1:] {
		if r[8] == "overdue" {
			overdue++
		}
	}
	if overdue == 0 {
		t.Fatal("the demo has nobody overdue to count")
	}
	summary := string(fs["summary.html"])
	if !strings.Contains(summary, "Training and acknowledgement evidence as of 2026-11-28") || !strings.Contains(summary, "<th scope=\"col\" class=\"num\">overdue</th>") {
		t.Errorf("summary: %.400s", summary)
	}
	if n := strings.Count(string(fs["roster.csv"]), "\n") - 1; n < 20 {
		t.Errorf("the roster has %d people", n)
	}
	if _, err := evidencepack.Verify(pack, mustOtherKey(t)); err == nil {
		t.Error("the pack verifies with another installation's key")
	}
}

func mustOtherKey(t *testing.T) string {
	k, err := translog.NewKey("policies.example.com/steward-log")
	if err != nil {
		t.Fatal(err)
	}
	return k.Public
}

// mutate flips one random byte of one random file of the pack and zips it
// again, as someone editing the extracted files would.
func mutate(t *testing.T, pack []byte, rng *rand.Rand) ([]byte, string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	if err != nil {
		t.Fatal(err)
	}
	victim := zr.File[rng.IntN(len(zr.File))].Name
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == victim && len(b) > 0 {
			b = append([]byte(nil), b...)
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store, Modified: f.Modified})
		w.Write(b)
	}
	zw.Close()
	return buf.Bytes(), victim
}

// TestEveryChangeIsCaught changes random bytes of random files 150 times;
// Verify must refuse every one, naming the changed file or the signature.
func TestEveryChangeIsCaught(t *testing.T) {
	d := seeded(t)
	pack, l := build(t, d, start)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 150; i++ {
		bad, victim := mutate(t, pack, rng)
		_, err := evidencepack.Verify(bad, l.PublicKey())
		if err == nil {
			t.Fatalf("mutation %d of %s went unnoticed", i, victim)
		}
		if !strings.Contains(err.Error(), victim) && !strings.Contains(err.Error(), "manifest") {
			t.Errorf("mutation %d of %s reported as %v", i, victim, err)
		}
	}
}

// TestVerifyHTMLInChromium opens the pack's own verify.html from disk in
// Chromium, with no server, and gives it the pack: PASS; then 100 packs
// with one changed byte each: FAIL every time, naming the file.
func TestVerifyHTMLInChromium(t *testing.T) {
	d := seeded(t)
	pack, _ := build(t, d, start)
	dir := t.TempDir()
	page := filepath.Join(dir, "verify.html")
	if err := os.WriteFile(page, files(t, pack)["verify.html"], 0o644); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t)
	tab := b.Tab(t)
	check := func(name string, zipBytes []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, zipBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.ID("pack")),
			chromedp.SetUploadFiles(chromedp.ID("pack"), []string{path}),
			chromedp.WaitVisible(chromedp.CSS(`#result[data-outcome]`))); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("result")))
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	if got := check("pack.zip", pack); !strings.HasPrefix(got, "PASS: all") {
		t.Fatalf("the sound pack: %q", got)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100; i++ {
		bad, victim := mutate(t, pack, rng)
		got := check("bad.zip", bad)
		if !strings.HasPrefix(got, "FAIL: ") || !(strings.Contains(got, victim) || strings.Contains(got, "manifest")) {
			t.Fatalf("mutation %d of %s: %q", i, victim, got)
		}
	}
	for _, problem := range browsertest.ValidateHTML(t, map[string]string{"verify": string(files(t, pack)["verify.html"]), "summary": string(files(t, pack)["summary.html"])}) {
		t.Error(problem)
	}
}

// BenchmarkBuild builds the demo organisation's pack. For the 10,000-person
// organisation with three years of history, measure the command:
// `steward demo --people 10000` then `/usr/bin/time -v steward evidence pack --out p.zip`.
func BenchmarkBuild(b *testing.B) {
	d := dbtest.Open(b)
	if _, err := demo.Seed(context.Background(), d, start, demo.Options{BcryptCost: bcrypt.MinCost}); err != nil {
		b.Fatal(err)
	}
	k, _ := translog.NewKey("policies.example.com/steward-log")
	l, _ := translog.Open(d, k)
	src := evidencepack.Sources{DB: d, People: people.NewStore(d), Courses: courses.NewStore(d),
		Policies: policies.NewStore(d, nil), Reports: reports.New(d, 5, 365), Log: l}
	b.ReportAllocs()
	for b.Loop() {
		if err := evidencepack.Build(context.Background(), src, evidencepack.Request{AsOf: start, GeneratedAt: start}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPackCarriesTheShortNoticeReason: a version published at short notice
// carries its public reason in the pack's copy of it.
func TestPackCarriesTheShortNoticeReason(t *testing.T) {
	d := seeded(t)
	ctx := context.Background()
	r, err := mail.NewRenderer("https://policies.example.com")
	if err != nil {
		t.Fatal(err)
	}
	ps := policies.NewStore(d, r)
	if _, err := ps.SaveDraft(ctx, "privacy", policies.DraftInput{Body: "# Privacy\n\nWe keep nothing.", Summary: "Nothing kept.",
		ChangeKind: policies.Material}, audit.System, start); err != nil {
		t.Fatal(err)
	}
	if err := ps.SetFourEyes(ctx, "privacy", false, "One admin in this test.", audit.System, start); err != nil {
		t.Fatal(err)
	}
	reason := "The regulator's order of 27 November."
	if _, _, err := ps.Publish(ctx, "privacy", policies.PublishInput{Kind: policies.Material, ShortNoticeReason: reason}, audit.System, start); err != nil {
		t.Fatal(err)
	}
	pack, _ := build(t, d, start.Add(2*time.Hour))
	fs := files(t, pack)
	found := false
	for name, body := range fs {
		if strings.HasPrefix(name, "policies/privacy/") && strings.Contains(string(body), "# Privacy\n\nWe keep nothing.") {
			found = true
			if !strings.Contains(string(body), `short_notice_reason: "`+reason+`"`) {
				t.Errorf("%s lacks the reason:\n%.500s", name, body)
			}
		} else if strings.HasPrefix(name, "policies/") && strings.Contains(string(body), "short_notice_reason") {
			t.Errorf("%s, published with full notice, carries a reason", name)
		}
	}
	if !found {
		t.Fatal("the pack lacks the version published at short notice")
	}
}
