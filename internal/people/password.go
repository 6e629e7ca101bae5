package people

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
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

// CheckPassword enforces the length rule: long enough to resist guessing,
// short enough for bcrypt's 72-byte limit.
func CheckPassword(password string) error {
	if len(strings.TrimSpace(password)) < 10 || len(password) > 72 {
		return ErrWeakPassword
	}
	return nil
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
