package webhooks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/db"
)

// ErrNotFound means there is no endpoint with that id.
var ErrNotFound = errors.New("webhooks: no such endpoint")

// MaxURL is the longest endpoint URL accepted.
const MaxURL = 2000

// ValidationError carries a message per form field ("url", "events").
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string {
	var parts []string
	for f, m := range e.Fields {
		parts = append(parts, f+": "+m)
	}
	return "webhooks: invalid endpoint: " + strings.Join(parts, "; ")
}

// Endpoint is a registered receiver. Its secret is not part of it: it is
// read only to sign, and shown only once, by Create.
type Endpoint struct {
	ID        int64     `db:"id"`
	URL       string    `db:"url"`
	EventList string    `db:"events"`
	Enabled   bool      `db:"enabled"`
	CreatedAt time.Time `db:"created_at"`
}

// Events returns the events the endpoint subscribed to.
func (e Endpoint) Events() []string { return strings.Fields(e.EventList) }

// Store manages the endpoints and reads their deliveries.
type Store struct {
	db *db.DB
	// Production refuses endpoints on loopback and private addresses.
	Production bool
}

// NewStore returns the store of d's endpoints.
func NewStore(d *db.DB, production bool) *Store { return &Store{db: d, Production: production} }

// CheckURL reports what is wrong with raw as an endpoint URL, or "". It
// must be https; outside production, http to 127.0.0.1, ::1 or localhost
// is allowed too, for trying a receiver on one's own machine. In
// production a literal loopback, private or link-local address is
// refused here, and every name is checked again against those ranges
// when a delivery connects (see guardedDial), so a name that resolves to
// an internal address reaches nothing.
func CheckURL(raw string, production bool) string {
	if strings.TrimSpace(raw) == "" {
		return "Enter the URL of the receiver."
	}
	if !utf8.ValidString(raw) || utf8.RuneCountInString(raw) > MaxURL {
		return fmt.Sprintf("Use a URL of at most %d characters.", MaxURL)
	}
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return "A URL cannot contain spaces or control characters."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "Enter a full URL, like https://hooks.example.com/steward."
	}
	if u.User != nil {
		return "Leave the user name and password out of the URL; deliveries are authenticated by their signature."
	}
	if u.Fragment != "" {
		return "A URL sent to cannot have a #fragment."
	}
	host := u.Hostname()
	local := host == "localhost" || (net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback())
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && local && !production:
	case u.Scheme == "http" && local:
		return "Use https: plain http is allowed only to this machine, and only outside production."
	default:
		return "Use an https:// URL (plain http is allowed only to 127.0.0.1 or localhost, outside production)."
	}
	if production {
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return "In production a receiver cannot be on this machine."
		}
		if ip := net.ParseIP(host); ip != nil && internal(ip) {
			return "In production a receiver cannot be on a loopback, private or link-local address."
		}
	}
	return ""
}

// internal reports an address a webhook must not reach in production:
// one that names this machine or a private network.
func internal(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		// 100.64.0.0/10, carrier-grade NAT, is private in practice.
		(ip.To4() != nil && ip.To4()[0] == 100 && ip.To4()[1]&0xc0 == 64)
}

// Validate checks an endpoint as an admin entered it.
func (s *Store) Validate(rawURL string, events []string) error {
	fields := map[string]string{}
	if msg := CheckURL(rawURL, s.Production); msg != "" {
		fields["url"] = msg
	}
	for _, e := range events {
		if !knownEvent(e) {
			fields["events"] = "Choose among " + strings.Join(Events, ", ") + "."
			break
		}
	}
	if len(events) == 0 {
		fields["events"] = "Choose at least one event."
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// newSecret returns a fresh signing secret.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("webhooks: new secret: %w", err)
	}
	return "whsec_" + hex.EncodeToString(b[:]), nil
}

