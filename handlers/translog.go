package handlers

import (
	"context"
	"errors"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"steward/internal/translog"
	"steward/policies"
)

// logOrigin names an installation's log after its public host, as the
// first line of its checkpoints (the C2SP checkpoint format's origin).
func logOrigin(base *url.URL) string {
	host := "localhost"
	if base != nil && base.Host != "" {
		host = base.Host
	}
	return host + "/steward-log"
}

// LogOrigin is the log name `serve` gives a new key.
func LogOrigin(base *url.URL) string { return logOrigin(base) }

// syncLog records in the transparency log every published version of a
// public policy it does not have yet. Reading the log calls it first, so
// a version is in the log before anyone can ask.
func (s *Server) syncLog(ctx context.Context) error {
	ts, err := s.policies.Timelines(ctx, policies.Public)
	if err != nil {
		return err
	}
	var vs []translog.PolicyVersion
	for _, t := range ts {
		for _, v := range t.Versions {
			vs = append(vs, translog.PolicyVersion{Slug: t.Policy.Slug, Number: v.Number, EffectiveAt: v.EffectiveAt,
				PublishedAt: v.PublishedAt, BodySHA256: policies.Hash(v.BodyMD)})
		}
	}
	if _, err := s.translog.RecordPolicies(ctx, vs, s.now()); err != nil {
		return err
	}
	regs, err := s.subprocessors.Versions(ctx)
	if err != nil {
		return err
	}
	var rvs []translog.RegisterVersion
	for _, v := range regs {
		rv := translog.RegisterVersion{Number: v.Number, EffectiveAt: v.EffectiveAt, PublishedAt: v.PublishedAt,
			Entries: []translog.RegisterEntry{}}
		for _, e := range v.Entries {
			rv.Entries = append(rv.Entries, registerEntry(e))
		}
		rvs = append(rvs, rv)
	}
	_, err = s.translog.RecordRegister(ctx, rvs, s.now())
	return err
}

// logPage explains the log to a person and shows its checkpoint.
func (s *Server) logPage(c *fiber.Ctx) error {
	if err := s.syncLog(c.UserContext()); err != nil {
		return err
	}
	signed, cp, err := s.translog.Checkpoint(c.UserContext())
	if err != nil {
		return err
	}
	leaves, err := s.translog.Leaves(c.UserContext(), 0, cp.Size)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return s.render(c, fiber.StatusOK, "policies/log", fiber.Map{"Title": "Transparency log", "Checkpoint": string(signed),
		"Key": s.translog.PublicKey(), "Size": cp.Size, "Leaves": leaves, "Base": s.cfg.BaseURL.String()})
}

func (s *Server) logCheckpoint(c *fiber.Ctx) error {
	if err := s.syncLog(c.UserContext()); err != nil {
		return err
	}
	signed, _, err := s.translog.Checkpoint(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(signed)
}

func (s *Server) logKey(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.SendString(s.translog.PublicKey() + "\n")
}

// uintQuery reads a required non-negative number from the query.
func uintQuery(c *fiber.Ctx, name string) (uint64, error) {
	v := c.Query(name)
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fiber.NewError(fiber.StatusBadRequest, "The query parameter "+name+" must be a whole number, not "+strconv.Quote(clipField(v))+".")
	}
	return n, nil
}

func (s *Server) logLeaves(c *fiber.Ctx) error {
	start, err := uintQuery(c, "start")
	if err != nil {
		return err
	}
	end, err := uintQuery(c, "end")
	if err != nil {
		return err
	}
	if end < start || end-start > 1000 {
		return fiber.NewError(fiber.StatusBadRequest, "Ask for at most 1000 leaves at a time, with start no greater than end.")
	}
	if err := s.syncLog(c.UserContext()); err != nil {
		return err
	}
	leaves, err := s.translog.Leaves(c.UserContext(), start, end)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(fiber.Map{"leaves": leaves})
}

func (s *Server) logInclusion(c *fiber.Ctx) error {
	index, err := uintQuery(c, "index")
	if err != nil {
		return err
	}
	size, err := uintQuery(c, "size")
	if err != nil {
		return err
	}
	p, err := s.translog.InclusionProof(c.UserContext(), index, size)
	if errors.Is(err, translog.ErrRange) {
		return fiber.NewError(fiber.StatusNotFound, "The log has no leaf "+strconv.FormatUint(index, 10)+" in a tree of "+strconv.FormatUint(size, 10)+" leaves.")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400, immutable")
	return c.JSON(fiber.Map{"index": index, "size": size, "proof": p})
}

func (s *Server) logConsistency(c *fiber.Ctx) error {
	from, err := uintQuery(c, "from")
	if err != nil {
		return err
	}
	to, err := uintQuery(c, "to")
	if err != nil {
		return err
	}
	p, err := s.translog.ConsistencyProof(c.UserContext(), from, to)
	if errors.Is(err, translog.ErrRange) {
		return fiber.NewError(fiber.StatusNotFound, "The log has no tree of "+strconv.FormatUint(to, 10)+" leaves extending one of "+strconv.FormatUint(from, 10)+".")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400, immutable")
	return c.JSON(fiber.Map{"from": from, "to": to, "proof": p})
}
