package people_test

import (
	"errors"
	"strings"
	"testing"

	"steward/internal/people"
)

func TestPasswordRules(t *testing.T) {
	for _, c := range []struct {
		name, password string
		want           error
	}{
		{"eleven bytes", "abcdefghijk", people.ErrWeakPassword},
		{"twelve spaces around little", "   short    ", people.ErrWeakPassword},
		{"seventy-three bytes", strings.Repeat("x", 73), people.ErrWeakPassword},
		{"twelve bytes", "vellum-quartz", nil},
		{"seventy-two bytes", strings.Repeat("plum ", 14) + "xy", nil},
		{"the demo password", "steward-demo", nil},
		{"breached", "password1234", people.ErrBreachedPassword},
		{"breached in another case", "PassWord1234", people.ErrBreachedPassword},
		{"breached keyboard walk", "qwertyuiop12", people.ErrBreachedPassword},
		{"breached, longer", "1qaz2wsx3edc4rfv", people.ErrBreachedPassword},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := people.CheckPassword(c.password); !errors.Is(err, c.want) {
				t.Fatalf("CheckPassword(%q) = %v, want %v", c.password, err, c.want)
			}
		})
	}
}

func TestPasswordIsNotTheOwnersEmailOrName(t *testing.T) {
	const email, name = "margaret.okafor@example.com", "Margaret Okafor"
	for _, c := range []struct {
		password string
		want     error
	}{
		{"margaret.okafor@example.com", people.ErrPersonalPassword},
		{"Margaret.Okafor", people.ErrPersonalPassword},
		{"margaret okafor", people.ErrPersonalPassword},
		{"MargaretOkafor2026!", people.ErrPersonalPassword},
		{"okafor likes tea", nil},
		{"password1234", people.ErrBreachedPassword},
		{"short", people.ErrWeakPassword},
	} {
		if err := people.CheckPersonalPassword(c.password, email, name); !errors.Is(err, c.want) {
			t.Errorf("CheckPersonalPassword(%q) = %v, want %v", c.password, err, c.want)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	people.CheckPassword("warm-up-the-list")
	for b.Loop() {
		people.CheckPassword("vellum-quartz-lantern")
	}
}
