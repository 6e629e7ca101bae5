// Package handlers is Steward's web app: routes, middleware and one file of
// handlers per area. Handlers are methods of Server; they call the domain
// stores and render views, and know no SQL.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"steward/courses"
	"steward/internal/config"
	"steward/internal/db"
	"steward/internal/i18n"
	"steward/internal/mail"
	"steward/internal/org"
	"steward/internal/people"
	"steward/internal/subprocessors"
	"steward/internal/tokens"
	"steward/internal/translog"
	"steward/policies"
	"steward/views"
)

// Deps is what a Server needs from main.
type Deps struct {
	Config config.Config
	DB     *db.DB
	Logger *slog.Logger
	// Now is the domain's clock: what is due, in effect or expired. Tests
	// fix it to drive the rules to any date.
	Now func() time.Time // UTC
	// Wall is the real clock, for whatever a client judges by its own
	// clock or by real elapsed time: session cookies and their idle and
	// absolute limits, sign-in limits. Nil means time.Now; tests only
	// move it forward from the real time, never pin it to a date.
	Wall       func() time.Time
	BcryptCost int // 0 means bcrypt.DefaultCost
	// Log is the public transparency log, signed with the installation's
	// key file (`serve` opens it). Nil gives a log signed with a key made
	// for this process only, which is what tests want and nothing else.
	Log *translog.Log
}

// Server holds the stores, views and services the handlers use.
type Server struct {
	cfg        config.Config
	db         *db.DB
	log        *slog.Logger
	now        func() time.Time
	wall       func() time.Time
	bcryptCost int

	people   *people.Store
	policies *policies.Store
	pages    *pageCache      // the public policy pages, rendered once
	i18n     *i18n.Catalogue // the public pages' interface text (policy_translations.go)
	mailer   *mail.Renderer
	tokens   *tokens.Issuer
	sso      *ssoClient // nil without STEWARD_OIDC_ISSUER

	courses  *courses.Store
	translog *translog.Log
	org      *org.Store
	// subprocessors is the published register (subprocessors.go).
	subprocessors *subprocessors.Store
	brandState

	app        *fiber.App
	views      *html.Engine
	keys       sessionKeys
	cookie     string
	limiter    *loginLimiter
	requestIDs *requestIDs
	headers    [][2][]byte // set on every response: responseHeaders
	metrics    *metrics
	registry   *prometheus.Registry

	// rules records the access rule of every route, by "METHOD path".
	rules map[string]access
}

// New builds the server and its Fiber app. Templates are parsed here, so a
// broken or missing template fails start, not a request.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.Wall == nil {
		d.Wall = func() time.Time { return time.Now().UTC() }
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.BcryptCost == 0 {
		d.BcryptCost = bcrypt.DefaultCost
	}
	s := &Server{
		cfg:        d.Config,
		db:         d.DB,
		log:        d.Logger,
		now:        d.Now,
		wall:       d.Wall,
		bcryptCost: d.BcryptCost,
		people:     people.NewStore(d.DB),
		courses:    courses.NewStore(d.DB),
		pages:      newPageCache(),
		limiter:    newLoginLimiter(),
		requestIDs: newRequestIDs(),
		rules:      map[string]access{},
		registry:   prometheus.NewRegistry(),
	}
	cat, err := i18n.New()
	if err != nil {
		return nil, err
	}
	s.i18n = cat
	mailer, err := mail.NewRenderer(d.Config.BaseURL.String())
	if err != nil {
		return nil, err
	}
	s.mailer = mailer
	s.translog = d.Log
	if s.translog == nil {
		k, err := translog.NewKey(logOrigin(d.Config.BaseURL))
		if err != nil {
			return nil, err
		}
		if s.translog, err = translog.Open(d.DB, k); err != nil {
			return nil, err
		}
	}
	s.tokens = tokens.New(mailer, time.Duration(d.Config.InviteDays)*24*time.Hour)
	s.policies = policies.NewStore(d.DB, mailer)
	s.org = org.NewStore(d.DB, d.Config.Org)
	s.subprocessors = subprocessors.NewStore(d.DB, mailer, d.Config.SubprocessorNoticeDays)
	s.policies.UseOrganisation(s.org)
	s.policies.SetNoticeDays(d.Config.PolicyNoticeDays)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.refreshBrand(ctx); err != nil {
		return nil, err
	}
	// Emails carry the organisation's name and colours, as the pages do.
	mailer.Brand = s.MailBrand
	if err := s.loadSessionKeys(ctx); err != nil {
		return nil, err
	}
	if d.Config.OIDC.Enabled() {
		sso, err := newSSOClient(ctx, d.Config, d.Wall)
		switch {
		case errors.Is(err, errSSOUnavailable):
			s.log.Warn("single sign-on is unavailable until the provider answers; break-glass admins can sign in with a password", "err", err)
		case err != nil:
			return nil, fmt.Errorf("single sign-on: %w", err)
		}
		s.sso = sso
	}
	s.cookie = "steward_session"
	if d.Config.SecureCookies() {
		s.cookie = "__Host-steward_session"
	}
	s.metrics = newMetrics(s.registry)
	s.headers = s.responseHeaders()

	engine := html.NewFileSystem(http.FS(views.FS), ".html")
	engine.AddFuncMap(templateFuncs())
	// {{brand.Name}} and the like: the organisation's branding, read from
	// a snapshot, so no page's data has to carry it.
	engine.AddFunc("brand", s.brandNow)
	// {{t .Lang "id" "Name" value ...}}, {{tdate .Lang .When}}: the public
	// pages' interface text in the page's language (internal/i18n).
	engine.AddFuncMap(i18nFuncs(cat))
	// {{facts .Text}}: plain course text (a question, an option) with its
	// {{org.KEY}} placeholders filled, escaped.
	engine.AddFunc("facts", func(text string) template.HTML {
		return template.HTML(org.FillHTML(template.HTMLEscapeString(text), s.brandNow().Settings))
	})
	if err := engine.Load(); err != nil {
		return nil, fmt.Errorf("handlers: parse templates: %w", err)
	}
	s.views = engine

	cfg := Connections()
	cfg.AppName = "Steward"
	cfg.Views = engine
	cfg.ErrorHandler = s.handleError
	cfg.DisableStartupMessage = true
	// Bodies are streamed and limitBody reads them, with a limit that
	// depends on who is asking and where (bodylimit.go); the BodyLimit is
	// the most it ever allows. Multipart forms are not parsed before the
	// handler for the same reason.
	cfg.BodyLimit = uploadBodyLimit
	cfg.StreamRequestBody = true
	cfg.DisablePreParseMultipartForm = true
	// Handlers keep strings from forms and params beyond the request
	// (sessions, stores, caches); Immutable makes that safe.
	cfg.Immutable = true
	s.app = fiber.New(cfg)
	s.routes()
	// The company directory's SCIM service (scim.go), bearer-token only.
	if err := s.scimRoutes(); err != nil {
		return nil, err
	}
	return s, nil
}

