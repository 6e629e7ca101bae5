package handlers

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"testing"
)

// TestParallelGuessesAreReservedBeforeChecking sends 50 wrong guesses for
// one account from one address at once: no more than the limit are
// checked, the rest are refused unchecked, and then even the right
// password waits for the window to pass.
func TestParallelGuessesAreReservedBeforeChecking(t *testing.T) {
	ts := newTestServer(t)
	const n = 50
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = ts.client()
		clients[i].ip = "203.0.113.9"
		clients[i].token()
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			password := fmt.Sprintf("guess number %d", i)
			codes[i] = clients[i].post("/login", url.Values{"email": {employeeEmail}, "password": {password}}).StatusCode
		}()
	}
	wg.Wait()
	checked, refused := 0, 0
	for _, code := range codes {
		switch code {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Errorf("a guess answered %d", code)
		}
	}
	if checked > pairFailureLimit || checked+refused != n {
		t.Fatalf("%d of %d parallel guesses were checked (limit %d), %d refused", checked, n, pairFailureLimit, refused)
	}
	if audited := ts.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'login.failure'`); audited != checked {
		t.Fatalf("%d failed sign-ins audited, %d checked", audited, checked)
	}
	last := ts.client()
	last.ip = "203.0.113.9"
	last.post("/login", url.Values{"email": {employeeEmail}, "password": {"steward-demo"}}).expect(t, http.StatusTooManyRequests)
}

// TestOneAddressCannotLockOthersOut: failed sign-ins with made-up emails
// from the address everyone shares, then the real admin from it; and many
// guesses at the admin's account from another address, then the admin from
// their own.
func TestOneAddressCannotLockOthersOut(t *testing.T) {
	ts := newTestServer(t)
	shared := "198.51.100.200"
	attacker := ts.client()
	attacker.ip = shared
	// Guesses at other people's accounts (real ones: an unknown email costs
	// a full-strength bcrypt comparison, slow under the race detector, and
	// the limits count both alike), one of them made up.
	var emails []string
	if err := ts.db.Select(&emails, ts.db.Rebind(`SELECT email FROM users WHERE email <> ? ORDER BY id LIMIT ?`), adminEmail, addressSlowAfter); err != nil {
		t.Fatal(err)
	}
	emails = append(emails, "made.up.person@example.com")
	if len(emails) <= addressSlowAfter {
		t.Fatalf("only %d accounts to guess at", len(emails))
	}
	for _, email := range emails {
		attacker.post("/login", url.Values{"email": {email}, "password": {"wrong password"}}).expect(t, http.StatusUnauthorized)
	}
	admin := ts.client()
	admin.ip = shared
	if res := admin.post("/login", url.Values{"email": {adminEmail}, "password": {"steward-demo"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the real admin behind the shared address: %d", res.StatusCode)
	}

	elsewhere := ts.client()
	elsewhere.ip = "192.0.2.66"
	for range pairFailureLimit + 3 {
		elsewhere.post("/login", url.Values{"email": {managerEmail}, "password": {"wrong password"}})
	}
	elsewhere.post("/login", url.Values{"email": {managerEmail}, "password": {"steward-demo"}}).expect(t, http.StatusTooManyRequests)
	real := ts.client()
	real.ip = "192.0.2.10"
	if res := real.post("/login", url.Values{"email": {managerEmail}, "password": {"steward-demo"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the manager from their own address after guesses elsewhere: %d", res.StatusCode)
	}
}

// TestGuessesFromManyAddressesMeetAWall: the account as a whole has a limit
// too, so spreading guesses over addresses does not buy unlimited tries.
func TestGuessesFromManyAddressesMeetAWall(t *testing.T) {
	ts := newTestServer(t)
	for i := range accountFailureLimit / pairFailureLimit {
		c := ts.client()
		c.ip = fmt.Sprintf("203.0.113.%d", 100+i)
		for range pairFailureLimit {
			c.post("/login", url.Values{"email": {auditorEmail}, "password": {"wrong password"}}).expect(t, http.StatusUnauthorized)
		}
	}
	c := ts.client()
	c.ip = "203.0.113.250"
	c.post("/login", url.Values{"email": {auditorEmail}, "password": {"steward-demo"}}).expect(t, http.StatusTooManyRequests)
}

func TestCurrentPasswordGuessesAreLimited(t *testing.T) {
	ts := newTestServer(t)
	c := ts.as(employeeEmail)
	for range pairFailureLimit {
		c.post("/account/password", url.Values{"current": {"not it at all"}, "new": {"a new long password"}, "confirm": {"a new long password"}}).
			expect(t, http.StatusUnprocessableEntity, "That is not your current password.")
	}
	c.post("/account/password", url.Values{"current": {"steward-demo"}, "new": {"a new long password"}, "confirm": {"a new long password"}}).
		expect(t, http.StatusTooManyRequests, "Too many wrong current passwords")
}

func TestClientAddressFromTrustedProxiesOnly(t *testing.T) {
	proxy := netip.MustParsePrefix("10.0.0.0/8")
	trusted := func(a netip.Addr) bool { return proxy.Contains(a) }
	for _, tc := range []struct{ peer, xff, want string }{
		{"203.0.113.5", "1.2.3.4", "203.0.113.5"},                   // not a proxy: its header is ignored
		{"10.0.0.1", "", "10.0.0.1"},                                // a proxy that says nothing
		{"10.0.0.1", "198.51.100.7", "198.51.100.7"},                // one proxy
		{"10.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"},       // the client wrote the first hop itself
		{"10.0.0.1", "198.51.100.7, 10.0.0.2", "198.51.100.7"},      // two proxies
		{"10.0.0.1", "198.51.100.7, garbage, 10.0.0.2", "10.0.0.2"}, // a mangled hop: nothing left of it
		{"::ffff:10.0.0.1", "2001:db8::1", "2001:db8::1"},           // mapped IPv4 peer, IPv6 client
	} {
		if got := clientAddr(netip.MustParseAddr(tc.peer), tc.xff, trusted); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}
