package retention

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"steward/internal/db"
	"steward/internal/keys"
)

// KeyPurpose names the installation key (package keys) that the hashes of
// former subscribers' addresses are keyed with. It is never rotated: a
// suppression hashed under a forgotten key would stop matching, and its
// address would be mailed again.
const KeyPurpose = "subscriber-hash"

// AddressHasher hashes the addresses of former subscribers. An unkeyed
// hash of an address can be reversed with a list of likely addresses (a
// company's staff list, a leaked mailing list): this one is an HMAC-SHA-256
// under a secret the installation generated for itself, so only someone
// who holds the database and the key can test an address.
//
// The HMAC is taken over the unkeyed digest Steward kept before (see
// digest), so a hash stored before the key existed is re-keyed without its
// address (Rekey), and until then still matches (Forms).
type AddressHasher struct {
	keys [][]byte // newest first
}

// LoadAddressHasher returns the installation's hasher, generating its key
// on first use. Call it outside a transaction: on SQLite the key's first
// write would wait for the transaction's lock.
func LoadAddressHasher(ctx context.Context, d *db.DB, now time.Time) (AddressHasher, error) {
	ring, err := keys.Load(ctx, d, KeyPurpose, now)
	if err != nil {
		return AddressHasher{}, err
	}
	if len(ring.Keys) == 0 {
		return AddressHasher{}, errors.New("retention: no key for address hashes")
	}
	return AddressHasher{keys: ring.Keys}, nil
}

// Hash is what is stored of an address: hex HMAC-SHA-256, under the newest
// key, of the address's digest.
func (h AddressHasher) Hash(email string) string { return rekeyed(h.keys[0], digest(email)) }

// Forms are every stored value that may stand for email: its hash under
// each usable key, and its unkeyed digest as stored before hashes were
// keyed, until Rekey has replaced those.
func (h AddressHasher) Forms(email string) []string {
	d := digest(email)
	out := make([]string, 0, len(h.keys)+1)
	for _, k := range h.keys {
		out = append(out, rekeyed(k, d))
	}
	return append(out, d)
}

// Rekey turns an unkeyed digest stored before hashes were keyed into the
// keyed hash of the same address, which the address's Hash then matches.
func (h AddressHasher) Rekey(legacyDigest string) string { return rekeyed(h.keys[0], legacyDigest) }

func rekeyed(key []byte, digest string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(digest))
	return hex.EncodeToString(mac.Sum(nil))
}

// digest is the unkeyed SHA-256 of a normalised address that Steward
// stored before hashes were keyed; now only the input of the HMAC.
func digest(email string) string {
	sum := sha256.Sum256([]byte("steward-address:" + strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}
