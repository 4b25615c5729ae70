package output

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mkset builds a set with its manifest from path → content pairs.
func mkset(t *testing.T, files ...string) Set {
	t.Helper()
	s := Set{}
	for i := 0; i+1 < len(files); i += 2 {
		if err := s.Add(File{Path: files[i], Data: []byte(files[i+1])}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.WithManifest()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tree lists every file under root with a hash of its content and its
// mode, to prove that an operation changed nothing (or exactly what it
// should).
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			out[rel+"/"] = info.Mode().String()
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "-> " + target
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[rel] = fmt.Sprintf("%s %s", info.Mode(), hex.EncodeToString(sum[:8]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteThenUpToDate(t *testing.T) {
	root := filepath.Join(t.TempDir(), "generated")
	set := mkset(t, "a.txt", "# a\n", "stacks/p/compose.yaml", "# c\n")
	set["run.sh"] = File{Path: "run.sh", Data: []byte("#!/bin/sh\n"), Mode: 0o755}
	set, _ = withoutManifest(set).WithManifest()

	res, err := Write(root, set)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.txt", "run.sh", "stacks/p/compose.yaml", ManifestName}
	if diff := cmp.Diff(want, res.Written); diff != "" {
		t.Errorf("Written (-want +got):\n%s\nthe manifest must come last", diff)
	}
	for _, p := range set.Paths() {
		target := filepath.Join(root, filepath.FromSlash(p))
		if got := readFile(t, target); got != string(set[p].Data) {
			t.Errorf("%s = %q, want %q", p, got, set[p].Data)
		}
		info, err := os.Stat(target)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != set[p].Mode.Perm() {
			t.Errorf("%s has mode %04o, want %04o", p, info.Mode().Perm(), set[p].Mode.Perm())
		}
	}
	m, err := ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	if m.Generated != Header {
		t.Errorf("manifest generated = %q", m.Generated)
	}
	var owned []string
	for _, e := range m.Files {
		owned = append(owned, e.Path)
	}
	if diff := cmp.Diff([]string{"a.txt", "run.sh", "stacks/p/compose.yaml"}, owned); diff != "" {
		t.Errorf("manifest files (-want +got):\n%s", diff)
	}

	res, err = Write(root, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Written)+len(res.Removed) != 0 {
		t.Errorf("second write changed %v, removed %v; want nothing", res.Written, res.Removed)
	}
	d, err := Check(root, "generated", set)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Clean() {
		t.Errorf("Check after Write: %+v", d)
	}
}

func withoutManifest(s Set) Set {
	out := Set{}
	for p, f := range s {
		if p != ManifestName {
			out[p] = f
		}
	}
	return out
}

// TestWriteIsAtomic: a changed file is replaced by rename, not rewritten in
// place (a reader holding the old file keeps the old content), and no
// temporary file is left behind.
func TestWriteIsAtomic(t *testing.T) {
	root := t.TempDir()
	if _, err := Write(root, mkset(t, "x/f.conf", "old\n")); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(root, "x", "f.conf")
	held, err := os.Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	before, err := held.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(root, mkset(t, "x/f.conf", "new\n")); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("the file was rewritten in place; want a new file renamed over it")
	}
	buf := make([]byte, 16)
	n, _ := held.ReadAt(buf, 0)
	if got := string(buf[:n]); got != "old\n" {
		t.Errorf("a reader of the old file sees %q, want the old content", got)
	}
	if got := readFile(t, target); got != "new\n" {
		t.Errorf("file = %q, want new content", got)
	}
	for p := range tree(t, root) {
		if strings.Contains(p, ".azagen-") {
			t.Errorf("temporary file %s left behind", p)
		}
	}
}

// TestWriteOwnership: a file the previous render owned and the new one does
// not render is removed (with its now empty directories); a file azagen
// never wrote is never touched, even inside a directory it owns files in.
func TestWriteOwnership(t *testing.T) {
	root := t.TempDir()
	old := mkset(t,
		"keep.txt", "keep\n",
		"stacks/gone/compose.yaml", "gone\n",
		"stacks/gone/.env.example", "gone\n",
		"stacks/mixed/compose.yaml", "mixed\n",
	)
	if _, err := Write(root, old); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "NOTES.md"), "mine\n")
	writeFile(t, filepath.Join(root, "stacks/mixed/README"), "mine\n")
	// A file with the name of an owned one but not in the manifest: another
	// directory azagen never rendered into.
	writeFile(t, filepath.Join(root, "other/compose.yaml"), "mine\n")

	res, err := Write(root, mkset(t, "keep.txt", "keep\n"))
	if err != nil {
		t.Fatal(err)
	}
	wantRemoved := []string{"stacks/gone/.env.example", "stacks/gone/compose.yaml", "stacks/mixed/compose.yaml"}
	if diff := cmp.Diff(wantRemoved, res.Removed); diff != "" {
		t.Errorf("Removed (-want +got):\n%s", diff)
	}
	got := tree(t, root)
	for _, p := range []string{"stacks/gone/", "stacks/gone/compose.yaml", "stacks/mixed/compose.yaml"} {
		if _, ok := got[p]; ok {
			t.Errorf("%s still exists", p)
		}
	}
	for _, p := range []string{"NOTES.md", "stacks/mixed/README", "other/compose.yaml"} {
		if readFile(t, filepath.Join(root, p)) != "mine\n" {
			t.Errorf("%s was changed", p)
		}
	}
	m, err := ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 1 || m.Files[0].Path != "keep.txt" {
		t.Errorf("manifest after removal: %+v", m.Files)
	}
}

// TestWriteWithoutManifestRemovesNothing: with no manifest on disk azagen
// owns nothing yet, so a render into a directory with files in it only adds.
func TestWriteWithoutManifestRemovesNothing(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "stacks/p/old.yaml"), "mine\n")
	res, err := Write(root, mkset(t, "stacks/p/compose.yaml", "c\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 0 {
		t.Errorf("removed %v", res.Removed)
	}
	if readFile(t, filepath.Join(root, "stacks/p/old.yaml")) != "mine\n" {
		t.Error("a file azagen does not own was changed")
	}
}

func TestWriteFixesMode(t *testing.T) {
	root := t.TempDir()
	set := mkset(t, "f", "x\n")
	if _, err := Write(root, set); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "f"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Check(root, "out", set)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changed) != 1 || d.Changed[0].Path != "f" || !strings.Contains(d.Changed[0].Diff, "mode of out/f is 0600, want 0644") {
		t.Errorf("Check of a mode change: %+v", d)
	}
	res, err := Write(root, set)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"f"}, res.Written); diff != "" {
		t.Errorf("Written (-want +got):\n%s", diff)
	}
	info, _ := os.Stat(filepath.Join(root, "f"))
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode %04o after write", info.Mode().Perm())
	}
}

