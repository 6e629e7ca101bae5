package config

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DatabaseURL != "steward.db" || c.Env != Development {
		t.Fatalf("defaults: %+v", c)
	}
	if c.BaseURL.String() != "http://127.0.0.1:8080" {
		t.Fatalf("base URL = %s", c.BaseURL)
	}
	if c.PolicyNoticeDays != 30 {
		t.Fatalf("policy notice = %d days, want 30", c.PolicyNoticeDays)
	}
	if c.InviteDays != 7 {
		t.Fatalf("invitations last %d days, want 7", c.InviteDays)
	}
	if c.SubprocessorNoticeDays != 30 {
		t.Fatalf("subprocessor notice = %d days, want 30", c.SubprocessorNoticeDays)
	}
	// No key in the source: without STEWARD_SESSION_KEYS the installation
	// generates and keeps its own (package keys).
	if len(c.SessionKeys) != 0 || c.SecureCookies() {
		t.Fatalf("default keys/cookies: %d keys, secure=%v", len(c.SessionKeys), c.SecureCookies())
	}
	if p, err := Load(env(map[string]string{"STEWARD_ENV": "production"})); err != nil || len(p.SessionKeys) != 0 {
		t.Fatalf("production without STEWARD_SESSION_KEYS: %v, %d keys", err, len(p.SessionKeys))
	}
}

