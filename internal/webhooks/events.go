package webhooks

// The events an endpoint can subscribe to.
const (
	CourseCompleted    = "course.completed"
	CourseOverdue      = "course.overdue"
	PolicyAcknowledged = "policy.acknowledged"
	PolicyPublished    = "policy.published"
)

// Events lists the events an endpoint can subscribe to, in the order the
// admin page shows them.
var Events = []string{CourseCompleted, CourseOverdue, PolicyAcknowledged, PolicyPublished}

// TestEvent is the event of a delivery an admin sends by hand to check an
// endpoint; it goes to that endpoint only, whatever it subscribed to.
const TestEvent = "webhook.test"

func knownEvent(e string) bool {
	for _, k := range Events {
		if k == e {
			return true
		}
	}
	return false
}
