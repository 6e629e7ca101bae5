package people

import (
	"slices"
	"strings"

	"steward/internal/validator"
)

// InvalidError names each field of an Input that is not valid, with a
// message a person can act on; it is an ErrInvalid.
type InvalidError struct{ Fields map[string]string }

func (e *InvalidError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "people: invalid person: " + strings.Join(parts, "; ")
}

func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Problems is the one validation of a person's details, by field
// (email, name, role), after the email is normalised and the name
// trimmed as they are stored; empty when the input is valid. Create and
// Update refuse an input with problems (InvalidError); a form or a
// command shows them beside its own fields.
func (in Input) Problems() map[string]string {
	p := map[string]string{}
	email, name := NormalizeEmail(in.Email), strings.TrimSpace(in.Name)
	switch {
	case email == "":
		p["email"] = "Enter an email address."
	case !validator.Email(email):
		p["email"] = "Enter an email address like name@example.com."
	}
	switch {
	case name == "":
		p["name"] = "Enter a name."
	case !validator.MaxChars(name, 200):
		p["name"] = "Use at most 200 characters."
	}
	if !in.Role.Valid() {
		p["role"] = "Choose one of the roles."
	}
	return p
}

// check returns the InvalidError of in, or nil.
func (in Input) check() error {
	if p := in.Problems(); len(p) > 0 {
		return &InvalidError{Fields: p}
	}
	return nil
}