// App returns the Fiber app.
func (s *Server) App() *fiber.App { return s.app }

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// render writes a page with few fields inside the base layout. data may be
// nil; the layout gets the current user, the CSRF token and the flash
// message on top. Pages with more go through renderPage (page.go).
func (s *Server) render(c *fiber.Ctx, status int, name string, data fiber.Map) error {
	if data == nil {
		data = fiber.Map{}
	}
	l := layout{}
	l.Title, _ = data["Title"].(string)
	s.fill(c, &l)
	data["Title"], data["User"], data["CSRF"], data["Flash"], data["Path"] = l.Title, l.User, l.CSRF, l.Flash, l.Path
	data["IsAdmin"], data["IsAuditor"], data["IsManager"] = l.IsAdmin, l.IsAuditor, l.IsManager
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Render(name, data, "layouts/base")
}

func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"date": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if v.IsZero() {
					return ""
				}
				return v.Format("2 Jan 2006")
			case *time.Time:
				if v == nil || v.IsZero() {
					return ""
				}
				return v.Format("2 Jan 2006")
			}
			return ""
		},
		"isodate": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if v.IsZero() {
					return ""
				}
				return v.Format(time.DateOnly)
			case *time.Time:
				if v == nil {
					return ""
				}
				return v.Format(time.DateOnly)
			}
			return ""
		},
		"datetime": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		"minutes": func(n int) string {
			if n < 60 {
				return fmt.Sprintf("about %d min", n)
			}
			if n%60 == 0 {
				return fmt.Sprintf("about %d h", n/60)
			}
			return fmt.Sprintf("about %d h %d min", n/60, n%60)
		},
		"add":   func(a, b int) int { return a + b },
		"sub":   func(a, b int) int { return a - b },
		"title": func(s string) string { return strings.ToUpper(s[:min(1, len(s))]) + s[min(1, len(s)):] },
		"pct": func(n, d int) int {
			if d == 0 {
				return 0
			}
			return n * 100 / d
		},
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict: keys must be strings")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		// fail stops the render with err. The views engine's {{embed}}
		// returns the page's error as a value, which would print it into
		// a 200 page; the layout passes it here instead, so a page that
		// cannot render is a 500 (html/template fails on a field its
		// data lacks).
		"fail": func(err error) (string, error) { return "", err },
	}
}

// Connections is how Steward's server treats a connection: its timeouts
// and buffers, apart from what any handler does. internal/benchserver
// serves its yardstick with the same settings too, to tell the cost of
// Steward's handling from the cost of these choices.
func Connections() fiber.Config {
	return fiber.Config{
		ReadTimeout: 15 * time.Second,
		// Streamed exports (evidence, audit CSV) write for as long as
		// they need; slow clients are bounded by ReadTimeout and IdleTimeout.
		WriteTimeout:   5 * time.Minute,
		IdleTimeout:    60 * time.Second,
		ReadBufferSize: 16 << 10,
		// A response is written in one system call when its headers and
		// body fit the write buffer: with fasthttp's 4 KB default, a
		// 12 KB policy page took two (a full buffer, then the rest).
		WriteBufferSize: 16 << 10,
	}
}
