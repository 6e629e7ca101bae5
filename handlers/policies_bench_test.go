package handlers

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// BenchmarkPolicyPage measures one request for the public policy page in
// process (no network), next to the cheapest route of the same app (the
// cost of the middleware every request pays) and a bare Fiber app sending
// the same bytes (the limit). scripts/bench-policy.sh measures the same
// over TCP with wrk.
func BenchmarkPolicyPage(b *testing.B) {
	ts := newTestServer(b)
	page := ts.client().get("/policies/privacy")
	if page.StatusCode != fiber.StatusOK {
		b.Fatalf("status %d", page.StatusCode)
	}
	body := []byte(page.Body)
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	// The same headers too, as internal/benchserver sends them.
	var headers [][2]string
	for k, vs := range page.Header {
		if k == "Date" || k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			headers = append(headers, [2]string{k, v})
		}
	}
	bare.Get("/policies/privacy", func(c *fiber.Ctx) error {
		for _, kv := range headers {
			c.Set(kv[0], kv[1])
		}
		return c.Send(body)
	})
	cases := []struct {
		name string
		h    fasthttp.RequestHandler
		path string
	}{
		{"steward", ts.srv.App().Handler(), "/policies/privacy"},
		{"steward-healthz", ts.srv.App().Handler(), "/healthz"},
		{"same-bytes", bare.Handler(), "/policies/privacy"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod(fiber.MethodGet)
				ctx.Request.SetRequestURI(c.path)
				c.h(&ctx)
				if ctx.Response.StatusCode() != fiber.StatusOK {
					b.Fatalf("status %d", ctx.Response.StatusCode())
				}
			}
		})
	}
}
