package output

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// WriteResult says what a render changed on disk.
type WriteResult struct {
	Written []string
	Removed []string
}

// Write puts the set under root. Each file is written to a temporary file in
// its directory and renamed into place, so a reader (or a crash) sees either
// the old or the new file, never a partial one. Files the previous manifest
// owned that the set no longer has are removed. The manifest is written
// last, so after a crash it still describes files that check can compare.
func Write(root string, set Set) (WriteResult, error) {
	var res WriteResult
	old, err := ReadManifest(root)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return res, err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return res, err
	}
	// Files first, then removals, then the manifest: until the manifest is
	// replaced, the old one still claims every file a crash may leave behind.
	paths := slices.DeleteFunc(set.Paths(), func(p string) bool { return p == ManifestName })
	for _, p := range paths {
		if err := writeIfChanged(realRoot, p, set[p], &res); err != nil {
			return res, err
		}
	}
	for _, e := range old.Files {
		if _, keep := set[e.Path]; keep {
			continue
		}
		target, err := safeTarget(realRoot, e.Path)
		if err != nil {
			return res, err
		}
		err = os.Remove(target)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return res, err
		}
		res.Removed = append(res.Removed, e.Path)
		removeEmptyParents(realRoot, filepath.Dir(target))
	}
	if m, ok := set[ManifestName]; ok {
		if err := writeIfChanged(realRoot, ManifestName, m, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func writeIfChanged(realRoot, p string, f File, res *WriteResult) error {
	target, err := safeTarget(realRoot, p)
	if err != nil {
		return err
	}
	same, err := unchanged(target, f)
	if err != nil || same {
		return err
	}
	if err := writeAtomic(target, f); err != nil {
		return err
	}
	res.Written = append(res.Written, p)
	return nil
}

// safeTarget maps an output path to a path under root, refusing anything
// that would leave root: '..' segments, or a symlinked directory or file
// that resolves outside it.
func safeTarget(realRoot, p string) (string, error) {
	if err := ValidPath(p); err != nil {
		return "", err
	}
	target := filepath.Join(realRoot, filepath.FromSlash(p))
	// Resolve the deepest existing ancestor (or the file itself).
	probe := target
	for {
		if _, err := os.Lstat(probe); err == nil {
			break
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			break
		}
		probe = parent
	}
	resolved, err := filepath.EvalSymlinks(probe)
	if err != nil {
		return "", err
	}
	if resolved != realRoot && !strings.HasPrefix(resolved, realRoot+string(filepath.Separator)) {
		return "", fmt.Errorf("refusing to write %s: %s is a symlink that leads outside %s", p, probe, realRoot)
	}
	return target, nil
}

func unchanged(target string, f File) (bool, error) {
	info, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !info.Mode().IsRegular() || info.Mode().Perm() != f.Mode.Perm() {
		return false, nil
	}
	cur, err := os.ReadFile(target)
	if err != nil {
		return false, err
	}
	return bytes.Equal(cur, f.Data), nil
}

func writeAtomic(target string, f File) error {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".azagen-*")
	if err != nil {
		return err
	}
	cleanup := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", target, err)
	}
	if _, err := tmp.Write(f.Data); err != nil {
		return cleanup(err)
	}
	if err := tmp.Chmod(f.Mode.Perm()); err != nil {
		return cleanup(err)
	}
	if err := tmp.Sync(); err != nil {
		return cleanup(err)
	}
	if err := tmp.Close(); err != nil {
		return cleanup(err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", target, err)
	}
	// Make the rename itself durable before the manifest claims the file.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func removeEmptyParents(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root) {
		if err := os.Remove(dir); err != nil {
			return // not empty, or not ours to remove
		}
		dir = filepath.Dir(dir)
	}
}
