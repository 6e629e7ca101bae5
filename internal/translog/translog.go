// Package translog is Steward's public transparency log: an append-only
// Merkle tree (RFC 6962, github.com/transparency-dev/merkle) whose leaves
// are every published version of a public policy and, once a day, the head
// of the audit trail. Steward signs checkpoints of the tree in the C2SP
// signed-note checkpoint format (golang.org/x/mod/sumdb/note) with a key
// kept in a file, outside the tables a database user can edit, and serves
// the checkpoint, the leaves and inclusion and consistency proofs at
// public URLs. A customer who keeps a checkpoint can later prove, over
// HTTP alone, that every version they are shown is in the log and that
// the log only grew (Verify; `steward log verify URL`).
//
// The package owns the translog_leaves table.
package translog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"steward/internal/db"
)

var hasher = rfc6962.DefaultHasher

// Kinds of leaf.
const (
	KindPolicy = "policy-version"
	KindAudit  = "audit-head"
)

// Leaf is one entry of the log: its position, what it records, and the
// exact bytes that were hashed.
type Leaf struct {
	Index   uint64    `db:"idx" json:"index"`
	Kind    string    `db:"kind" json:"kind"`
	Ref     string    `db:"ref" json:"ref"`
	Data    string    `db:"data" json:"data"`
	AddedAt time.Time `db:"added_at" json:"added_at"`
}

// Hash is the leaf's RFC 6962 hash.
func (l Leaf) Hash() []byte { return hasher.HashLeaf([]byte(l.Data)) }

// Log is one installation's log and its signing key.
type Log struct {
	db       *db.DB
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// Key is a signing key in the signed-note encoding: the private key (which
// signs) and the public verifier key (which anyone may have).
type Key struct{ Private, Public string }

// NewKey makes a key for the log named origin (the checkpoint's first
// line, for example "policies.example.com/steward").
func NewKey(origin string) (Key, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	return Key{Private: skey, Public: vkey}, err
}

// LoadKeyFile reads the key at path, or makes one for origin and writes it
// there (mode 0600) when the file does not exist yet. The file holds the
// private key on its first line and the public key on its second.
func LoadKeyFile(path, origin string) (Key, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := NewKey(origin)
		if err != nil {
			return Key{}, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return Key{}, fmt.Errorf("translog: create key file %s: %w", path, err)
		}
		if _, err := fmt.Fprintf(f, "%s\n%s\n", k.Private, k.Public); err != nil {
			f.Close()
			return Key{}, err
		}
		return k, f.Close()
	}
	if err != nil {
		return Key{}, fmt.Errorf("translog: read key file: %w", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "PRIVATE+KEY+") {
		return Key{}, fmt.Errorf("translog: %s is not a log key file (two lines: the private key, then the public key)", path)
	}
	return Key{Private: lines[0], Public: lines[1]}, nil
}

// Open returns the log kept in d, signed with k.
func Open(d *db.DB, k Key) (*Log, error) {
	s, err := note.NewSigner(k.Private)
	if err != nil {
		return nil, fmt.Errorf("translog: signing key: %w", err)
	}
	v, err := note.NewVerifier(k.Public)
	if err != nil {
		return nil, fmt.Errorf("translog: public key: %w", err)
	}
	if s.Name() != v.Name() || s.KeyHash() != v.KeyHash() {
		return nil, errors.New("translog: the key file's public key is not the private key's")
	}
	return &Log{db: d, signer: s, verifier: v, vkey: k.Public}, nil
}

// Origin is the log's name: the first line of its checkpoints.
func (l *Log) Origin() string { return l.signer.Name() }

// PublicKey is the verifier key, for anyone who checks checkpoints.
func (l *Log) PublicKey() string { return l.vkey }

// Append adds a leaf unless one of the same kind and ref exists, inside
// the caller's transaction, and returns its index.
func Append(ctx context.Context, tx *sqlx.Tx, kind, ref, data string, now time.Time) (uint64, error) {
	var idx uint64
	err := tx.GetContext(ctx, &idx, tx.Rebind(`SELECT idx FROM translog_leaves WHERE kind = ? AND ref = ?`), kind, ref)
	if err == nil {
		return idx, nil
	}
	var n uint64
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM translog_leaves`); err != nil {
		return 0, fmt.Errorf("translog: size: %w", err)
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO translog_leaves (idx, kind, ref, data, leaf_hash, added_at) VALUES (?, ?, ?, ?, ?, ?)`),
		n, kind, ref, data, hex.EncodeToString(hasher.HashLeaf([]byte(data))), now.UTC())
	if err != nil {
		return 0, fmt.Errorf("translog: append %s %s: %w", kind, ref, err)
	}
	return n, nil
}

