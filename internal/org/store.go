package org

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers the decoders DecodeConfig checks logos with
	_ "image/png"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "golang.org/x/image/webp"

	"steward/internal/audit"
	"steward/internal/db"
)

// Store reads and writes the organisation's settings. env holds the
// settings the environment fixes (ParseEnv); they win over stored ones.
type Store struct {
	db  *db.DB
	env map[string]string
}

// NewStore returns a store over d with the environment's settings env
// (nil when none).
func NewStore(d *db.DB, env map[string]string) *Store {
	return &Store{db: d, env: maps.Clone(env)}
}

// Load returns the settings in force.
func (s *Store) Load(ctx context.Context) (*Settings, error) {
	return s.load(ctx, s.db)
}

// LoadTx is Load inside a transaction, for a write that must see the
// settings it freezes (a policy's publication).
func (s *Store) LoadTx(ctx context.Context, tx sqlx.QueryerContext) (*Settings, error) {
	return s.load(ctx, tx)
}

func (s *Store) load(ctx context.Context, q sqlx.QueryerContext) (*Settings, error) {
	var rows []struct {
		Key   string `db:"key"`
		Value string `db:"value"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT key, value FROM organisation_settings`); err != nil {
		return nil, fmt.Errorf("org: load settings: %w", err)
	}
	stored := map[string]string{}
	for _, r := range rows {
		stored[r.Key] = r.Value
	}
	var logo LogoRef
	err := sqlx.GetContext(ctx, q, &logo, `SELECT content_type AS contenttype, sha256, width, height FROM organisation_logo WHERE id = 1`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("org: load logo: %w", err)
	}
	return s.merge(stored, logo), nil
}

// merge lays the environment's settings over the stored ones.
func (s *Store) merge(stored map[string]string, logo LogoRef) *Settings {
	st := &Settings{Values: map[string]string{}, FromEnv: map[string]bool{}, Logo: logo}
	for _, f := range Fields {
		v, fromEnv := s.env[f.Key]
		if fromEnv {
			st.FromEnv[f.Key] = true
		} else {
			v = stored[f.Key]
		}
		if v != "" {
			st.Values[f.Key] = v
		}
	}
	st.Links, _ = ParseLinks(st.Values[fieldLinks])
	st.PoweredBy = st.Values[fieldPoweredBy] == "true"
	h := sha256.New()
	for _, f := range Fields {
		fmt.Fprintf(h, "%s=%q\n", f.Key, st.Values[f.Key])
	}
	h.Write([]byte(logo.SHA256))
	st.Version = hex.EncodeToString(h.Sum(nil)[:8])
	return st
}

// Save stores the settings from the settings form, raw by Field.Key, and
// records the change in the audit log in the same transaction. Settings
// the environment fixes are left alone whatever raw says; a field missing
// from raw is cleared. A bad value is a *ValidationError and changes
// nothing.
func (s *Store) Save(ctx context.Context, raw map[string]string, by audit.Actor, now time.Time) (*Settings, error) {
	for k := range s.env {
		delete(raw, k)
	}
	clean, err := Clean(raw)
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		before, err := s.load(ctx, tx)
		if err != nil {
			return err
		}
		var changed []string
		for _, f := range Fields {
			if before.FromEnv[f.Key] {
				continue
			}
			old, v := before.Values[f.Key], clean[f.Key]
			if old == v {
				continue
			}
			changed = append(changed, f.Key)
			if v == "" {
				_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM organisation_settings WHERE key = ?`), f.Key)
			} else {
				_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO organisation_settings (key, value, updated_at) VALUES (?, ?, ?)
					ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`), f.Key, v, now)
			}
			if err != nil {
				return fmt.Errorf("org: save %s: %w", f.Key, err)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, by.Entry(now, "organisation.update", "organisation", "changed "+strings.Join(changed, ", ")))
	})
	if err != nil {
		return nil, err
	}
	return s.Load(ctx)
}

// Logo limits: small enough to keep in the database and send on every
// first visit, large enough for a sharp header logo.
const (
	MaxLogoBytes = 256 << 10
	MaxLogoSide  = 2000
)

// logoTypes are the accepted logo formats. SVG is not among them: it can
// carry script and external references.
var logoTypes = []string{"image/png", "image/jpeg", "image/webp"}

// CheckLogo refuses anything but a sound PNG, JPEG or WebP image of at
// most MaxLogoBytes and MaxLogoSide pixels a side, judged by its content,
// not its name. It returns the content type and size.
func CheckLogo(data []byte) (contentType string, width, height int, err error) {
	bad := func(msg string) (string, int, int, error) {
		return "", 0, 0, &ValidationError{Fields: map[string]string{"logo": msg}}
	}
	switch {
	case len(data) == 0:
		return bad("choose an image file")
	case len(data) > MaxLogoBytes:
		return bad(fmt.Sprintf("is %d KB; a logo may be at most %d KB", (len(data)+1023)/1024, MaxLogoBytes>>10))
	}
	ct := http.DetectContentType(data)
	if !slices.Contains(logoTypes, ct) {
		return bad("must be a PNG, JPEG or WebP image (SVG is not accepted)")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != ct {
		return bad("is damaged or not the image its content says it is")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return bad(fmt.Sprintf("is %d×%d pixels; a logo may be at most %d pixels a side", cfg.Width, cfg.Height, MaxLogoSide))
	}
	// The header alone can be sound in a truncated or damaged file; only
	// decoding the whole image (bounded by the size checked above) shows it.
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return bad("is damaged: it could not be read as a whole image")
	}
	return ct, cfg.Width, cfg.Height, nil
}

// SaveLogo stores data as the logo after CheckLogo, audited.
func (s *Store) SaveLogo(ctx context.Context, data []byte, by audit.Actor, now time.Time) error {
	ct, w, h, err := CheckLogo(data)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	now = now.UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO organisation_logo (id, content_type, data, sha256, width, height, updated_at)
			VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data,
			sha256 = excluded.sha256, width = excluded.width, height = excluded.height, updated_at = excluded.updated_at`),
			ct, data, hash, w, h, now)
		if err != nil {
			return fmt.Errorf("org: save logo: %w", err)
		}
		return audit.Record(ctx, tx, by.Entry(now, "organisation.logo", "organisation",
			fmt.Sprintf("%s %dx%d, %d bytes, sha256 %s", ct, w, h, len(data), hash)))
	})
}

// DeleteLogo removes the logo, audited. Without one it is ErrNoLogo.
func (s *Store) DeleteLogo(ctx context.Context, by audit.Actor, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM organisation_logo WHERE id = 1`)
		if err != nil {
			return fmt.Errorf("org: delete logo: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoLogo
		}
		return audit.Record(ctx, tx, by.Entry(now, "organisation.logo_delete", "organisation", "logo removed"))
	})
}

// Logo returns the stored logo's bytes and reference.
func (s *Store) Logo(ctx context.Context) ([]byte, LogoRef, error) {
	var row struct {
		LogoRef
		Data []byte `db:"data"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT content_type AS contenttype, sha256, width, height, data FROM organisation_logo WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, LogoRef{}, ErrNoLogo
	}
	if err != nil {
		return nil, LogoRef{}, fmt.Errorf("org: read logo: %w", err)
	}
	return row.Data, row.LogoRef, nil
}
