package policies

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
)

const goodFile = `---
slug: privacy                    # lowercase letters, digits, hyphens
title: Privacy policy
audience: public
summary: Explains how long we keep support tickets.
key_points:
  - Tickets are deleted after a year and a half.
  - We never sell your data.
change: material
effective: 2026-12-01
---

# Privacy policy

We keep support tickets for 18 months.
`

func TestParseFile(t *testing.T) {
	f, err := ParseFile("privacy.md", []byte(goodFile))
	if err != nil {
		t.Fatal(err)
	}
	if f.Settings.Slug != "privacy" || f.Settings.Audience != Public || f.Change != Material ||
		!f.Effective.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !strings.HasPrefix(f.Body, "# Privacy policy\n") {
		t.Errorf("parsed %+v", f)
	}
	rfc, err := ParseFile("p.md", []byte(strings.Replace(goodFile, "2026-12-01", "2026-12-01T09:30:00+01:00", 1)))
	if err != nil || !rfc.Effective.Equal(time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("RFC 3339 effective: %v %v", rfc.Effective, err)
	}

	bad := []struct {
		name, from, to, field string
	}{
		{"no front matter", "---\nslug", "slug", "front matter"},
		{"unclosed", "\n---\n\n# Privacy", "\n\n# Privacy", "front matter"},
		{"broken yaml", "title: Privacy policy", "title: [Privacy", "front matter"},
		{"bad slug", "slug: privacy ", "slug: Privacy_Policy ", "slug"},
		{"missing title", "title: Privacy policy\n", "", "title"},
		{"bad audience", "audience: public", "audience: customers", "audience"},
		{"bad change", "change: material", "change: big", "change"},
		{"missing summary", "summary: Explains how long we keep support tickets.\n", "", "summary"},
		{"bad date", "effective: 2026-12-01", "effective: next tuesday", "effective"},
		{"unknown field", "change: material", "change: material\nowner: legal", "owner"},
		{"ack on public", "change: material", "change: material\nacknowledge: true\nacknowledge_within_days: 14", "acknowledge"},
		{"ack days text", "change: material", "change: material\nacknowledge_within_days: soon", "acknowledge_within_days"},
		{"key points not a list", "key_points:\n  - Tickets are deleted after a year and a half.\n  - We never sell your data.\n", "key_points: We never sell\n", "key_points"},
		{"key point not text", "  - We never sell your data.", "  - [1, 2]", "key_points"},
		{"key point too long", "  - We never sell your data.", "  - " + strings.Repeat("long ", 70), "key_points"},
		{"key point with a control character", "  - We never sell your data.", `  - "bell \a here"`, "key_points"},
		{"too many key points", "  - We never sell your data.", strings.Repeat("  - again\n", 8) + "  - last", "key_points"},
		{"duplicate heading id", "# Privacy policy\n", "# Privacy policy {#tickets}\n\n## Tickets {#tickets}\n", "body"},
		{"bad heading id", "# Privacy policy\n", "# Privacy policy {#Privacy}\n", "body"},
		{"empty body", "\n# Privacy policy\n\nWe keep support tickets for 18 months.\n", "\n", "body"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(goodFile, c.from, c.to, 1)
			if src == goodFile {
				t.Fatalf("test case does not change the file")
			}
			_, err := ParseFile("policies/privacy.md", []byte(src))
			var fe *FileError
			if !errors.As(err, &fe) || fe.Fields[c.field] == "" {
				t.Fatalf("err = %v, want a message for field %s", err, c.field)
			}
			if !strings.HasPrefix(err.Error(), "policies/privacy.md: ") || !strings.Contains(err.Error(), c.field) {
				t.Errorf("message %q does not name the file and the field", err)
			}
		})
	}
}

