package handlers

import (
	"fmt"
	"html/template"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"steward/policies"
)

// linkedBody is a version's text with a link beside each heading, each
// heading answering to the ids its section had in earlier versions too.
func linkedBody(t *policies.Timeline, vv versionView) template.HTML {
	// Sanitised when published; LinkHeadings adds only its own elements
	// and ids of the sanitiser's form.
	return template.HTML(policies.LinkHeadings(string(vv.Body), policies.FormerIDs(t.Versions, vv.Version.Number)))
}

// diffPath is the address of the redline from version a to version b.
func diffPath(slug string, a, b int) string {
	return fmt.Sprintf("/policies/%s/diff/%d/%d", slug, a, b)
}

// policyDiff shows the redline between two versions as they read,
// with the sections that changed and a form to compare any two. A
// backwards range is the same comparison, at its forward address.
func (s *Server) policyDiff(c *fiber.Ctx) error {
	t, err := s.publicTimeline(c)
	if err != nil {
		return err
	}
	a, err := versionParam(c, "a")
	if err != nil {
		return err
	}
	b, err := versionParam(c, "b")
	if err != nil {
		return err
	}
	return s.serveDiff(c, t, a, b)
}

// policyCompare is where the compare form sends its choice
// (?from=A&to=B): it redirects to the redline's own address.
func (s *Server) policyCompare(c *fiber.Ctx) error {
	t, err := s.publicTimeline(c)
	if err != nil {
		return err
	}
	a, err := versionQuery(c, "from")
	if err != nil {
		return err
	}
	b, err := versionQuery(c, "to")
	if err != nil {
		return err
	}
	if err := checkRange(t, a, b); err != nil {
		return err
	}
	return c.Redirect(diffPath(t.Policy.Slug, min(a, b), max(a, b)), fiber.StatusSeeOther)
}

// versionQuery reads a version number from the query string.
func versionQuery(c *fiber.Ctx, name string) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return 0, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("Choose the versions to compare: %q is missing.", name))
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || strconv.Itoa(n) != raw {
		return 0, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("%q is not a version number: versions are numbered 1, 2, 3 and so on.", raw))
	}
	return n, nil
}

// checkRange refuses to compare a version with itself or with one that
// does not exist.
func checkRange(t *policies.Timeline, a, b int) error {
	for _, n := range []int{a, b} {
		if _, ok := t.Version(n); !ok {
			return fiber.NewError(fiber.StatusNotFound, fmt.Sprintf("%s has no version %d; its versions are 1 to %d.", t.Policy.Title, n, len(t.Versions)))
		}
	}
	if a == b {
		return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("Both numbers name version %d: choose two different versions to compare.", a))
	}
	return nil
}

// diffView is what the redline page shows.
type diffView struct {
	Policy   policies.Policy
	A, B     policies.Version
	R        policies.Redline
	Redline  template.HTML
	Versions []policies.Version // to choose from, newest first
}

func (s *Server) serveDiff(c *fiber.Ctx, t *policies.Timeline, a, b int) error {
	if err := checkRange(t, a, b); err != nil {
		return err
	}
	if a > b {
		return c.Redirect(diffPath(t.Policy.Slug, b, a), fiber.StatusPermanentRedirect)
	}
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	defer negotiated(c, l)
	va, _ := t.Version(a)
	vb, _ := t.Version(b)
	now := s.now()
	// Both versions are immutable; the versions offered by the form are not.
	key := pageKey(t, langKey(t, "diff", l), a, b, len(t.Versions))
	path := c.Path()
	return s.servePage(c, key, maxAge(t, now), func() (page, error) {
		dv, tv := diffIn(t, va, vb, l)
		dv.Versions = newestFirst(t.Versions)
		body, err := s.renderBytes("policies/diff", path, s.withLang(fiber.Map{
			"Title": s.i18n.T(l.UI, "page.diff_title", "Title", dv.Policy.Title, "A", a, "B", b),
			"D":     dv, "Tr": &tv, "TextLang": tv.Lang, "TitleLang": tv.Lang, "Feed": policyFeedLink(t.Policy),
		}, path, l))
		return page{Body: body, ContentType: mimeHTML}, err
	})
}

func newestFirst(vs []policies.Version) []policies.Version {
	out := make([]policies.Version, 0, len(vs))
	for i := len(vs) - 1; i >= 0; i-- {
		out = append(out, vs[i])
	}
	return out
}
