package org_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/db/dbtest"
	"steward/internal/org"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestContrast(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		// Published WCAG figures: #767676 is the lightest grey that
		// passes on white (4.54:1), #777777 just fails (4.48:1).
		{"#767676", "#ffffff", 4.54},
		{"#777777", "#ffffff", 4.48},
	} {
		if got := org.Contrast(tc.a, tc.b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("Contrast(%s, %s) = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCleanRefusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"markup", "name", "<script>alert(1)</script>", "not markup"},
		{"control character", "dpo", "Jane\x00Doe", "control characters"},
		{"line break", "privacy_contact", "a\nb", "control characters"},
		{"bidi override", "name", "Acme\u202eevil", "control characters"},
		{"too long", "name", strings.Repeat("a", 101), "at most 100 characters"},
		{"placeholder", "dpo", "{{org.name}}", "{{ or }}"},
		{"accent not hex", "accent", "teal", "hex colour"},
		{"accent short", "accent", "#fff", "hex colour"},
		{"accent too light", "accent", "#777777", "too light"},
		{"accent yellow", "accent", "#ffcc00", "too light"},
		{"contact not email", "contact", "call us", "email address"},
		{"link not https", "footer_links", "Site | http://example.com", "https address"},
		{"link javascript", "footer_links", "Site | javascript:alert(1)", "https address"},
		{"link without label", "footer_links", "https://example.com", "vertical bar"},
		{"too many links", "footer_links", strings.Repeat("A | https://a.example\n", 7), "more than 6"},
		{"powered by nonsense", "powered_by", "maybe", "on or off"},
		{"unknown", "colour", "#000000", "not a setting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := org.Clean(map[string]string{tc.key: tc.value})
			var ve *org.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Clean(%s=%q) = %v, want a validation error", tc.key, tc.value, err)
			}
			if !strings.Contains(ve.Fields[tc.key], tc.want) {
				t.Errorf("message %q does not say %q", ve.Fields[tc.key], tc.want)
			}
		})
	}
}

