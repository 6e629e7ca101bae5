package people

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseRoster feeds arbitrary bytes to the roster parser. Whatever the
// file holds, the parser must either return rows that each pass the rules
// an import relies on, or a *RosterError; it must never panic.
func FuzzParseRoster(f *testing.F) {
	header := strings.Join(RosterColumns, ",") + "\n"
	for _, seed := range []string{
		"",
		header,
		header + "ana@example.com,Ana Alves,Support,,employee,2026-01-31\n",
		header + "ana@example.com,Ana,Support,boss@example.com,manager,\nboss@example.com,Boss,,,admin,\n",
		"\ufeff" + header + "\"quoted, name\"@example.com,\"A \"\"B\"\"\",T,,EMPLOYEE,2026-02-30\n",
		header + "x@example.com,X,,x@example.com,king,yesterday\n",
		header + "a@example.com,A\nb@example.com,B,,,,,,\n",
		"email,name,team,manager_email,role,hired_on,extra\n",
		"email,email,name\n",
		header + "\"unterminated,quote\n",
		header + "a@example.com,\xff\xfe,\x00,,employee,\n",
		header + ",,,,,\n\n\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseRoster(strings.NewReader(string(data)))
		if err != nil {
			var re *RosterError
			if !errors.As(err, &re) {
				t.Fatalf("error is %T, want *RosterError: %v", err, err)
			}
			if len(re.Problems) == 0 {
				t.Fatal("a RosterError with no problems")
			}
			if len(rows) > MaxRosterRows {
				t.Fatalf("%d rows returned", len(rows))
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("no error and no rows")
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Email == "" || r.Name == "" || !r.Role.Valid() {
				t.Fatalf("accepted row %+v", r)
			}
			if seen[r.Email] {
				t.Fatalf("duplicate email %q accepted", r.Email)
			}
			seen[r.Email] = true
			if r.ManagerEmail == r.Email {
				t.Fatalf("%q accepted as their own manager", r.Email)
			}
			if r.Line < 2 {
				t.Fatalf("row on line %d", r.Line)
			}
		}
	})
}
