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

// Write puts the set under root in three steps. First every changed file
// is staged: written to a temporary file beside its target and synced. If
// any staging fails (a read-only directory, a full disk) the temporary files
// are removed and nothing on disk has changed. Then each staged file is
// renamed over its target, so a reader or a crash sees the old or the new
// file, never a partial one. Last, files the previous manifest owned that
// the set no longer has are removed, and the manifest is renamed into place:
// until then the old manifest still claims every file a crash may leave.
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
	paths := slices.DeleteFunc(set.Paths(), func(p string) bool { return p == ManifestName })
	if _, ok := set[ManifestName]; ok {
		paths = append(paths, ManifestName)
	}
	type staged struct{ path, tmp, target string }
	var stage []staged
	abort := func(err error) (WriteResult, error) {
		for _, st := range stage {
			os.Remove(st.tmp)
		}
		return WriteResult{}, err
	}
	for _, p := range paths {
		target, err := safeTarget(realRoot, p)
		if err != nil {
			return abort(err)
		}
		removeStaleTemps(filepath.Dir(target), filepath.Base(target))
		same, err := unchanged(target, set[p])
		if err != nil {
			return abort(err)
		}
		if same {
			continue
		}
		tmp, err := stageFile(target, set[p])
		if err != nil {
			return abort(err)
		}
		stage = append(stage, staged{p, tmp, target})
	}
	commit := func(st staged) error {
		if err := os.Rename(st.tmp, st.target); err != nil {
			os.Remove(st.tmp)
			return fmt.Errorf("write %s: %w", st.target, err)
		}
		syncDir(filepath.Dir(st.target))
		res.Written = append(res.Written, st.path)
		return nil
	}
	var manifest *staged
	for i, st := range stage {
		if st.path == ManifestName {
			manifest = &stage[i]
			continue
		}
		if err := commit(st); err != nil {
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
	if manifest != nil {
		if err := commit(*manifest); err != nil {
			return res, err
		}
	}
	return res, nil
}

// tempPattern matches azagen's temporary files beside a target named name.
func tempPattern(name string) string { return "." + name + ".azagen-*" }

// removeStaleTemps deletes temporary files a killed render left beside a
// target; they were never renamed, so nothing reads them.
func removeStaleTemps(dir, name string) {
	matches, _ := filepath.Glob(filepath.Join(dir, tempPattern(name)))
	for _, m := range matches {
		os.Remove(m)
	}
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

// stageFile writes f to a synced temporary file beside target and returns
// its name.
func stageFile(target string, f File) (string, error) {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write %s: %w", target, err)
	}
	tmp, err := os.CreateTemp(dir, tempPattern(filepath.Base(target)))
	if err != nil {
		return "", fmt.Errorf("write %s: %w", target, err)
	}
	fail := func(err error) (string, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write %s: %w", target, err)
	}
	if _, err := tmp.Write(f.Data); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(f.Mode.Perm()); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	return tmp.Name(), nil
}

// WriteFileAtomic writes one file through a synced temporary file renamed
// over target, for files outside an output set (the hand-written docs whose
// marker blocks azagen fills).
func WriteFileAtomic(target string, data []byte, mode fs.FileMode) error {
	tmp, err := stageFile(target, File{Data: data, Mode: mode})
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", target, err)
	}
	syncDir(filepath.Dir(target))
	return nil
}

// syncDir makes a rename durable before the manifest claims the file.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func removeEmptyParents(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root) {
		if err := os.Remove(dir); err != nil {
			return // not empty, or not ours to remove
		}
		dir = filepath.Dir(dir)
	}
}
