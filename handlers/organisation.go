package handlers

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/mail"
	"steward/internal/org"
	"steward/internal/validator"
)

// brand is the organisation's branding as every page shows it, read from
// one snapshot (Server.brand) that is replaced whole when an admin saves,
// so templates read it without a query and without locks.
type brand struct {
	Settings *org.Settings
	// Name is the organisation's name, or the site's host name until an
	// admin sets one: never "Steward", which customers do not know.
	Name      string
	Contact   string
	Links     []org.Link
	PoweredBy bool
	Version   string
	// LogoURL and AccentCSS are stable URLs that change when the logo or
	// colour does, so both can be cached for a year; "" when unset.
	LogoURL    string
	LogoWidth  int
	LogoHeight int
	AccentCSS  string

	logo     []byte
	css      []byte
	loadedAt time.Time
}

// brandMaxAge is how long an instance serves a snapshot before reading the
// settings again, so an admin's change made on another instance shows
// within it. The instance where the admin saved refreshes at once.
const brandMaxAge = time.Minute

// loadBrand reads the settings and the logo into a new snapshot.
func (s *Server) loadBrand(ctx context.Context) (*brand, error) {
	st, err := s.org.Load(ctx)
	if err != nil {
		return nil, err
	}
	b := &brand{Settings: st, Name: st.Name(), Contact: st.Contact(), Links: st.Links,
		PoweredBy: st.PoweredBy, Version: st.Version, loadedAt: s.wall()}
	if b.Name == "" {
		b.Name = s.cfg.BaseURL.Hostname()
	}
	if st.Logo.Set() {
		data, ref, err := s.org.Logo(ctx)
		switch {
		case errors.Is(err, org.ErrNoLogo):
		case err != nil:
			return nil, err
		default:
			b.logo = data
			b.LogoURL = ref.Path()
			b.LogoWidth, b.LogoHeight = ref.Width, ref.Height
		}
	}
	if a := st.Accent(); a != "" {
		// Checked by org: #rrggbb, dark enough for white text.
		b.css = []byte(":root { --brand: " + a + "; }\n")
		b.AccentCSS = "/org/accent.css?v=" + st.Version
	}
	return b, nil
}

// refreshBrand replaces the snapshot with the settings as stored now.
func (s *Server) refreshBrand(ctx context.Context) error {
	b, err := s.loadBrand(ctx)
	if err != nil {
		return err
	}
	s.brand.Store(b)
	return nil
}

// brandNow returns the current snapshot. When it is older than
// brandMaxAge, one request reads the settings again (the others meanwhile
// get the snapshot they had); if that fails, the old snapshot serves for
// another brandMaxAge.
func (s *Server) brandNow() *brand {
	b := s.brand.Load()
	if s.wall().Sub(b.loadedAt) <= brandMaxAge || !s.brandLoading.CompareAndSwap(false, true) {
		return b
	}
	defer s.brandLoading.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.refreshBrand(ctx); err != nil {
		s.log.Error("organisation settings: refresh", "err", err)
		again := *b
		again.loadedAt = s.wall()
		s.brand.Store(&again)
	}
	return s.brand.Load()
}

// brandState is what Server keeps of the branding.
type brandState struct {
	brand        atomic.Pointer[brand]
	brandLoading atomic.Bool
}

// orgLogo serves the logo. The URL pages use carries the logo's hash, so
// an answer to it can be cached for a year.
func (s *Server) orgLogo(c *fiber.Ctx) error {
	b := s.brandNow()
	if b.logo == nil {
		return fiber.NewError(fiber.StatusNotFound, "This organisation has no logo.")
	}
	c.Set(fiber.HeaderContentType, b.Settings.Logo.ContentType)
	return sendVersioned(c, b.logo, b.Settings.Logo.SHA256[:16], b.LogoURL)
}

// orgAccentCSS serves the stylesheet that sets the accent colour. It is a
// stylesheet of its own, not an inline style, so the Content-Security-Policy
// stays style-src 'self'.
func (s *Server) orgAccentCSS(c *fiber.Ctx) error {
	b := s.brandNow()
	if b.css == nil {
		return fiber.NewError(fiber.StatusNotFound, "This organisation has no accent colour.")
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	return sendVersioned(c, b.css, b.Version, b.AccentCSS)
}

// sendVersioned sends body, cached for a year when the request asked for
// the current version (the URL pages link to), briefly otherwise.
func sendVersioned(c *fiber.Ctx, body []byte, version, current string) error {
	cc := "public, max-age=300"
	if c.OriginalURL() == current {
		cc = "public, max-age=31536000, immutable"
	}
	etag := `"` + version + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, cc)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(body)
}

// orgForm is the settings form: each setting's value by key, with the
// per-field messages.
type orgForm struct {
	Values map[string]string
	validator.Validator
}

