package evidencepack

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"steward/internal/translog"
)

// Result is what Verify found in a sound pack.
type Result struct {
	Origin string
	AsOf   string
	Files  int
	Key    string // the key that signed it: compare it with the site's /log/key
}

// Verify checks a pack: the signature over the manifest's hash (with key,
// or the key the manifest names when key is empty), the manifest's own
// hash, every file's hash and size, and that the zip holds exactly the
// files the manifest lists. The error names the first file that differs.
func Verify(zipBytes []byte, key string) (Result, error) {
	var res Result
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return res, fmt.Errorf("not a zip file: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return res, fmt.Errorf("%s: %w", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return res, fmt.Errorf("%s: cannot be read (%w): it was changed", f.Name, err)
		}
		if _, dup := files[f.Name]; dup {
			return res, fmt.Errorf("%s is in the pack twice", f.Name)
		}
		files[f.Name] = b
	}
	manBytes, ok := files[manifestName]
	if !ok {
		return res, fmt.Errorf("%s is missing", manifestName)
	}
	var man Manifest
	if err := json.Unmarshal(manBytes, &man); err != nil {
		return res, fmt.Errorf("%s was changed: it is not the JSON a pack carries", manifestName)
	}
	if key == "" {
		key = man.PublicKey
	}
	sig, ok := files[signatureName]
	if !ok {
		return res, fmt.Errorf("%s is missing", signatureName)
	}
	text, err := translog.OpenNote(sig, key)
	if err != nil {
		return res, fmt.Errorf("%s: %w", signatureName, err)
	}
	sum := sha256.Sum256(manBytes)
	if text != manifestText(man.Origin, man.AsOf, hex.EncodeToString(sum[:])) {
		return res, fmt.Errorf("%s was changed: its hash is not the one signed in %s", manifestName, signatureName)
	}
	listed := map[string]bool{manifestName: true, signatureName: true}
	for _, e := range man.Files {
		b, ok := files[e.Path]
		if !ok {
			return res, fmt.Errorf("%s is missing", e.Path)
		}
		s := sha256.Sum256(b)
		if hex.EncodeToString(s[:]) != e.SHA256 || len(b) != e.Size {
			return res, fmt.Errorf("%s was changed: its SHA-256 is not the one in the manifest", e.Path)
		}
		listed[e.Path] = true
	}
	for name := range files {
		if !listed[name] {
			return res, fmt.Errorf("%s was added: the manifest does not list it", name)
		}
	}
	return Result{Origin: man.Origin, AsOf: man.AsOf, Files: len(man.Files), Key: strings.TrimSpace(key)}, nil
}
