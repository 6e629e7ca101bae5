package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SMTP is STEWARD_SMTP_URL read: where and how Steward delivers email.
// Package mail turns it into a dialer; the rules live here, once, so that
// a mistake stops the start instead of the first email.
type SMTP struct {
	Host     string
	Port     int
	User     string
	Password string
	SSL      bool          // smtps://: TLS from the first byte
	StartTLS string        // smtp:// only: "opportunistic" (default), "mandatory" or "none"
	Timeout  time.Duration // bounds each SMTP command
}

// SMTP URL options: each is read by package mail, and no other is accepted.
var smtpOptions = []string{"starttls", "timeout"}

// ParseSMTPURL reads an SMTP URL:
//
//	smtp://user:pass@host:587?starttls=mandatory&timeout=10s
//	smtps://user:pass@host:465
//
// Its errors never hold the password.
func ParseSMTPURL(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the URL, password and all, and an EscapeError
		// a piece of it: neither is repeated.
		var escape url.EscapeError
		var uerr *url.Error
		switch {
		case errors.As(err, &escape):
			return SMTP{}, errors.New("does not parse as a URL: a % must start an escape like %25 (write a % in a password as %25)")
		case errors.As(err, &uerr):
			err = uerr.Err
		}
		return SMTP{}, fmt.Errorf("does not parse as a URL: %v", err)
	}
	s := SMTP{Port: 587, StartTLS: "opportunistic", Timeout: 10 * time.Second}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.SSL, s.Port = true, 465
	default:
		return SMTP{}, fmt.Errorf("must look like smtp://user:pass@host:port or smtps://user:pass@host:port, not %q", u.Redacted())
	}
	switch {
	case u.Opaque != "":
		return SMTP{}, fmt.Errorf("must have // after the scheme, as in %s://host", u.Scheme)
	case u.Hostname() == "":
		return SMTP{}, fmt.Errorf("%q has no host", u.Redacted())
	case u.Path != "" && u.Path != "/":
		return SMTP{}, fmt.Errorf("%q has a path, %q; an SMTP URL has none", u.Redacted(), u.Path)
	case u.Fragment != "":
		return SMTP{}, fmt.Errorf("%q has a #fragment; an SMTP URL has none", u.Redacted())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTP{}, fmt.Errorf("port must be a number from 1 to 65535, not %q", p)
		}
		s.Port = n
	}
	s.Host = u.Hostname()
	s.User = u.User.Username()
	s.Password, _ = u.User.Password()
	if s.Password != "" && s.User == "" {
		return SMTP{}, errors.New("has a password but no user name")
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SMTP{}, fmt.Errorf("options do not parse: %v", err)
	}
	var unknown []string
	for name, values := range q {
		switch {
		case !slices.Contains(smtpOptions, name):
			unknown = append(unknown, strconv.Quote(name))
		case len(values) > 1:
			return SMTP{}, fmt.Errorf("option %s is given %d times", name, len(values))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return SMTP{}, fmt.Errorf("unknown option %s; the options are starttls=mandatory|opportunistic|none and timeout=DURATION", strings.Join(unknown, ", "))
	}
	if q.Has("starttls") {
		switch v := q.Get("starttls"); v {
		case "opportunistic", "mandatory", "none":
			if s.SSL {
				return SMTP{}, errors.New("starttls is for smtp://; smtps:// uses TLS from the start")
			}
			s.StartTLS = v
		default:
			return SMTP{}, fmt.Errorf("starttls must be mandatory, opportunistic or none, not %q", v)
		}
	}
	if q.Has("timeout") {
		v := q.Get("timeout")
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 10*time.Minute {
			return SMTP{}, fmt.Errorf("timeout must be a duration from 1s to 10m, like 10s, not %q", v)
		}
		s.Timeout = d
	}
	return s, nil
}

// checkMailFrom says what is wrong with a STEWARD_MAIL_FROM value: it must
// be one RFC 5322 address, with or without a display name.
func checkMailFrom(from string) error {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return fmt.Errorf("must be one email address, like steward@example.com or \"Steward <steward@example.com>\", not %q (%v)", from, err)
	}
	if _, domain, _ := strings.Cut(a.Address, "@"); domain == "" || strings.HasPrefix(domain, "[") {
		return fmt.Errorf("must be an address at a domain name, not %q", from)
	}
	return nil
}
