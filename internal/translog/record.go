package translog

import (
	"context"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
)

// PolicyVersion is a published version of a public policy, as the log
// records it. BodySHA256 is the SHA-256 of the version's Markdown, the
// body_markdown of its public JSON.
type PolicyVersion struct {
	Slug        string
	Number      int
	EffectiveAt time.Time
	PublishedAt time.Time
	BodySHA256  string
}

// RecordPolicies appends a leaf for each version the log does not have
// yet, in the order they were published, and returns how many it added.
// A version already in the log is never written again, whatever its row
// says now: that is what lets a reader catch a rewritten version.
func (l *Log) RecordPolicies(ctx context.Context, vs []PolicyVersion, now time.Time) (int, error) {
	sorted := append([]PolicyVersion(nil), vs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].PublishedAt.Equal(sorted[j].PublishedAt) {
			return sorted[i].PublishedAt.Before(sorted[j].PublishedAt)
		}
		if sorted[i].Slug != sorted[j].Slug {
			return sorted[i].Slug < sorted[j].Slug
		}
		return sorted[i].Number < sorted[j].Number
	})
	var have []string
	if err := l.db.SelectContext(ctx, &have, l.db.Rebind(`SELECT ref FROM translog_leaves WHERE kind = ?`), KindPolicy); err != nil {
		return 0, err
	}
	known := map[string]bool{}
	for _, r := range have {
		known[r] = true
	}
	var missing []PolicyVersion
	for _, v := range sorted {
		ref, _ := PolicyLeaf(v.Slug, v.Number, v.EffectiveAt, v.BodySHA256)
		if !known[ref] {
			missing = append(missing, v)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	err := l.db.Tx(ctx, func(tx *sqlx.Tx) error {
		for _, v := range missing {
			ref, data := PolicyLeaf(v.Slug, v.Number, v.EffectiveAt, v.BodySHA256)
			if _, err := Append(ctx, tx, KindPolicy, ref, data, now); err != nil {
				return err
			}
		}
		return nil
	})
	return len(missing), err
}

// AnchorAudit appends the audit trail's head to the log (once per
// length) and returns the signed audit checkpoint, which a later
// `steward audit verify --checkpoint` checks the trail against.
func (l *Log) AnchorAudit(ctx context.Context, now time.Time) ([]byte, error) {
	var signed []byte
	err := l.db.Tx(ctx, func(tx *sqlx.Tx) error {
		n, head, err := audit.Head(ctx, tx)
		if err != nil {
			return err
		}
		ref, data := AuditLeaf(n, head, now)
		if _, err := Append(ctx, tx, KindAudit, ref, data, now); err != nil {
			return err
		}
		signed, err = l.Sign(audit.CheckpointText(l.Origin(), n, head, now))
		return err
	})
	return signed, err
}
