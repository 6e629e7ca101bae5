package reminders

import (
	"fmt"
	"reflect"
	"sort"
	"steward/courses"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"strings"
	"testing"
	"time"
)

// TestSimulatedYear runs the sweep once a day for a year over a small
// organisation, with people completing and acknowledging on scripted
// days, and checks every digest each person and the manager received.
//
// Mia manages Ann, Ben, Cal (inactive) and Dot. Everyone is assigned
// "basics" (due in 30 days, valid 6 months, renewal window 30 days); Dot
// is exempt. On day 10 the privacy policy v1 (acknowledge within 14 days)
// takes effect.
func TestSimulatedYear(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		// Day 0 is a Monday, and Ben has something open all year: every
		// Monday Mia's digest carries the weekly summary of her line.
		miaGot := func(days map[int]string) []string {
			var out []string
			for d := 0; d < 365; d++ {
				kinds := days[d]
				if d%7 == 0 {
					kinds = strings.Trim(KindTeamWeekly+"+"+kinds, "+")
				}
				if kinds != "" {
					out = append(out, fmt.Sprintf("d%d %s", d, kinds))
				}
			}
			return out
		}
		o := orgOn(t, d)
		t0 := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC) // sweeps run at 09:00
		dayAt := func(d int, hour int) time.Time { return t0.AddDate(0, 0, d).Add(time.Duration(hour-9) * time.Hour) }
		dayOf := func(at time.Time) int { return int(at.Sub(t0.Add(-9*time.Hour)) / day) }
		joined := t0.AddDate(0, 0, -30)
		const mia, ann, ben, cal, dot = 1, 2, 3, 4, 5
		names := map[int64]string{mia: "Mia", ann: "Ann", ben: "Ben", cal: "Cal", dot: "Dot"}
		o.user(mia, "Mia", 0, true, joined)
		o.user(ann, "Ann", mia, true, joined)
		o.user(ben, "Ben", mia, true, joined)
		o.user(cal, "Cal", mia, false, joined)
		o.user(dot, "Dot", mia, true, joined)
		o.course(1, "basics", 6, joined)
		cycles := map[int64]int64{}
		for _, u := range []int64{mia, ann, ben, cal, dot} {
			cycles[u] = o.cycle(u, 1, 1, t0, t0.AddDate(0, 0, 30), time.Time{}, u == dot)
		}
		o.policy(1, "privacy", 14, joined)

		// The script: what happens at 08:00 on a day, before its sweep.
		type renewal struct {
			user   int64
			opens  time.Time
			opened bool
		}
		var renewals []*renewal
		completeAt := func(u int64, d int) {
			at := dayAt(d, 8)
			o.complete(cycles[u], at, 6)
			exp := at.AddDate(0, 6, 0)
			renewals = append(renewals, &renewal{user: u, opens: exp.AddDate(0, 0, -30)})
		}
		var v1 int64
		script := map[int]func(){
			5:  func() { completeAt(ann, 5) },
			10: func() { v1 = o.publish(1, 1, "material", dayAt(10, 9)) },
			12: func() { o.ack(ann, v1, dayAt(12, 8)) },
			20: func() { o.ack(mia, v1, dayAt(20, 8)) },
			30: func() { o.ack(dot, v1, dayAt(30, 8)) },
			35: func() { completeAt(mia, 35) },
		}
		annRenews := map[int]bool{}
		seq := map[int64]int{mia: 1, ann: 1}
		for d := 0; d < 365; d++ {
			if f := script[d]; f != nil {
				f()
			}
			if annRenews[d] {
				completeAt(ann, d)
			}
			// The courses package opens a renewal cycle when the window
			// opens; Ann renews three days later every time, Mia never does.
			for _, r := range renewals {
				if !r.opened && !dayAt(d, 8).Before(r.opens) {
					r.opened = true
					o.close(cycles[r.user], r.opens)
					exp := r.opens.AddDate(0, 0, 30)
					seq[r.user]++
					cycles[r.user] = o.cycle(r.user, 1, seq[r.user], r.opens, exp, exp, false)
					if r.user == ann {
						annRenews[d+3] = true
					}
				}
			}
			o.sweep(dayAt(d, 9))
		}

		// What each person received: day -> kinds, one digest per day.
		var rows []struct {
			Key    string `db:"dedupe_key"`
			UserID int64  `db:"user_id"`
			Text   string `db:"body_text"`
		}
		if err := o.d.Select(&rows, `SELECT dedupe_key, user_id, body_text FROM outbox WHERE kind = 'reminders' ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		var events []struct {
			Key   string `db:"digest_key"`
			Stage string `db:"stage"`
			Type  string `db:"subject_type"`
			About int64  `db:"user_id"`
		}
		if err := o.d.Select(&events, `SELECT digest_key, stage, subject_type, user_id FROM reminder_events ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		byDigest := map[string][]string{}
		for _, e := range events {
			k := Kind(e.Type, e.Stage)
			if toManager(e.Stage) {
				k += "(" + names[e.About] + ")"
			}
			byDigest[e.Key] = append(byDigest[e.Key], k)
		}
		got := map[string][]string{}
		seenKey := map[string]bool{}
		for _, r := range rows {
			if seenKey[r.Key] {
				t.Fatalf("digest %s queued twice", r.Key)
			}
			seenKey[r.Key] = true
			date, _ := time.Parse("2006-01-02", r.Key[strings.LastIndex(r.Key, ":")+1:])
			kinds := byDigest[r.Key]
			if strings.Contains(r.Text, "Your reporting line this week") {
				kinds = append(kinds, KindTeamWeekly)
			}
			sort.Strings(kinds)
			got[names[r.UserID]] = append(got[names[r.UserID]], fmt.Sprintf("d%d %s", dayOf(date.Add(9*time.Hour)), strings.Join(kinds, "+")))
		}

		wantAnn := []string{"d0 training_assigned", "d10 policy_notice"}
		var miaWindow, miaLapse int
		for _, r := range renewals {
			switch {
			case r.user == ann && r.opened:
				wantAnn = append(wantAnn, fmt.Sprintf("d%d training_recert_open", dayOf(r.opens)))
			case r.user == mia:
				miaWindow, miaLapse = dayOf(r.opens), dayOf(r.opens.AddDate(0, 0, 30))
			}
		}
		if len(wantAnn) != 4 {
			t.Fatalf("Ann should have renewed twice in the year: %v", wantAnn)
		}
		// "basics" is due on day 30, so its due-soon notice goes out the
		// window before.
		soon := 30 - int(courses.DueSoonWindow/day)
		with := func(kinds, kind string) string {
			all := append(strings.FieldsFunc(kinds, func(r rune) bool { return r == '+' }), kind)
			sort.Strings(all)
			return strings.Join(all, "+")
		}
		benDays := map[int]string{0: "training_assigned", 10: "policy_notice"}
		benDays[soon] = with(benDays[soon], "training_due_soon")
		for k := 1; 10+7*k < 365; k++ {
			benDays[10+7*k] = with(benDays[10+7*k], "policy_reminder")
		}
		for _, d := range []int{31, 38, 45, 52} {
			benDays[d] = with(benDays[d], "training_overdue")
		}
		var benGot []string
		for d := 0; d < 365; d++ {
			if benDays[d] != "" {
				benGot = append(benGot, fmt.Sprintf("d%d %s", d, benDays[d]))
			}
		}
		miaDays := map[int]string{0: "training_assigned", 10: "policy_notice", 17: "policy_reminder",
			25: "policy_overdue(Ben)+policy_overdue(Dot)", 31: "training_overdue", 44: "training_escalation(Ben)",
			miaWindow: "training_recert_open", miaLapse: "training_lapsed"}
		miaDays[soon] = with(miaDays[soon], "training_due_soon")
		want := map[string][]string{
			"Ann": wantAnn,
			"Ben": benGot,
			"Dot": {"d10 policy_notice", "d17 policy_reminder", "d24 policy_reminder"},
			"Mia": miaGot(miaDays),
		}
		for _, who := range []string{"Ann", "Ben", "Cal", "Dot", "Mia"} {
			if !reflect.DeepEqual(got[who], want[who]) {
				t.Errorf("%s received:\n  %s\nwant:\n  %s", who, strings.Join(got[who], "\n  "), strings.Join(want[who], "\n  "))
			}
		}
		// Ben's overdue notices: the day after the due date, then weekly, four in all.
		var benOverdue []string
		for _, e := range events {
			if e.About == ben && strings.HasPrefix(e.Stage, "overdue:") {
				benOverdue = append(benOverdue, e.Stage+"@"+e.Key[strings.LastIndex(e.Key, ":")+1:])
			}
		}
		wantOverdue := []string{"overdue:1@2027-02-04", "overdue:2@2027-02-11", "overdue:3@2027-02-18", "overdue:4@2027-02-25"}
		if !reflect.DeepEqual(benOverdue, wantOverdue) {
			t.Errorf("Ben's overdue notices %v, want %v", benOverdue, wantOverdue)
		}
	})
}
