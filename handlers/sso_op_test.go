package handlers

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"steward/internal/devidp"
)

// testOP is the OpenID provider the single sign-on tests sign in at:
// zitadel/oidc's example provider (package devidp) on 127.0.0.1.
type testOP struct {
	*devidp.Provider
	issuer string
	srv    *http.Server
}

const (
	opClientID     = "steward"
	opClientSecret = "op-client-secret"
	opPassword     = devidp.DemoPassword
)

// quietOP silences the example provider, which logs every request to
// slog's default logger.
var quietOP sync.Once

// startOP runs the provider for a Steward at stewardBase, with the demo
// people and two more: Eli again under another subject, in "managers",
// and someone Steward does not know.
func startOP(t *testing.T, stewardBase string) *testOP {
	t.Helper()
	quietOP.Do(func() { slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil))) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	people := append(devidp.DemoPeople(),
		devidp.User{Subject: "sub-eli-promoted", Username: "eli-manager", Password: opPassword, FirstName: "Eli", LastName: "Turner",
			Email: employeeEmail, EmailVerified: true, Groups: []string{"everyone", "managers"}},
		devidp.User{Subject: "sub-newcomer", Username: "newcomer", Password: opPassword, FirstName: "newcomer", LastName: "Test",
			Email: "new.person@example.com", EmailVerified: true, Groups: []string{"managers"}},
	)
	o := &testOP{issuer: "http://" + ln.Addr().String()}
	o.Provider = devidp.New(o.issuer, devidp.Client{ID: opClientID, Secret: opClientSecret, StewardURL: stewardBase}, people, nil)
	o.srv = &http.Server{Handler: o.Provider, ReadHeaderTimeout: 5 * time.Second}
	go o.srv.Serve(ln)
	t.Cleanup(func() { o.srv.Close() })
	return o
}

// stop takes the provider down.
func (o *testOP) stop() { o.srv.Close() }