func TestPublishFileAndExport(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		f, err := ParseFile("privacy.md", []byte(goodFile))
		if err != nil {
			t.Fatal(err)
		}
		approveFile(t, s, f, now)
		res, err := s.PublishFile(ctx, f, audit.CLI, now)
		if err != nil || !res.Published || res.Version.Number != 1 {
			t.Fatalf("first publish: %+v %v", res, err)
		}
		if !strings.Contains(res.Message, "scheduled") {
			t.Errorf("a future effective date should say scheduled: %q", res.Message)
		}
		again, err := s.PublishFile(ctx, f, audit.CLI, now.Add(time.Hour))
		if err != nil || again.Published || !strings.Contains(again.Message, "identical") {
			t.Fatalf("identical file: %+v %v", again, err)
		}
		// Whitespace at line ends and CRLF do not make a new version either.
		crlf := strings.ReplaceAll(strings.Replace(goodFile, "18 months.", "18 months.   ", 1), "\n", "\r\n")
		f2, err := ParseFile("privacy-crlf.md", []byte(crlf))
		if err != nil {
			t.Fatal(err)
		}
		if r, err := s.PublishFile(ctx, f2, audit.CLI, now); err != nil || r.Published {
			t.Errorf("CRLF copy published a version: %+v %v", r, err)
		}
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM policy_versions`); err != nil || n != 1 {
			t.Fatalf("%d versions after no-op publishes", n)
		}

		// A later file may retitle; it may not move a public policy to staff.
		v2src := strings.Replace(strings.Replace(goodFile, "18 months", "12 months", 1), "title: Privacy policy", "title: Privacy notice", 1)
		// Three days after v1 it is material and owes 30 days' notice: the
		// file says why it gives less.
		v2src = strings.Replace(v2src, "change: material\n", "change: material\nshort_notice_reason: The regulator's order of 20 November.\n", 1)
		f3, _ := ParseFile("v2.md", []byte(v2src))
		approveFile(t, s, f3, now)
		r3, err := s.PublishFile(ctx, f3, audit.CLI, now)
		if err != nil || r3.Version.Number != 2 || r3.Policy.Title != "Privacy notice" ||
			r3.Version.ShortNoticeReason != "The regulator's order of 20 November." {
			t.Fatalf("second version: %+v %v", r3, err)
		}
		staffSrc := strings.Replace(strings.Replace(goodFile, "audience: public", "audience: staff", 1), "18 months", "6 months", 1)
		f4, _ := ParseFile("moved.md", []byte(staffSrc))
		_, err = s.PublishFile(ctx, f4, audit.CLI, now)
		var fe *FileError
		if !errors.As(err, &fe) || fe.Fields["audience"] == "" || fe.File != "moved.md" {
			t.Errorf("audience change: %v", err)
		}

		dir := t.TempDir()
		paths, err := s.Export(ctx, dir)
		if err != nil || len(paths) != 2 {
			t.Fatalf("export: %v %v", paths, err)
		}
		// Every exported file reads back as the version it came from.
		tl, _ := s.Timeline(ctx, "privacy")
		for _, v := range tl.Versions {
			p := filepath.Join(dir, "privacy", fmt.Sprintf("v%d.md", v.Number))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseFile(p, data)
			if err != nil {
				t.Fatalf("exported file does not parse: %v", err)
			}
			if Hash(back.Body) != v.SHA256 || back.Summary != v.Summary || back.Change != v.ChangeKind || !back.Effective.Equal(v.EffectiveAt) ||
				fmt.Sprint(back.KeyPoints) != "[Tickets are deleted after a year and a half. We never sell your data.]" {
				t.Errorf("round trip of v%d: %+v", v.Number, back)
			}
		}
	})
}

func TestSeedDemo(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		for i := 0; i < 2; i++ { // the second run changes nothing
			if err := SeedDemo(ctx, s, now); err != nil {
				t.Fatal(err)
			}
		}
		tl, err := s.Timeline(ctx, "privacy")
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Versions) != 3 || tl.Policy.Audience != Public {
			t.Fatalf("privacy has %d versions", len(tl.Versions))
		}
		kinds := []ChangeKind{tl.Versions[0].ChangeKind, tl.Versions[1].ChangeKind, tl.Versions[2].ChangeKind}
		if kinds[1] != Minor || kinds[2] != Material {
			t.Errorf("kinds %v: want v2 minor and v3 material", kinds)
		}
		if cur, ok := tl.InEffect(now); !ok || cur.Number != 3 {
			t.Errorf("in effect now: %d", cur.Number)
		}
		for _, v := range tl.Versions {
			if !v.EffectiveAt.Before(now) || v.PublishedAt.After(v.EffectiveAt) {
				t.Errorf("v%d effective %v published %v", v.Number, v.EffectiveAt, v.PublishedAt)
			}
		}
		if y := tl.Versions[0].EffectiveAt; y.Year() != 2025 || y.Month() != time.January {
			t.Errorf("v1 effective %v", y)
		}
		staff, err := s.Timeline(ctx, "acceptable-use-of-customer-data")
		if err != nil {
			t.Fatal(err)
		}
		if p := staff.Policy; p.Title != "Acceptable use of customer data" || p.Audience != Staff || !p.RequiresAck || p.AckWithinDays != 14 {
			t.Errorf("staff policy %+v", p)
		}
	})
}

func TestPublishFileNoOpAgainstInEffectAndScheduled(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		file := func(body, effective string) File {
			t.Helper()
			src := "---\nslug: privacy\ntitle: Privacy policy\nsummary: s\nchange: material\n"
			if effective != "" {
				src += "effective: " + effective + "\n"
			}
			f, err := ParseFile("p.md", []byte(src+"---\n"+body))
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		publishAt := func(f File, now time.Time) Result {
			t.Helper()
			approveFile(t, s, f, now)
			r, err := s.PublishFile(ctx, f, audit.CLI, now)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		publish := func(f File) Result { t.Helper(); return publishAt(f, now) }
		// Each published with the 30 days' notice a material change owes.
		publishAt(file("One.", "2026-01-01"), now.AddDate(-1, 0, 0))
		publishAt(file("Two.", "2026-06-01"), now.AddDate(0, -7, 0))
		publishAt(file("Three.", "2026-12-15"), now.AddDate(0, 0, -20)) // scheduled
		cases := []struct {
			body, effective string
			published       bool
		}{
			{"Two.", "", false},             // the version in effect
			{"Three.", "2026-12-15", false}, // the scheduled one
			{"One.", "2026-12-30", true},    // an older text, published again on purpose
		}
		for _, c := range cases {
			r := publish(file(c.body, c.effective))
			if r.Published != c.published {
				t.Errorf("%q: published %v (%s), want %v", c.body, r.Published, r.Message, c.published)
			}
		}
	})
}

// TestPublishFileKeepsTitleAndSettings: a file that changes only the
// title or settings updates them without a new version (it used to drop
// them), and says so; a date in the past is refused, naming the field.
func TestPublishFileKeepsTitleAndSettings(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		src := "---\nslug: conduct\ntitle: Code of conduct\naudience: staff\nsummary: First.\nchange: material\n" +
			"acknowledge: true\nacknowledge_within_days: 14\n---\n# Conduct\n\nBe kind.\n"
		f, err := ParseFile("conduct.md", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		approveFile(t, s, f, now)
		if _, err := s.PublishFile(ctx, f, audit.CLI, now); err != nil {
			t.Fatal(err)
		}
		renamed := strings.Replace(strings.Replace(src, "title: Code of conduct", "title: Staff code of conduct", 1),
			"acknowledge_within_days: 14", "acknowledge_within_days: 7", 1)
		f2, err := ParseFile("conduct.md", []byte(renamed))
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.PublishFile(ctx, f2, audit.CLI, now.Add(time.Hour))
		if err != nil || r.Published || !r.Updated || !strings.Contains(r.Message, `title "Staff code of conduct"`) ||
			!strings.Contains(r.Message, "acknowledge_within_days 7") {
			t.Fatalf("title and settings change = %+v, %v", r, err)
		}
		tl, err := s.Timeline(ctx, "conduct")
		if err != nil || tl.Policy.Title != "Staff code of conduct" || tl.Policy.AckWithinDays != 7 || len(tl.Versions) != 1 {
			t.Fatalf("after the update: %+v (%d versions), %v", tl.Policy, len(tl.Versions), err)
		}
		var audited int
		if err := d.Get(&audited, `SELECT COUNT(*) FROM audit_log WHERE action = 'policy.settings'`); err != nil || audited != 1 {
			t.Errorf("%d settings changes audited, want 1 (%v)", audited, err)
		}
		// The same file again changes nothing and records nothing.
		if r, err := s.PublishFile(ctx, f2, audit.CLI, now.Add(2*time.Hour)); err != nil || r.Updated || r.Published {
			t.Errorf("repeat = %+v, %v", r, err)
		}

		past := strings.Replace(strings.Replace(src, "Be kind.", "Be very kind.", 1), "change: material\n", "change: material\neffective: 2026-03-01\n", 1)
		f3, err := ParseFile("past.md", []byte(past))
		if err != nil {
			t.Fatal(err)
		}
		approveFile(t, s, f3, now)
		_, err = s.PublishFile(ctx, f3, audit.CLI, now)
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != "past.md" || !strings.Contains(fe.Fields["effective"], "2026-03-01T00:00:00Z is in the past") {
			t.Fatalf("a past effective date = %v", err)
		}
		if tl, _ := s.Timeline(ctx, "conduct"); len(tl.Versions) != 1 {
			t.Errorf("a refused file published: %d versions", len(tl.Versions))
		}
	})
}
