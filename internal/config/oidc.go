package config

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"steward/internal/people"
)

// OIDC is the single sign-on setup: an OpenID provider, Steward's client
// there, and what the provider's word may do in Steward.
type OIDC struct {
	Issuer       string // STEWARD_OIDC_ISSUER: the provider's issuer URL, exactly as its discovery document names it
	ClientID     string // STEWARD_OIDC_CLIENT_ID
	ClientSecret string // STEWARD_OIDC_CLIENT_SECRET
	Name         string // STEWARD_OIDC_NAME: the button says "Sign in with <Name>" (default: the issuer's host)
	GroupsClaim  string // STEWARD_OIDC_GROUPS_CLAIM: the claim that lists the person's groups (default "groups")
	// Policy: STEWARD_OIDC_DOMAINS, STEWARD_OIDC_CREATE_USERS,
	// STEWARD_OIDC_ROLE_MAP (group:role,group:role; the first that
	// matches wins).
	Policy people.SSOPolicy
}

// Enabled reports whether single sign-on is set up.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

var (
	claimName  = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{1,100}$`)
	domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

func loadOIDC(c *Config, getenv func(string) string, bad func(string, ...any)) {
	o := &c.OIDC
	o.Issuer = strings.TrimSpace(getenv("STEWARD_OIDC_ISSUER"))
	o.ClientID = strings.TrimSpace(getenv("STEWARD_OIDC_CLIENT_ID"))
	o.ClientSecret = strings.TrimSpace(getenv("STEWARD_OIDC_CLIENT_SECRET"))
	o.Name = strings.TrimSpace(getenv("STEWARD_OIDC_NAME"))
	o.GroupsClaim = strings.TrimSpace(getenv("STEWARD_OIDC_GROUPS_CLAIM"))
	domains := strings.TrimSpace(getenv("STEWARD_OIDC_DOMAINS"))
	roleMap := strings.TrimSpace(getenv("STEWARD_OIDC_ROLE_MAP"))
	create := strings.TrimSpace(getenv("STEWARD_OIDC_CREATE_USERS"))
	loadPassword(c, getenv, bad)

	if o.Issuer == "" {
		for name, v := range map[string]string{"STEWARD_OIDC_CLIENT_ID": o.ClientID, "STEWARD_OIDC_CLIENT_SECRET": o.ClientSecret,
			"STEWARD_OIDC_NAME": o.Name, "STEWARD_OIDC_GROUPS_CLAIM": o.GroupsClaim, "STEWARD_OIDC_DOMAINS": domains,
			"STEWARD_OIDC_ROLE_MAP": roleMap, "STEWARD_OIDC_CREATE_USERS": create} {
			if v != "" {
				bad("%s is set but STEWARD_OIDC_ISSUER is not: single sign-on needs the provider's issuer URL", name)
			}
		}
		if c.Password.Off {
			bad("STEWARD_PASSWORD_SIGNIN=off needs single sign-on: set STEWARD_OIDC_ISSUER, or nobody but the break-glass admins can sign in")
		}
		return
	}

	u, err := url.Parse(o.Issuer)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		bad("STEWARD_OIDC_ISSUER must be the provider's issuer URL, like https://login.example.com, not %q", o.Issuer)
	case u.Scheme == "http" && !loopback(u.Hostname()):
		bad("STEWARD_OIDC_ISSUER must use https (plain http only on this machine: localhost, 127.0.0.1, ::1), not %q", o.Issuer)
	}
	if o.ClientID == "" {
		bad("STEWARD_OIDC_CLIENT_ID is missing: the client id Steward is registered with at the provider")
	}
	if o.ClientSecret == "" {
		bad("STEWARD_OIDC_CLIENT_SECRET is missing: the client secret the provider gave Steward")
	}
	if o.Name == "" && u != nil {
		o.Name = u.Hostname()
	}
	if len(o.Name) > 60 {
		bad("STEWARD_OIDC_NAME must be at most 60 characters, not %d", len(o.Name))
	}
	if o.GroupsClaim == "" {
		o.GroupsClaim = "groups"
	}
	if !claimName.MatchString(o.GroupsClaim) {
		bad("STEWARD_OIDC_GROUPS_CLAIM must be a claim name (letters, digits, _ . : / -), not %q", o.GroupsClaim)
	}

	if domains == "" {
		bad("STEWARD_OIDC_DOMAINS is missing: the email domains whose people may sign in, like example.com,example.org")
	}
	for _, d := range strings.Split(domains, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "" && domains == "":
		case !domainName.MatchString(d):
			bad("STEWARD_OIDC_DOMAINS: %q is not a domain name like example.com", d)
		case slices.Contains(o.Policy.Domains, d):
			bad("STEWARD_OIDC_DOMAINS names %s twice", d)
		default:
			o.Policy.Domains = append(o.Policy.Domains, d)
		}
	}

	if roleMap != "" {
		seen := map[string]bool{}
		for _, pair := range strings.Split(roleMap, ",") {
			// The group is what the provider sends and may hold a colon
			// itself: the role is after the last one.
			p := strings.TrimSpace(pair)
			i := strings.LastIndexByte(p, ':')
			group, role := "", ""
			if i >= 0 {
				group, role = strings.TrimSpace(p[:i]), strings.TrimSpace(p[i+1:])
			}
			switch {
			case group == "":
				bad("STEWARD_OIDC_ROLE_MAP: %q is not group:role, as in steward-admins:admin", p)
			case !people.Role(role).Valid():
				bad("STEWARD_OIDC_ROLE_MAP: %q is not a role (employee, manager, admin, auditor)", role)
			case seen[group]:
				bad("STEWARD_OIDC_ROLE_MAP names the group %q twice", group)
			default:
				seen[group] = true
				o.Policy.RoleMap = append(o.Policy.RoleMap, people.GroupRole{Group: group, Role: people.Role(role)})
			}
		}
	}

	switch strings.ToLower(create) {
	case "", "false", "no", "off", "0":
	case "true", "yes", "on", "1":
		o.Policy.CreateUsers = true
	default:
		bad("STEWARD_OIDC_CREATE_USERS must be true or false, not %q", create)
	}
}

func loadPassword(c *Config, getenv func(string) string, bad func(string, ...any)) {
	switch v := strings.TrimSpace(getenv("STEWARD_PASSWORD_SIGNIN")); strings.ToLower(v) {
	case "", "on":
	case "off":
		c.Password.Off = true
	default:
		bad("STEWARD_PASSWORD_SIGNIN must be on or off, not %q", v)
	}
	list := strings.TrimSpace(getenv("STEWARD_BREAK_GLASS"))
	if list == "" {
		if c.Password.Off {
			bad("STEWARD_PASSWORD_SIGNIN=off needs STEWARD_BREAK_GLASS: the emails of the admins who may still sign in with a password when the provider is down")
		}
		return
	}
	if !c.Password.Off {
		bad("STEWARD_BREAK_GLASS is set but password sign-in is on for everyone: set STEWARD_PASSWORD_SIGNIN=off too, or remove it")
	}
	for _, e := range strings.Split(list, ",") {
		e = people.NormalizeEmail(e)
		at := strings.LastIndexByte(e, '@')
		switch {
		case at < 1 || !domainName.MatchString(e[at+1:]) || strings.ContainsAny(e, " <>,;\"") || len(e) > 254:
			bad("STEWARD_BREAK_GLASS: %q is not an email address", e)
		case slices.Contains(c.Password.BreakGlass, e):
			bad("STEWARD_BREAK_GLASS names %s twice", e)
		default:
			c.Password.BreakGlass = append(c.Password.BreakGlass, e)
		}
	}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
