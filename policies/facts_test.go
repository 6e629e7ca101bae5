package policies

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/org"
)

// TestPublishFreezesOrganisationFacts: a publication writes the facts its
// text names into the version (Markdown, HTML and hash), refuses while one
// is unset, and keeps the text as written for the next draft.
func TestPublishFreezesOrganisationFacts(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		actor := audit.Actor{Label: "test"}
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})

		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: "Ask {{org.ceo}}.", Summary: "x", ChangeKind: Material}, actor, t0); err == nil ||
			!strings.Contains(err.Error(), "{{org.ceo}}") {
			t.Fatalf("a draft naming an unknown key: %v", err)
		}
		source := "# Privacy\n\nTransfers rely on {{org.transfer_mechanism}}; ask {{org.dpo}}.\n"
		if _, err := s.SaveDraft(ctx, "privacy", DraftInput{Body: source, Summary: "First", ChangeKind: Material}, actor, t0); err != nil {
			t.Fatal(err)
		}
		settings := org.NewStore(d, nil)
		if _, err := settings.Save(ctx, map[string]string{"dpo": "Hannah Okafor"}, actor, t0); err != nil {
			t.Fatal(err)
		}
		approveDraft(t, s, "privacy", t0)
		_, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Material}, actor, t0)
		var ve *ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Fields["body"], "not set yet: transfer mechanism.") {
			t.Fatalf("publish with an unset fact = %v", err)
		}
		if _, err := settings.Save(ctx, map[string]string{"dpo": "Hannah Okafor", "transfer_mechanism": "EU SCCs with the UK Addendum"}, actor, t0); err != nil {
			t.Fatal(err)
		}
		v, _, err := s.Publish(ctx, "privacy", PublishInput{Kind: Material}, actor, t0)
		if err != nil {
			t.Fatal(err)
		}
		want := "# Privacy\n\nTransfers rely on EU SCCs with the UK Addendum; ask Hannah Okafor.\n"
		if v.BodyMD != want || v.SHA256 != Hash(want) || !strings.Contains(v.BodyHTML, "rely on EU SCCs with the UK Addendum; ask Hannah Okafor.") {
			t.Errorf("published %q (%s)\n%s", v.BodyMD, v.SHA256, v.BodyHTML)
		}
		_, versions, err := s.Versions(ctx, "privacy")
		if err != nil {
			t.Fatal(err)
		}
		if got := versions[len(versions)-1].SourceMD; got != source {
			t.Errorf("source kept = %q, want %q", got, source)
		}

		// Policy as code: the same file with placeholders, published
		// again, is identical to what is published; with a fact changed
		// since, it is a new version.
		f, err := ParseFile("privacy.md", []byte("---\nslug: privacy\ntitle: Privacy policy\naudience: public\nsummary: Again\nchange: minor\n---\n\n"+source))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := s.PublishFile(ctx, f, actor, t0.Add(time.Hour)); err != nil || res.Published {
			t.Fatalf("the same file again: %+v, %v", res, err)
		}
		if _, err := settings.Save(ctx, map[string]string{"dpo": "Dana Reyes", "transfer_mechanism": "EU SCCs with the UK Addendum"}, actor, t0); err != nil {
			t.Fatal(err)
		}
		approveFile(t, s, f, t0.Add(2*time.Hour))
		res, err := s.PublishFile(ctx, f, actor, t0.Add(2*time.Hour))
		if err != nil || !res.Published || !strings.Contains(res.Version.BodyMD, "ask Dana Reyes.") {
			t.Fatalf("after the DPO changed: %+v, %v", res, err)
		}
	})
}

// TestSeedDemoFillsOnlyUnsetSettings: the demo gives the organisation the
// demo company's settings where none is set, and keeps what an admin set.
func TestSeedDemoFillsOnlyUnsetSettings(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		settings := org.NewStore(d, nil)
		if _, err := settings.Save(ctx, map[string]string{"dpo": "Dana Reyes"}, audit.Actor{Label: "test"}, t0); err != nil {
			t.Fatal(err)
		}
		for range 2 { // it can run again
			if err := SeedDemo(ctx, s, t0); err != nil {
				t.Fatal(err)
			}
		}
		st, err := settings.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Fact(org.DPO) != "Dana Reyes" || st.Name() != "Brightloop Ltd" || st.Fact(org.ProcessorNotice) != "24 hours" {
			t.Errorf("after the demo: %q", st.Values)
		}
	})
}
