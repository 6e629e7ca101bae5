package handlers

import (
	"bytes"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"steward/internal/logfmt"
	"steward/internal/people"
)

// access is a route's rule: who may call it.
type access struct {
	public bool          // anyone, signed in or not
	roles  []people.Role // nil with public false: any signed-in person
	noCSRF bool          // only for RFC 8058 one-click unsubscribe from mail clients
}

var (
	public   = access{public: true}
	signedIn = access{}
	// oneClick is public and takes POSTs without a CSRF token: mail
	// clients send List-Unsubscribe-Post requests with no form to carry one.
	oneClick = access{public: true, noCSRF: true}
)

func roles(rs ...people.Role) access { return access{roles: rs} }

// allows reports whether a person with role r (or nobody, when r is "") may use the route.
func (a access) allows(r people.Role) bool {
	if a.public {
		return true
	}
	if r == "" {
		return false
	}
	if a.roles == nil {
		return true
	}
	for _, x := range a.roles {
		if x == r {
			return true
		}
	}
	return false
}

// route registers a handler with its access rule. Every route goes through
// here, so TestEveryRouteHasAnAccessRule can check all of them.
// A GET route also answers HEAD, with the same status and headers and no
// body (fasthttp drops the body of a HEAD response).
func (s *Server) route(method, path string, a access, h fiber.Handler) {
	s.rules[method+" "+path] = a
	s.app.Add(method, path, s.guard(a), h)
	if method == fiber.MethodGet {
		s.rules[fiber.MethodHead+" "+path] = a
		s.app.Add(fiber.MethodHead, path, s.guard(a), h)
		if crossOrigin(path) {
			// Other sites' scripts may read it: answer their preflight (cors.go).
			s.rules[fiber.MethodOptions+" "+path] = a
			s.app.Add(fiber.MethodOptions, path, s.guard(a), s.preflight)
		}
	}
}

// guard enforces a route's access rule and the CSRF check.
func (s *Server) guard(a access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := currentUser(c)
		var role people.Role
		if u != nil {
			role = u.Role
		}
		if !a.allows(role) {
			if u == nil {
				if c.Method() == fiber.MethodGet && !isAPI(c) {
					return c.Redirect("/login?next=" + url.QueryEscape(c.OriginalURL()))
				}
				return fiber.NewError(fiber.StatusUnauthorized, "Please sign in first.")
			}
			return fiber.NewError(fiber.StatusForbidden, "Your role does not give you access to this page.")
		}
		if !a.noCSRF && unsafeMethod(c.Method()) {
			if err := s.checkCSRF(c); err != nil {
				return err
			}
		}
		return c.Next()
	}
}

func unsafeMethod(m string) bool {
	return m != fiber.MethodGet && m != fiber.MethodHead && m != fiber.MethodOptions
}

func isAPI(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }

// responseHeaders is the list of headers every response carries, in the
// order they are set, keys already in canonical form: built once by New,
// so a request sets them in one loop with no parsing and no choices. The
// CSP allows no inline script or style: pages work without JavaScript,
// and what little script there is lives in /static. With single sign-on
// the CSP lets the sign-out form go to the provider; with secure cookies
// (https) HSTS is added.
func (s *Server) responseHeaders() [][2][]byte {
	hs := slices.Clone(securityHeaderList)
	if s.sso != nil {
		hs[0][1] = s.sso.csp
	}
	if s.cfg.SecureCookies() {
		hs = append(hs, [2][]byte{hstsKey, hstsValue})
	}
	return hs
}

// setResponseHeaders sets the headers every response carries. The JSON
// API and the feeds also get their CORS headers here (cors.go), errors
// included, so another site's script can read a 404's message.
func (s *Server) setResponseHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	for _, kv := range s.headers {
		h.SetCanonical(kv[0], kv[1])
	}
	if crossOrigin(c.Path()) {
		for _, kv := range corsHeaders {
			h.SetCanonical(kv[0], kv[1])
		}
	}
}

