package handlers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/evidencepack"
	"steward/internal/reports"
)

// evidencePack builds the signed evidence pack for the end of a day and
// sends it as a zip; the build is audited.
func (s *Server) evidencePack(c *fiber.Ctx) error {
	now := s.now()
	asOfText := c.Query("as_of")
	asOf, err := reports.ParseAsOf(asOfText, now)
	if err != nil {
		return s.renderPage(c, fiber.StatusBadRequest, "reports/evidence", &evidencePage{
			layout: layout{Title: "Evidence export"}, Format: reports.FormatCSV, Max: now.Format(time.DateOnly),
			Error: fmt.Sprintf("%q is not a day Steward can make a pack for. Enter a date like 2026-06-30: today or earlier, and not before 2000.", clipField(asOfText))})
	}
	me := currentUser(c)
	day := asOf.Format(time.DateOnly)
	if err := s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
		return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(now, "evidence.pack", "evidence:"+day, ""))
	}); err != nil {
		return err
	}
	src := evidencepack.Sources{DB: s.db, People: s.people, Courses: s.courses, Policies: s.policies, Reports: s.reports(), Log: s.translog}
	req := evidencepack.Request{AsOf: asOf, GeneratedAt: now, GeneratedBy: fmt.Sprintf("%s <%s>", me.Name, me.Email)}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="steward-evidence-pack-%s.zip"`, day))
	// As the evidence export does: the pack is written into a pipe the
	// server drains as it sends, so memory stays flat; a failure leaves a
	// zip without its signed manifest, which verify.html refuses.
	log := s.log
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	deadline := time.AfterFunc(10*time.Minute, func() {
		cancel()
		pr.CloseWithError(context.DeadlineExceeded)
	})
	go func() {
		defer cancel()
		defer deadline.Stop()
		w := bufio.NewWriterSize(pw, 64<<10)
		err := evidencepack.Build(ctx, src, req, w)
		if err != nil {
			log.Error("evidence pack failed", "user_id", me.ID, "as_of", day, "err", err)
		}
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		pw.CloseWithError(err)
	}()
	c.Context().SetBodyStream(struct{ io.Reader }{pr}, -1)
	return nil
}