func TestCleanNormalises(t *testing.T) {
	got, err := org.Clean(map[string]string{
		"name": "  Brightloop Ltd ", "accent": "#1F4E8C", "powered_by": "on", "dpo": "",
		"footer_links": "Main site|https://brightloop.example\r\n\r\n Status | https://status.brightloop.example/ ",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name": "Brightloop Ltd", "accent": "#1f4e8c", "powered_by": "true",
		"footer_links": "Main site | https://brightloop.example\nStatus | https://status.brightloop.example/",
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestParseEnv(t *testing.T) {
	env := map[string]string{
		"STEWARD_ORG_NAME":         "Brightloop Ltd",
		"STEWARD_ORG_FOOTER_LINKS": "Site | https://brightloop.example; Jobs | https://jobs.brightloop.example",
		"STEWARD_ORG_POWERED_BY":   "false",
	}
	got, problems := org.ParseEnv(func(k string) string { return env[k] })
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if got["name"] != "Brightloop Ltd" || got["footer_links"] != "Site | https://brightloop.example\nJobs | https://jobs.brightloop.example" {
		t.Errorf("got %q", got)
	}
	if v, fixed := got["powered_by"]; !fixed || v != "" {
		t.Errorf("STEWARD_ORG_POWERED_BY=false should fix the line off, got %q, %v", v, fixed)
	}
	if _, fixed := got["dpo"]; fixed {
		t.Error("an unset variable fixed the DPO")
	}

	env = map[string]string{"STEWARD_ORG_ACCENT": "#eeeeee", "STEWARD_ORG_NAME": "<b>x</b>"}
	_, problems = org.ParseEnv(func(k string) string { return env[k] })
	joined := strings.Join(problems, "; ")
	if !strings.Contains(joined, "STEWARD_ORG_ACCENT is too light") || !strings.Contains(joined, "STEWARD_ORG_NAME must not contain <") {
		t.Errorf("problems = %q", joined)
	}
}

func TestPlaceholders(t *testing.T) {
	text := "Write to {{org.privacy_contact}} or {{ org.dpo }}; {{org.privacy_contact}} again."
	if err := org.Check(text); err != nil {
		t.Fatal(err)
	}
	err := org.Check("Ask {{org.privacy_contakt}} or {{org.ceo}}.")
	var ue *org.UnknownKeysError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "{{org.privacy_contakt}}, {{org.ceo}}") {
		t.Fatalf("Check = %v, want both unknown keys named", err)
	}
	if got := org.Used(text); len(got) != 2 || got[0] != org.PrivacyContact || got[1] != org.DPO {
		t.Errorf("Used = %v", got)
	}

	empty := &org.Settings{Values: map[string]string{}}
	html := org.FillHTML("<p>Write to {{org.privacy_contact}}.</p>", empty)
	if html != `<p>Write to <mark class="placeholder">[privacy contact — set in Organisation settings]</mark>.</p>` {
		t.Errorf("unset: %s", html)
	}
	set := &org.Settings{Values: map[string]string{"privacy_contact": `Tom & Jerry "T&J"`, "dpo": "A_B*C* [x](y)"}}
	if got := org.FillHTML("<p>{{org.privacy_contact}}</p>", set); got != "<p>Tom &amp; Jerry &#34;T&amp;J&#34;</p>" {
		t.Errorf("set: %s", got)
	}

	if _, err := org.FillMarkdown(text, empty); err == nil || !strings.Contains(err.Error(), "privacy contact, data protection officer") {
		t.Errorf("FillMarkdown with unset facts = %v, want both named", err)
	}
	md, err := org.FillMarkdown("DPO: {{org.dpo}}", set)
	if err != nil {
		t.Fatal(err)
	}
	if md != `DPO: A\_B\*C\* \[x\](y)` {
		t.Errorf("FillMarkdown = %q", md)
	}
}

func TestKeysAreTheDocumentedOnes(t *testing.T) {
	want := []org.FactName{"name", "privacy_contact", "dpo", "eu_representative", "uk_representative",
		"transfer_mechanism", "breach_contact", "processor_notice", "complaints"}
	got := org.Keys()
	if len(got) != len(want) {
		t.Fatalf("Keys = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Keys[%d] = %s, want %s", i, got[i], want[i])
		}
	}
}

func auditActions(t *testing.T, d *db.DB) []string {
	t.Helper()
	var actions []string
	if err := d.Select(&actions, `SELECT action || ' ' || detail FROM audit_log ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return actions
}

func TestSaveIsAuditedAndEnvironmentWins(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		admin := audit.UserActor(1)
		s := org.NewStore(d, nil)
		st, err := s.Save(ctx, map[string]string{"name": "Brightloop Ltd", "accent": "#1f4e8c", "dpo": "Hannah Okafor"}, admin, now)
		if err != nil {
			t.Fatal(err)
		}
		if st.Name() != "Brightloop Ltd" || st.Accent() != "#1f4e8c" || st.Fact(org.DPO) != "Hannah Okafor" {
			t.Errorf("saved %v", st.Values)
		}
		v1 := st.Version

		// A bad value changes nothing, not even the good ones beside it.
		_, err = s.Save(ctx, map[string]string{"name": "Other", "accent": "#ffff00"}, admin, now)
		var ve *org.ValidationError
		if !errors.As(err, &ve) || ve.Fields["accent"] == "" {
			t.Fatalf("Save with a light accent = %v", err)
		}
		again, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.Name() != "Brightloop Ltd" || again.Version != v1 {
			t.Errorf("a refused save changed the settings: %v", again.Values)
		}

		// Clearing a field deletes it; the same values again record nothing.
		if _, err := s.Save(ctx, map[string]string{"name": "Brightloop Ltd", "accent": "#1f4e8c"}, admin, now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Save(ctx, map[string]string{"name": "Brightloop Ltd", "accent": "#1f4e8c"}, admin, now); err != nil {
			t.Fatal(err)
		}
		got := auditActions(t, d)
		want := []string{"organisation.update changed name, accent, dpo", "organisation.update changed dpo"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("audit = %q, want %q", got, want)
		}

		// The environment's value wins, and a save does not touch it.
		env := org.NewStore(d, map[string]string{"name": "Brightloop Group plc"})
		st, err = env.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Name() != "Brightloop Group plc" || !st.FromEnv["name"] || st.FromEnv["accent"] {
			t.Errorf("with the environment: %v, from env %v", st.Values, st.FromEnv)
		}
		if _, err := env.Save(ctx, map[string]string{"name": "Hijacked", "accent": "#1f4e8c"}, admin, now); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.Load(ctx); st.Name() != "Brightloop Ltd" {
			t.Errorf("a save overwrote the stored name behind the environment's: %q", st.Name())
		}
	})
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLogo(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := org.NewStore(d, nil)
		admin := audit.UserActor(1)
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
		good := pngOf(t, 120, 40)
		for name, data := range map[string][]byte{
			"svg":       svg,
			"text":      []byte("hello"),
			"truncated": good[:40],
			"too wide":  pngOf(t, 2001, 10),
			"too big":   append(append([]byte{}, good...), make([]byte, org.MaxLogoBytes)...),
		} {
			if err := s.SaveLogo(ctx, data, admin, now); err == nil {
				t.Errorf("%s logo accepted", name)
			}
		}
		if _, _, err := s.Logo(ctx); !errors.Is(err, org.ErrNoLogo) {
			t.Fatalf("after refusals, Logo = %v", err)
		}
		if err := s.SaveLogo(ctx, good, admin, now); err != nil {
			t.Fatal(err)
		}
		data, ref, err := s.Logo(ctx)
		if err != nil || !bytes.Equal(data, good) || ref.ContentType != "image/png" || ref.Width != 120 || ref.Height != 40 {
			t.Errorf("Logo = %d bytes, %+v, %v", len(data), ref, err)
		}
		st, _ := s.Load(ctx)
		if !st.Logo.Set() {
			t.Error("settings do not know the logo")
		}
		if err := s.DeleteLogo(ctx, admin, now); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteLogo(ctx, admin, now); !errors.Is(err, org.ErrNoLogo) {
			t.Errorf("second delete = %v", err)
		}
		got := strings.Join(auditActions(t, d), "|")
		if !strings.Contains(got, "organisation.logo image/png 120x40") || !strings.Contains(got, "organisation.logo_delete") {
			t.Errorf("audit = %s", got)
		}
	})
}
