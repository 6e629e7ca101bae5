package db

import (
	"net/url"
	"slices"
	"strings"
)

// Redact returns rawURL fit for a log line or a message: a PostgreSQL
// URL's password, in its user part or a password= option, becomes "xxxxx".
// SQLite paths hold no secret and come back as they are.
func Redact(rawURL string) string {
	if !IsPostgresURL(rawURL) {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		scheme, _, _ := strings.Cut(rawURL, "://")
		return scheme + "://(a URL that does not parse, hidden as it may hold a password)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// secrets are the forms in which rawURL's password could reach a message:
// as written in the URL, and decoded.
func secrets(rawURL string) []string {
	var s []string
	if _, rest, ok := strings.Cut(rawURL, "://"); ok {
		// As written: between the user's colon and the last @ before the path.
		auth, _, _ := strings.Cut(rest, "/")
		if i := strings.LastIndexByte(auth, '@'); i >= 0 {
			if _, p, ok := strings.Cut(auth[:i], ":"); ok && p != "" {
				s = append(s, p)
			}
		}
	}
	if u, err := url.Parse(rawURL); err == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			s = append(s, p)
		}
		if p := u.Query().Get("password"); p != "" {
			s = append(s, p, url.QueryEscape(p))
		}
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if v, ok := strings.CutPrefix(kv, "password="); ok && v != "" {
				s = append(s, v)
			}
		}
	}
	return s
}

// passwordHidden is an error whose message no longer holds the password of
// the database URL it was about; errors.Is and As still see the original.
type passwordHidden struct {
	msg string
	err error
}

func (e passwordHidden) Error() string { return e.msg }
func (e passwordHidden) Unwrap() error { return e.err }

// hidePassword keeps the database password out of err's message, should a
// driver ever quote the URL it was given (pgx redacts today; this does not
// depend on it).
func hidePassword(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	ps := secrets(rawURL)
	// Longest first, so that a decoded password inside its written form
	// does not leave the rest of that form behind.
	slices.SortFunc(ps, func(a, b string) int { return len(b) - len(a) })
	for _, p := range ps {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	if msg == err.Error() {
		return err
	}
	return passwordHidden{msg: msg, err: err}
}
