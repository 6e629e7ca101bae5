package mail

import (
	"errors"
	"fmt"

	gomail "github.com/go-mail/mail/v2"

	"steward/internal/config"
)

// ErrNoSMTP means no SMTP server is configured: the outbox fills and
// admins read it in the web UI, but nothing is delivered.
var ErrNoSMTP = errors.New("mail: no SMTP server configured")

// ParseSMTPURL reads STEWARD_SMTP_URL into a go-mail dialer, by the rules
// of config.ParseSMTPURL:
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
	s, err := config.ParseSMTPURL(raw)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL %w", err)
	}
	d := gomail.NewDialer(s.Host, s.Port, s.User, s.Password)
	d.SSL = s.SSL
	// go-mail redials on its own after a timeout; the worker already
	// redials once per failed message, and two layers of retry would hide
	// how many attempts a message really had.
	d.RetryFailure = false
	d.Timeout = s.Timeout
	d.StartTLSPolicy = map[string]gomail.StartTLSPolicy{
		"opportunistic": gomail.OpportunisticStartTLS,
		"mandatory":     gomail.MandatoryStartTLS,
		"none":          gomail.NoStartTLS,
	}[s.StartTLS]
	return d, nil
}
