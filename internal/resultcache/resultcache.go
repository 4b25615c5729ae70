// Package resultcache remembers that `azagen check` found a tree clean, so
// that checking the same tree again costs hashing a few dozen files instead
// of evaluating CUE, rendering and running compose-go.
//
// It is safe by construction: a hit is only possible when
//
//   - the key matches: the binary's identity (the commit of a clean build;
//     a binary without one gets no cache at all), the bytes and names of
//     stacks.cue and every overlay, every flag that changes the result,
//     and the names of the docs files; and
//   - everything the result was computed from or compared with still holds
//     on disk, re-read at lookup: the SHA-256 and mode of every output file
//     and of every docs file (whole: hand-written text and tables alike),
//     and the existence of every path the docs' dead-reference check
//     looked at.
//
// Only clean results (exit 0, no diagnostic) are stored, with the exact
// stdout and stderr the run printed, which a hit replays.
package resultcache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// version changes whenever the format or meaning of an entry changes.
const version = "azagen-check-result-v1"

// Key is what a result is looked up by.
type Key struct {
	// Identity names the binary (commit and dependency versions). Empty
	// means the binary cannot be identified: no lookups, no stores.
	Identity string
	// Inputs are the CUE files in unification order; their bytes are read
	// when the key is hashed.
	Inputs []string
	// Flags are every other setting that changes the result, as
	// name=value strings (output directory, format, root, ...).
	Flags []string
	// Docs are the docs files the check compares, by path.
	Docs []string
}

// File is one file a result depends on, with its content hash and mode.
type File struct {
	Path   string      `json:"path"`
	SHA256 string      `json:"sha256"`
	Mode   fs.FileMode `json:"mode"`
}

// Entry is a stored clean result.
type Entry struct {
	// Files are the output and docs files as the clean run saw them.
	Files []File `json:"files"`
	// Exists maps every path the dead-reference check looked at to whether
	// it existed.
	Exists map[string]bool `json:"exists"`
	// Stdout and Stderr are what the clean run printed.
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

// Cache is a directory of entries. A nil *Cache never hits and stores
// nothing.
type Cache struct{ dir string }

// Open returns the cache in dir, or nil when dir is empty (cache off).
func Open(dir string) *Cache {
	if dir == "" {
		return nil
	}
	return &Cache{dir: dir}
}

// hash returns the entry name of k, reading its inputs. An input that
// cannot be read gives an error: the caller runs uncached and reports it.
func (k Key) hash() (string, error) {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) }
	field(version)
	field(k.Identity)
	for _, group := range [][]string{k.Flags, k.Docs} {
		field(fmt.Sprint(len(group)))
		for _, s := range group {
			field(s)
		}
	}
	field(fmt.Sprint(len(k.Inputs)))
	for _, p := range k.Inputs {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		field(abs)
		field(string(data))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Lookup returns the entry stored for k when every file and path it
// depends on is unchanged on disk, and nil otherwise.
func (c *Cache) Lookup(k Key) *Entry {
	if c == nil || k.Identity == "" {
		return nil
	}
	name, err := k.hash()
	if err != nil {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		return nil
	}
	var e Entry
	if json.Unmarshal(data, &e) != nil || len(e.Files) == 0 {
		return nil
	}
	for _, f := range e.Files {
		now, err := Stat(f.Path)
		if err != nil || now != f {
			return nil
		}
	}
	for p, existed := range e.Exists {
		if Exists(p) != existed {
			return nil
		}
	}
	return &e
}

// Store remembers a clean result for k. Errors are returned for the caller
// to ignore: a cache that cannot be written only costs time.
func (c *Cache) Store(k Key, e Entry) error {
	if c == nil || k.Identity == "" {
		return nil
	}
	name, err := k.hash()
	if err != nil {
		return err
	}
	slices.SortFunc(e.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(c.dir, name))
}

// Stat reads the file at p as an Entry records it: content hash and
// permission bits.
func Stat(p string) (File, error) {
	info, err := os.Stat(p)
	if err != nil {
		return File{}, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return File{}, err
	}
	sum := sha256.Sum256(data)
	return File{Path: p, SHA256: hex.EncodeToString(sum[:]), Mode: info.Mode().Perm()}, nil
}

// Exists reports whether p exists, as Lookup checks it.
func Exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
