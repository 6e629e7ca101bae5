package policies

import "time"

// The data of the webhook events this package raises (see package
// webhooks). Field names are part of the receivers' contract.

type publishedData struct {
	Policy      string     `json:"policy"`
	Title       string     `json:"title"`
	Audience    Audience   `json:"audience"`
	Version     int        `json:"version"`
	ChangeKind  ChangeKind `json:"change_kind"`
	EffectiveAt time.Time  `json:"effective_at"`
	SHA256      string     `json:"sha256"`
}

func publishedEvent(p Policy, v Version) publishedData {
	return publishedData{Policy: p.Slug, Title: p.Title, Audience: p.Audience, Version: v.Number,
		ChangeKind: v.ChangeKind, EffectiveAt: v.EffectiveAt.UTC(), SHA256: v.SHA256}
}

type acknowledgedData struct {
	UserID         int64     `json:"user_id"`
	Policy         string    `json:"policy"`
	Version        int       `json:"version"`
	AcknowledgedAt time.Time `json:"acknowledged_at"`
}

func acknowledgedEvent(userID int64, p Policy, v Version, at time.Time) acknowledgedData {
	return acknowledgedData{UserID: userID, Policy: p.Slug, Version: v.Number, AcknowledgedAt: at.UTC()}
}
