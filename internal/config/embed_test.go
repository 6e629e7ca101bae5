package config

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadEmbedOrigins(t *testing.T) {
	c, err := Load(env(map[string]string{"STEWARD_EMBED_ORIGINS": " https://www.Example.com, https://shop.example.com:8443/ ,http://127.0.0.1:5173,https://www.example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://www.example.com", "https://shop.example.com:8443", "http://127.0.0.1:5173"}
	if !slices.Equal(c.EmbedOrigins, want) {
		t.Errorf("origins %q, want %q", c.EmbedOrigins, want)
	}
	if c, _ := Load(env(nil)); len(c.EmbedOrigins) != 0 {
		t.Errorf("default origins %q, want none", c.EmbedOrigins)
	}
}

func TestLoadRejectsBadEmbedOrigins(t *testing.T) {
	for value, want := range map[string]string{
		"http://www.example.com":              "must use https",
		"ftp://www.example.com":               "must use https",
		"https://www.example.com/privacy":     "without a path, query or fragment",
		"https://www.example.com?x=1":         "without a path, query or fragment",
		"https://www.example.com#top":         "without a path, query or fragment",
		"https://*.example.com":               "wildcards are not accepted",
		"https://u:p@www.example.com":         "must not carry a user name",
		"www.example.com":                     "is not an origin",
		"*":                                   "is not an origin",
		"'none'":                              "is not an origin",
		"https://www.example.com:99999":       "port",
		"https://a.example.com; script-src *": "",
	} {
		t.Run(value, func(t *testing.T) {
			_, err := Load(env(map[string]string{"STEWARD_EMBED_ORIGINS": "https://ok.example.com," + value}))
			if err == nil || !strings.Contains(err.Error(), "STEWARD_EMBED_ORIGINS") || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to name STEWARD_EMBED_ORIGINS and %q", err, want)
			}
		})
	}
}
