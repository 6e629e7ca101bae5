// Package config reads Steward's settings from the environment, once, into
// a typed struct that is validated before anything starts.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/internal/org"
	"steward/internal/people"
)

// Environments Steward knows.
const (
	Development = "development"
	Production  = "production"
)

// Config is every setting Steward reads from the environment.
type Config struct {
	Env               string   // STEWARD_ENV: development | production
	Addr              string   // STEWARD_ADDR, or ":"+PORT
	DatabaseURL       string   // STEWARD_DATABASE_URL
	BaseURL           *url.URL // STEWARD_BASE_URL
	SessionKeys       [][]byte // STEWARD_SESSION_KEYS: comma-separated, newest first; none means the installation's own generated key (package keys)
	SMTPURL           string   // STEWARD_SMTP_URL: smtp://user:pass@host:port
	MailFrom          string   // STEWARD_MAIL_FROM
	SweepHour         int      // STEWARD_SWEEP_HOUR: hour of day (UTC) for the daily reminder sweep
	RetentionDays     int      // STEWARD_RETENTION_DAYS: days after deactivation before personal data is pseudonymised
	MailRetentionDays int      // STEWARD_MAIL_RETENTION_DAYS: days after sending before an email's text is deleted
	// SubprocessorNoticeDays is the notice a change to the subprocessor
	// register gives before it takes effect, unless a reason is recorded.
	SubprocessorNoticeDays int // STEWARD_SUBPROCESSOR_NOTICE_DAYS
	// PolicyNoticeDays is the notice a material change to a public policy
	// gives before it takes effect, unless a reason is recorded.
	PolicyNoticeDays int            // STEWARD_POLICY_NOTICE_DAYS
	InviteDays       int            // STEWARD_INVITE_DAYS: how many days an invitation link works
	MinGroupSize     int            // STEWARD_MIN_GROUP_SIZE: smallest group shown in aggregates beyond a person's own manager
	TrustedProxies   []netip.Prefix // STEWARD_TRUSTED_PROXIES: addresses whose X-Forwarded-For is believed
	IdleTimeout      time.Duration  // session idle timeout
	MaxSession       time.Duration  // session absolute lifetime

	// Metrics: without a token and an address of its own, /metrics is
	// not served at all (it names every route and how busy it is).
	MetricsToken string // STEWARD_METRICS_TOKEN: bearer token for /metrics, at least 32 characters
	MetricsAddr  string // STEWARD_METRICS_ADDR: host:port of a listener that serves only /metrics

	// EmbedOrigins may frame the policy embed pages
	// (STEWARD_EMBED_ORIGINS, comma-separated https origins); every other
	// page may be framed by nobody.
	EmbedOrigins []string

	OIDC     OIDC                  // single sign-on; off without STEWARD_OIDC_ISSUER (oidc.go)
	Password people.PasswordPolicy // STEWARD_PASSWORD_SIGNIN, STEWARD_BREAK_GLASS
	// LogKeyFile holds the key that signs the transparency log's
	// checkpoints and the audit checkpoints, outside the database.
	LogKeyFile string // STEWARD_LOG_KEY_FILE; default: beside the SQLite file, or ./steward-log.key

	// PeopleSource is where people come from: PeopleFromSteward (admins'
	// forms and the roster import) or PeopleFromSCIM (the company
	// directory through /scim/v2, with the roster import turned off).
	PeopleSource string // STEWARD_PEOPLE_SOURCE

	// Org is the organisation settings the environment fixes
	// (STEWARD_ORG_NAME, STEWARD_ORG_CONTACT, …; org.Fields lists them),
	// by setting, checked as the settings form checks them. They win over
	// what an admin saved, and the form shows them read-only.
	Org map[string]string
}

// Sources of people (STEWARD_PEOPLE_SOURCE).
const (
	PeopleFromSteward = "steward"
	PeopleFromSCIM    = "scim"
)

// SCIM reports whether the company directory provisions people.
func (c Config) SCIM() bool { return c.PeopleSource == PeopleFromSCIM }

