package people_test

import (
	"context"
	"errors"
	"testing"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/people"
)

const issuer = "https://login.example.com"

var ssoPolicy = people.SSOPolicy{
	Domains: []string{"example.com"},
	RoleMap: []people.GroupRole{{Group: "admins", Role: people.RoleAdmin}, {Group: "managers", Role: people.RoleManager}},
}

func TestSignInSSO(t *testing.T) { dbtest.Dialects(t, testSignInSSO) }

func testSignInSSO(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := people.NewStore(d)
	admin, err := s.Create(ctx, people.Input{Email: "admin@example.com", Name: "Ada Admin", Role: people.RoleAdmin}, audit.CLI, now)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := s.Create(ctx, people.Input{Email: "ann@example.com", Name: "Ann", Role: people.RoleEmployee}, audit.CLI, now)
	if err != nil {
		t.Fatal(err)
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := d.Get(&n, d.Rebind(q), args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	claims := func(sub, email string, verified bool, groups ...string) people.Claims {
		return people.Claims{Issuer: issuer, Subject: sub, Email: email, EmailVerified: verified, Groups: groups}
	}

	// Refusals change nothing, and each is audited.
	for _, tt := range []struct {
		name string
		c    people.Claims
		p    people.SSOPolicy
		want error
	}{
		{"unverified email", claims("s-x", "admin@example.com", false), ssoPolicy, people.ErrEmailUnverified},
		{"no email", claims("s-x", "", true), ssoPolicy, people.ErrEmailUnverified},
		{"other domain", claims("s-x", "admin@example.com.evil.test", true), ssoPolicy, people.ErrDomainRefused},
		{"unknown person", claims("s-x", "new@example.com", true), ssoPolicy, people.ErrNoAccount},
		{"markup in the email", claims("s-x", "<b>x</b>@example.com", true), people.SSOPolicy{Domains: []string{"example.com"}, CreateUsers: true}, people.ErrBadEmail},
	} {
		refusals := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'login.sso.refused'`)
		if _, _, err := s.SignInSSO(ctx, tt.c, tt.p, now); !errors.Is(err, tt.want) {
			t.Fatalf("%s: err %v, want %v", tt.name, err, tt.want)
		}
		if count(`SELECT COUNT(*) FROM identities`) != 0 || count(`SELECT COUNT(*) FROM users`) != 2 {
			t.Fatalf("%s: something was written", tt.name)
		}
		if count(`SELECT COUNT(*) FROM audit_log WHERE action = 'login.sso.refused'`) != refusals+1 {
			t.Fatalf("%s: refusal not audited", tt.name)
		}
	}

	// Linked by verified email, then found by subject whatever the email.
	u, out, err := s.SignInSSO(ctx, claims("s-ann", "Ann@Example.com", true), ssoPolicy, now)
	if err != nil || u.ID != ann || !out.Linked || out.Role != "" {
		t.Fatalf("first sign-in: %+v %+v %v", u, out, err)
	}
	u, out, err = s.SignInSSO(ctx, claims("s-ann", "admin@example.com", false, "managers"), ssoPolicy, now)
	if err != nil || u.ID != ann || out.Linked || u.Role != people.RoleManager || out.Role != people.RoleEmployee {
		t.Fatalf("second sign-in: %+v %+v %v", u, out, err)
	}
	// Another subject claiming Ann's email is not Ann.
	if _, _, err := s.SignInSSO(ctx, claims("s-impostor", "ann@example.com", true), ssoPolicy, now); !errors.Is(err, people.ErrAlreadyLinked) {
		t.Fatalf("second subject: %v", err)
	}
	if ids, err := s.Identities(ctx, ann); err != nil || len(ids) != 1 || ids[0].Subject != "s-ann" {
		t.Fatalf("identities of Ann: %+v %v", ids, err)
	}

	// The provider cannot demote the last admin.
	u, _, err = s.SignInSSO(ctx, claims("s-admin", "admin@example.com", true), ssoPolicy, now)
	if err != nil || u.ID != admin || u.Role != people.RoleAdmin {
		t.Fatalf("last admin: %+v %v", u, err)
	}
	if count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.role.kept'`) != 1 {
		t.Fatal("keeping the last admin is not audited")
	}

	// Without a role map, roles stay as Steward has them.
	u, _, err = s.SignInSSO(ctx, claims("s-ann", "ann@example.com", true, "admins"), people.SSOPolicy{Domains: []string{"example.com"}}, now)
	if err != nil || u.Role != people.RoleManager {
		t.Fatalf("without a role map: %+v %v", u, err)
	}

	// A deactivated person is refused, even by subject.
	if err := s.SetActive(ctx, ann, false, audit.CLI, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignInSSO(ctx, claims("s-ann", "ann@example.com", true), ssoPolicy, now); !errors.Is(err, people.ErrInactive) {
		t.Fatalf("deactivated: %v", err)
	}

	// Creation when allowed: an employee unless the groups say otherwise.
	create := ssoPolicy
	create.CreateUsers = true
	u, out, err = s.SignInSSO(ctx, people.Claims{Issuer: issuer, Subject: "s-new", Email: "new@example.com", EmailVerified: true, Name: "Nia New"}, create, now)
	if err != nil || !out.Created || !out.Linked || u.Name != "Nia New" || u.Role != people.RoleEmployee || u.Source != people.SourceSSO {
		t.Fatalf("created: %+v %+v %v", u, out, err)
	}
	// A name with control characters is not kept: the email's local part is.
	u, _, err = s.SignInSSO(ctx, people.Claims{Issuer: issuer, Subject: "s-odd", Email: "odd.one@example.com", EmailVerified: true, Name: "Odd\x1b[31m One"}, create, now)
	if err != nil || u.Name != "odd.one" {
		t.Fatalf("control characters in the name: %+v %v", u, err)
	}
	if count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.identity.link'`) != 4 {
		t.Fatal("links not audited")
	}
}

func TestPasswordPolicy(t *testing.T) {
	p := people.PasswordPolicy{Off: true, BreakGlass: []string{"admin@example.com", "boss@example.com"}}
	admin := people.User{Email: "admin@example.com", Role: people.RoleAdmin}
	boss := people.User{Email: "boss@example.com", Role: people.RoleManager}
	if !p.MayTry("Admin@Example.com ") || p.MayTry("ann@example.com") {
		t.Fatal("MayTry")
	}
	if !p.Allows(admin) || p.Allows(boss) {
		t.Fatal("only a listed admin may use a password")
	}
	on := people.PasswordPolicy{}
	if !on.MayTry("ann@example.com") || !on.Allows(boss) {
		t.Fatal("password sign-in on lets everyone try")
	}
}
