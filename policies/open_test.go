package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"steward/internal/db"
)

// TestOpenAcknowledgementsAgreesWithEvaluate: for random organisations
// (people hired or not, some inactive; policies with material and minor
// versions, some scheduled, some renewed every few months;
// acknowledgements of random versions at random times) and random
// moments, the set-based OpenAcknowledgements names exactly the people
// and states that Evaluate gives for each person on their own, on both
// databases.
func TestOpenAcknowledgementsAgreesWithEvaluate(t *testing.T) {
	ctx := context.Background()
	eachDB(t, func(t *testing.T, _ *Store, d *db.DB) {
		rng := rand.New(rand.NewPCG(14, 2026))
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		at := func(days int) time.Time {
			return base.Add(time.Duration(days)*24*time.Hour + time.Duration(rng.IntN(86400))*time.Second)
		}
		type person struct {
			id      int64
			active  bool
			hired   *time.Time
			created time.Time
		}
		var people []person
		for i := range 40 {
			p := person{active: rng.IntN(6) != 0, created: at(rng.IntN(400) - 200)}
			if rng.IntN(2) == 0 {
				h := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(500))
				p.hired = &h
			}
			if err := d.GetContext(ctx, &p.id, d.Rebind(`INSERT INTO users (email, name, role, active, hired_on, created_at, updated_at)
				VALUES (?, ?, 'employee', ?, ?, ?, ?) RETURNING id`), fmt.Sprintf("p%d@example.com", i), "P", p.active, p.hired, p.created, p.created); err != nil {
				t.Fatal(err)
			}
			people = append(people, p)
		}
		acks := map[[2]int64][]Acknowledgement{} // by person and policy
		var timelines []*Timeline
		for i := range 4 {
			audience, requires := Staff, true
			if i == 3 {
				requires = false // read-only: never open
			}
			pol := Policy{Slug: fmt.Sprintf("p%d", i), Title: fmt.Sprintf("Policy %d", i), Audience: audience, RequiresAck: requires,
				AckWithinDays: 1 + rng.IntN(20), ReackMonths: []int{0, 0, 3, 12}[rng.IntN(4)]}
			if err := d.GetContext(ctx, &pol.ID, d.Rebind(`INSERT INTO policies (slug, title, audience, requires_ack, ack_within_days,
				reack_months, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				pol.Slug, pol.Title, pol.Audience, pol.RequiresAck, pol.AckWithinDays, pol.ReackMonths, base, base); err != nil {
				t.Fatal(err)
			}
			tl := &Timeline{Policy: pol}
			eff := at(rng.IntN(60) - 100)
			for n := 1; n <= 1+rng.IntN(4); n++ {
				kind := Material
				if n > 1 && rng.IntN(2) == 0 {
					kind = Minor
				}
				v := Version{PolicyID: pol.ID, Number: n, ChangeKind: kind, EffectiveAt: eff.UTC().Truncate(time.Microsecond)}
				if err := d.GetContext(ctx, &v.ID, d.Rebind(`INSERT INTO policy_versions (policy_id, status, number, change_kind, sha256,
					created_at, updated_at, published_at, effective_at) VALUES (?, 'published', ?, ?, 's', ?, ?, ?, ?) RETURNING id`),
					pol.ID, n, kind, base, base, base, v.EffectiveAt); err != nil {
					t.Fatal(err)
				}
				tl.Versions = append(tl.Versions, v)
				eff = eff.Add(time.Duration(20+rng.IntN(100)) * 24 * time.Hour)
			}
			timelines = append(timelines, tl)
			for _, p := range people {
				for _, v := range tl.Versions {
					if rng.IntN(3) != 0 {
						continue
					}
					a := Acknowledgement{UserID: p.id, VersionID: v.ID, PolicyID: pol.ID, Number: v.Number,
						AcknowledgedAt: v.EffectiveAt.Add(time.Duration(rng.IntN(60*86400)) * time.Second)}
					if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO policy_acknowledgements (user_id, version_id, acknowledged_at)
						VALUES (?, ?, ?)`), p.id, v.ID, a.AcknowledgedAt); err != nil {
						t.Fatal(err)
					}
					acks[[2]int64{p.id, pol.ID}] = append(acks[[2]int64{p.id, pol.ID}], a)
				}
			}
		}
		open, overdue := 0, 0
		for range 30 {
			now := at(rng.IntN(500) - 100)
			var got []string
			err := OpenAcknowledgements(ctx, d, now, func(o OpenAck) error {
				got = append(got, fmt.Sprintf("%d/%s: %s from %s due %s", o.UserID, o.Policy.Slug, o.State,
					o.From.Format(time.RFC3339), o.Due.Format(time.RFC3339)))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, tl := range timelines {
				for _, p := range people {
					if !p.active {
						continue
					}
					st := Evaluate(tl, acks[[2]int64{p.id, tl.Policy.ID}], Joined(p.hired, p.created), now)
					if st.State == AckPending || st.State == AckOverdue {
						want = append(want, fmt.Sprintf("%d/%s: %s from %s due %s", p.id, tl.Policy.Slug, st.State,
							st.From.Format(time.RFC3339), st.Due.Format(time.RFC3339)))
						open++
						if st.State == AckOverdue {
							overdue++
						}
					}
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("at %s:\nset-based %d: %v\nEvaluate  %d: %v", now, len(got), got, len(want), want)
			}
		}
		// The random organisations must exercise the rule, not only agree
		// that nobody is open.
		if open < 100 || overdue < 20 || overdue == open {
			t.Fatalf("only %d open (%d overdue): the fixture does not exercise the rule", open, overdue)
		}
	})
}

// TestAcknowledgedSince: an acknowledgement of the base version or a
// later one, made at or after the round began, ends the round; an earlier
// one, or one of an older version, does not.
func TestAcknowledgedSince(t *testing.T) {
	ctx := context.Background()
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		u := addUser(t, d, "a@example.com", true, t0)
		if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO policies (slug, title, audience, requires_ack, ack_within_days,
			reack_months, created_at, updated_at) VALUES ('x', 'X', 'staff', TRUE, 14, 0, ?, ?)`), t0, t0); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for n := 1; n <= 3; n++ {
			var id int64
			if err := d.GetContext(ctx, &id, d.Rebind(`INSERT INTO policy_versions (policy_id, status, number, change_kind, sha256,
				created_at, updated_at, published_at, effective_at) SELECT id, 'published', ?, 'material', 's', ?, ?, ?, ? FROM policies
				WHERE slug = 'x' RETURNING id`), n, t0, t0, t0, t0.AddDate(0, n, 0)); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		round := t0.AddDate(0, 2, 0)
		check := func(want bool) {
			t.Helper()
			got, err := AcknowledgedSince(ctx, d, ids[1], u, round)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("acknowledged since the round: %v, want %v", got, want)
			}
		}
		check(false)
		ack := func(v int64, when time.Time) {
			if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO policy_acknowledgements (user_id, version_id, acknowledged_at)
				VALUES (?, ?, ?)`), u, v, when); err != nil {
				t.Fatal(err)
			}
		}
		ack(ids[0], round.Add(time.Hour)) // an older version: does not count
		check(false)
		ack(ids[1], round.Add(-time.Hour)) // before the round: does not count
		check(false)
		ack(ids[2], round) // a later version, as the round begins
		check(true)
	})
}
