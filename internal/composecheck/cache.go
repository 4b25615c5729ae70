package composecheck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
)

// Cache remembers compose files that passed validation, so a check of an
// unchanged tree does not pay compose-go's cost again. It is safe because
// the key covers every input of Validate: the bytes, file name, working
// directory, project name and sample environment, the compose-go version,
// and the commit azagen was built from. A binary built from a modified tree
// (or without VCS information, as `go run` and `go test` build) has no
// trustworthy identity, so it gets no cache at all. Only successes are
// stored; a failure is always recomputed and reported.
type Cache struct {
	dir      string
	identity string
}

var buildIdentity = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, modified, compose string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/compose-spec/compose-go/v2" {
			compose = d.Version
		}
	}
	if rev == "" || modified != "false" || compose == "" {
		return ""
	}
	return rev + "/" + compose
})

// BuildIdentity names this binary for caches: the commit of a clean build
// and the compose-go version, or "" when the binary carries no trustworthy
// VCS stamp (`go run`, `go test`, a modified tree).
func BuildIdentity() string { return buildIdentity() }

// NewCache returns a cache under dir, or nil when this binary cannot be
// identified (see Cache). A nil *Cache validates every time.
func NewCache(dir string) *Cache {
	if dir == "" || buildIdentity() == "" {
		return nil
	}
	return &Cache{dir: dir, identity: buildIdentity()}
}

func (c *Cache) key(filename, workingDir, project string, content []byte, env map[string]string) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) }
	field("azagen-compose-valid-v1")
	field(c.identity)
	field(filename)
	field(workingDir)
	field(project)
	field(string(content))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		field(k)
		field(env[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Validate is the package-level Validate with the cache in front.
func (c *Cache) Validate(ctx context.Context, filename, workingDir, project string, content []byte, sampleEnv map[string]string) error {
	if c == nil {
		return Validate(ctx, filename, workingDir, project, content, sampleEnv)
	}
	marker := filepath.Join(c.dir, c.key(filename, workingDir, project, content, sampleEnv))
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	if err := Validate(ctx, filename, workingDir, project, content, sampleEnv); err != nil {
		return err
	}
	// A cache that cannot be written only costs time: ignore the error.
	if err := os.MkdirAll(c.dir, 0o755); err == nil {
		if f, err := os.CreateTemp(c.dir, ".tmp-*"); err == nil {
			f.Close()
			if err := os.Rename(f.Name(), marker); err != nil && !errors.Is(err, fs.ErrExist) {
				os.Remove(f.Name())
			}
		}
	}
	return nil
}
