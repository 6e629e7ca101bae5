package webhooks

// The events an endpoint can subscribe to. A course falling overdue raises
// no event yet: the reminder sweep that notices it works in batches tied
// to the reminder emails, and is not wired to webhooks.
const (
	CourseCompleted    = "course.completed"
	PolicyAcknowledged = "policy.acknowledged"
	PolicyPublished    = "policy.published"
)

// Events lists the events an endpoint can subscribe to, in the order the
// admin page shows them.
var Events = []string{CourseCompleted, PolicyAcknowledged, PolicyPublished}

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
