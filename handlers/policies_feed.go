package handlers

import (
	"github.com/gofiber/fiber/v2"

	"steward/policies"
)

// feedLink is a feed a page offers for autodiscovery
// (<link rel="alternate" type="application/atom+xml">).
type feedLink struct {
	URL   string
	Title string
}

func policyFeedLink(p policies.Policy) feedLink {
	return feedLink{URL: "/policies/" + p.Slug + "/feed.atom", Title: p.Title + ": changes (Atom feed)"}
}

// siteFeedLink is the feed of every public policy.
var siteFeedLink = feedLink{URL: "/policies/feed.atom", Title: "Policy changes (Atom feed)"}

// policyFeed is the Atom feed of publications of public policies.
func (s *Server) policyFeed(c *fiber.Ctx) error {
	ts, err := s.policies.Timelines(c.UserContext(), policies.Public)
	if err != nil {
		return err
	}
	body, err := policies.Feed(s.cfg.BaseURL.String(), s.brandNow().Name, ts)
	if err != nil {
		return err
	}
	return sendPage(c, newPage(body, mimeAtom), "public, max-age=300")
}

// policyFeedOne is the Atom feed of one public policy's publications.
func (s *Server) policyFeedOne(c *fiber.Ctx) error {
	t, err := s.publicTimeline(c)
	if err != nil {
		return err
	}
	l, err := s.chooseLang(c, t.Languages())
	if err != nil {
		return err
	}
	defer negotiated(c, l)
	// A feed lists every publication, scheduled ones too: it changes
	// only when a version is published or translated, or the policy
	// retitled.
	key := pageKey(t, langKey(t, "feed", l), len(t.Versions))
	return s.servePage(c, key, "public, max-age=300", func() (page, error) {
		body, err := policies.PolicyFeedIn(s.cfg.BaseURL.String(), s.brandNow().Name, t, l.Lang, s.i18n)
		return page{Body: body, ContentType: mimeAtom}, err
	})
}