// Size is how many leaves the log has.
func (l *Log) Size(ctx context.Context) (uint64, error) {
	var n uint64
	err := l.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM translog_leaves`)
	return n, err
}

// Leaves returns the leaves [start, end).
func (l *Log) Leaves(ctx context.Context, start, end uint64) ([]Leaf, error) {
	leaves := []Leaf{}
	err := l.db.SelectContext(ctx, &leaves, l.db.Rebind(`SELECT idx, kind, ref, data, added_at FROM translog_leaves
		WHERE idx >= ? AND idx < ? ORDER BY idx`), start, end)
	if err != nil {
		return nil, fmt.Errorf("translog: leaves: %w", err)
	}
	return leaves, nil
}

// tree holds the hash of every perfect subtree of the first size leaves.
type tree struct {
	size  uint64
	nodes map[compact.NodeID][]byte
	root  []byte
}

func (l *Log) tree(ctx context.Context, size uint64) (*tree, error) {
	var hashes []string
	if err := l.db.SelectContext(ctx, &hashes, l.db.Rebind(`SELECT leaf_hash FROM translog_leaves WHERE idx < ? ORDER BY idx`), size); err != nil {
		return nil, fmt.Errorf("translog: leaf hashes: %w", err)
	}
	if uint64(len(hashes)) != size {
		return nil, fmt.Errorf("translog: the log has %d leaves, not %d", len(hashes), size)
	}
	t := &tree{size: size, nodes: map[compact.NodeID][]byte{}}
	visit := func(id compact.NodeID, h []byte) { t.nodes[id] = h }
	rf := &compact.RangeFactory{Hash: hasher.HashChildren}
	r := rf.NewEmptyRange(0)
	for i, h := range hashes {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("translog: leaf %d: bad hash", i)
		}
		visit(compact.NewNodeID(0, uint64(i)), b)
		if err := r.Append(b, visit); err != nil {
			return nil, err
		}
	}
	if size == 0 {
		t.root = hasher.EmptyRoot()
		return t, nil
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, err
	}
	t.root = root
	return t, nil
}

func (t *tree) proof(n proof.Nodes) ([][]byte, error) {
	hs := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		h, ok := t.nodes[id]
		if !ok {
			return nil, fmt.Errorf("translog: node %v missing", id)
		}
		hs[i] = h
	}
	return n.Rehash(hs, hasher.HashChildren)
}

// Checkpoint is a signed statement of the log's size and root hash.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// Text is the checkpoint's body in the C2SP checkpoint format.
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root))
}

// Checkpoint signs the log as it is now.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, Checkpoint, error) {
	size, err := l.Size(ctx)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	t, err := l.tree(ctx, size)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	c := Checkpoint{Origin: l.Origin(), Size: size, Root: t.root}
	signed, err := note.Sign(&note.Note{Text: c.Text()}, l.signer)
	return signed, c, err
}

// Sign signs text with the log's key (an audit checkpoint, for example).
func (l *Log) Sign(text string) ([]byte, error) {
	return note.Sign(&note.Note{Text: text}, l.signer)
}

// ErrRange is a proof request outside the log.
var ErrRange = errors.New("translog: outside the log")

// InclusionProof proves leaf index is in the tree of size leaves.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	if err := l.within(ctx, size); err != nil {
		return nil, err
	}
	if index >= size {
		return nil, ErrRange
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, ErrRange
	}
	t, err := l.tree(ctx, size)
	if err != nil {
		return nil, err
	}
	return t.proof(n)
}

// ConsistencyProof proves the tree of size2 leaves extends the one of
// size1.
func (l *Log) ConsistencyProof(ctx context.Context, size1, size2 uint64) ([][]byte, error) {
	if err := l.within(ctx, size2); err != nil {
		return nil, err
	}
	if size1 > size2 {
		return nil, ErrRange
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, ErrRange
	}
	t, err := l.tree(ctx, size2)
	if err != nil {
		return nil, err
	}
	return t.proof(n)
}

func (l *Log) within(ctx context.Context, size uint64) error {
	n, err := l.Size(ctx)
	if err != nil {
		return err
	}
	if size > n || size == 0 {
		return ErrRange
	}
	return nil
}

// ParseCheckpoint opens a signed checkpoint with the verifier key vkey.
func ParseCheckpoint(signed []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the public key %q is not a signed-note verifier key: %w", vkey, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the checkpoint's signature does not verify with the log's key: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, errors.New("the checkpoint has fewer than three lines")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the checkpoint's size %q is not a number", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return Checkpoint{}, errors.New("the checkpoint's root hash is not base64 SHA-256")
	}
	if lines[0] != v.Name() {
		return Checkpoint{}, fmt.Errorf("the checkpoint is for the log %q, the key for %q", lines[0], v.Name())
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root}, nil
}

// PolicyLeaf is the leaf that records a published version of a public
// policy: what a reader can check against the version's public JSON.
func PolicyLeaf(slug string, number int, effective time.Time, bodySHA256 string) (ref, data string) {
	ref = slug + "/v" + strconv.Itoa(number)
	data = fmt.Sprintf("steward-policy-version/v1\nslug %s\nversion %d\neffective %s\nbody-sha256 %s\n",
		slug, number, effective.UTC().Format(time.RFC3339), bodySHA256)
	return ref, data
}

// AuditLeaf is the leaf that anchors the audit trail: its length and the
// hash of its newest entry.
func AuditLeaf(entries int64, head string, at time.Time) (ref, data string) {
	ref = strconv.FormatInt(entries, 10)
	data = fmt.Sprintf("steward-audit-head/v1\nentries %d\nhead %s\nat %s\n", entries, head, at.UTC().Format(time.RFC3339))
	return ref, data
}

// OpenNote checks a signed note (an audit checkpoint) with the verifier
// key vkey and returns its text.
func OpenNote(signed []byte, vkey string) (string, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", fmt.Errorf("the public key is not a signed-note verifier key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return "", fmt.Errorf("the signature does not verify with the log's key: %w", err)
	}
	return n.Text, nil
}
