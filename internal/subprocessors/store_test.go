package subprocessors

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/mail"
)

// t0 is the domain clock of these tests: a fixed date, so they pass on any day.
var t0 = time.Date(2026, 3, 10, 15, 30, 0, 0, time.UTC)

var admin = audit.Actor{Label: "test"}

func eachDB(t *testing.T, fn func(t *testing.T, s *Store, d *db.DB)) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		r, err := mail.NewRenderer("https://steward.example.com")
		if err != nil {
			t.Fatal(err)
		}
		fn(t, NewStore(d, r, 30), d)
	})
}

func stripe() EntryInput {
	return EntryInput{Name: "Stripe", Purpose: "Payments", DataCategories: "Name, card details",
		Locations: "United States", TransferMechanism: "EU SCCs"}
}

func add(t *testing.T, s *Store, in EntryInput) Entry {
	t.Helper()
	e, err := s.SaveEntry(context.Background(), admin, 0, in, t0)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fieldErr(t *testing.T, err error, field string) {
	t.Helper()
	var v *ValidationError
	if !errors.As(err, &v) || v.Fields[field] == "" {
		t.Fatalf("want a message for %s, got %v", field, err)
	}
}

func TestFirstVersionNeedsNoNoticeLaterOnesDo(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		add(t, s, stripe())
		v1, err := s.Publish(ctx, admin, PublishInput{Summary: "Our register", Effective: "2026-03-10"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if v1.Number != 1 || len(v1.Entries) != 1 || SinceText(v1.Entries[0].Since) != "2026-03-10" {
			t.Fatalf("v1 = %+v", v1)
		}
		if _, err := s.Publish(ctx, admin, PublishInput{Summary: "again", Effective: "2026-04-20"}, t0); !errors.Is(err, ErrNothingToPublish) {
			t.Fatalf("publishing an unchanged draft: %v", err)
		}
		add(t, s, EntryInput{Name: "Postmark", Purpose: "Email delivery", DataCategories: "Email address",
			Locations: "United States", TransferMechanism: "EU SCCs", Since: "2026-04-09"})
		// 30 days after 10 March is 9 April: the 8th is too soon without a reason.
		_, err = s.Publish(ctx, admin, PublishInput{Summary: "Adding Postmark", Effective: "2026-04-08"}, t0)
		fieldErr(t, err, "effective")
		if vs, _ := s.Versions(ctx); len(vs) != 1 {
			t.Fatalf("a refused publication made a version: %d", len(vs))
		}
		_, err = s.Publish(ctx, admin, PublishInput{Summary: "Adding Postmark", Effective: "2026-03-09", Reason: "urgent"}, t0)
		fieldErr(t, err, "effective") // never into the past, reason or not
		v2, err := s.Publish(ctx, admin, PublishInput{Summary: "Adding Postmark", Effective: "2026-04-09"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if v2.ShortNoticeReason != "" {
			t.Fatalf("full notice carries a reason: %q", v2.ShortNoticeReason)
		}

		// A later change set never takes effect before the one scheduled.
		add(t, s, EntryInput{Name: "Acme", Purpose: "Analytics", DataCategories: "Visits",
			Locations: "Germany", TransferMechanism: "None needed (EEA)"})
		_, err = s.Publish(ctx, admin, PublishInput{Summary: "Acme", Effective: "2026-04-01", Reason: "urgent"}, t0)
		fieldErr(t, err, "effective")

		r, err := s.Register(ctx, t0.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if r.Current == nil || r.Current.Number != 1 || len(r.Upcoming) != 1 || r.Upcoming[0].Number != 2 {
			t.Fatalf("register before v2 takes effect: %+v", r)
		}
		r, _ = s.Register(ctx, time.Date(2026, 4, 9, 0, 0, 0, 0, time.UTC))
		if r.Current == nil || r.Current.Number != 2 || len(r.Upcoming) != 0 {
			t.Fatalf("register on v2's day: %+v", r)
		}
		c := Diff(v1.Entries, v2.Entries)
		if len(c.Added) != 1 || c.Added[0].Name != "Postmark" || len(c.Removed)+len(c.Changed) != 0 {
			t.Fatalf("redline v1→v2 = %+v", c)
		}
	})
}

func TestShorterNoticeWithAReasonIsPublished(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		e := add(t, s, stripe())
		if _, err := s.Publish(ctx, admin, PublishInput{Summary: "first", Effective: "2026-03-10"}, t0); err != nil {
			t.Fatal(err)
		}
		in := stripe()
		in.Locations = "United States, Ireland"
		if _, err := s.SaveEntry(ctx, admin, e.ID, in, t0); err != nil {
			t.Fatal(err)
		}
		v, err := s.Publish(ctx, admin, PublishInput{Summary: "Stripe moves", Effective: "2026-03-12",
			Reason: "Stripe moved our account at short notice"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Version(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got.ShortNoticeReason != "Stripe moved our account at short notice" || v.Number != 2 {
			t.Fatalf("version 2 = %+v", got)
		}
		v1, _ := s.Version(ctx, 1)
		c := Diff(v1.Entries, got.Entries)
		if len(c.Changed) != 1 || len(c.Changed[0].Fields) != 1 || c.Changed[0].Fields[0].Key != "locations" {
			t.Fatalf("redline = %+v", c)
		}
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM audit_log WHERE action = 'subprocessor.publish'`); err != nil || n != 2 {
			t.Fatalf("publish audit entries = %d, %v", n, err)
		}
	})
}

func TestRemovedEntryStaysInHistory(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		e := add(t, s, stripe())
		if _, err := s.Publish(ctx, admin, PublishInput{Summary: "first", Effective: "2026-03-10"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveEntry(ctx, admin, e.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveEntry(ctx, admin, e.ID, t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("removing twice: %v", err)
		}
		p, err := s.Pending(ctx)
		if err != nil || len(p.Removed) != 1 || p.Removed[0].Name != "Stripe" {
			t.Fatalf("pending = %+v, %v", p, err)
		}
		// A new entry never takes the removed one's identity.
		n := add(t, s, EntryInput{Name: "Adyen", Purpose: "Payments", DataCategories: "Card details",
			Locations: "Netherlands", TransferMechanism: "None needed (EEA)"})
		if n.ID == e.ID {
			t.Fatalf("new entry reused id %d", e.ID)
		}
		if _, err := s.Publish(ctx, admin, PublishInput{Summary: "Adyen replaces Stripe", Effective: "2026-05-01"}, t0); err != nil {
			t.Fatal(err)
		}
		v1, _ := s.Version(ctx, 1)
		if len(v1.Entries) != 1 || v1.Entries[0].Name != "Stripe" {
			t.Fatalf("version 1 changed: %+v", v1.Entries)
		}
	})
}

func TestBadEntriesChangeNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		add(t, s, stripe())
		cases := []struct {
			field string
			edit  func(*EntryInput)
		}{
			{"name", func(in *EntryInput) { in.Name = "  " }},
			{"name", func(in *EntryInput) { in.Name = "STRIPE" }},
			{"name", func(in *EntryInput) { in.Name = strings.Repeat("x", 201) }},
			{"name", func(in *EntryInput) { in.Name = "two\nlines" }},
			{"purpose", func(in *EntryInput) { in.Purpose = "bell\x07" }},
			{"since", func(in *EntryInput) { in.Since = "next week" }},
			{"transfer_mechanism", func(in *EntryInput) { in.TransferMechanism = "" }},
		}
		for _, c := range cases {
			in := stripe()
			c.edit(&in)
			_, err := s.SaveEntry(ctx, admin, 0, in, t0)
			fieldErr(t, err, c.field)
		}
		if _, err := s.SaveEntry(ctx, admin, 9999, stripe(), t0); !errors.Is(err, ErrNotFound) && err == nil {
			t.Fatal("changing an unknown entry succeeded")
		}
		es, err := s.Draft(ctx)
		if err != nil || len(es) != 1 {
			t.Fatalf("draft = %+v, %v", es, err)
		}
	})
}

func TestEarliest(t *testing.T) {
	got := Earliest(time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), 30)
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Earliest = %s, want %s", got, want)
	}
}

func TestMentions(t *testing.T) {
	es := []Entry{{ID: 1, Name: "Postmark (ActiveCampaign LLC)"}, {ID: 2, Name: "AWS"}, {ID: 3, Name: "C++ Hosting, Inc."}}
	docs := []Document{
		{Slug: "privacy", Text: "We send email through postmark. We host on Amazon."},
		{Slug: "cookies", Text: "No subprocessor here, not even Postmarking or lawsuits."},
		{Slug: "hosting", Text: "Servers at c++ hosting (Frankfurt)."},
	}
	m := Mentions(es, docs)
	if len(m[1]) != 1 || m[1][0].Slug != "privacy" {
		t.Errorf("Postmark named in %+v, want privacy only", m[1])
	}
	if len(m[2]) != 0 {
		t.Errorf("AWS named in %+v, want none (\"lawsuits\" is not \"AWS\")", m[2])
	}
	if len(m[3]) != 1 || m[3][0].Slug != "hosting" {
		t.Errorf("C++ Hosting named in %+v, want hosting", m[3])
	}
}

func TestOneNoticePerChangeSetToConfirmedSubscribers(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		for i, email := range []string{"a@example.net", "b@example.net", "pending@example.net"} {
			var confirmed *time.Time
			if i < 2 {
				confirmed = &t0
			}
			if _, err := d.Exec(d.Rebind(`INSERT INTO policy_subscriptions (email, token, created_at, confirmed_at) VALUES (?, ?, ?, ?)`),
				email, "tok-"+email, t0, confirmed); err != nil {
				t.Fatal(err)
			}
		}
		add(t, s, stripe())
		add(t, s, EntryInput{Name: "Postmark", Purpose: "Email", DataCategories: "Email address",
			Locations: "United States", TransferMechanism: "EU SCCs"})
		if _, err := s.Publish(ctx, admin, PublishInput{Summary: "first", Effective: "2026-03-10"}, t0); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := d.Select(&got, `SELECT recipient FROM outbox WHERE kind = 'subprocessor_notice' ORDER BY recipient`); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != "a@example.net,b@example.net" {
			t.Fatalf("notices went to %v", got)
		}
	})
}
