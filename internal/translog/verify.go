package translog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// VerifyOptions are what a reader brings: optionally a checkpoint they
// kept from before and the log's public key (fetched from the site when
// empty, and then checked against the kept checkpoint).
type VerifyOptions struct {
	Checkpoint []byte // a signed checkpoint saved earlier, or nil
	Key        string // the log's verifier key, or "" to fetch /log/key
	Client     *http.Client
}

// Report is what Verify found.
type Report struct {
	Origin     string
	Size       uint64
	Root       []byte
	Policies   int
	Versions   int
	AuditHeads int
	// RegisterVersions is how many versions of the subprocessor register
	// were checked.
	RegisterVersions int
	GrewFrom         uint64 // the kept checkpoint's size, when one was given
	Compared         bool   // whether a kept checkpoint was given
	Checkpoint       []byte // the checkpoint verified now: keep it for next time
}

// Freshness is how long after a version enters the log Verify waits
// before it insists the site serves it.
const Freshness = 10 * time.Minute

// Problem is one way the site and its log disagree.
type Problem struct{ What string }

func (p *Problem) Error() string { return p.What }

// Verify checks a Steward site over HTTP alone: the log's checkpoint is
// signed by its key; the leaves it serves make up that tree; every version
// of every public policy the API serves now is a leaf, with the same
// Markdown and effective date, with a valid inclusion proof; every policy
// leaf is still served unchanged; and, given an earlier checkpoint, the log
// only grew since (a consistency proof). It returns the first problem.
func Verify(ctx context.Context, base string, opt VerifyOptions) (Report, error) {
	base = strings.TrimRight(base, "/")
	hc := opt.Client
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	get := func(path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return nil, err
		}
		res, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", path, res.Status)
		}
		return b, nil
	}
	getJSON := func(path string, v any) error {
		b, err := get(path)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("GET %s: not the JSON expected: %w", path, err)
		}
		return nil
	}

	var r Report
	key := strings.TrimSpace(opt.Key)
	if key == "" {
		b, err := get("/log/key")
		if err != nil {
			return r, err
		}
		key = strings.TrimSpace(string(b))
	}
	signed, err := get("/log/checkpoint")
	if err != nil {
		return r, err
	}
	cp, err := ParseCheckpoint(signed, key)
	if err != nil {
		return r, &Problem{What: "the site's checkpoint: " + err.Error()}
	}
	r.Origin, r.Size, r.Root, r.Checkpoint = cp.Origin, cp.Size, cp.Root, signed

	// The leaves served must be the tree the checkpoint signs.
	var leaves []Leaf
	for start := uint64(0); start < cp.Size; start += 1000 {
		var page struct{ Leaves []Leaf }
		if err := getJSON(fmt.Sprintf("/log/leaves?start=%d&end=%d", start, min(start+1000, cp.Size)), &page); err != nil {
			return r, err
		}
		leaves = append(leaves, page.Leaves...)
	}
	if uint64(len(leaves)) != cp.Size {
		return r, &Problem{What: fmt.Sprintf("the site serves %d leaves for a log of %d", len(leaves), cp.Size)}
	}
	rf := &compact.RangeFactory{Hash: hasher.HashChildren}
	rng := rf.NewEmptyRange(0)
	byRef := map[string]Leaf{}
	for i, lf := range leaves {
		if lf.Index != uint64(i) {
			return r, &Problem{What: fmt.Sprintf("leaf %d is served as index %d", i, lf.Index)}
		}
		if err := rng.Append(lf.Hash(), nil); err != nil {
			return r, err
		}
		byRef[lf.Kind+" "+lf.Ref] = lf
		if lf.Kind == KindAudit {
			r.AuditHeads++
		}
	}
	root := hasher.EmptyRoot()
	if cp.Size > 0 {
		if root, err = rng.GetRootHash(nil); err != nil {
			return r, err
		}
	}
	if !bytes.Equal(root, cp.Root) {
		return r, &Problem{What: "the leaves the site serves do not make the tree its checkpoint signs"}
	}

	// Every public version served now is in the log, unchanged.
	var list struct {
		Policies []struct{ Slug string }
	}
	if err := getJSON("/api/v1/policies", &list); err != nil {
		return r, err
	}
	served, listed := map[string]bool{}, map[string]bool{}
	for _, p := range list.Policies {
		listed[p.Slug] = true
		var pol struct {
			History []struct {
				Number int `json:"number"`
			} `json:"history"`
		}
		if err := getJSON("/api/v1/policies/"+url.PathEscape(p.Slug), &pol); err != nil {
			return r, err
		}
		r.Policies++
		for _, h := range pol.History {
			var v struct {
				EffectiveAt  time.Time `json:"effective_at"`
				BodyMarkdown string    `json:"body_markdown"`
			}
			if err := getJSON(fmt.Sprintf("/api/v1/policies/%s/versions/%d", url.PathEscape(p.Slug), h.Number), &v); err != nil {
				return r, err
			}
			sum := sha256.Sum256([]byte(v.BodyMarkdown))
			ref, data := PolicyLeaf(p.Slug, h.Number, v.EffectiveAt, hex.EncodeToString(sum[:]))
			served[ref] = true
			lf, ok := byRef[KindPolicy+" "+ref]
			if !ok {
				return r, &Problem{What: fmt.Sprintf("%s version %d is served but is not in the log", p.Slug, h.Number)}
			}
			if lf.Data != data {
				return r, &Problem{What: fmt.Sprintf("%s version %d was changed after it was published: the site serves it with body SHA-256 %s effective %s, the log recorded at leaf %d:\n%s",
					p.Slug, h.Number, hex.EncodeToString(sum[:]), v.EffectiveAt.UTC().Format(time.RFC3339), lf.Index, lf.Data)}
			}
			var incl struct{ Proof [][]byte }
			if err := getJSON(fmt.Sprintf("/log/proof/inclusion?index=%d&size=%d", lf.Index, cp.Size), &incl); err != nil {
				return r, err
			}
			if err := proof.VerifyInclusion(hasher, lf.Index, cp.Size, hasher.HashLeaf([]byte(data)), incl.Proof, cp.Root); err != nil {
				return r, &Problem{What: fmt.Sprintf("%s version %d: the inclusion proof does not verify: %v", p.Slug, h.Number, err)}
			}
			r.Versions++
		}
	}
	// Every version of the subprocessor register served now is in the
	// log, unchanged.
	var reg struct {
		Versions []struct {
			Number        int             `json:"number"`
			EffectiveAt   time.Time       `json:"effective_at"`
			Subprocessors []RegisterEntry `json:"subprocessors"`
		} `json:"versions"`
	}
	registerServed := map[string]bool{}
	if err := getJSON("/api/v1/subprocessors", &reg); err != nil {
		return r, err
	}
	for _, v := range reg.Versions {
		ref, data := RegisterLeaf(v.Number, v.EffectiveAt, RegisterDigest(v.Subprocessors))
		registerServed[ref] = true
		lf, ok := byRef[KindRegister+" "+ref]
		if !ok {
			return r, &Problem{What: fmt.Sprintf("version %d of the subprocessor register is served but is not in the log", v.Number)}
		}
		if lf.Data != data {
			return r, &Problem{What: fmt.Sprintf("version %d of the subprocessor register was changed after it was published: the log recorded at leaf %d:\n%s",
				v.Number, lf.Index, lf.Data)}
		}
		var incl struct{ Proof [][]byte }
		if err := getJSON(fmt.Sprintf("/log/proof/inclusion?index=%d&size=%d", lf.Index, cp.Size), &incl); err != nil {
			return r, err
		}
		if err := proof.VerifyInclusion(hasher, lf.Index, cp.Size, hasher.HashLeaf([]byte(data)), incl.Proof, cp.Root); err != nil {
			return r, &Problem{What: fmt.Sprintf("subprocessor register version %d: the inclusion proof does not verify: %v", v.Number, err)}
		}
		r.RegisterVersions++
	}
	for _, lf := range leaves {
		if lf.Kind == KindRegister && !registerServed[lf.Ref] && time.Since(lf.AddedAt) > Freshness {
			return r, &Problem{What: fmt.Sprintf("the log recorded %s (leaf %d), which the site no longer serves", lf.Ref, lf.Index)}
		}
		slug, _, _ := strings.Cut(lf.Ref, "/v")
		// A version published in the last few minutes may not be served
		// yet by every instance (their caches live a few seconds); one
		// the log has held longer must be.
		if lf.Kind == KindPolicy && listed[slug] && !served[lf.Ref] && time.Since(lf.AddedAt) > Freshness {
			return r, &Problem{What: fmt.Sprintf("the log recorded %s (leaf %d), which the site no longer serves", lf.Ref, lf.Index)}
		}
	}

	// The log only grew since the kept checkpoint.
	if len(opt.Checkpoint) > 0 {
		old, err := ParseCheckpoint(opt.Checkpoint, key)
		if err != nil {
			return r, &Problem{What: "the kept checkpoint: " + err.Error() + " (has the site changed its key?)"}
		}
		if old.Size > cp.Size {
			return r, &Problem{What: fmt.Sprintf("the log shrank: the kept checkpoint saw %d leaves, the site has %d", old.Size, cp.Size)}
		}
		var cons struct{ Proof [][]byte }
		if old.Size > 0 && old.Size < cp.Size {
			if err := getJSON(fmt.Sprintf("/log/proof/consistency?from=%d&to=%d", old.Size, cp.Size), &cons); err != nil {
				return r, err
			}
		}
		if err := proof.VerifyConsistency(hasher, old.Size, cp.Size, cons.Proof, old.Root, cp.Root); err != nil {
			return r, &Problem{What: fmt.Sprintf("the log was rewritten: it does not extend the kept checkpoint of %d leaves (%v)", old.Size, err)}
		}
		r.GrewFrom, r.Compared = old.Size, true
	}
	return r, nil
}

// String summarises a report for a person.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "OK: the log %s has %d leaves; its checkpoint is signed by its key.\n", r.Origin, r.Size)
	fmt.Fprintf(&b, "All %s of %s are in it, unchanged since they were published.\n",
		plural(r.Versions, "version", "versions"), plural(r.Policies, "public policy", "public policies"))
	if r.RegisterVersions > 0 {
		fmt.Fprintf(&b, "So are all %s of the subprocessor register.\n", plural(r.RegisterVersions, "version", "versions"))
	}
	if r.AuditHeads > 0 {
		fmt.Fprintf(&b, "It also anchors the audit trail (%s).\n", plural(r.AuditHeads, "checkpoint", "checkpoints"))
	}
	if r.Compared {
		fmt.Fprintf(&b, "It only grew since the checkpoint you kept (%s leaves then).\n", strconv.FormatUint(r.GrewFrom, 10))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
