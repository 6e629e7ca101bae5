package config

import (
	"fmt"
	"net/url"
	"strings"
)

// loadEmbedOrigins reads STEWARD_EMBED_ORIGINS: the sites allowed to frame
// a policy's embed page (/policies/:slug/embed), as origins. An origin
// names a site, so a path, query, fragment, user or wildcard is refused
// rather than silently widened or narrowed. Plain http is accepted only
// for loopback addresses, which browsers treat as secure, so the embed
// can be tried on a developer's machine.
func loadEmbedOrigins(c *Config, getenv func(string) string, bad func(string, ...any)) {
	for _, raw := range strings.Split(getenv("STEWARD_EMBED_ORIGINS"), ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		origin, err := parseOrigin(raw)
		if err != nil {
			bad("STEWARD_EMBED_ORIGINS: %q %v", raw, err)
			continue
		}
		dup := false
		for _, o := range c.EmbedOrigins {
			dup = dup || o == origin
		}
		if !dup {
			c.EmbedOrigins = append(c.EmbedOrigins, origin)
		}
	}
}

// parseOrigin returns raw as a canonical origin, scheme://host[:port] in
// lower case.
func parseOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("is not an origin like https://www.example.com")
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case u.User != nil:
		return "", fmt.Errorf("must not carry a user name or password")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#"):
		return "", fmt.Errorf("must be an origin, without a path, query or fragment: like https://www.example.com")
	case strings.ContainsAny(host, "*;' \t"):
		return "", fmt.Errorf("must name one site: wildcards are not accepted")
	case u.Scheme == "http" && !loopback(host):
		return "", fmt.Errorf("must use https (plain http only for localhost and 127.0.0.1)")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("must use https")
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return "", fmt.Errorf("has a port that is not a number from 1 to 65535")
	}
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	return origin, nil
}