// Create registers an endpoint, enabled, and returns it with its signing
// secret, which is never shown again. It is audited; the audit entry does
// not hold the secret.
func (s *Store) Create(ctx context.Context, rawURL string, events []string, by audit.Actor, now time.Time) (Endpoint, string, error) {
	if err := s.Validate(rawURL, events); err != nil {
		return Endpoint{}, "", err
	}
	secret, err := newSecret()
	if err != nil {
		return Endpoint{}, "", err
	}
	list := orderedEvents(events)
	now = now.UTC().Truncate(time.Microsecond)
	var id int64
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO webhook_endpoints (url, secret, events, enabled, created_at, created_by)
			VALUES (?, ?, ?, TRUE, ?, ?) RETURNING id`), rawURL, secret, list, now, by.ID)
		if db.IsUniqueViolation(err) {
			return &ValidationError{Fields: map[string]string{"url": "An endpoint with this URL exists already."}}
		}
		if err != nil {
			return fmt.Errorf("webhooks: create endpoint: %w", err)
		}
		return audit.Record(ctx, tx, by.Entry(now, "webhook.create", target(id), rawURL+" for "+list))
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	return Endpoint{ID: id, URL: rawURL, EventList: list, Enabled: true, CreatedAt: now}, secret, nil
}

// orderedEvents is events once each, in the order of Events.
func orderedEvents(events []string) string {
	var out []string
	for _, k := range Events {
		for _, e := range events {
			if e == k {
				out = append(out, k)
				break
			}
		}
	}
	return strings.Join(out, " ")
}

func target(id int64) string { return "webhook:" + strconv.FormatInt(id, 10) }

const endpointCols = `id, url, events, enabled, created_at`

// List returns every endpoint, oldest first.
func (s *Store) List(ctx context.Context) ([]Endpoint, error) {
	var out []Endpoint
	if err := s.db.SelectContext(ctx, &out, `SELECT `+endpointCols+` FROM webhook_endpoints ORDER BY id`); err != nil {
		return nil, fmt.Errorf("webhooks: list endpoints: %w", err)
	}
	return out, nil
}

// Get returns one endpoint.
func (s *Store) Get(ctx context.Context, id int64) (Endpoint, error) {
	var e Endpoint
	err := s.db.GetContext(ctx, &e, s.db.Rebind(`SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("webhooks: endpoint %d: %w", id, err)
	}
	return e, nil
}

// SetEnabled enables or disables an endpoint. A disabled endpoint gets no
// new deliveries, and its queued ones wait. It is audited.
func (s *Store) SetEnabled(ctx context.Context, id int64, enabled bool, by audit.Actor, now time.Time) error {
	action := "webhook.disable"
	if enabled {
		action = "webhook.enable"
	}
	return s.change(ctx, id, action, by, now, `UPDATE webhook_endpoints SET enabled = ? WHERE id = ?`, enabled, id)
}

// Delete removes an endpoint and its deliveries. It is audited.
func (s *Store) Delete(ctx context.Context, id int64, by audit.Actor, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM webhook_deliveries WHERE endpoint_id = ?`), id); err != nil {
			return fmt.Errorf("webhooks: delete deliveries of %d: %w", id, err)
		}
		return s.changeTx(ctx, tx, id, "webhook.delete", by, now, `DELETE FROM webhook_endpoints WHERE id = ?`, id)
	})
}

// SendTest queues a webhook.test delivery to the endpoint alone. It is
// audited.
func (s *Store) SendTest(ctx context.Context, id int64, by audit.Actor, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	body, err := envelope(TestEvent, map[string]any{"message": "A test delivery sent by an admin from Steward."}, now)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.changeTx(ctx, tx, id, "webhook.test", by, now, `INSERT INTO webhook_deliveries
			(endpoint_id, event, payload, status, next_attempt_at, created_at)
			SELECT id, ?, ?, 'queued', ?, ? FROM webhook_endpoints WHERE id = ?`, TestEvent, body, now, now, id)
	})
}

func (s *Store) change(ctx context.Context, id int64, action string, by audit.Actor, now time.Time, query string, args ...any) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error { return s.changeTx(ctx, tx, id, action, by, now, query, args...) })
}

// changeTx runs a statement that must touch the endpoint, and audits it.
func (s *Store) changeTx(ctx context.Context, tx *sqlx.Tx, id int64, action string, by audit.Actor, now time.Time, query string, args ...any) error {
	var url string
	err := tx.GetContext(ctx, &url, tx.Rebind(`SELECT url FROM webhook_endpoints WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("webhooks: %s %d: %w", action, id, err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(query), args...); err != nil {
		return fmt.Errorf("webhooks: %s %d: %w", action, id, err)
	}
	return audit.Record(ctx, tx, by.Entry(now.UTC(), action, target(id), url))
}
