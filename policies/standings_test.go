package policies

import (
	"math/rand/v2"
	"testing"
	"time"
)

// A policy standing holds over its span: Evaluate gives the same status,
// due date and latest acknowledgement anywhere inside it.
func TestPolicyStandingHoldsOverItsSpan(t *testing.T) {
	base := time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC)
	t1 := &Timeline{
		Policy: Policy{ID: 1, Slug: "p", Title: "P", Audience: Staff, RequiresAck: true, AckWithinDays: 14, ReackMonths: 6},
		Versions: []Version{
			{ID: 1, Number: 1, ChangeKind: Material, EffectiveAt: base},
			{ID: 2, Number: 2, ChangeKind: Minor, EffectiveAt: base.AddDate(0, 3, 0)},
			{ID: 3, Number: 3, ChangeKind: Material, EffectiveAt: base.AddDate(0, 9, 0)},
		},
	}
	t2 := *t1
	t2.Policy.ReackMonths = 0
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[AckState]bool{}
	for trial := range 3000 {
		tl := t1
		if trial%2 == 1 {
			tl = &t2
		}
		since := base.Add(time.Duration(r.Int64N(int64(300*24*time.Hour))) - 100*24*time.Hour)
		var acks []Acknowledgement
		for _, v := range tl.Versions {
			if r.IntN(2) == 0 {
				acks = append(acks, Acknowledgement{UserID: 1, PolicyID: 1, Number: v.Number,
					AcknowledgedAt: v.EffectiveAt.Add(time.Duration(r.Int64N(int64(40 * 24 * time.Hour))))})
			}
		}
		now := base.Add(time.Duration(r.Int64N(int64(500 * 24 * time.Hour))))
		st := StandingAt(tl, acks, since, now)
		seen[st.State] = true
		for _, n := range []int64{st.From, st.Until - 1, st.From/2 + st.Until/2} {
			at := time.Unix(0, n).UTC()
			if at.Before(base.AddDate(-5, 0, 0)) || at.After(base.AddDate(5, 0, 0)) {
				continue // an open end
			}
			other := StandingAt(tl, acks, since, at)
			if other.State != st.State || !other.Due.Equal(st.Due) || !other.Last.Equal(st.Last) {
				t.Fatalf("trial %d: at %s %+v, at %s inside its span %+v", trial, now, st, at, other)
			}
		}
	}
	for _, s := range []AckState{AckAcknowledged, AckPending, AckOverdue} {
		if !seen[s] {
			t.Fatalf("the trials never produced %s: %v", s, seen)
		}
	}
}
