// Package reminders decides which reminder emails to send, given now.
//
// The sweep reads every open item (a course cycle not yet done, a policy
// version someone has yet to acknowledge), applies the rules below to find
// the events due at now that were never announced, groups them into one
// digest per recipient per day, and queues each digest in the outbox with
// the events it carries, in one transaction.
package reminders

import (
	"strconv"
	"strings"
	"time"

	"steward/courses"
)

const day = 24 * time.Hour

// Rule constants from DESIGN.md "Email and reminders".
const (
	OverdueRepeat   = 7 * day  // overdue: the day after, then weekly...
	MaxOverdue      = 4        // ...at most 4 times
	EscalateAfter   = 14 * day // the manager hears after 14 days overdue
	PolicyReminder  = 7 * day  // a pending acknowledgement is recalled weekly
	overdueFirstLag = day
)

// Subject types.
const (
	SubjectCycle = "cycle" // a course_cycles row
	SubjectAck   = "ack"   // a policy version a person must acknowledge
)

// Subject identifies what an event is about. For a policy, ID is the
// version to acknowledge and Round when the person became pending (a
// re-acknowledgement starts a new round).
type Subject struct {
	Type   string
	ID     int64
	UserID int64
	Round  string
}

// Training states are courses' statuses (courses.Dates.StatusAt decides
// them); policy items are pending or overdue.
const (
	StateNotStarted = string(courses.StatusNotStarted)
	StateInProgress = string(courses.StatusInProgress)
	StateDueSoon    = string(courses.StatusDueSoon)
	StateOverdue    = string(courses.StatusOverdue)
	StateLapsed     = string(courses.StatusLapsed)
	StatePending    = "pending"
)

// Item is one open item of one person at now, as a source reads it.
type Item struct {
	Subject Subject
	Title   string // the course or policy title
	Path    string // where the person acts on it, relative to the base URL
	State   string
	Start   time.Time // assigned at (training) or pending since (policy)
	Due     time.Time
	Recert  bool // a recertification cycle: its window is open
}

// Stages of an item that are announced, at most once each.
const (
	StageAssigned       = "assigned"
	StageDueSoon        = "due_soon"
	StageRecertOpen     = "recert_open"
	StageOverdue        = "overdue" // written overdue:1 .. overdue:4
	StageEscalation     = "escalation"
	StageLapsed         = "lapsed"
	StageNotice         = "notice"
	StageReminder       = "reminder" // written reminder:1, reminder:2, ...
	StageOverdueManager = "overdue_manager"
)

// Event kinds, as reports and tests count them.
const (
	KindTrainingAssigned   = "training_assigned"
	KindTrainingDueSoon    = "training_due_soon"
	KindTrainingRecertOpen = "training_recert_open"
	KindTrainingOverdue    = "training_overdue"
	KindTrainingEscalation = "training_escalation"
	KindTrainingLapsed     = "training_lapsed"
	KindPolicyNotice       = "policy_notice"
	KindPolicyReminder     = "policy_reminder"
	KindPolicyOverdue      = "policy_overdue"
	KindTeamWeekly         = "team_weekly" // the manager's weekly summary, not an event
)

// Kind names what a stage tells, for counting and for the dry-run plan.
func Kind(subjectType, stage string) string {
	base, _, _ := strings.Cut(stage, ":")
	switch base {
	case StageAssigned:
		return KindTrainingAssigned
	case StageDueSoon:
		return KindTrainingDueSoon
	case StageRecertOpen:
		return KindTrainingRecertOpen
	case StageOverdue:
		return KindTrainingOverdue
	case StageEscalation:
		return KindTrainingEscalation
	case StageLapsed:
		return KindTrainingLapsed
	case StageNotice:
		return KindPolicyNotice
	case StageReminder:
		return KindPolicyReminder
	case StageOverdueManager:
		return KindPolicyOverdue
	}
	return subjectType + "_" + stage
}

// toManager reports whether a stage is told to the person's manager.
func toManager(stage string) bool {
	return stage == StageEscalation || stage == StageOverdueManager
}

// announced is what has already been told about one subject: a bit per
// one-off stage and the highest number of each repeating one. It is small
// because the sweep keeps one for every open item of the organisation.
type announced struct {
	stages   uint16
	reminder uint16 // the highest reminder:k sent
	overdue  uint8  // the highest overdue:k sent
}

var stageBits = map[string]uint16{
	StageAssigned: 1 << 0, StageDueSoon: 1 << 1, StageRecertOpen: 1 << 2, StageEscalation: 1 << 3,
	StageLapsed: 1 << 4, StageNotice: 1 << 5, StageOverdueManager: 1 << 6,
}

func (a *announced) has(stage string) bool { return a != nil && a.stages&stageBits[stage] != 0 }

func (a *announced) add(stage string) {
	base, num, numbered := strings.Cut(stage, ":")
	if numbered {
		k, _ := strconv.Atoi(num)
		switch base {
		case StageReminder:
			a.reminder = max(a.reminder, uint16(min(k, 1<<16-1)))
		case StageOverdue:
			a.overdue = max(a.overdue, uint8(min(k, MaxOverdue)))
		}
		return
	}
	a.stages |= stageBits[stage]
}

// Stages returns the stages of it due at now that seen does not hold yet.
// A repeating stage (weekly reminders, overdue notices) yields only its
// latest instance: after a missed week the person gets one reminder, not
// a catch-up burst.
func Stages(it Item, now time.Time, seen *announced) []string {
	var out []string
	add := func(s string) {
		if !seen.has(s) {
			out = append(out, s)
		}
	}
	switch it.Subject.Type {
	case SubjectCycle:
		switch it.State {
		case StateLapsed:
			add(StageLapsed)
		case StateOverdue:
			if late := now.Sub(it.Due); late >= overdueFirstLag {
				k := min(MaxOverdue, int((late-overdueFirstLag)/OverdueRepeat)+1)
				if seen == nil || k > int(seen.overdue) {
					out = append(out, StageOverdue+":"+strconv.Itoa(k))
				}
				if late >= EscalateAfter {
					add(StageEscalation)
				}
			}
		case StateDueSoon, StateInProgress, StateNotStarted:
			if it.Recert {
				add(StageRecertOpen)
				break
			}
			add(StageAssigned)
			if it.State == StateDueSoon {
				add(StageDueSoon)
			}
		}
	case SubjectAck:
		// A notice that goes out late (the sweep did not run, or the
		// person joined mid-round) also stands for the week's reminder,
		// so the reminder does not follow it the next day.
		k := int(now.Sub(it.Start) / PolicyReminder)
		if !seen.has(StageNotice) {
			out = append(out, StageNotice)
		}
		if k >= 1 && (seen == nil || k > int(seen.reminder)) {
			out = append(out, StageReminder+":"+strconv.Itoa(k))
		}
		if it.State == StateOverdue {
			add(StageOverdueManager)
		}
	}
	return out
}
