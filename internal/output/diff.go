package output

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Drift is what check found: files whose content or mode differs, files
// the set has that the disk lacks, and files the manifest says azagen owns
// that it no longer renders.
type Drift struct {
	Changed  []Change `json:"changed"`
	Missing  []string `json:"missing"`
	Orphaned []string `json:"orphaned"`
}

// Change is one file that differs.
type Change struct {
	Path string `json:"path"`
	Diff string `json:"diff"`
}

// Clean reports whether there is no drift.
func (d Drift) Clean() bool {
	return len(d.Changed) == 0 && len(d.Missing) == 0 && len(d.Orphaned) == 0
}

// Check compares the set with the files under root without writing
// anything. displayRoot prefixes paths in the diff headers.
func Check(root, displayRoot string, set Set) (Drift, error) {
	d := Drift{Changed: []Change{}, Missing: []string{}, Orphaned: []string{}}
	for _, p := range set.Paths() {
		f := set[p]
		target := filepath.Join(root, filepath.FromSlash(p))
		info, err := os.Stat(target)
		if errors.Is(err, fs.ErrNotExist) {
			d.Missing = append(d.Missing, p)
			continue
		}
		if err != nil {
			return d, err
		}
		cur, err := os.ReadFile(target)
		if err != nil {
			return d, err
		}
		name := filepath.ToSlash(filepath.Join(displayRoot, p))
		switch {
		case !bytes.Equal(cur, f.Data):
			text, err := UnifiedDiff(name, cur, f.Data)
			if err != nil {
				return d, err
			}
			d.Changed = append(d.Changed, Change{Path: p, Diff: text})
		case info.Mode().Perm() != f.Mode.Perm():
			d.Changed = append(d.Changed, Change{Path: p, Diff: fmt.Sprintf("mode of %s is %04o, want %04o\n", name, info.Mode().Perm(), f.Mode.Perm())})
		}
	}
	old, err := ReadManifest(root)
	if err != nil {
		return d, err
	}
	for _, e := range old.Files {
		if _, ok := set[e.Path]; ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(e.Path))); err == nil {
			d.Orphaned = append(d.Orphaned, e.Path)
		}
	}
	return d, nil
}

// UnifiedDiff is the diff of one file as git prints it, with a/ and b/
// prefixes on name.
func UnifiedDiff(name string, old, new []byte) (string, error) {
	return unified("a/"+name, "b/"+name, old, new)
}

func unified(from, to string, old, new []byte) (string, error) {
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: diffLines(old), B: diffLines(new),
		FromFile: from, ToFile: to, Context: 3,
	})
}

// Compare diffs two rendered sets file by file, in path order: the unified
// diff of every path whose bytes or mode differ, with the headers
// fromLabel/path and toLabel/path, and /dev/null for the side that lacks
// the file. The manifest is left out: it only lists the others.
func Compare(from, to Set, fromLabel, toLabel string) ([]Change, error) {
	paths := map[string]bool{}
	for p := range from {
		paths[p] = true
	}
	for p := range to {
		paths[p] = true
	}
	var out []Change
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		if p == ManifestName {
			continue
		}
		a, inA := from[p]
		b, inB := to[p]
		fromName, toName := fromLabel+"/"+p, toLabel+"/"+p
		switch {
		case !inA:
			fromName = "/dev/null"
		case !inB:
			toName = "/dev/null"
		case bytes.Equal(a.Data, b.Data) && a.Mode.Perm() == b.Mode.Perm():
			continue
		case bytes.Equal(a.Data, b.Data):
			out = append(out, Change{Path: p, Diff: fmt.Sprintf("mode of %s is %04o in %s, %04o in %s\n", p, a.Mode.Perm(), fromLabel, b.Mode.Perm(), toLabel)})
			continue
		}
		text, err := unified(fromName, toName, a.Data, b.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, Change{Path: p, Diff: text})
	}
	return out, nil
}

// diffLines splits after each newline. Unlike difflib.SplitLines it adds no
// phantom empty line after a final newline, so hunks count the lines the
// file really has and git apply accepts the patch; a last line without a
// newline is marked the way diff marks it.
func diffLines(b []byte) []string {
	lines := strings.SplitAfter(string(b), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n\\ No newline at end of file\n"
	}
	return lines
}
