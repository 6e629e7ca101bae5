// Package devidp is an OpenID provider for trying single sign-on on one
// machine and for Steward's tests: zitadel/oidc's example provider (its
// login form, discovery, token, userinfo and end-session endpoints) with
// people of our choosing. It adds what that example leaves out, a groups
// claim and Steward's client with its sign-out address, and can
// misbehave on purpose (tokens for another audience, expired tokens).
// It keeps passwords in plain text in memory: never use it for real
// sign-ins.
package devidp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person at the provider.
type User struct {
	Subject       string // the provider's id for them, which never changes
	Username      string // what they type at the login form
	Password      string
	FirstName     string
	LastName      string
	Email         string
	EmailVerified bool
	Groups        []string
}

// Client is the client Steward signs in with.
type Client struct {
	ID, Secret string
	// StewardURL is Steward's STEWARD_BASE_URL: the provider sends people
	// back to its /auth/oidc/callback, and after signing out to /login.
	StewardURL string
}

// Provider is the OpenID provider.
type Provider struct {
	*storage.Storage
	issuer  string
	handler http.Handler
	users   *users

	mu            sync.Mutex
	wrongAudience bool
	expired       bool
	postLogout    []string
}

// New returns a provider whose issuer is issuer (scheme, host and port,
// no trailing slash), with client and people. logger may be nil; the
// example provider sets slog's default logger to it.
func New(issuer string, client Client, people []User, logger *slog.Logger) *Provider {
	us := &users{byID: map[string]*storage.User{}, groups: map[string][]string{}}
	for _, u := range people {
		us.byID[u.Subject] = &storage.User{ID: u.Subject, Username: u.Username, Password: u.Password,
			FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, EmailVerified: u.EmailVerified}
		us.groups[u.Subject] = u.Groups
	}
	clients := map[string]*storage.Client{
		client.ID: storage.WebClient(client.ID, client.Secret, client.StewardURL+"/auth/oidc/callback"),
	}
	p := &Provider{
		Storage:    storage.NewStorageWithClients(us, clients),
		issuer:     issuer,
		users:      us,
		postLogout: []string{client.StewardURL + "/login"},
	}
	p.handler = p.misdirect(exampleop.SetupServer(issuer, p, logger, false))
	return p
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// ServeHTTP serves the provider.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// SetEmail changes a person's email (their subject stays).
func (p *Provider) SetEmail(username, email string) { p.users.setEmail(username, email) }

// SetWrongAudience makes the token endpoint answer with ID tokens signed
// by this provider for another of its clients.
func (p *Provider) SetWrongAudience(on bool) { p.set(func() { p.wrongAudience = on }) }

// SetExpired makes ID tokens expire ten minutes before they are made.
func (p *Provider) SetExpired(on bool) { p.set(func() { p.expired = on }) }

func (p *Provider) set(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
}

// users are the people at the provider.
type users struct {
	mu     sync.Mutex
	byID   map[string]*storage.User
	groups map[string][]string
}

func (u *users) GetUserByID(id string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	if x, ok := u.byID[id]; ok {
		c := *x
		return &c
	}
	return nil
}

func (u *users) GetUserByUsername(name string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.byID {
		if x.Username == name {
			c := *x
			return &c
		}
	}
	return nil
}

func (u *users) ExampleClientID() string { return storage.ServiceUserID }

func (u *users) setEmail(username, email string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.byID {
		if x.Username == username {
			x.Email = email
		}
	}
}

func (u *users) groupsOf(id string) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.groups[id]
}

// GetClientByClientID gives Steward's client its ID token lifetime, its
// claims in the ID token and its sign-out address.
func (p *Provider) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := p.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &client{Client: c, p: p}, nil
}

func (p *Provider) SetUserinfoFromScopes(ctx context.Context, ui *oidc.UserInfo, userID, clientID string, scopes []string) error {
	if err := p.Storage.SetUserinfoFromScopes(ctx, ui, userID, clientID, scopes); err != nil {
		return err
	}
	ui.AppendClaims("groups", p.users.groupsOf(userID))
	return nil
}

func (p *Provider) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := p.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	ui.AppendClaims("groups", p.users.groupsOf(req.GetSubject()))
	return nil
}

func (p *Provider) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := p.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin); err != nil {
		return err
	}
	ui.AppendClaims("groups", p.users.groupsOf(ui.Subject))
	return nil
}

type client struct {
	op.Client
	p *Provider
}

func (c *client) IDTokenLifetime() time.Duration {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c.p.expired {
		return -10 * time.Minute
	}
	return time.Hour
}

func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *client) PostLogoutRedirectURIs() []string {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.p.postLogout
}

// misdirect, when wrongAudience is set, swaps the ID token that the token
// endpoint answers with one the provider signed for another of its
// clients: what an attacker holding someone's token for another
// application would try.
func (p *Provider) misdirect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		wrong := p.wrongAudience
		p.mu.Unlock()
		if !wrong || r.URL.Path != "/oauth/token" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if raw, ok := body["id_token"].(string); ok {
			forged, err := p.resign(r.Context(), raw, "another-app")
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			body["id_token"] = forged
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
}

// resign returns the ID token raw, made out to audience and signed with
// the provider's own key.
func (p *Provider) resign(ctx context.Context, raw, audience string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errors.New("devidp: not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	claims := new(oidc.IDTokenClaims)
	if err := json.Unmarshal(payload, claims); err != nil {
		return "", err
	}
	claims.Audience = []string{audience}
	claims.AuthorizedParty = audience
	claims.ClientID = audience
	key, err := p.Storage.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	signer, err := op.SignerFromKey(key)
	if err != nil {
		return "", err
	}
	return crypto.Sign(claims, signer)
}

// DemoPassword is the password of every DemoPeople person at the provider.
const DemoPassword = "provider-demo"

// DemoPeople are people of Steward's demo organisation as a company's
// provider would know them, and some it should not let in; each has the
// DemoPassword.
func DemoPeople() []User {
	people := []User{
		{Subject: "sub-eli", Username: "eli", FirstName: "Eli", LastName: "Turner", Email: "employee@example.com", EmailVerified: true, Groups: []string{"everyone"}},
		{Subject: "sub-maya", Username: "maya", FirstName: "Maya", LastName: "Brooks", Email: "manager@example.com", EmailVerified: true, Groups: []string{"everyone", "managers"}},
		{Subject: "sub-priya", Username: "priya", FirstName: "Priya", LastName: "Raman", Email: "admin@example.com", EmailVerified: true, Groups: []string{"everyone", "steward-admins"}},
		{Subject: "sub-omar", Username: "omar", FirstName: "Omar", LastName: "Haddad", Email: "auditor@example.com", EmailVerified: true, Groups: []string{"everyone", "auditors"}},
		{Subject: "sub-nia", Username: "nia", FirstName: "Nia", LastName: "Newcomer", Email: "nia.newcomer@example.com", EmailVerified: true, Groups: []string{"everyone"}},
		{Subject: "sub-mallory", Username: "mallory", FirstName: "Mallory", LastName: "Unverified", Email: "admin@example.com", EmailVerified: false, Groups: []string{"steward-admins"}},
		{Subject: "sub-outsider", Username: "outsider", FirstName: "Oscar", LastName: "Outsider", Email: "oscar@elsewhere.test", EmailVerified: true},
	}
	for i := range people {
		people[i].Password = DemoPassword
	}
	return people
}
