package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	stewardmail "steward/internal/mail"
)

func (s *Store) confirmMessage(sub Subscription, now time.Time) (stewardmail.Message, error) {
	m, err := s.mail.Render("subscribe_confirm", struct{ Token, Lang string }{sub.Token, sub.Language})
	if err != nil {
		return stewardmail.Message{}, fmt.Errorf("policies: confirmation email: %w", err)
	}
	m.To = sub.Email
	// The link confirms a subscription: whoever reads it can subscribe
	// the address, so no admin page shows it, and the key names the
	// token's hash, never the token.
	m.Secret = true
	sum := sha256.Sum256([]byte(sub.Token))
	m.DedupeKey = "subscribe_confirm:" + hex.EncodeToString(sum[:16]) + ":" + now.UTC().Format(time.RFC3339Nano)
	return m, nil
}

// UnsubscribeHeaders are the RFC 8058 one-click headers for a notice.
func UnsubscribeHeaders(unsubscribeURL string) map[string]string {
	return map[string]string{
		"List-Unsubscribe":      "<" + unsubscribeURL + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
}

// noticeMessage is the notice of v to sub, in the subscription's
// language. It goes out as v is published, before any translation of v
// can exist: the title and summary are the authoritative ones.
func (s *Store) noticeMessage(sub Subscription, p Policy, v Version) (stewardmail.Message, error) {
	data := struct {
		Title, Slug, Summary, NumberText, Previous, Token, Lang string
		Number                                                  int
		Effective                                               time.Time
	}{
		Title: p.Title, Slug: p.Slug, Summary: v.Summary, NumberText: strconv.Itoa(v.Number),
		Token: sub.Token, Lang: sub.Language, Number: v.Number, Effective: v.EffectiveAt.UTC(),
	}
	if v.Number > 1 {
		data.Previous = strconv.Itoa(v.Number - 1)
	}
	m, err := s.mail.Render("policy_notice", data)
	if err != nil {
		return stewardmail.Message{}, fmt.Errorf("policies: notice email: %w", err)
	}
	m.To = sub.Email
	m.Headers = UnsubscribeHeaders(s.mail.Link("/unsubscribe/", sub.Token))
	m.DedupeKey = fmt.Sprintf("policy_notice:%s:v%d:subscription:%d", p.Slug, v.Number, sub.ID)
	return m, nil
}
