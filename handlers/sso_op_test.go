package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The OpenID provider the single sign-on tests sign in at: zitadel/oidc's
// example provider (its login form, its token and end-session endpoints),
// run on 127.0.0.1 with people of our choosing. testOP wraps its storage
// only to add what that example leaves out (a groups claim) and to make
// it misbehave on purpose (tokens for another audience, expired tokens).
type testOP struct {
	*storage.Storage
	issuer string
	users  *opUsers
	srv    *http.Server

	mu            sync.Mutex
	wrongAudience bool
	expired       bool
	postLogout    []string
}

const (
	opClientID     = "steward"
	opClientSecret = "op-client-secret"
	opPassword     = "op-password"
)

// opUsers are the people at the provider, by username.
type opUsers struct {
	mu     sync.Mutex
	byID   map[string]*storage.User
	groups map[string][]string
}

func (u *opUsers) GetUserByID(id string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.byID[id]
}

func (u *opUsers) GetUserByUsername(name string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.byID {
		if x.Username == name {
			return x
		}
	}
	return nil
}

func (u *opUsers) ExampleClientID() string { return storage.ServiceUserID }

// setEmail changes a person's email at the provider (their subject stays).
func (u *opUsers) setEmail(username, email string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.byID {
		if x.Username == username {
			x.Email = email
		}
	}
}

func (u *opUsers) groupsOf(id string) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.groups[id]
}

// quietOP silences the example provider, which logs every request to
// slog's default logger.
var quietOP sync.Once

// startOP runs the provider for a Steward at stewardBase.
func startOP(t *testing.T, stewardBase string) *testOP {
	t.Helper()
	quietOP.Do(func() { slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil))) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	users := &opUsers{byID: map[string]*storage.User{}, groups: map[string][]string{}}
	add := func(id, username, email string, verified bool, groups ...string) {
		users.byID[id] = &storage.User{ID: id, Username: username, Password: opPassword, FirstName: username,
			LastName: "Test", Email: email, EmailVerified: verified}
		users.groups[id] = groups
	}
	add("sub-eli", "eli", employeeEmail, true, "everyone")
	add("sub-eli-promoted", "eli-manager", employeeEmail, true, "everyone", "managers")
	add("sub-maya", "maya", managerEmail, true, "managers")
	add("sub-mallory", "mallory", adminEmail, false, "steward-admins")
	add("sub-outsider", "outsider", "someone@elsewhere.test", true)
	add("sub-newcomer", "newcomer", "new.person@example.com", true, "managers")
	clients := map[string]*storage.Client{
		opClientID: storage.WebClient(opClientID, opClientSecret, stewardBase+"/auth/oidc/callback"),
	}
	o := &testOP{
		Storage:    storage.NewStorageWithClients(users, clients),
		issuer:     "http://" + ln.Addr().String(),
		users:      users,
		postLogout: []string{stewardBase + "/login"},
	}
	o.srv = &http.Server{Handler: o.misdirect(exampleop.SetupServer(o.issuer, o, nil, false)), ReadHeaderTimeout: 5 * time.Second}
	go o.srv.Serve(ln)
	t.Cleanup(func() { o.srv.Close() })
	return o
}

// stop takes the provider down.
func (o *testOP) stop() { o.srv.Close() }

func (o *testOP) set(f func(o *testOP)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f(o)
}

func (o *testOP) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := o.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &opClient{Client: c, op: o}, nil
}

func (o *testOP) SetUserinfoFromScopes(ctx context.Context, ui *oidc.UserInfo, userID, clientID string, scopes []string) error {
	if err := o.Storage.SetUserinfoFromScopes(ctx, ui, userID, clientID, scopes); err != nil {
		return err
	}
	ui.AppendClaims("groups", o.users.groupsOf(userID))
	return nil
}

func (o *testOP) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := o.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	ui.AppendClaims("groups", o.users.groupsOf(req.GetSubject()))
	return nil
}

func (o *testOP) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := o.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin); err != nil {
		return err
	}
	ui.AppendClaims("groups", o.users.groupsOf(ui.Subject))
	return nil
}

// opClient is Steward's client at the provider: ID tokens carry the
// person's claims, and may be made already expired.
type opClient struct {
	op.Client
	op *testOP
}

func (c *opClient) IDTokenLifetime() time.Duration {
	c.op.mu.Lock()
	defer c.op.mu.Unlock()
	if c.op.expired {
		return -10 * time.Minute
	}
	return time.Hour
}

func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *opClient) PostLogoutRedirectURIs() []string {
	c.op.mu.Lock()
	defer c.op.mu.Unlock()
	return c.op.postLogout
}

// misdirect, when wrongAudience is set, swaps the ID token that the token
// endpoint answers with one the provider signed for another of its
// clients: what an attacker holding someone's token for another
// application would try.
func (o *testOP) misdirect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		wrong := o.wrongAudience
		o.mu.Unlock()
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
			forged, err := o.resign(r.Context(), raw, "another-app")
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			body["id_token"] = forged
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
}

// resign returns the ID token raw, made out to audience and signed with
// the provider's own key.
func (o *testOP) resign(ctx context.Context, raw, audience string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
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
	key, err := o.Storage.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	signer, err := op.SignerFromKey(key)
	if err != nil {
		return "", err
	}
	return crypto.Sign(claims, signer)
}
