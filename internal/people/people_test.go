package people_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/people"
)

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

const goodRoster = `email,name,team,manager_email,role,hired_on
boss@example.com,Bea Boss,Marketing,,manager,2020-01-06
mid@example.com,Milo Mid,Marketing,boss@example.com,manager,2021-03-01
ann@example.com,Ann Analyst,Growth,mid@example.com,employee,2024-05-20
ben@example.com,Ben Builder,,boss@example.com,,
`

func TestParseRosterListsEveryBadLine(t *testing.T) {
	in := `email,name,team,manager_email,role,hired_on
,No Email,Sales,,employee,
dup@example.com,First,Sales,,employee,
dup@example.com,Second,Sales,,employee,
bad-email,Bad,Sales,,employee,
ok@example.com,Okay,Sales,,wizard,
date@example.com,Date,Sales,,employee,31/12/2024
self@example.com,Self,Sales,self@example.com,employee,
short@example.com,Short
`
	_, err := people.ParseRoster(strings.NewReader(in))
	var re *people.RosterError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RosterError", err)
	}
	want := map[int]string{2: "email is missing", 4: "duplicate email dup@example.com (also on line 3)", 5: "not a valid address",
		6: "unknown role", 7: "not a date", 8: "their own manager", 9: "fields"}
	got := map[int]string{}
	for _, p := range re.Problems {
		got[p.Line] = p.Message
	}
	for line, frag := range want {
		if !strings.Contains(got[line], frag) {
			t.Errorf("line %d: got %q, want it to mention %q", line, got[line], frag)
		}
	}
	if len(re.Problems) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(re.Problems), len(want), re)
	}
}

