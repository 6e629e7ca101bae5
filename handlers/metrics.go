package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// /metrics names every route and how busy it is, so it is not public:
// on the web address it answers only a bearer STEWARD_METRICS_TOKEN, and
// without a token it is not there at all (404). STEWARD_METRICS_ADDR
// serves it on a listener of its own (MetricsHandler), for a private
// network; the token is required there too when one is set.

const metricsNotFound = "There is no page at this address."

// metricsPage is the /metrics route of the web app.
func (s *Server) metricsPage() fiber.Handler {
	h := adaptor.HTTPHandler(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return func(c *fiber.Ctx) error {
		if s.cfg.MetricsToken == "" {
			return fiber.NewError(fiber.StatusNotFound, metricsNotFound)
		}
		if !bearerMatches(c.Get(fiber.HeaderAuthorization), s.cfg.MetricsToken) {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="steward metrics"`)
			return fiber.NewError(fiber.StatusUnauthorized, "/metrics needs the STEWARD_METRICS_TOKEN as a bearer token.")
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return h(c)
	}
}

// MetricsHandler serves /metrics alone, for the STEWARD_METRICS_ADDR listener.
func (s *Server) MetricsHandler() http.Handler {
	prom := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MetricsToken != "" && !bearerMatches(r.Header.Get("Authorization"), s.cfg.MetricsToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="steward metrics"`)
			http.Error(w, "/metrics needs the STEWARD_METRICS_TOKEN as a bearer token.", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		prom.ServeHTTP(w, r)
	})
	return mux
}

// bearerMatches compares an Authorization header with the token in
// constant time: both are hashed first, so neither the content nor the
// length of the token leaks through timing.
func bearerMatches(header, token string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a := sha256.Sum256([]byte(strings.TrimSpace(got)))
	b := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
