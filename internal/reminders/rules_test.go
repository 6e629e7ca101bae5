package reminders

import (
	"reflect"
	"testing"
	"time"
)

func TestStages(t *testing.T) {
	due := time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)
	cyc := func(state string, recert bool) Item {
		return Item{Subject: Subject{Type: SubjectCycle, ID: 1, UserID: 2}, State: state, Due: due, Recert: recert}
	}
	ack := func(state string, start time.Time) Item {
		return Item{Subject: Subject{Type: SubjectAck, ID: 1, UserID: 2}, State: state, Start: start, Due: start.Add(14 * day)}
	}
	seen := func(stages ...string) *announced {
		a := &announced{}
		for _, s := range stages {
			a.add(s)
		}
		return a
	}
	tests := []struct {
		name string
		it   Item
		now  time.Time
		seen *announced
		want []string
	}{
		{"new assignment", cyc(StateNotStarted, false), due.Add(-30 * day), nil, []string{"assigned"}},
		{"assignment already told", cyc(StateInProgress, false), due.Add(-20 * day), seen("assigned"), nil},
		{"due soon", cyc(StateDueSoon, false), due.Add(-7 * day), seen("assigned"), []string{"due_soon"}},
		{"short course: assigned and due soon together", cyc(StateDueSoon, false), due.Add(-3 * day), nil, []string{"assigned", "due_soon"}},
		{"due day itself is quiet", cyc(StateOverdue, false), due, seen("assigned", "due_soon"), nil},
		{"day after due", cyc(StateOverdue, false), due.Add(day), seen("assigned", "due_soon"), []string{"overdue:1"}},
		{"day 7 overdue: nothing new", cyc(StateOverdue, false), due.Add(7 * day), seen("overdue:1"), nil},
		{"second overdue a week later", cyc(StateOverdue, false), due.Add(8 * day), seen("overdue:1"), []string{"overdue:2"}},
		{"escalation after 14 days", cyc(StateOverdue, false), due.Add(14 * day), seen("overdue:2"), []string{"escalation"}},
		{"after a missed month only the latest overdue", cyc(StateOverdue, false), due.Add(40 * day), seen("overdue:1"), []string{"overdue:4", "escalation"}},
		{"at most four overdue", cyc(StateOverdue, false), due.Add(90 * day), seen("overdue:4", "escalation"), nil},
		{"recertification window", cyc(StateDueSoon, true), due.Add(-30 * day), nil, []string{"recert_open"}},
		{"lapsed", cyc(StateLapsed, true), due, seen("recert_open"), []string{"lapsed"}},
		{"lapsed once", cyc(StateLapsed, true), due.Add(day), seen("recert_open", "lapsed"), nil},
		{"policy notice", ack(StatePending, due), due, nil, []string{"notice"}},
		{"policy quiet for a week", ack(StatePending, due), due.Add(6 * day), seen("notice"), nil},
		{"policy weekly reminder", ack(StatePending, due), due.Add(7 * day), seen("notice"), []string{"reminder:1"}},
		{"policy overdue tells the manager", ack(StateOverdue, due), due.Add(15 * day), seen("notice", "reminder:2"), []string{"overdue_manager"}},
		{"late notice stands for this week's reminder", ack(StatePending, due), due.Add(10 * day), nil, []string{"notice", "reminder:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Stages(tt.it, tt.now, tt.seen); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Stages = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDue(t *testing.T) {
	at := func(d, h int) time.Time { return time.Date(2027, 1, d, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		now  time.Time
		last time.Time
		ran  bool
		want bool
	}{
		{"never ran", at(5, 3), time.Time{}, false, true},
		{"before today's hour, ran yesterday after the hour", at(5, 3), at(4, 7), true, false},
		{"past today's hour, ran yesterday", at(5, 7), at(4, 7), true, true},
		{"past today's hour, ran today", at(5, 8), at(5, 7), true, false},
		{"missed yesterday, starting before today's hour", at(5, 3), at(3, 7), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Due(tt.now, 6, tt.last, tt.ran); got != tt.want {
				t.Errorf("Due = %v, want %v", got, tt.want)
			}
		})
	}
}