func TestParseRosterHeader(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "",
		"missing column": "email,name,team,role,hired_on\n",
		"unknown column": "email,name,team,manager_email,role,hired_on,salary\n",
		"no rows":        "email,name,team,manager_email,role,hired_on\n",
	} {
		if _, err := people.ParseRoster(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestImportIsIdempotentAndBuildsTheTree(t *testing.T) { dbtest.Dialects(t, testImportIsIdempotent) }

func testImportIsIdempotent(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := people.NewStore(d)
	rows, err := people.ParseRoster(strings.NewReader(goodRoster))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Import(ctx, rows, audit.CLI, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 4 || res.TeamsCreated != 2 || res.Updated != 0 {
		t.Fatalf("first import: %+v", res)
	}
	res, err = s.Import(ctx, rows, audit.CLI, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res != (people.ImportResult{Unchanged: 4}) {
		t.Fatalf("second import changed something: %+v", res)
	}
	boss, _ := s.ByEmail(ctx, "BOSS@example.com")
	line, err := s.ReportingLine(ctx, boss.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range line {
		names = append(names, u.Name)
	}
	if strings.Join(names, ",") != "Ann Analyst,Ben Builder,Milo Mid" {
		t.Fatalf("boss's line = %v", names)
	}
	ann, _ := s.ByEmail(ctx, "ann@example.com")
	if ok, _ := s.InLine(ctx, boss.ID, ann.ID); !ok {
		t.Fatal("Ann (indirect report) is not in Bea's line")
	}
	if ok, _ := s.InLine(ctx, ann.ID, boss.ID); ok {
		t.Fatal("Bea is in Ann's line")
	}
	if ann.TeamName == nil || *ann.TeamName != "Growth" || ann.HiredOn.Format(time.DateOnly) != "2024-05-20" {
		t.Fatalf("ann = %+v", ann)
	}

	changed := strings.Replace(goodRoster, "Ann Analyst", "Ann Archer", 1)
	rows, _ = people.ParseRoster(strings.NewReader(changed))
	res, err = s.Import(ctx, rows, audit.CLI, now.Add(2*time.Hour))
	if err != nil || res.Updated != 1 || res.Unchanged != 3 {
		t.Fatalf("changed import: %+v, %v", res, err)
	}
}

func TestImportRejectsUnknownManagerAndCyclesWhole(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := people.NewStore(d)
		rows, _ := people.ParseRoster(strings.NewReader(goodRoster))
		if _, err := s.Import(ctx, rows, audit.CLI, now); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Count(ctx)
		bad := `email,name,team,manager_email,role,hired_on
new@example.com,New Person,Sales,,employee,
boss@example.com,Bea Boss,Marketing,ann@example.com,manager,2020-01-06
ghost@example.com,Ghost,Sales,nobody@example.com,employee,
`
		rows, err := people.ParseRoster(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Import(ctx, rows, audit.CLI, now)
		var re *people.RosterError
		if !errors.As(err, &re) || len(re.Problems) != 2 || re.Problems[0].Line != 3 || re.Problems[1].Line != 4 {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(re.Problems[0].Message, "cycle") || !strings.Contains(re.Problems[1].Message, "nobody@example.com") {
			t.Fatalf("messages: %v", re)
		}
		after, _ := s.Count(ctx)
		if after != before {
			t.Fatalf("a rejected import wrote people: %d -> %d", before, after)
		}
		var teams int
		d.Get(&teams, `SELECT COUNT(*) FROM teams WHERE name = 'Sales'`)
		if teams != 0 {
			t.Fatal("a rejected import created a team")
		}
	})
}

func TestUpdateRefusesManagerCycleAndLastAdmin(t *testing.T) { dbtest.Dialects(t, testUpdateRefuses) }

func testUpdateRefuses(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := people.NewStore(d)
	rows, _ := people.ParseRoster(strings.NewReader(goodRoster + "root@example.com,Root Admin,,,admin,\n"))
	if _, err := s.Import(ctx, rows, audit.CLI, now); err != nil {
		t.Fatal(err)
	}
	boss, _ := s.ByEmail(ctx, "boss@example.com")
	ann, _ := s.ByEmail(ctx, "ann@example.com")
	in := people.Input{Email: boss.Email, Name: boss.Name, Role: boss.Role, TeamID: boss.TeamID, ManagerID: &ann.ID}
	if err := s.Update(ctx, boss.ID, in, audit.CLI, now); !errors.Is(err, people.ErrManagerCycle) {
		t.Fatalf("boss under ann: err = %v", err)
	}
	root, _ := s.ByEmail(ctx, "root@example.com")
	if err := s.SetActive(ctx, root.ID, false, audit.CLI, now); !errors.Is(err, people.ErrLastAdmin) {
		t.Fatalf("deactivate last admin: err = %v", err)
	}
	in = people.Input{Email: "ann@example.com", Name: "Dup", Role: people.RoleEmployee}
	if _, err := s.Create(ctx, in, audit.CLI, now); !errors.Is(err, people.ErrDuplicateEmail) {
		t.Fatalf("duplicate create: err = %v", err)
	}
	if err := s.SetActive(ctx, ann.ID, false, audit.CLI, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, ann.ID); got.Active || got.DeactivatedAt == nil {
		t.Fatalf("deactivated: %+v", got)
	}
}

func TestAuthenticate(t *testing.T) { dbtest.Dialects(t, testAuthenticate) }

func testAuthenticate(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := people.NewStore(d)
	id, err := s.Create(ctx, people.Input{Email: "Pat@Example.com", Name: "Pat", Role: people.RoleEmployee}, audit.CLI, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "pat@example.com", "anything-at-all"); !errors.Is(err, people.ErrBadCredentials) {
		t.Fatal("a person without a password signed in")
	}
	if _, err := people.HashPassword("short", bcrypt.MinCost); !errors.Is(err, people.ErrWeakPassword) {
		t.Fatal("short password accepted")
	}
	h, _ := people.HashPassword("correct horse battery", bcrypt.MinCost)
	if err := s.SetPassword(ctx, id, h, audit.CLI, now); err != nil {
		t.Fatal(err)
	}
	if u, err := s.Authenticate(ctx, " PAT@example.com ", "correct horse battery"); err != nil || u.ID != id {
		t.Fatalf("sign in: %v", err)
	}
	for _, c := range [][2]string{{"pat@example.com", "wrong password!"}, {"nobody@example.com", "correct horse battery"}} {
		if _, err := s.Authenticate(ctx, c[0], c[1]); !errors.Is(err, people.ErrBadCredentials) {
			t.Fatalf("%v: err = %v", c, err)
		}
	}
	s.SetActive(ctx, id, false, audit.CLI, now)
	if _, err := s.Authenticate(ctx, "pat@example.com", "correct horse battery"); !errors.Is(err, people.ErrBadCredentials) {
		t.Fatal("a deactivated person signed in")
	}
}

// TestCreateRefusesInvalidDetails: Create itself refuses a person whose
// email, name or role is not valid, whoever calls it, and adds nobody.
func TestCreateRefusesInvalidDetails(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := people.NewStore(d)
		before, err := s.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			in    people.Input
			field string
		}{
			{people.Input{Email: "", Name: "Ana", Role: people.RoleEmployee}, "email"},
			{people.Input{Email: "not an address", Name: "Ana", Role: people.RoleEmployee}, "email"},
			{people.Input{Email: "=cmd|' /C calc'!A0@example.com", Name: "Ana", Role: people.RoleEmployee}, "email"},
			{people.Input{Email: "ana@example.com", Name: "   ", Role: people.RoleEmployee}, "name"},
			{people.Input{Email: "ana@example.com", Name: strings.Repeat("a", 201), Role: people.RoleEmployee}, "name"},
			{people.Input{Email: "ana@example.com", Name: "Ana", Role: "owner"}, "role"},
		} {
			_, err := s.Create(ctx, c.in, audit.System, time.Now())
			var ie *people.InvalidError
			if !errors.Is(err, people.ErrInvalid) || !errors.As(err, &ie) || ie.Fields[c.field] == "" {
				t.Errorf("Create(%+v) = %v, want the %s refused", c.in, err, c.field)
			}
		}
		after, err := s.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("%d people after refused creations, %d before", after, before)
		}
	})
}