// securityHeaderList is built once, with keys already in canonical form,
// so setting them costs no parsing per request.
var securityHeaderList = [][2][]byte{
	{cspKey, cspWithFormTargets()},
	{[]byte("X-Content-Type-Options"), []byte("nosniff")},
	{[]byte("Referrer-Policy"), []byte("same-origin")},
	{[]byte("X-Frame-Options"), []byte("DENY")},
	{[]byte("Permissions-Policy"), []byte("camera=(), microphone=(), geolocation=(), interest-cohort=()")},
	{[]byte("Cross-Origin-Opener-Policy"), []byte("same-origin")},
}

var cspKey = []byte("Content-Security-Policy")

// cspWithFormTargets is Steward's Content-Security-Policy, whose forms
// post to Steward alone, and also to origins: the sign-out form redirects
// to the single sign-on provider, and form-action covers redirects.
func cspWithFormTargets(origins ...string) []byte {
	formAction := strings.Join(append([]string{"'self'"}, origins...), " ")
	return []byte("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
}

var (
	hstsKey   = []byte("Strict-Transport-Security")
	hstsValue = []byte("max-age=63072000; includeSubDomains")
)

// requestLog gives each request an id, sets the headers every response
// carries (setResponseHeaders) and logs one line when it ends, with no
// personal data beyond the user id. It runs for every request, static
// files included, so it makes nothing it can avoid: the id is written
// into the response header from a buffer on the stack, and the line goes
// straight to the logfmt handler when that is the logger's.
func (s *Server) requestLog(c *fiber.Ctx) error {
	// fasthttp reads the clock as it hands the request over; reading it
	// again would cost every request (a clock read is slow on some
	// virtual machines). A context made outside fasthttp's server has none.
	start := c.Context().Time()
	if start.IsZero() {
		start = time.Now()
	}
	var buf [maxRequestID]byte
	id := c.Request().Header.PeekBytes(requestIDKey)
	if !validRequestID(id) {
		id = s.requestIDs.appendNext(buf[:0])
	} else {
		id = append(buf[:0], id...)
	}
	c.Response().Header.SetCanonical(requestIDKey, id)
	s.setResponseHeaders(c)
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now, so the status we
		// log is the one the client gets.
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
		err = nil
	}
	status := c.Response().StatusCode()
	elapsed := time.Since(start)
	m := s.metrics.route(c.Method(), c.Route(), status)
	m.requests.Inc()
	m.duration.Observe(elapsed.Seconds())
	var userID int64
	if u := currentUser(c); u != nil {
		userID = u.ID
	}
	h := s.log.Handler()
	if lf, ok := h.(*logfmt.Handler); ok {
		_ = lf.LogRequest(start.Add(elapsed), &logfmt.Request{Method: c.Method(), Path: loggedPath(c),
			Status: status, Duration: elapsed, ID: id, UserID: userID})
		return err
	}
	ctx := c.UserContext()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return err
	}
	r := slog.NewRecord(start.Add(elapsed), slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("method", c.Method()), slog.String("path", loggedPath(c)), slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("request_id", string(id)))
	if userID != 0 {
		r.AddAttrs(slog.Int64("user_id", userID))
	}
	_ = h.Handle(ctx, r)
	return err
}

// requestIDKey is X-Request-ID in fasthttp's canonical form.
var requestIDKey = []byte("X-Request-Id")

// maxRequestID is the longest request id a client may send; a longer one,
// or one with anything but printable ASCII, is replaced with one of ours.
const maxRequestID = 64

func validRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > maxRequestID {
		return false
	}
	for _, ch := range id {
		if ch <= ' ' || ch >= 0x7f {
			return false
		}
	}
	return true
}

// requestID is the id of the request c is answering (requestLog).
func requestID(c *fiber.Ctx) string {
	return string(c.Response().Header.PeekBytes(requestIDKey))
}