func TestLoadValues(t *testing.T) {
	key := strings.Repeat("ab", 32)
	c, err := Load(env(map[string]string{
		"PORT": "9000", "STEWARD_ENV": "production", "STEWARD_SESSION_KEYS": key + "," + key,
		"STEWARD_BASE_URL": "https://steward.example.com/", "STEWARD_SMTP_URL": "smtp://u:p@mail:587",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || !c.Production() || len(c.SessionKeys) != 2 || !c.SecureCookies() {
		t.Fatalf("got %+v", c)
	}
	if c.MailFrom != "Steward <steward@steward.example.com>" {
		t.Fatalf("mail from = %q", c.MailFrom)
	}
}

func TestLoadOrganisationSettings(t *testing.T) {
	c, err := Load(env(map[string]string{
		"STEWARD_ORG_NAME": "  Brightloop Ltd ", "STEWARD_ORG_PROCESSOR_NOTICE": "24 hours", "STEWARD_ORG_POWERED_BY": "yes",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Org["name"] != "Brightloop Ltd" || c.Org["processor_notice"] != "24 hours" || c.Org["powered_by"] != "true" || len(c.Org) != 3 {
		t.Fatalf("Org = %q", c.Org)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"port not a number", map[string]string{"PORT": "eighty"}, "PORT must be a number"},
		{"port out of range", map[string]string{"PORT": "70000"}, "PORT must be a number"},
		{"addr without port", map[string]string{"STEWARD_ADDR": "localhost"}, "STEWARD_ADDR must be host:port"},
		{"unknown env", map[string]string{"STEWARD_ENV": "staging"}, "STEWARD_ENV must be"},
		{"notice days negative", map[string]string{"STEWARD_SUBPROCESSOR_NOTICE_DAYS": "-1"}, "STEWARD_SUBPROCESSOR_NOTICE_DAYS must be a whole number from 0 to 365"},
		{"invite days zero", map[string]string{"STEWARD_INVITE_DAYS": "0"}, "STEWARD_INVITE_DAYS must be a whole number from 1 to 30"},
		{"invite days too many", map[string]string{"STEWARD_INVITE_DAYS": "31"}, "STEWARD_INVITE_DAYS must be a whole number from 1 to 30"},
		{"invite days words", map[string]string{"STEWARD_INVITE_DAYS": "7d"}, "STEWARD_INVITE_DAYS must be"},
		{"notice days words", map[string]string{"STEWARD_SUBPROCESSOR_NOTICE_DAYS": "thirty"}, "STEWARD_SUBPROCESSOR_NOTICE_DAYS must be"},
		{"policy notice days too many", map[string]string{"STEWARD_POLICY_NOTICE_DAYS": "366"}, "STEWARD_POLICY_NOTICE_DAYS must be a whole number from 0 to 365"},
		{"policy notice days words", map[string]string{"STEWARD_POLICY_NOTICE_DAYS": "a month"}, "STEWARD_POLICY_NOTICE_DAYS must be"},
		{"unknown people source", map[string]string{"STEWARD_PEOPLE_SOURCE": "ldap"}, `STEWARD_PEOPLE_SOURCE must be "steward"`},
		{"short key", map[string]string{"STEWARD_SESSION_KEYS": "abcd"}, "too short"},
		{"garbage key", map[string]string{"STEWARD_SESSION_KEYS": "not a key!"}, "not hex or base64"},
		{"relative base URL", map[string]string{"STEWARD_BASE_URL": "/steward"}, "STEWARD_BASE_URL must be"},
		{"smtp scheme", map[string]string{"STEWARD_SMTP_URL": "http://u:secret@host"}, "STEWARD_SMTP_URL must look like"},
		{"smtp unknown option", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host?tls=1&starttls=none"}, `STEWARD_SMTP_URL unknown option "tls"`},
		{"smtp unknown options", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host?tls=1&auth=plain"}, `unknown option "auth", "tls"`},
		{"smtp option twice", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host?starttls=none&starttls=mandatory"}, "starttls is given 2 times"},
		{"smtp starttls value", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host?starttls=yes"}, `starttls must be mandatory, opportunistic or none, not "yes"`},
		{"smtps with starttls", map[string]string{"STEWARD_SMTP_URL": "smtps://u:secret@host?starttls=mandatory"}, "smtps:// uses TLS from the start"},
		{"smtp timeout", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host?timeout=10"}, `timeout must be a duration`},
		{"smtp negative timeout", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host?timeout=-1s"}, `timeout must be a duration`},
		{"smtp tiny timeout", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host?timeout=5ms"}, `timeout must be a duration from 1s to 10m`},
		{"smtp port zero", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host:0"}, "port must be a number from 1 to 65535"},
		{"smtp port too big", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host:99999"}, "port must be a number from 1 to 65535"},
		{"smtp port not a number", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host:smtp"}, "invalid port"},
		{"smtp no host", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@:25"}, "has no host"},
		{"smtp path", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret@host/inbox"}, "has a path"},
		{"smtp opaque", map[string]string{"STEWARD_SMTP_URL": "smtp:host:25"}, "must have // after the scheme, as in smtp://host"},
		{"smtp password without user", map[string]string{"STEWARD_SMTP_URL": "smtp://:secret@host"}, "a password but no user name"},
		{"smtp bad escape in password", map[string]string{"STEWARD_SMTP_URL": "smtp://u:secret%zz@host"}, "write a % in a password as %25"},
		{"mail from not an address", map[string]string{"STEWARD_MAIL_FROM": "Steward"}, "STEWARD_MAIL_FROM must be one email address"},
		{"mail from two addresses", map[string]string{"STEWARD_MAIL_FROM": "a@example.com, b@example.com"}, "STEWARD_MAIL_FROM must be one email address"},
		{"mail from header injection", map[string]string{"STEWARD_MAIL_FROM": "a@example.com\r\nBcc: b@example.com"}, "STEWARD_MAIL_FROM must be one email address"},
		{"mail from address literal", map[string]string{"STEWARD_MAIL_FROM": "steward@[192.0.2.1]"}, "STEWARD_MAIL_FROM must be an address at a domain name"},
		{"sweep hour", map[string]string{"STEWARD_SWEEP_HOUR": "25"}, "STEWARD_SWEEP_HOUR must be"},
		{"short metrics token", map[string]string{"STEWARD_METRICS_TOKEN": "secret-but-short"}, "STEWARD_METRICS_TOKEN must be at least 32 characters, not 16"},
		{"metrics addr without port", map[string]string{"STEWARD_METRICS_ADDR": "localhost"}, "STEWARD_METRICS_ADDR must be host:port"},
		{"metrics addr is the web addr", map[string]string{"STEWARD_METRICS_ADDR": "127.0.0.1:8080"}, "must differ from the web address"},
		{"org accent too light", map[string]string{"STEWARD_ORG_ACCENT": "#ffee00"}, "STEWARD_ORG_ACCENT is too light"},
		{"org name with markup", map[string]string{"STEWARD_ORG_NAME": "<img src=x>"}, "STEWARD_ORG_NAME must not contain < or >"},
		{"org link not https", map[string]string{"STEWARD_ORG_FOOTER_LINKS": "Site | ftp://example.com"}, "STEWARD_ORG_FOOTER_LINKS line 1: the address must be an https address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks the SMTP password: %v", err)
			}
		})
	}
}

func TestLoadAcceptsMailSettings(t *testing.T) {
	for _, e := range []map[string]string{
		{"STEWARD_MAIL_FROM": "steward@example.com"},
		{"STEWARD_MAIL_FROM": "Steward <steward@example.com>"},
		{"STEWARD_MAIL_FROM": `"Privacy, Acme" <privacy@acme.example>`},
		{"STEWARD_SMTP_URL": "smtp://mail.example.com"},
		{"STEWARD_SMTP_URL": "smtp://u:p%25ss@mail.example.com:2525/?starttls=mandatory&timeout=30s"},
		{"STEWARD_SMTP_URL": "smtps://u:p@mail.example.com"},
		{"STEWARD_SMTP_URL": "smtp://127.0.0.1:1025?starttls=none"},
	} {
		if _, err := Load(env(e)); err != nil {
			t.Errorf("%v: %v", e, err)
		}
	}
}

func TestParseSMTPURL(t *testing.T) {
	s, err := ParseSMTPURL("smtp://u:p%25ss@mail.example.com:2525?starttls=mandatory&timeout=30s")
	if err != nil {
		t.Fatal(err)
	}
	want := SMTP{Host: "mail.example.com", Port: 2525, User: "u", Password: "p%ss", StartTLS: "mandatory", Timeout: 30 * time.Second}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	if s, _ := ParseSMTPURL("smtps://mail.example.com"); !s.SSL || s.Port != 465 || s.Timeout != 10*time.Second {
		t.Fatalf("smtps defaults: %+v", s)
	}
}

func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{"smtp://u:secret@host:25?starttls=none", "smtps://h", "smtp://u:secret%zz@h", "smtp://[::1]:25?timeout=1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := ParseSMTPURL(raw)
		if err == nil {
			return
		}
		// An error never repeats a password of four or more characters,
		// unless the same letters stand elsewhere in the URL (a host
		// "ceet" with the password "ceet" may be named).
		if u, perr := url.Parse(raw); perr == nil {
			if p, ok := u.User.Password(); ok && len(p) >= 4 && strings.Contains(err.Error(), p) && !strings.Contains(u.Redacted(), p) {
				t.Fatalf("%q: error shows the password: %v", raw, err)
			}
		}
	})
}

func TestLoadMetricsSettings(t *testing.T) {
	token := strings.Repeat("m", 32)
	c, err := Load(env(map[string]string{"STEWARD_METRICS_TOKEN": token, "STEWARD_METRICS_ADDR": "127.0.0.1:9090"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsToken != token || c.MetricsAddr != "127.0.0.1:9090" {
		t.Fatalf("metrics: %q %q", c.MetricsToken, c.MetricsAddr)
	}
	if c, err := Load(env(nil)); err != nil || c.MetricsToken != "" || c.MetricsAddr != "" {
		t.Fatalf("default metrics settings: %v %+v", err, c)
	}
}
