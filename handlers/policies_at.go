package handlers

import (
	"bytes"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/policies"
)

// atDateLayout is how the at parameter names a day: 2026-06-30.
const atDateLayout = "2006-01-02"

// asOf is a day a reader asked about with ?at=: the version in effect on
// it is the one in effect at its last moment (UTC), so a version that took
// effect during the day counts.
type asOf struct {
	Day    string    // as given, canonical: 2026-06-30
	Moment time.Time // the day's last nanosecond, UTC
}

// atParam reads ?at=. ok is false when the request has no at parameter;
// a present but malformed, empty or repeated one is a 400.
func atParam(c *fiber.Ctx) (asOf, bool, error) {
	// Most requests have no query at all: parsing one costs every request.
	if bytes.IndexByte(c.Request().Header.RequestURI(), '?') < 0 {
		return asOf{}, false, nil
	}
	args := c.Request().URI().QueryArgs()
	if !args.Has("at") {
		return asOf{}, false, nil
	}
	values := args.PeekMulti("at")
	if len(values) > 1 {
		return asOf{}, true, fiber.NewError(fiber.StatusBadRequest, "Give the at parameter once: one date like 2026-06-30.")
	}
	raw := string(values[0])
	day, err := time.Parse(atDateLayout, raw)
	if err != nil {
		shown := raw
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return asOf{}, true, fiber.NewError(fiber.StatusBadRequest,
			fmt.Sprintf("The at parameter must be a date written like 2026-06-30 (year, month, day), not %q.", shown))
	}
	return asOf{Day: raw, Moment: day.Add(24*time.Hour - time.Nanosecond)}, true, nil
}

// versionOn is the version of t in effect on the day asked about, or a 404
// saying when the policy began.
func versionOn(t *policies.Timeline, at asOf) (policies.Version, error) {
	if v, ok := t.InEffect(at.Moment); ok {
		return v, nil
	}
	first := t.Versions[0]
	return policies.Version{}, fiber.NewError(fiber.StatusNotFound, fmt.Sprintf(
		"%s had no version in effect on %s: its first version took effect on %s.",
		t.Policy.Title, at.Day, first.EffectiveAt.UTC().Format(atDateLayout)))
}

// policyAt shows the version that was (or is scheduled to be) in effect on
// the day ?at= names, saying so and linking to the version in effect now.
func (s *Server) policyAt(c *fiber.Ctx, t *policies.Timeline, at asOf, l langChoice) error {
	v, err := versionOn(t, at)
	if err != nil {
		return err
	}
	now := s.now()
	vv := viewOf(t, v, now)
	key := pageKey(t, langKey(t, "at "+at.Day+" "+string(vv.Status), l), v.Number, vv.Current)
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		vv, tv := s.translated(t, vv, l)
		path := "/policies/" + t.Policy.Slug
		body, err := s.renderBytes("policies/show", path, s.withLang(fiber.Map{
			"Title": s.i18n.T(l.UI, "page.as_of_title", "Title", vv.Policy.Title, "Day", at.Day),
			"V":     vv, "Tr": &tv, "AsOf": at.Day, "AsOfFuture": at.Moment.After(now)}, path, l))
		return page{Body: body, ContentType: mimeHTML}, err
	})
}

// apiPolicyAt is the API's answer for ?at=: the version in effect on that
// day, with the whole history, like the answer without it.
func (s *Server) apiPolicyAt(c *fiber.Ctx, t *policies.Timeline, at asOf, l langChoice) error {
	v, err := versionOn(t, at)
	if err != nil {
		return err
	}
	now := s.now()
	key := pageKey(t, langKey(t, "api at "+at.Day+" "+string(t.StatusOf(v, now)), l), v.Number, len(t.Versions))
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		body, err := jsonBytes(s.apiPolicyOf(t, v, now, at.Day, l.Lang))
		return page{Body: body, ContentType: mimeJSON}, err
	})
}

// apiPolicyBody is the API's answer about one policy: a version with its
// body, the day it was asked about if any, and every published version.
type apiPolicyBody struct {
	apiVersion
	At        string       `json:"at,omitempty"`
	History   []apiVersion `json:"history"`
	Languages []string     `json:"languages"`
}

func (s *Server) apiPolicyOf(t *policies.Timeline, v policies.Version, now time.Time, at, lang string) apiPolicyBody {
	history := make([]apiVersion, 0, len(t.Versions))
	for _, h := range t.Versions {
		history = append(history, s.apiVersionOf(t, h, now, false, lang))
	}
	return apiPolicyBody{apiVersion: s.apiVersionOf(t, v, now, true, lang), At: at, History: history, Languages: t.Languages()}
}
