// Package validator collects per-field messages for forms and imports.
// Embed a Validator in a form struct; handlers re-render the form with 422
// and each field's message beside it when Valid() is false.
package validator

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Validator holds the messages of one form.
type Validator struct {
	FieldErrors map[string]string
	FormErrors  []string
}

// Valid reports whether no message was recorded.
func (v *Validator) Valid() bool { return len(v.FieldErrors) == 0 && len(v.FormErrors) == 0 }

// AddFieldError records msg for field unless it already has one.
func (v *Validator) AddFieldError(field, msg string) {
	if v.FieldErrors == nil {
		v.FieldErrors = map[string]string{}
	}
	if _, ok := v.FieldErrors[field]; !ok {
		v.FieldErrors[field] = msg
	}
}

// AddFormError records a message about the form as a whole.
func (v *Validator) AddFormError(msg string) { v.FormErrors = append(v.FormErrors, msg) }

// Check records msg for field when ok is false.
func (v *Validator) Check(ok bool, field, msg string) {
	if !ok {
		v.AddFieldError(field, msg)
	}
}

// NotBlank reports whether s has a non-space character.
func NotBlank(s string) bool { return strings.TrimSpace(s) != "" }

// MaxChars reports whether s has at most n characters and is valid UTF-8.
func MaxChars(s string, n int) bool { return utf8.ValidString(s) && utf8.RuneCountInString(s) <= n }

// PermittedValue reports whether v is one of allowed.
func PermittedValue[T comparable](v T, allowed ...T) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// Email reports whether s is a plain address (no display name) of sensible length.
func Email(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// Slug reports whether s is lowercase letters, digits and single hyphens, at most 80 characters.
func Slug(s string) bool { return len(s) <= 80 && slugRE.MatchString(s) }