// TestCheck reports changed files with a unified diff, missing files and
// orphaned files (owned by the manifest on disk, no longer rendered), and
// writes nothing.
func TestCheck(t *testing.T) {
	root := t.TempDir()
	old := mkset(t,
		"stacks/p/compose.yaml", "a\nb\nc\n",
		"stacks/p/.env.example", "X=\n",
		"stacks/gone/compose.yaml", "gone\n",
		"stacks/alsogone/compose.yaml", "gone\n",
	)
	if _, err := Write(root, old); err != nil {
		t.Fatal(err)
	}
	// The user already deleted one of the orphans: it is not reported.
	if err := os.Remove(filepath.Join(root, "stacks/alsogone/compose.yaml")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "NOTES.md"), "mine\n")
	next := mkset(t,
		"stacks/p/compose.yaml", "a\nB\nc\n",
		"stacks/p/.env.example", "X=\n",
		"stacks/new/compose.yaml", "new\n",
	)
	before := tree(t, root)

	d, err := Check(root, "generated", next)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, tree(t, root)); diff != "" {
		t.Errorf("Check changed the directory:\n%s", diff)
	}
	var changed []string
	for _, c := range d.Changed {
		changed = append(changed, c.Path)
	}
	if diff := cmp.Diff([]string{ManifestName, "stacks/p/compose.yaml"}, changed); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"stacks/new/compose.yaml"}, d.Missing); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"stacks/gone/compose.yaml"}, d.Orphaned); diff != "" {
		t.Errorf("Orphaned (-want +got):\n%s", diff)
	}
	if d.Clean() {
		t.Error("Clean() with drift")
	}
	for _, c := range d.Changed {
		if c.Path != "stacks/p/compose.yaml" {
			continue
		}
		lines := strings.Split(c.Diff, "\n")
		for i, want := range []string{"--- a/generated/stacks/p/compose.yaml", "+++ b/generated/stacks/p/compose.yaml"} {
			if i >= len(lines) || lines[i] != want {
				t.Errorf("unified diff line %d is not %q:\n%s", i+1, want, c.Diff)
			}
		}
		for _, want := range []string{" a", "-b", "+B", " c"} {
			if !slices.Contains(lines, want) {
				t.Errorf("unified diff lacks line %q:\n%s", want, c.Diff)
			}
		}
	}
}

