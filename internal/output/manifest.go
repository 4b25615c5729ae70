package output

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ManifestName is the ownership manifest inside the output root: the list
// of files azagen rendered last time, so it can remove the ones it no
// longer renders without ever touching a file it does not own. JSON has no
// comments, so the manifest itself says that it is generated.
const ManifestName = "manifest.json"

// Manifest records the files of one render.
type Manifest struct {
	Generated string          `json:"generated"`
	Files     []ManifestEntry `json:"files"`
}

// ManifestEntry is one owned file.
type ManifestEntry struct {
	Path   string `json:"path"`
	Mode   string `json:"mode"`
	SHA256 string `json:"sha256"`
}

// WithManifest returns the set plus its manifest file.
func (s Set) WithManifest() (Set, error) {
	m := Manifest{Generated: Header}
	for _, p := range s.Paths() {
		f := s[p]
		sum := sha256.Sum256(f.Data)
		m.Files = append(m.Files, ManifestEntry{Path: p, Mode: fmt.Sprintf("%04o", f.Mode.Perm()), SHA256: hex.EncodeToString(sum[:])})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	out := Set{}
	for p, f := range s {
		out[p] = f
	}
	if err := out.Add(File{Path: ManifestName, Data: append(data, '\n'), Mode: 0o644}); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadManifest reads the manifest under root. A missing manifest is an empty
// one: nothing is owned yet.
func ReadManifest(root string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(filepath.Join(root, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %w (delete it and run azagen render to rebuild it)", filepath.Join(root, ManifestName), err)
	}
	for _, e := range m.Files {
		if err := ValidPath(e.Path); err != nil {
			return m, fmt.Errorf("%s: %w", filepath.Join(root, ManifestName), err)
		}
	}
	return m, nil
}