// orgField is one row of the settings form.
type orgField struct {
	org.Field
	Value   string
	FromEnv bool
}

func (s *Server) orgPage(c *fiber.Ctx, status int, f orgForm, logoErr string) error {
	b := s.brandNow()
	var facts, branding []orgField
	for _, fl := range org.Fields {
		row := orgField{Field: fl, Value: f.Values[fl.Key], FromEnv: b.Settings.FromEnv[fl.Key]}
		if row.FromEnv {
			row.Value = b.Settings.Get(fl.Key)
		}
		if fl.Fact && fl.Key != string(org.Name) {
			facts = append(facts, row)
		} else {
			branding = append(branding, row)
		}
	}
	return s.render(c, status, "org/settings", fiber.Map{
		"Title": "Organisation settings", "Branding": branding, "Facts": facts, "Form": f,
		"Brand": b, "LogoError": logoErr, "MaxLogoKB": org.MaxLogoBytes >> 10, "MaxLogoSide": org.MaxLogoSide,
	})
}

// orgSettings shows the organisation settings form.
func (s *Server) orgSettings(c *fiber.Ctx) error {
	st, err := s.org.Load(c.UserContext())
	if err != nil {
		return err
	}
	return s.orgPage(c, fiber.StatusOK, orgForm{Values: st.Values}, "")
}

// orgSave stores the settings, audited, and refreshes what pages show.
func (s *Server) orgSave(c *fiber.Ctx) error {
	f := orgForm{Values: map[string]string{}}
	for _, fl := range org.Fields {
		f.Values[fl.Key] = c.FormValue(fl.Key)
	}
	raw := make(map[string]string, len(f.Values))
	for k, v := range f.Values {
		raw[k] = v
	}
	_, err := s.org.Save(c.UserContext(), raw, actorOf(c), s.now())
	var ve *org.ValidationError
	if errors.As(err, &ve) {
		for k, msg := range ve.Fields {
			fl, _ := org.FieldOf(k)
			f.AddFieldError(k, fl.Label+" "+msg+".")
		}
		return s.orgPage(c, fiber.StatusUnprocessableEntity, f, "")
	}
	if err != nil {
		return err
	}
	if err := s.refreshBrand(c.UserContext()); err != nil {
		return err
	}
	s.flash(c, "Organisation settings saved. Every page shows them now.")
	return c.Redirect("/admin/organisation", fiber.StatusSeeOther)
}

// orgLogoUpload stores an uploaded logo after checking what it is.
func (s *Server) orgLogoUpload(c *fiber.Ctx) error {
	st, err := s.org.Load(c.UserContext())
	if err != nil {
		return err
	}
	form := orgForm{Values: st.Values}
	fh, err := c.FormFile("logo")
	if err != nil {
		return s.orgPage(c, fiber.StatusUnprocessableEntity, form, "Choose an image file to upload.")
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, org.MaxLogoBytes+1))
	if err != nil {
		return err
	}
	err = s.org.SaveLogo(c.UserContext(), data, actorOf(c), s.now())
	var ve *org.ValidationError
	if errors.As(err, &ve) {
		msg := ve.Fields["logo"]
		if len(data) > org.MaxLogoBytes {
			msg = "is larger than " + strconv.Itoa(org.MaxLogoBytes>>10) + " KB, the most a logo may be"
		}
		return s.orgPage(c, fiber.StatusUnprocessableEntity, form, "The logo "+msg+".")
	}
	if err != nil {
		return err
	}
	if err := s.refreshBrand(c.UserContext()); err != nil {
		return err
	}
	s.flash(c, "Logo uploaded. Every page shows it now.")
	return c.Redirect("/admin/organisation", fiber.StatusSeeOther)
}

// orgLogoDelete removes the logo.
func (s *Server) orgLogoDelete(c *fiber.Ctx) error {
	err := s.org.DeleteLogo(c.UserContext(), actorOf(c), s.now())
	if errors.Is(err, org.ErrNoLogo) {
		return fiber.NewError(fiber.StatusNotFound, "There is no logo to remove.")
	}
	if err != nil {
		return err
	}
	if err := s.refreshBrand(c.UserContext()); err != nil {
		return err
	}
	s.flash(c, "Logo removed.")
	return c.Redirect("/admin/organisation", fiber.StatusSeeOther)
}

// MailBrand is the organisation as its emails show it, from the same
// snapshot as the pages: the brand of the server's own emails (New).
func (s *Server) MailBrand() mail.Brand {
	b := s.brandNow()
	if b.Settings == nil {
		return mail.DefaultBrand(s.cfg.BaseURL.String())
	}
	return mail.OrgBrand(b.Settings, s.cfg.BaseURL.String())
}