// TestCheckDiffExact: the diff of a change near the end of a file must be
// one `git apply` accepts.
func TestCheckDiffExact(t *testing.T) {
	root := t.TempDir()
	if _, err := Write(root, mkset(t, "f.yaml", "a\nb\nc\n")); err != nil {
		t.Fatal(err)
	}
	d, err := Check(root, "generated", mkset(t, "f.yaml", "a\nB\nc\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, c := range d.Changed {
		if c.Path == "f.yaml" {
			got = c.Diff
		}
	}
	want := `--- a/generated/f.yaml
+++ b/generated/f.yaml
@@ -1,3 +1,3 @@
 a
-b
+B
 c
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unified diff (-want +got):\n%s", diff)
	}
}

func TestCheckEmptyDir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nothing-here")
	set := mkset(t, "a", "a\n")
	d, err := Check(root, "g", set)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", ManifestName}, d.Missing); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Check created the output directory")
	}
}

func TestValidPath(t *testing.T) {
	for _, p := range []string{"a", "a/b.yaml", ".env.example", "stacks/p/.env.example", "a..b"} {
		if err := ValidPath(p); err != nil {
			t.Errorf("ValidPath(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"", "..", "../x", "a/../../x", "a/../b", "/etc/passwd", "./a", "a/", "a//b", `a\b`, "a/.."} {
		if err := ValidPath(p); err == nil {
			t.Errorf("ValidPath(%q) = nil, want an error", p)
		}
	}
	s := Set{}
	if err := s.Add(File{Path: "../escape", Data: []byte("x")}); err == nil {
		t.Error("Add accepted a path with ..")
	}
	if err := s.Add(File{Path: "a", Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(File{Path: "a", Data: []byte("y")}); err == nil {
		t.Error("Add accepted two files at one path")
	}
}

// TestWriteRefusesDotDot: a set or a tampered manifest naming a path
// outside the root writes and deletes nothing there.
func TestWriteRefusesDotDot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "generated")
	victim := filepath.Join(dir, "victim.txt")
	writeFile(t, victim, "precious\n")

	// A set that bypassed Add.
	bad := Set{"../victim.txt": {Path: "../victim.txt", Data: []byte("pwned\n"), Mode: 0o644}}
	if _, err := Write(root, bad); err == nil {
		t.Error("Write accepted ../victim.txt")
	}
	// A manifest that claims a file outside the root.
	if _, err := Write(root, mkset(t, "a", "a\n")); err != nil {
		t.Fatal(err)
	}
	manifest := `{"generated": "x", "files": [{"path": "../victim.txt", "mode": "0644", "sha256": ""}]}`
	writeFile(t, filepath.Join(root, ManifestName), manifest)
	if _, err := Write(root, mkset(t, "a", "a\n")); err == nil {
		t.Error("Write accepted a manifest owning ../victim.txt")
	}
	if _, err := Check(root, "g", mkset(t, "a", "a\n")); err == nil {
		t.Error("Check accepted a manifest owning ../victim.txt")
	}
	if got := readFile(t, victim); got != "precious\n" {
		t.Errorf("victim = %q", got)
	}
}

// TestWriteRefusesSymlinkOutside: a directory or a file inside the root that
// is a symlink leading outside is refused, and nothing outside is written.
func TestWriteRefusesSymlinkOutside(t *testing.T) {
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		root := filepath.Join(dir, "generated")
		outside := filepath.Join(dir, "outside")
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(outside, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(root, "stacks")); err != nil {
			t.Fatal(err)
		}
		_, err := Write(root, mkset(t, "stacks/p/compose.yaml", "x\n"))
		if err == nil || !strings.Contains(err.Error(), "symlink") {
			t.Errorf("Write through a symlinked directory: err = %v, want a refusal naming the symlink", err)
		}
		if got := tree(t, outside); len(got) != 1 {
			t.Errorf("something was written outside the root: %v", got)
		}
	})
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		root := filepath.Join(dir, "generated")
		victim := filepath.Join(dir, "victim.txt")
		writeFile(t, victim, "precious\n")
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, filepath.Join(root, "a.txt")); err != nil {
			t.Fatal(err)
		}
		if _, err := Write(root, mkset(t, "a.txt", "pwned\n")); err == nil {
			t.Error("Write through a symlinked file succeeded")
		}
		if got := readFile(t, victim); got != "precious\n" {
			t.Errorf("victim = %q", got)
		}
	})
	t.Run("inside is fine", func(t *testing.T) {
		// A symlink that stays inside the root is not an escape.
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "real"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("real", filepath.Join(root, "link")); err != nil {
			t.Fatal(err)
		}
		if _, err := Write(root, mkset(t, "link/f", "x\n")); err != nil {
			t.Errorf("Write through a symlink inside the root: %v", err)
		}
		if readFile(t, filepath.Join(root, "real", "f")) != "x\n" {
			t.Error("file not written through the inside symlink")
		}
	})
	t.Run("root itself", func(t *testing.T) {
		// The output root may itself be a symlink: that is where the user
		// pointed --out.
		dir := t.TempDir()
		real := filepath.Join(dir, "real")
		if err := os.MkdirAll(real, 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "generated")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		if _, err := Write(link, mkset(t, "f", "x\n")); err != nil {
			t.Errorf("Write to a symlinked root: %v", err)
		}
		if readFile(t, filepath.Join(real, "f")) != "x\n" {
			t.Error("file not written")
		}
	})
}

// TestWriteFailureKeepsOldFiles: when the target cannot be written, Write
// returns an error, and the files and manifest of the previous render are
// intact, with no temporary file left.
func TestWriteFailureKeepsOldFiles(t *testing.T) {
	old := mkset(t, "a/x.conf", "old x\n", "b/y.conf", "old y\n")
	next := mkset(t, "a/x.conf", "new x\n", "b/y.conf", "new y\n")

	t.Run("read-only directory", func(t *testing.T) {
		root := t.TempDir()
		if _, err := Write(root, old); err != nil {
			t.Fatal(err)
		}
		before := tree(t, root)
		dirs := []string{root, filepath.Join(root, "a"), filepath.Join(root, "b")}
		for _, d := range dirs {
			if err := os.Chmod(d, 0o555); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			for _, d := range dirs {
				os.Chmod(d, 0o755)
			}
		})
		// Root (or CAP_DAC_OVERRIDE) writes through a read-only directory
		// anyway; then this case proves nothing, and the next one covers
		// the failure path without relying on permissions.
		if f, err := os.CreateTemp(filepath.Join(root, "a"), "probe"); err == nil {
			f.Close()
			os.Remove(f.Name())
			t.Skip("running with privileges that ignore directory permissions (root?)")
		}
		if _, err := Write(root, next); err == nil {
			t.Fatal("Write into a read-only directory succeeded")
		}
		for _, d := range dirs {
			os.Chmod(d, 0o755)
		}
		if diff := cmp.Diff(before, tree(t, root)); diff != "" {
			t.Errorf("a failed Write changed the directory (-before +after):\n%s", diff)
		}
	})

	t.Run("file in place of a directory", func(t *testing.T) {
		root := t.TempDir()
		if _, err := Write(root, old); err != nil {
			t.Fatal(err)
		}
		// The next render adds a file under 0/, which sorts first, where a
		// regular file now stands: creating its directory fails before any
		// other file is touched, whoever runs the test.
		writeFile(t, filepath.Join(root, "0"), "not a directory\n")
		before := tree(t, root)
		next := withoutManifest(next)
		if err := next.Add(File{Path: "0/first.conf", Data: []byte("x\n")}); err != nil {
			t.Fatal(err)
		}
		next, _ = next.WithManifest()
		if _, err := Write(root, next); err == nil {
			t.Fatal("Write below a regular file succeeded")
		}
		if diff := cmp.Diff(before, tree(t, root)); diff != "" {
			t.Errorf("a failed Write changed the directory (-before +after):\n%s", diff)
		}
		d, err := Check(root, "g", old)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Clean() {
			t.Errorf("after a failed Write the old render no longer checks clean: %+v", d)
		}
	})
}

func TestReadManifest(t *testing.T) {
	root := t.TempDir()
	m, err := ReadManifest(root)
	if err != nil || len(m.Files) != 0 {
		t.Errorf("missing manifest: %+v, %v; want empty, nil", m, err)
	}
	writeFile(t, filepath.Join(root, ManifestName), "{not json")
	if _, err := ReadManifest(root); err == nil || !strings.Contains(err.Error(), "azagen render") {
		t.Errorf("corrupt manifest: err = %v, want an error that says how to recover", err)
	}
}

func TestManifestContent(t *testing.T) {
	s := Set{}
	for _, f := range []File{{Path: "b", Data: []byte("b\n")}, {Path: "a", Data: []byte("a\n"), Mode: 0o755}} {
		if err := s.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.WithManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 {
		t.Error("WithManifest modified its receiver")
	}
	sum := sha256.Sum256([]byte("a\n"))
	want := `{
  "generated": "` + Header + `",
  "files": [
    {
      "path": "a",
      "mode": "0755",
      "sha256": "` + hex.EncodeToString(sum[:]) + `"
    },
    {
      "path": "b",
      "mode": "0644",
      "sha256": "` + func() string { s := sha256.Sum256([]byte("b\n")); return hex.EncodeToString(s[:]) }() + `"
    }
  ]
}
`
	if diff := cmp.Diff(want, string(m[ManifestName].Data)); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	if _, err := m.WithManifest(); err == nil {
		t.Error("a second WithManifest did not refuse the existing manifest path")
	}
}
