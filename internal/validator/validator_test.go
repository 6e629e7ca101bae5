package validator

import "testing"

func TestEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"ada@example.com": true, "a.b+c@sub.example.org": true,
		"": false, "ada": false, "ada@": false, "ada@localhost": false,
		"Ada <ada@example.com>": false, "ada @example.com": false,
	} {
		if got := Email(s); got != want {
			t.Errorf("Email(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSlug(t *testing.T) {
	for s, want := range map[string]bool{
		"privacy": true, "acceptable-use-2": true,
		"": false, "Privacy": false, "a--b": false, "-a": false, "../etc": false, "a b": false,
	} {
		if got := Slug(s); got != want {
			t.Errorf("Slug(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidatorKeepsFirstMessage(t *testing.T) {
	var v Validator
	v.Check(false, "email", "first")
	v.Check(false, "email", "second")
	v.Check(true, "name", "never")
	if v.Valid() || v.FieldErrors["email"] != "first" || len(v.FieldErrors) != 1 {
		t.Fatalf("got %+v", v)
	}
	if !MaxChars("héllo", 5) || MaxChars("héllo!", 5) || MaxChars("\xff", 5) {
		t.Fatal("MaxChars counts characters and rejects invalid UTF-8")
	}
}
