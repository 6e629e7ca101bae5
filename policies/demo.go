package policies

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/people"
)

// DemoFS holds the demo organisation's policies as policy files,
// SLUG/vN.md, in the format that `steward policies export` writes.
//
//go:embed demo
var DemoFS embed.FS

// DemoOrganisation is the demo company's organisation settings: its
// branding, and the company facts the demo policies name as {{org.KEY}}.
func DemoOrganisation() map[string]string {
	return map[string]string{
		"name":               "Brightloop Ltd",
		"contact":            "privacy@brightloop.example",
		"accent":             "#1f4e8c",
		"footer_links":       "Brightloop | https://brightloop.example\nService status | https://status.brightloop.example",
		"privacy_contact":    "privacy@brightloop.example, or by post to Brightloop Ltd., 14 Harbour Street, Bristol BS1 4QA, United Kingdom",
		"dpo":                "Hannah Okafor, Data Protection Officer, dpo@brightloop.example",
		"eu_representative":  "Brightloop EU Representative, c/o Example Representation Services, 1 Example Quay, Dublin 2, Ireland, eu-rep@brightloop.example",
		"uk_representative":  "none needed: Brightloop Ltd. is established in the United Kingdom",
		"transfer_mechanism": "the EU standard contractual clauses with the UK Addendum",
		"breach_contact":     "security@brightloop.example, or the on-call line on extension 999, at once",
		"processor_notice":   "24 hours",
		"complaints":         "write to privacy@brightloop.example first; you may also complain to the Information Commissioner's Office (ico.org.uk) or to the data protection authority where you live in the EU",
	}
}

// seedDemoOrganisation gives every organisation setting that has no value
// yet the demo company's, so that the demo policies can be published.
func (s *Store) seedDemoOrganisation(ctx context.Context, now time.Time) error {
	current, err := s.org.Load(ctx)
	if err != nil {
		return err
	}
	raw := map[string]string{}
	for k, v := range current.Values {
		raw[k] = v
	}
	for k, v := range DemoOrganisation() {
		if raw[k] == "" {
			raw[k] = v
		}
	}
	if _, err := s.org.Save(ctx, raw, audit.Actor{Label: "demo"}, now); err != nil {
		return fmt.Errorf("policies: demo organisation: %w", err)
	}
	return nil
}

// SeedDemo publishes the demo policies with their past effective dates,
// after giving the organisation settings they name the demo company's
// values where none is set, each version drafted by the first admin and
// approved by the second; then names the policies' owners and approvers
// and records a review. It can run again: versions already there are left
// alone.
func SeedDemo(ctx context.Context, s *Store, now time.Time) error {
	if err := s.seedDemoOrganisation(ctx, now); err != nil {
		return err
	}
	files, err := demoFiles()
	if err != nil {
		return err
	}
	admins, err := s.demoAdmins(ctx)
	if err != nil {
		return err
	}
	for _, name := range files {
		data, err := fs.ReadFile(DemoFS, name)
		if err != nil {
			return fmt.Errorf("policies: demo: %w", err)
		}
		f, err := ParseFile(name, data)
		if err != nil {
			return fmt.Errorf("policies: demo: %w", err)
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path.Base(name), "v"), ".md"))
		if t, err := s.Timeline(ctx, f.Settings.Slug); err == nil {
			if v, ok := t.Version(n); ok {
				frozen, err := s.freeze(ctx, s.db, f.Body)
				if err != nil {
					return fmt.Errorf("policies: demo: %s: %w", name, err)
				}
				if v.SHA256 != Hash(frozen) {
					return fmt.Errorf("policies: demo: %s: version %d already exists with other text", name, n)
				}
				continue
			}
		}
		// The demo pretends each version was published with the full
		// notice period ahead of its effective date, as the notice rule
		// asks of a material change.
		at := now
		if notice := f.Effective.AddDate(0, 0, -s.noticeDays); !f.Effective.IsZero() && notice.Before(now) {
			at = notice
		}
		if err := s.demoPublish(ctx, f, admins, at); err != nil {
			return fmt.Errorf("policies: demo: %s: %w", name, err)
		}
	}
	return s.demoGovernance(ctx, admins, now)
}

// demoAdmins returns the first two active admins, who write and approve
// the demo's versions.
func (s *Store) demoAdmins(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(`SELECT id FROM users WHERE role = ? AND active = TRUE ORDER BY id LIMIT 2`),
		people.RoleAdmin); err != nil {
		return nil, fmt.Errorf("policies: demo admins: %w", err)
	}
	return ids, nil
}

// demoPublish publishes a demo file as a real one is: drafted by one
// admin, approved by another the day before. With fewer than two admins
// (a database with no people yet) four-eyes approval is turned off for the
// policy, and says why.
func (s *Store) demoPublish(ctx context.Context, f File, admins []int64, at time.Time) error {
	demo := audit.Actor{Label: "demo"}
	if len(admins) < 2 {
		if _, _, err := s.DraftFile(ctx, f, demo, at.Add(-48*time.Hour)); err != nil {
			return err
		}
		if err := s.SetFourEyes(ctx, f.Settings.Slug, false, "demo data loaded before a second admin existed", demo, at.Add(-48*time.Hour)); err != nil {
			return err
		}
		_, err := s.PublishFile(ctx, f, demo, at)
		return err
	}
	author, approver := audit.UserActor(admins[0]), audit.UserActor(admins[1])
	if _, _, err := s.DraftFile(ctx, f, author, at.Add(-48*time.Hour)); err != nil {
		return err
	}
	if err := s.Submit(ctx, f.Settings.Slug, author, at.Add(-47*time.Hour)); err != nil {
		return err
	}
	if err := s.Approve(ctx, f.Settings.Slug, "Read against the processing register; approved.", approver, at.Add(-24*time.Hour)); err != nil {
		return err
	}
	_, err := s.PublishFile(ctx, f, author, at)
	return err
}

// demoGovernance names owners and approvers of the demo policies and
// records a review that changed nothing, once.
func (s *Store) demoGovernance(ctx context.Context, admins []int64, now time.Time) error {
	if len(admins) < 2 {
		return nil
	}
	ps, err := s.Policies(ctx, "")
	if err != nil {
		return err
	}
	for i, p := range ps {
		owner := admins[i%2]
		if err := s.SetGovernance(ctx, p.Slug, GovernanceInput{OwnerID: &owner, Approvers: admins, ReviewMonths: 12}, audit.Actor{Label: "demo"}, now); err != nil {
			return err
		}
	}
	reviews, err := s.Reviews(ctx, "privacy", now)
	if err != nil {
		return err
	}
	for _, r := range reviews {
		if r.Version == 0 {
			return nil
		}
	}
	return s.RecordReview(ctx, "privacy", "Checked against this year's processing register and subprocessor list: nothing to change.",
		audit.UserActor(admins[1]), now.AddDate(0, 0, -20))
}

// demoFiles lists the demo files, each policy's versions in number order.
func demoFiles() ([]string, error) {
	var files []string
	err := fs.WalkDir(DemoFS, "demo", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policies: demo: %w", err)
	}
	num := func(p string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path.Base(p), "v"), ".md"))
		return n
	}
	sort.Slice(files, func(i, j int) bool {
		di, dj := path.Dir(files[i]), path.Dir(files[j])
		if di != dj {
			return di < dj
		}
		return num(files[i]) < num(files[j])
	})
	return files, nil
}