// TrustedProxy reports whether addr is one of the proxies whose
// X-Forwarded-For is believed.
func (c Config) TrustedProxy(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range c.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Production reports whether Steward runs in production mode.
func (c Config) Production() bool { return c.Env == Production }

// SecureCookies reports whether cookies must carry the Secure flag.
func (c Config) SecureCookies() bool { return c.BaseURL != nil && c.BaseURL.Scheme == "https" }

// Error lists every bad setting at once.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "config: " + strings.Join(e.Problems, "; ")
}

// Load reads the environment through getenv (os.Getenv in main, a map in
// tests) and validates the result.
func Load(getenv func(string) string) (Config, error) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	c := Config{
		Env:         strings.TrimSpace(getenv("STEWARD_ENV")),
		DatabaseURL: strings.TrimSpace(getenv("STEWARD_DATABASE_URL")),
		SMTPURL:     strings.TrimSpace(getenv("STEWARD_SMTP_URL")),
		MailFrom:    strings.TrimSpace(getenv("STEWARD_MAIL_FROM")),
		IdleTimeout: 30 * time.Minute,
		MaxSession:  12 * time.Hour,
	}
	if c.Env == "" {
		c.Env = Development
	}
	if c.Env != Development && c.Env != Production {
		bad("STEWARD_ENV must be %q or %q, not %q", Development, Production, c.Env)
	}

	switch addr, port := strings.TrimSpace(getenv("STEWARD_ADDR")), strings.TrimSpace(getenv("PORT")); {
	case addr != "":
		if _, p, err := net.SplitHostPort(addr); err != nil || !validPort(p) {
			bad("STEWARD_ADDR must be host:port, like 127.0.0.1:8080, not %q", addr)
		}
		c.Addr = addr
	case port != "":
		if !validPort(port) {
			bad("PORT must be a number from 1 to 65535, not %q", port)
		}
		c.Addr = ":" + port
	default:
		c.Addr = "127.0.0.1:8080"
	}

	if c.DatabaseURL == "" {
		c.DatabaseURL = "steward.db"
	}

	base := strings.TrimSpace(getenv("STEWARD_BASE_URL"))
	if base == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "127.0.0.1" + host
		}
		base = "http://" + host
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("STEWARD_BASE_URL must be an absolute http(s) URL, like https://steward.example.com, not %q", base)
	} else {
		u.Path = strings.TrimRight(u.Path, "/")
		c.BaseURL = u
	}

	keys := strings.TrimSpace(getenv("STEWARD_SESSION_KEYS"))
	if keys != "" {
		for i, k := range strings.Split(keys, ",") {
			key, err := decodeKey(strings.TrimSpace(k))
			if err != nil {
				bad("STEWARD_SESSION_KEYS key %d: %v", i+1, err)
				continue
			}
			c.SessionKeys = append(c.SessionKeys, key)
		}
	}

	for _, p := range strings.Split(getenv("STEWARD_TRUSTED_PROXIES"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				bad("STEWARD_TRUSTED_PROXIES: %q is neither an address nor a CIDR like 10.0.0.0/8", p)
				continue
			}
			prefix = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}

	if c.SMTPURL != "" {
		if _, err := ParseSMTPURL(c.SMTPURL); err != nil {
			bad("STEWARD_SMTP_URL %v", err)
		}
	}
	if c.MailFrom != "" {
		if err := checkMailFrom(c.MailFrom); err != nil {
			bad("STEWARD_MAIL_FROM %v", err)
		}
	} else {
		host := "localhost"
		if c.BaseURL != nil {
			host = c.BaseURL.Hostname()
		}
		c.MailFrom = "Steward <steward@" + host + ">"
	}

	c.SweepHour = intVar(getenv, "STEWARD_SWEEP_HOUR", 6, 0, 23, bad)
	c.RetentionDays = intVar(getenv, "STEWARD_RETENTION_DAYS", 365, 1, 36500, bad)
	c.MailRetentionDays = intVar(getenv, "STEWARD_MAIL_RETENTION_DAYS", 90, 1, 36500, bad)
	c.MinGroupSize = intVar(getenv, "STEWARD_MIN_GROUP_SIZE", 5, 1, 1000, bad)
	c.SubprocessorNoticeDays = intVar(getenv, "STEWARD_SUBPROCESSOR_NOTICE_DAYS", 30, 0, 365, bad)
	c.PolicyNoticeDays = intVar(getenv, "STEWARD_POLICY_NOTICE_DAYS", 30, 0, 365, bad)
	c.InviteDays = intVar(getenv, "STEWARD_INVITE_DAYS", 7, 1, 30, bad)

	loadMetrics(&c, getenv, bad)
	loadEmbedOrigins(&c, getenv, bad)
	loadOIDC(&c, getenv, bad)
	c.LogKeyFile = strings.TrimSpace(getenv("STEWARD_LOG_KEY_FILE"))
	if c.LogKeyFile == "" {
		c.LogKeyFile = "steward-log.key"
		if path, ok := strings.CutPrefix(c.DatabaseURL, "file:"); ok || !strings.Contains(c.DatabaseURL, "://") {
			path = strings.TrimPrefix(path, "sqlite:")
			path, _, _ = strings.Cut(path, "?")
			c.LogKeyFile = path + ".log-key"
		}
	}
	loadPeopleSource(&c, getenv, bad)
	if c.SCIM() && c.OIDC.Policy.CreateUsers {
		bad("STEWARD_OIDC_CREATE_USERS=true and STEWARD_PEOPLE_SOURCE=scim disagree: people come from the directory, so single sign-on cannot create them")
	}

	orgEnv, orgProblems := org.ParseEnv(getenv)
	problems = append(problems, orgProblems...)
	c.Org = orgEnv

	if len(problems) > 0 {
		return c, &Error{Problems: problems}
	}
	return c, nil
}

