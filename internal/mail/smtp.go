package mail

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/go-mail/mail/v2"
)

// ErrNoSMTP means no SMTP server is configured: the outbox fills and
// admins read it in the web UI, but nothing is delivered.
var ErrNoSMTP = errors.New("mail: no SMTP server configured")

// ParseSMTPURL reads STEWARD_SMTP_URL into a go-mail dialer:
//
//	smtp://user:pass@host:587?starttls=mandatory&timeout=10s
//	smtps://user:pass@host:465
//
// starttls is mandatory (refuse a server without STARTTLS), opportunistic
// (the default: use it when offered) or none (plain text; for a local relay
// or a test sink). timeout bounds each SMTP command.
func ParseSMTPURL(raw string) (*gomail.Dialer, error) {
	if raw == "" {
		return nil, ErrNoSMTP
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL: %w", err)
	}
	var ssl bool
	port := 587
	switch u.Scheme {
	case "smtp":
	case "smtps":
		ssl, port = true, 465
	default:
		return nil, fmt.Errorf("mail: SMTP URL scheme %q: want smtp or smtps", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("mail: SMTP URL %q has no host", u.Redacted())
	}
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port <= 0 || port > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL port %q", p)
		}
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	d := gomail.NewDialer(u.Hostname(), port, user, pass)
	d.SSL = ssl
	// go-mail redials on its own after a timeout; the worker already
	// redials once per failed message, and two layers of retry would hide
	// how many attempts a message really had.
	d.RetryFailure = false
	d.Timeout = 10 * time.Second
	q := u.Query()
	switch q.Get("starttls") {
	case "", "opportunistic":
		d.StartTLSPolicy = gomail.OpportunisticStartTLS
	case "mandatory":
		d.StartTLSPolicy = gomail.MandatoryStartTLS
	case "none":
		d.StartTLSPolicy = gomail.NoStartTLS
	default:
		return nil, fmt.Errorf("mail: SMTP URL starttls=%q: want mandatory, opportunistic or none", q.Get("starttls"))
	}
	if t := q.Get("timeout"); t != "" {
		d.Timeout, err = time.ParseDuration(t)
		if err != nil || d.Timeout <= 0 {
			return nil, fmt.Errorf("mail: SMTP URL timeout=%q: want a duration like 10s", t)
		}
	}
	return d, nil
}
