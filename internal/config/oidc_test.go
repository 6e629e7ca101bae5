package config

import (
	"reflect"
	"strings"
	"testing"

	"steward/internal/people"
)

func oidcEnv(extra map[string]string) map[string]string {
	m := map[string]string{
		"STEWARD_OIDC_ISSUER":        "https://login.example.com",
		"STEWARD_OIDC_CLIENT_ID":     "steward",
		"STEWARD_OIDC_CLIENT_SECRET": "s3cret",
		"STEWARD_OIDC_DOMAINS":       "example.com, Example.org",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestLoadOIDC(t *testing.T) {
	c, err := Load(env(oidcEnv(map[string]string{
		"STEWARD_OIDC_ROLE_MAP":     "steward-admins:admin, managers:manager,ou:auditors:auditor",
		"STEWARD_OIDC_CREATE_USERS": "true",
		"STEWARD_PASSWORD_SIGNIN":   "off",
		"STEWARD_BREAK_GLASS":       "Admin@Example.com,ops@example.com",
	})))
	if err != nil {
		t.Fatal(err)
	}
	o := c.OIDC
	if !o.Enabled() || o.Name != "login.example.com" || o.GroupsClaim != "groups" || !o.Policy.CreateUsers {
		t.Fatalf("oidc: %+v", o)
	}
	if want := []string{"example.com", "example.org"}; !reflect.DeepEqual(o.Policy.Domains, want) {
		t.Fatalf("domains %v, want %v", o.Policy.Domains, want)
	}
	want := []people.GroupRole{{Group: "steward-admins", Role: people.RoleAdmin}, {Group: "managers", Role: people.RoleManager}, {Group: "ou:auditors", Role: people.RoleAuditor}}
	if !reflect.DeepEqual(o.Policy.RoleMap, want) {
		t.Fatalf("role map %v, want %v", o.Policy.RoleMap, want)
	}
	if !c.Password.Off || !reflect.DeepEqual(c.Password.BreakGlass, []string{"admin@example.com", "ops@example.com"}) {
		t.Fatalf("password policy %+v", c.Password)
	}

	plain, err := Load(env(nil))
	if err != nil || plain.OIDC.Enabled() || plain.Password.Off {
		t.Fatalf("without settings: %+v, %v", plain.OIDC, err)
	}
	local, err := Load(env(oidcEnv(map[string]string{"STEWARD_OIDC_ISSUER": "http://127.0.0.1:9998", "STEWARD_OIDC_NAME": "Acme ID"})))
	if err != nil || local.OIDC.Name != "Acme ID" {
		t.Fatalf("local provider: %+v, %v", local.OIDC, err)
	}
}

func TestLoadOIDCRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"client id without issuer", map[string]string{"STEWARD_OIDC_CLIENT_ID": "steward"}, "STEWARD_OIDC_CLIENT_ID is set but STEWARD_OIDC_ISSUER is not"},
		{"password off without sso", map[string]string{"STEWARD_PASSWORD_SIGNIN": "off", "STEWARD_BREAK_GLASS": "a@example.com"}, "STEWARD_PASSWORD_SIGNIN=off needs single sign-on"},
		{"issuer not a URL", oidcEnv(map[string]string{"STEWARD_OIDC_ISSUER": "login.example.com"}), "STEWARD_OIDC_ISSUER must be the provider's issuer URL"},
		{"issuer with query", oidcEnv(map[string]string{"STEWARD_OIDC_ISSUER": "https://login.example.com/?x=1"}), "STEWARD_OIDC_ISSUER must be the provider's issuer URL"},
		{"plain http elsewhere", oidcEnv(map[string]string{"STEWARD_OIDC_ISSUER": "http://login.example.com"}), "must use https"},
		{"no client id", oidcEnv(map[string]string{"STEWARD_OIDC_CLIENT_ID": ""}), "STEWARD_OIDC_CLIENT_ID is missing"},
		{"no secret", oidcEnv(map[string]string{"STEWARD_OIDC_CLIENT_SECRET": ""}), "STEWARD_OIDC_CLIENT_SECRET is missing"},
		{"no domains", oidcEnv(map[string]string{"STEWARD_OIDC_DOMAINS": ""}), "STEWARD_OIDC_DOMAINS is missing"},
		{"bad domain", oidcEnv(map[string]string{"STEWARD_OIDC_DOMAINS": "example.com,@evil"}), `"@evil" is not a domain name`},
		{"domain twice", oidcEnv(map[string]string{"STEWARD_OIDC_DOMAINS": "example.com,EXAMPLE.com"}), "names example.com twice"},
		{"role map without role", oidcEnv(map[string]string{"STEWARD_OIDC_ROLE_MAP": "admins"}), `"admins" is not group:role`},
		{"unknown role", oidcEnv(map[string]string{"STEWARD_OIDC_ROLE_MAP": "admins:root"}), `"root" is not a role`},
		{"group twice", oidcEnv(map[string]string{"STEWARD_OIDC_ROLE_MAP": "a:admin,a:manager"}), `names the group "a" twice`},
		{"create users not a boolean", oidcEnv(map[string]string{"STEWARD_OIDC_CREATE_USERS": "sometimes"}), "STEWARD_OIDC_CREATE_USERS must be true or false"},
		{"groups claim with spaces", oidcEnv(map[string]string{"STEWARD_OIDC_GROUPS_CLAIM": "my groups"}), "STEWARD_OIDC_GROUPS_CLAIM must be a claim name"},
		{"long name", oidcEnv(map[string]string{"STEWARD_OIDC_NAME": strings.Repeat("x", 61)}), "STEWARD_OIDC_NAME must be at most 60"},
		{"password signin value", oidcEnv(map[string]string{"STEWARD_PASSWORD_SIGNIN": "disabled"}), `STEWARD_PASSWORD_SIGNIN must be on or off, not "disabled"`},
		{"off without break-glass", oidcEnv(map[string]string{"STEWARD_PASSWORD_SIGNIN": "off"}), "needs STEWARD_BREAK_GLASS"},
		{"break-glass while on", oidcEnv(map[string]string{"STEWARD_BREAK_GLASS": "a@example.com"}), "STEWARD_BREAK_GLASS is set but password sign-in is on"},
		{"break-glass not an email", oidcEnv(map[string]string{"STEWARD_PASSWORD_SIGNIN": "off", "STEWARD_BREAK_GLASS": "admin"}), `"admin" is not an email address`},
		{"creation with the directory as the source", oidcEnv(map[string]string{"STEWARD_OIDC_CREATE_USERS": "true", "STEWARD_PEOPLE_SOURCE": "scim"}), "STEWARD_PEOPLE_SOURCE=scim disagree"},
		{"break-glass twice", oidcEnv(map[string]string{"STEWARD_PASSWORD_SIGNIN": "off", "STEWARD_BREAK_GLASS": "a@example.com,A@example.com"}), "names a@example.com twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}
