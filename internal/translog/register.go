package translog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// KindRegister is a leaf recording a published version of the
// subprocessor register.
const KindRegister = "subprocessor-register"

// RegisterEntry is one subprocessor as the register's public JSON gives
// it (/api/v1/subprocessors): what a reader hashes to check a version.
type RegisterEntry struct {
	Name              string `json:"name"`
	Purpose           string `json:"purpose"`
	DataCategories    string `json:"data_categories"`
	Locations         string `json:"locations"`
	TransferMechanism string `json:"transfer_mechanism"`
	Since             string `json:"since,omitempty"`
}

// RegisterVersion is a published version of the register.
type RegisterVersion struct {
	Number      int
	EffectiveAt time.Time
	PublishedAt time.Time
	Entries     []RegisterEntry
}

// RegisterDigest is the SHA-256 of the entries' JSON, in the order the
// register lists them.
func RegisterDigest(entries []RegisterEntry) string {
	if entries == nil {
		entries = []RegisterEntry{}
	}
	b, _ := json.Marshal(entries)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// RegisterLeaf is the leaf of one register version.
func RegisterLeaf(number int, effective time.Time, digest string) (ref, data string) {
	ref = "subprocessors/v" + strconv.Itoa(number)
	data = fmt.Sprintf("steward-subprocessor-register/v1\nversion %d\neffective %s\nentries-sha256 %s\n",
		number, effective.UTC().Format(time.RFC3339), digest)
	return ref, data
}

// RecordRegister appends a leaf for each register version the log does
// not have yet, in the order they were published.
func (l *Log) RecordRegister(ctx context.Context, vs []RegisterVersion, now time.Time) (int, error) {
	sorted := append([]RegisterVersion(nil), vs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })
	var have []string
	if err := l.db.SelectContext(ctx, &have, l.db.Rebind(`SELECT ref FROM translog_leaves WHERE kind = ?`), KindRegister); err != nil {
		return 0, err
	}
	known := map[string]bool{}
	for _, r := range have {
		known[r] = true
	}
	var missing []RegisterVersion
	for _, v := range sorted {
		if ref, _ := RegisterLeaf(v.Number, v.EffectiveAt, ""); !known[ref] {
			missing = append(missing, v)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	err := l.db.Tx(ctx, func(tx *sqlx.Tx) error {
		for _, v := range missing {
			ref, data := RegisterLeaf(v.Number, v.EffectiveAt, RegisterDigest(v.Entries))
			if _, err := Append(ctx, tx, KindRegister, ref, data, now); err != nil {
				return err
			}
		}
		return nil
	})
	return len(missing), err
}
