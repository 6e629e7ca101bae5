package policies

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/db"
)

func day(n int) time.Time { return time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

func TestEvaluateAcrossTime(t *testing.T) {
	pol := Policy{ID: 1, Slug: "aup", Audience: Staff, RequiresAck: true, AckWithinDays: 14}
	v1 := Version{ID: 11, Number: 1, ChangeKind: Material, EffectiveAt: day(0)}
	v2 := Version{ID: 12, Number: 2, ChangeKind: Minor, EffectiveAt: day(30)}
	v3 := Version{ID: 13, Number: 3, ChangeKind: Material, EffectiveAt: day(60)}
	tl := &Timeline{Policy: pol, Versions: []Version{v1, v2, v3}}
	ack := func(v Version, at time.Time) Acknowledgement {
		return Acknowledgement{VersionID: v.ID, PolicyID: 1, Number: v.Number, AcknowledgedAt: at}
	}
	yearly := *tl
	yearly.Policy.ReackMonths = 12
	notRequired := *tl
	notRequired.Policy.RequiresAck = false

	cases := []struct {
		name  string
		tl    *Timeline
		acks  []Acknowledgement
		since time.Time
		now   time.Time
		want  AckState
		due   time.Time // zero: not checked
	}{
		{"nothing in effect yet", tl, nil, day(-100), day(-1), AckNotRequired, time.Time{}},
		{"new policy: pending", tl, nil, day(-100), day(1), AckPending, day(14)},
		{"last day of the window", tl, nil, day(-100), day(14), AckPending, day(14)},
		{"window passed: overdue", tl, nil, day(-100), day(14).Add(time.Second), AckOverdue, day(14)},
		{"acknowledged v1", tl, []Acknowledgement{ack(v1, day(3))}, day(-100), day(10), AckAcknowledged, time.Time{}},
		{"minor v2 keeps it acknowledged", tl, []Acknowledgement{ack(v1, day(3))}, day(-100), day(45), AckAcknowledged, time.Time{}},
		{"material v3 makes it pending again", tl, []Acknowledgement{ack(v1, day(3))}, day(-100), day(61), AckPending, day(74)},
		{"and overdue after its window", tl, []Acknowledgement{ack(v1, day(3)), ack(v2, day(40))}, day(-100), day(80), AckOverdue, day(74)},
		{"acknowledged v3", tl, []Acknowledgement{ack(v1, day(3)), ack(v3, day(62))}, day(-100), day(200), AckAcknowledged, time.Time{}},
		{"new hire counts from arrival", tl, nil, day(70), day(80), AckPending, day(84)},
		{"new hire overdue", tl, nil, day(70), day(85), AckOverdue, day(84)},
		{"not required", &notRequired, nil, day(-100), day(200), AckNotRequired, time.Time{}},
		{"yearly: fresh", &yearly, []Acknowledgement{ack(v3, day(62))}, day(-100), day(300), AckAcknowledged, time.Time{}},
		{"yearly: due again after 12 months", &yearly, []Acknowledgement{ack(v3, day(62))}, day(-100),
			day(62).AddDate(1, 0, 0), AckPending, day(62).AddDate(1, 0, 0).AddDate(0, 0, 14)},
		{"yearly: overdue", &yearly, []Acknowledgement{ack(v3, day(62))}, day(-100),
			day(62).AddDate(1, 0, 15), AckOverdue, time.Time{}},
		{"yearly: re-acknowledged", &yearly, []Acknowledgement{ack(v3, day(62)), ack(v3, day(62).AddDate(1, 0, 2))}, day(-100),
			day(62).AddDate(1, 0, 20), AckAcknowledged, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := Evaluate(c.tl, c.acks, c.since, c.now)
			if st.State != c.want {
				t.Errorf("state %q, want %q", st.State, c.want)
			}
			if !c.due.IsZero() && !st.Due.Equal(c.due) {
				t.Errorf("due %v, want %v", st.Due, c.due)
			}
		})
	}
}

func TestAcknowledge(t *testing.T) {
	eachDB(t, func(t *testing.T, s *Store, d *db.DB) {
		ctx := context.Background()
		ann := addUser(t, d, "ann@example.com", true, day(-300))
		gone := addUser(t, d, "gone@example.com", false, day(-300))
		mustCreate(t, s, Settings{Slug: "aup", Title: "Acceptable use", Audience: Staff, RequiresAck: true, AckWithinDays: 14})
		mustCreate(t, s, Settings{Slug: "privacy", Title: "Privacy", Audience: Public})
		publishVersion(t, s, "aup", "one", Material, day(0), day(0))
		publishVersion(t, s, "aup", "two", Material, day(30), day(10)) // scheduled until day 30
		publishVersion(t, s, "privacy", "public", Material, day(0), day(0))

		cases := []struct {
			name    string
			user    int64
			slug    string
			number  int
			now     time.Time
			err     error
			created bool
		}{
			{"the version in effect", ann, "aup", 1, day(5), nil, true},
			{"again: nothing new", ann, "aup", 1, day(6), nil, false},
			{"a scheduled version", ann, "aup", 2, day(20), ErrNotInEffect, false},
			{"a superseded version", ann, "aup", 1, day(31), ErrNotInEffect, false},
			{"an unknown version", ann, "aup", 9, day(31), ErrNotFound, false},
			{"an unknown policy", ann, "nope", 1, day(31), ErrNotFound, false},
			{"a public policy", ann, "privacy", 1, day(31), ErrNotInScope, false},
			{"an inactive person", gone, "aup", 2, day(31), ErrNotInScope, false},
			{"an unknown person", 9999, "aup", 2, day(31), ErrNotInScope, false},
			{"v2 once in effect", ann, "aup", 2, day(31), nil, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				created, err := s.Acknowledge(ctx, c.user, c.slug, c.number, c.now)
				if !errors.Is(err, c.err) || created != c.created {
					t.Errorf("Acknowledge = %v, %v; want %v, %v", created, err, c.created, c.err)
				}
			})
		}
		acks, err := s.Acknowledgements(ctx, ann)
		if err != nil || len(acks) != 2 || !acks[0].AcknowledgedAt.Equal(day(5)) {
			t.Fatalf("acknowledgements %+v %v", acks, err)
		}
		var audited int
		if err := d.Get(&audited, `SELECT COUNT(*) FROM audit_log WHERE action = 'policy.acknowledge'`); err != nil || audited != 2 {
			t.Errorf("%d acknowledgements audited, want 2", audited)
		}
		if _, err := d.Exec(d.Rebind(`UPDATE policy_acknowledgements SET acknowledged_at = ?`), day(1)); err == nil {
			t.Error("the database let an acknowledgement be overwritten")
		}

		sts, err := s.StatusFor(ctx, ann, day(32))
		if err != nil || len(sts) != 1 || sts[0].State != AckAcknowledged || sts[0].Last.Number != 2 {
			t.Errorf("status for ann: %+v %v", sts, err)
		}
		bob := addUser(t, d, "bob@example.com", true, day(-300))
		for who, want := range map[int64]AckState{ann: AckAcknowledged, bob: AckOverdue} {
			sts, err := s.StatusFor(ctx, who, day(50))
			if err != nil || len(sts) != 1 || sts[0].State != want {
				t.Errorf("status for %d on day 50: %+v %v, want %s", who, sts, err, want)
			}
		}
	})
}
