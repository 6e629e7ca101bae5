package people

import (
	"slices"
	"testing"
)

func TestBreachedListIsSortedAndComplete(t *testing.T) {
	list := breached()
	// Breached searches by bisection: a line out of order would hide.
	if !slices.IsSorted(list) {
		t.Fatal("breached.txt.gz is not sorted bytewise; run scripts/breached-passwords.sh")
	}
	if len(list) < 40000 {
		t.Fatalf("breached.txt.gz has %d passwords, want the 43,940 of the source", len(list))
	}
	for _, p := range list {
		if len(p) < MinPasswordLen || len(p) > MaxPasswordLen {
			t.Fatalf("%q cannot be a password; the list keeps 12 to 72 bytes", p)
		}
	}
}
