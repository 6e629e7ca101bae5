package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"steward/internal/audit"
	"steward/internal/keys"
)

// forge mints a session cookie for userID with codecs, as an attacker
// holding those keys would.
func forge(t *testing.T, codecs []securecookie.Codec, userID int64) string {
	t.Helper()
	now := time.Now().Unix()
	v, err := securecookie.EncodeMulti("steward_session", &session{ID: "forged", UserID: userID, CSRF: "x", Created: now, Seen: now}, codecs...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestNoKeyInTheSourceSignsSessions mints an admin cookie with the key the
// source once held, and with a key of the attacker's choosing: neither
// opens a page, and nothing is recorded in the admin's name.
func TestNoKeyInTheSourceSignsSessions(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.userID(adminEmail)
	for name, key := range map[string][]byte{
		"the old development key": []byte("steward-development-session-key-do-not-use-in-prod"),
		"an empty key":            {},
		"a zero key":              make([]byte, keys.Size),
	} {
		c := ts.client()
		c.cookies["steward_session"] = forge(t, sessionCodecs([][]byte{key}), admin)
		res := c.get("/admin/people")
		if res.StatusCode != http.StatusFound {
			t.Errorf("a cookie signed with %s opened /admin/people: %d", name, res.StatusCode)
		}
	}
	// Even a cookie signed with the installation's real key is refused
	// when it names no session the server started.
	ring, err := keys.Load(context.Background(), ts.db, keys.Session, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := ts.client()
	c.cookies["steward_session"] = forge(t, sessionCodecs(ring.Keys), admin)
	if res := c.get("/admin/people"); res.StatusCode != http.StatusFound {
		t.Errorf("a validly signed cookie for a session never started opened /admin/people: %d", res.StatusCode)
	}
}

// TestInstancesShareTheGeneratedKey starts two servers on one database:
// a cookie from one opens on the other, and after `steward keys rotate`
// a cookie signed with the new key opens on a server started before it.
func TestInstancesShareTheGeneratedKey(t *testing.T) {
	a := newTestServer(t)
	b := newTestServerOn(t, a.db)
	c := a.as(employeeEmail)
	onB := b.client()
	onB.cookies = c.cookies
	onB.get("/home").expect(t, http.StatusOK)

	if _, err := keys.Rotate(context.Background(), a.db, keys.Session, audit.CLI, time.Now()); err != nil {
		t.Fatal(err)
	}
	fresh := newTestServerOn(t, a.db) // started after the rotation: signs with the new key
	d := fresh.as(managerEmail)
	onA := a.client()
	onA.cookies = d.cookies
	a.advanceWall(keyReload + time.Second) // past the pause between reloads
	onA.get("/home").expect(t, http.StatusOK)
	// And the cookie signed before the rotation still opens.
	c.get("/home").expect(t, http.StatusOK)
}
