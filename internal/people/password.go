package people

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/crypto/bcrypt"
)

// Password length in bytes: long enough to resist guessing, short enough
// for bcrypt, which ignores whatever follows the 72nd byte.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 72
)

// HashPassword returns a bcrypt hash of password at cost.
func HashPassword(password string, cost int) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// CheckPassword enforces the rules every password follows: 12 to 72 bytes,
// and not one of the passwords leaked in breaches, which attackers try
// first (NIST SP 800-63B, 5.1.1.2).
func CheckPassword(password string) error {
	if len(strings.TrimSpace(password)) < MinPasswordLen || len(password) > MaxPasswordLen {
		return ErrWeakPassword
	}
	if Breached(password) {
		return ErrBreachedPassword
	}
	return nil
}

// CheckPersonalPassword is CheckPassword for the person with this email and
// name, whose own email or name (with or without a number or mark after it)
// is the first guess of anyone who knows them.
func CheckPersonalPassword(password, email, name string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	p := strings.TrimRightFunc(alnum(password), unicode.IsDigit)
	local, _, _ := strings.Cut(email, "@")
	for _, own := range []string{email, local, name} {
		if o := alnum(own); o != "" && p == o {
			return ErrPersonalPassword
		}
	}
	return nil
}

// alnum lowercases s and drops everything but its letters and digits, so
// "Jane.Doe" and "jane doe!" compare equal.
func alnum(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// breachedGz is the top million of the "10 million passwords" list of
// OWASP SecLists, cut to the 12 to 72 byte entries, lowercased and sorted;
// scripts/breached-passwords.sh regenerates it and names its source.
//
//go:embed breached.txt.gz
var breachedGz []byte

// breached is read once, on the first password check, not at start.
var breached = sync.OnceValue(func() []string {
	r, err := gzip.NewReader(bytes.NewReader(breachedGz))
	if err != nil {
		panic("people: breached.txt.gz: " + err.Error())
	}
	b, err := io.ReadAll(r)
	if err != nil {
		panic("people: breached.txt.gz: " + err.Error())
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
})

// Breached reports whether password, in any case, is on the embedded list
// of passwords leaked in breaches.
func Breached(password string) bool {
	_, found := slices.BinarySearch(breached(), strings.ToLower(password))
	return found
}

// dummyHash is compared against when the email is unknown, so a wrong email
// costs as much time as a wrong password and reveals nothing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("steward-dummy-password"), bcrypt.DefaultCost)

// Authenticate returns the active user with this email and password, or
// ErrBadCredentials for an unknown email, a wrong password, an inactive
// person or one who has not set a password yet: the caller cannot tell which.
func (s *Store) Authenticate(ctx context.Context, email, password string) (User, error) {
	u, err := s.ByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrNotFound):
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	case err != nil:
		return User{}, err
	}
	hash := []byte(u.PasswordHash)
	if len(hash) == 0 {
		hash = dummyHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !u.Active || u.PasswordHash == "" {
		return User{}, ErrBadCredentials
	}
	return u, nil
}
