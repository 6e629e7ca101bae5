package mail

// KindDigest is the kind of a reminder digest (templates/reminders.tmpl).
const KindDigest = "reminders"

// Digest is what templates/reminders.tmpl shows: the reminder sweep's
// daily digest, and a manager's reminder, which is a digest of one line.
type Digest struct {
	Name, Summary   string
	Own, Team, Also []DigestLine
}

// DigestLine is one item of a digest; URL is absolute (Renderer.Link).
type DigestLine struct {
	Headline, Detail, URL string
}

// Digest renders a digest. The caller adds the recipient, user, dedupe
// key and, for a manager's reminder, its own kind.
func (r *Renderer) Digest(d *Digest) (Message, error) {
	return r.Render(KindDigest, d)
}
