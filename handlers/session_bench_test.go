package handlers

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// BenchmarkSignedInRequest measures what every signed-in request pays to
// know who is asking (opening the cookie and loading the session and its
// person), on a small signed-in page, next to the same page's anonymous
// redirect (the middleware without a session).
func BenchmarkSignedInRequest(b *testing.B) {
	ts := newTestServer(b)
	c := ts.as(employeeEmail)
	cookie := "steward_session=" + c.cookies["steward_session"]
	h := ts.srv.App().Handler()
	for _, tc := range []struct {
		name, cookie string
		status       int
	}{
		{"signed-in", cookie, fiber.StatusOK},
		{"anonymous", "", fiber.StatusFound},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod(fiber.MethodGet)
				ctx.Request.SetRequestURI("/account/password")
				if tc.cookie != "" {
					ctx.Request.Header.Set("Cookie", tc.cookie)
				}
				h(&ctx)
				if ctx.Response.StatusCode() != tc.status {
					b.Fatalf("status %d", ctx.Response.StatusCode())
				}
			}
		})
	}
}