// MinMetricsToken is the shortest STEWARD_METRICS_TOKEN accepted.
const MinMetricsToken = 32

func loadPeopleSource(c *Config, getenv func(string) string, bad func(string, ...any)) {
	switch v := strings.ToLower(strings.TrimSpace(getenv("STEWARD_PEOPLE_SOURCE"))); v {
	case "", PeopleFromSteward:
		c.PeopleSource = PeopleFromSteward
	case PeopleFromSCIM:
		c.PeopleSource = PeopleFromSCIM
	default:
		bad("STEWARD_PEOPLE_SOURCE must be %q (admins and the roster import) or %q (the company directory through /scim/v2), not %q", PeopleFromSteward, PeopleFromSCIM, v)
	}
}

func loadMetrics(c *Config, getenv func(string) string, bad func(string, ...any)) {
	c.MetricsToken = strings.TrimSpace(getenv("STEWARD_METRICS_TOKEN"))
	if n := len(c.MetricsToken); n > 0 && n < MinMetricsToken {
		bad("STEWARD_METRICS_TOKEN must be at least %d characters, not %d (generate one with `openssl rand -hex 32`)", MinMetricsToken, n)
	}
	c.MetricsAddr = strings.TrimSpace(getenv("STEWARD_METRICS_ADDR"))
	if c.MetricsAddr != "" {
		if _, p, err := net.SplitHostPort(c.MetricsAddr); err != nil || !validPort(p) {
			bad("STEWARD_METRICS_ADDR must be host:port, like 127.0.0.1:9090, not %q", c.MetricsAddr)
		} else if c.MetricsAddr == c.Addr {
			bad("STEWARD_METRICS_ADDR must differ from the web address %s", c.Addr)
		}
	}
}

func intVar(getenv func(string) string, name string, def, lo, hi int, bad func(string, ...any)) int {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		bad("%s must be a whole number from %d to %d, not %q", name, lo, hi, v)
		return def
	}
	return n
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

// decodeKey accepts a hex or base64 key of at least 32 bytes.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty key")
	}
	if b, err := hex.DecodeString(s); err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("too short: %d bytes, need at least 32", len(b))
		}
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) < 32 {
				return nil, fmt.Errorf("too short: %d bytes, need at least 32", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not hex or base64 (generate one with `openssl rand -hex 32`)")
}
