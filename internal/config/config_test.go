package config

import (
	"strings"
	"testing"
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
		{"short key", map[string]string{"STEWARD_SESSION_KEYS": "abcd"}, "too short"},
		{"garbage key", map[string]string{"STEWARD_SESSION_KEYS": "not a key!"}, "not hex or base64"},
		{"relative base URL", map[string]string{"STEWARD_BASE_URL": "/steward"}, "STEWARD_BASE_URL must be"},
		{"smtp scheme", map[string]string{"STEWARD_SMTP_URL": "http://u:secret@host"}, "STEWARD_SMTP_URL must look like"},
		{"sweep hour", map[string]string{"STEWARD_SWEEP_HOUR": "25"}, "STEWARD_SWEEP_HOUR must be"},
		{"short metrics token", map[string]string{"STEWARD_METRICS_TOKEN": "secret-but-short"}, "STEWARD_METRICS_TOKEN must be at least 32 characters, not 16"},
		{"metrics addr without port", map[string]string{"STEWARD_METRICS_ADDR": "localhost"}, "STEWARD_METRICS_ADDR must be host:port"},
		{"metrics addr is the web addr", map[string]string{"STEWARD_METRICS_ADDR": "127.0.0.1:8080"}, "must differ from the web address"},
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
