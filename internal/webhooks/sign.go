// Package webhooks keeps the endpoints admins register for Steward's events
// and delivers the events to them, signed, from a durable queue.
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Headers every delivery carries.
const (
	HeaderSignature = "Steward-Signature"
	HeaderEvent     = "Steward-Event"
	HeaderDelivery  = "Steward-Delivery"
)

// Tolerance is how old a signature's timestamp a receiver should accept;
// an older one may be a replay of a captured delivery.
const Tolerance = 5 * time.Minute

// Sign returns the Steward-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the
// endpoint's secret>". The timestamp is inside the signed text, so a
// receiver that checks it against its clock refuses an old delivery
// replayed by whoever captured it.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
