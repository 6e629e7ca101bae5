// Command devidp runs an OpenID provider on this machine for trying
// Steward's single sign-on: zitadel/oidc's example provider with the demo
// organisation's people (package devidp). Passwords are kept in plain text
// in memory: it is for a laptop, never for real sign-ins.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"steward/internal/devidp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9998", "host:port to listen on (the issuer is http://host:port)")
	steward := flag.String("steward", "http://127.0.0.1:8080", "Steward's STEWARD_BASE_URL")
	clientID := flag.String("client-id", "steward", "the client id Steward signs in with")
	secret := flag.String("client-secret", "devidp-secret", "the client secret Steward signs in with")
	flag.Parse()
	if err := run(*addr, *steward, *clientID, *secret); err != nil {
		fmt.Fprintln(os.Stderr, "devidp:", err)
		os.Exit(1)
	}
}

func run(addr, steward, clientID, secret string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr must be host:port, like 127.0.0.1:9998: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr must be on this machine (127.0.0.1, ::1 or localhost), not %q: this provider is for trying Steward, never for real sign-ins", host)
	}
	if u, err := url.Parse(steward); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-steward must be Steward's base URL, like http://127.0.0.1:8080, not %q", steward)
	}
	steward = strings.TrimRight(steward, "/")
	issuer := "http://" + addr
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	people := devidp.DemoPeople()
	p := devidp.New(issuer, devidp.Client{ID: clientID, Secret: secret, StewardURL: steward}, people, logger)

	fmt.Printf("OpenID provider at %s, for Steward at %s. Start Steward with:\n\n", issuer, steward)
	fmt.Printf("  STEWARD_BASE_URL=%s \\\n  STEWARD_OIDC_ISSUER=%s \\\n  STEWARD_OIDC_CLIENT_ID=%s \\\n  STEWARD_OIDC_CLIENT_SECRET=%s \\\n",
		steward, issuer, clientID, secret)
	fmt.Printf("  STEWARD_OIDC_NAME='Dev ID' STEWARD_OIDC_DOMAINS=example.com \\\n")
	fmt.Printf("  STEWARD_OIDC_ROLE_MAP=steward-admins:admin,auditors:auditor,managers:manager \\\n  steward serve --demo\n\n")
	fmt.Printf("People at the provider (password %q for each):\n", devidp.DemoPassword)
	for _, u := range people {
		verified := ""
		if !u.EmailVerified {
			verified = " (email not verified)"
		}
		fmt.Printf("  %-9s %s%s, groups %s\n", u.Username, u.Email, verified, strings.Join(u.Groups, " "))
	}
	srv := &http.Server{Addr: addr, Handler: p, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}
