package policies

import (
	"context"
	"errors"
	"testing"

	"steward/internal/audit"
	"steward/internal/db"
)

func TestTranslationsFollowTheirVersion(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		by := audit.Actor{Label: "test"}
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy policy", Audience: Public})
		publishVersion(t, s, "privacy", "# Privacy\n\nWe keep little.\n", Material, day(0), day(0))
		de := TranslationInput{Language: "DE", Title: "Datenschutzerklärung", Body: "# Datenschutz\n\nWir speichern wenig.\n",
			Summary: "Erste Fassung", KeyPoints: []string{"Wenig Daten"}}
		tr, err := s.Translate(ctx, "privacy", 1, de, by, day(1))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Language != "de" || tr.Number != 1 || tr.SHA256 != Hash(tr.BodyMD) {
			t.Fatalf("translation %+v", tr)
		}
		tl, err := s.Timeline(ctx, "privacy")
		if err != nil {
			t.Fatal(err)
		}
		if got := tl.Languages(); len(got) != 2 || got[0] != "en" || got[1] != "de" {
			t.Fatalf("languages %v, want [en de]", got)
		}
		if lags := tl.Lags(day(2)); len(lags) != 1 || lags[0].Lagging() {
			t.Fatalf("lags before v2: %+v", lags)
		}

		// The English text changes: the German is of version 1 and lags.
		publishVersion(t, s, "privacy", "# Privacy\n\nWe keep less.\n", Material, day(10), day(10))
		tl, err = s.Timeline(ctx, "privacy")
		if err != nil {
			t.Fatal(err)
		}
		shown, ok := tl.TranslationFor("de", 2)
		if !ok || shown.Number != 1 || shown.Title != "Datenschutzerklärung" {
			t.Fatalf("German for version 2: %+v %v, want the translation of version 1", shown, ok)
		}
		if _, ok := tl.TranslationOf("de", 2); ok {
			t.Fatal("version 2 has a German translation nobody made")
		}
		lags, err := s.Lags(ctx, day(11))
		if err != nil || len(lags) != 1 || !lags[0].Lagging() || lags[0].Translated != 1 || lags[0].Current != 2 {
			t.Fatalf("lags %+v %v, want German at 1 behind 2", lags, err)
		}

		// Translating version 2 catches up; correcting it replaces it.
		de.Body = "# Datenschutz\n\nWir speichern weniger.\n"
		if _, err := s.Translate(ctx, "privacy", 2, de, by, day(12)); err != nil {
			t.Fatal(err)
		}
		de.Title = "Datenschutzhinweise"
		if _, err := s.Translate(ctx, "privacy", 2, de, by, day(13)); err != nil {
			t.Fatal(err)
		}
		tl, _ = s.Timeline(ctx, "privacy")
		if got, ok := tl.TranslationOf("de", 2); !ok || got.Title != "Datenschutzhinweise" || len(tl.Translations) != 2 {
			t.Fatalf("after correcting: %+v, %d translations", got, len(tl.Translations))
		}
		if lags := tl.Lags(day(14)); len(lags) != 1 || lags[0].Lagging() {
			t.Fatalf("lags after translating v2: %+v", lags)
		}
		var audited int
		if err := d.Get(&audited, `SELECT COUNT(*) FROM audit_log WHERE action = 'policy.translate'`); err != nil || audited != 3 {
			t.Errorf("%d translations audited, want 3 (%v)", audited, err)
		}

		for name, tc := range map[string]struct {
			number int
			in     TranslationInput
			field  string
			err    error
		}{
			"its own language":   {1, TranslationInput{Language: "en", Title: "x", Body: "x"}, "language", nil},
			"not a language":     {1, TranslationInput{Language: "deutsch!", Title: "x", Body: "x"}, "language", nil},
			"no title":           {1, TranslationInput{Language: "fr", Body: "x"}, "title", nil},
			"no text":            {1, TranslationInput{Language: "fr", Title: "x"}, "body", nil},
			"an unknown version": {7, TranslationInput{Language: "fr", Title: "x", Body: "x"}, "", ErrNotFound},
		} {
			_, err := s.Translate(ctx, "privacy", tc.number, tc.in, by, day(20))
			var ve *ValidationError
			switch {
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Errorf("%s: %v, want %v", name, err, tc.err)
			case tc.field != "" && (!errors.As(err, &ve) || ve.Fields[tc.field] == ""):
				t.Errorf("%s: %v, want a message for %s", name, err, tc.field)
			}
		}
	})
}

func TestAcknowledgementRecordsTheLanguageShown(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		ann := addUser(t, d, "ann@example.com", true, day(-300))
		bob := addUser(t, d, "bob@example.com", true, day(-300))
		cy := addUser(t, d, "cy@example.com", true, day(-300))
		mustCreate(t, s, Settings{Slug: "aup", Title: "Acceptable use", Audience: Staff, RequiresAck: true, AckWithinDays: 14})
		publishVersion(t, s, "aup", "Be kind.", Material, day(0), day(0))
		if _, err := s.Translate(ctx, "aup", 1, TranslationInput{Language: "de", Title: "Nutzung", Body: "Seien Sie freundlich."},
			audit.Actor{Label: "test"}, day(1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcknowledgeIn(ctx, ann, "aup", 1, "de", day(2)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Acknowledge(ctx, bob, "aup", 1, day(2)); err != nil {
			t.Fatal(err)
		}
		var ve *ValidationError
		if _, err := s.AcknowledgeIn(ctx, cy, "aup", 1, "fr", day(2)); !errors.As(err, &ve) {
			t.Errorf("acknowledging a translation that does not exist: %v", err)
		}
		for who, want := range map[int64]string{ann: "de", bob: "en"} {
			acks, err := s.Acknowledgements(ctx, who)
			if err != nil || len(acks) != 1 || acks[0].Language != want {
				t.Errorf("acknowledgements of %d: %+v %v, want language %s", who, acks, err, want)
			}
		}
	})
}