// requestIDs makes request ids without reading crypto/rand per request: a
// random prefix per process, then a counter. Ids stay unique across several
// instances and reveal nothing but an order.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs { return &requestIDs{prefix: randomToken(6)} }

// appendNext appends the next id to b.
func (r *requestIDs) appendNext(b []byte) []byte {
	b = append(b, r.prefix...)
	b = append(b, '-')
	return strconv.AppendUint(b, r.n.Add(1), 36)
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// byRoute caches each route's counter and histogram: resolving label
	// values hashes them on every call, and the set of routes is small.
	byRoute sync.Map // routeKey -> *routeMetrics
}

// routeKey names a route by its registration (one per method and path)
// and a status: hashing a pointer is cheaper than hashing the path.
type routeKey struct {
	route  *fiber.Route
	status int
}

type routeMetrics struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func (m *metrics) route(method string, route *fiber.Route, status int) *routeMetrics {
	k := routeKey{route, status}
	if v, ok := m.byRoute.Load(k); ok {
		return v.(*routeMetrics)
	}
	rm := &routeMetrics{
		requests: m.requests.WithLabelValues(method, route.Path, strconv.Itoa(status)),
		duration: m.duration.WithLabelValues(method, route.Path),
	}
	v, _ := m.byRoute.LoadOrStore(k, rm)
	return v.(*routeMetrics)
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "steward_http_request_duration_seconds", Help: "HTTP request duration by method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// rejectControlChars refuses a request whose path, query or form fields
// carry NUL or other control characters (tab, newline and carriage return
// are text). No form of Steward's takes them, PostgreSQL refuses NUL in
// text, and they make logs and CSV exports lie. Uploaded files are not
// form fields and are checked by their own parsers.
func (s *Server) rejectControlChars(c *fiber.Ctx) error {
	raw := c.Request().Header.RequestURI()
	bad := hasControl([]byte(c.Path())) || hasControl(raw)
	check := func(k, v []byte) {
		if !bad && (hasControl(k) || hasControl(v)) {
			bad = true
		}
	}
	// Only a percent-escape can hide a control character in a query that
	// has none written out; parsing the query costs every request, so only
	// a request with one pays it.
	if bytes.IndexByte(raw, '%') >= 0 {
		c.Request().URI().QueryArgs().VisitAll(check)
	}
	if unsafeMethod(c.Method()) {
		ct := string(c.Request().Header.ContentType())
		switch {
		case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
			c.Request().PostArgs().VisitAll(check)
		case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
			if f, err := c.MultipartForm(); err == nil {
				for k, vs := range f.Value {
					for _, v := range vs {
						check([]byte(k), []byte(v))
					}
				}
			}
		}
	}
	if bad {
		return fiber.NewError(fiber.StatusBadRequest, "The request contains control characters (such as NUL), which this site does not accept in text.")
	}
	return c.Next()
}

func hasControl(b []byte) bool {
	for _, ch := range b {
		if ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r' || ch == 0x7f {
			return true
		}
	}
	return false
}

// clientIP is the address of whoever sent the request: see clientAddr.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	return clientAddr(peer, c.Get(fiber.HeaderXForwardedFor), s.cfg.TrustedProxy)
}

// clientAddr is the connection's peer or, when the peer is a trusted proxy
// (STEWARD_TRUSTED_PROXIES), the nearest address in X-Forwarded-For that is
// not itself a trusted proxy. It reads the header from the right: each
// proxy appends the address it saw, and anything left of the last
// untrusted one the client could have written itself.
func clientAddr(peer netip.Addr, forwardedFor string, trusted func(netip.Addr) bool) string {
	peer = peer.Unmap()
	if !trusted(peer) || strings.TrimSpace(forwardedFor) == "" {
		return peer.String()
	}
	hops := strings.Split(forwardedFor, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a mangled hop: believe nothing left of it
		}
		a = a.Unmap()
		if !trusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}
