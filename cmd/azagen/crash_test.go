package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildAzagen compiles the command once per test binary run.
func buildAzagen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "azagen")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// snapshotTree maps every regular file under dir to its content hash.
func snapshotTree(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// TestRenderSurvivesSIGKILL kills `azagen render` at random points between
// two versions of the source and checks, after every kill, that each output
// file is whole (the old or the new version, never partial) and that
// `check` tells the truth: exit 0 only when the tree is entirely the new
// render, and after a finishing render everything is the new version.
func TestRenderSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kill loop is slow; run without -short")
	}
	bin := buildAzagen(t)
	work := t.TempDir()
	src, err := os.ReadFile("../../stacks.cue")
	if err != nil {
		t.Fatal(err)
	}
	// The new version changes many files: every exporter's limits and
	// every stack description.
	newSrc := strings.ReplaceAll(string(src), `memory: "64m"`, `memory: "96m"`)
	newSrc = strings.ReplaceAll(newSrc, `description: "`, `description: "Changed. `)
	if newSrc == string(src) {
		t.Fatal("the edit changed nothing")
	}
	oldFile, newFile := filepath.Join(work, "old.cue"), filepath.Join(work, "new.cue")
	os.WriteFile(oldFile, src, 0o644)
	os.WriteFile(newFile, []byte(newSrc), 0o644)

	run := func(file, out string, args ...string) (int, string) {
		cmd := exec.Command(bin, append([]string{"--no-cache", "--file", file, "--out", out}, args...)...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stderr.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, stderr.String()
	}
	oldTree, newTree := filepath.Join(work, "old-tree"), filepath.Join(work, "new-tree")
	if code, out := run(oldFile, oldTree, "render"); code != 0 {
		t.Fatalf("render old: %d %s", code, out)
	}
	if code, out := run(newFile, newTree, "render"); code != 0 {
		t.Fatalf("render new: %d %s", code, out)
	}
	oldSnap, newSnap := snapshotTree(t, oldTree), snapshotTree(t, newTree)

	// Time a full render to spread the kills over its whole duration.
	target := filepath.Join(work, "target")
	copyTree(t, oldTree, target)
	start := time.Now()
	run(newFile, target, "render")
	full := time.Since(start)

	const runs = 200
	mixed, untouched, complete := 0, 0, 0
	for i := range runs {
		copyTree(t, oldTree, target)
		cmd := exec.Command(bin, "--no-cache", "--file", newFile, "--out", target, "render")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Most of a render is compiling; aim the kills at its last fifth,
		// where files are staged and renamed, with some before and after.
		time.Sleep(full*7/10 + time.Duration(rand.Int64N(int64(full)*4/10+1)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		got := snapshotTree(t, target)
		allNew := true
		allOld := true
		for p, h := range got {
			if strings.Contains(filepath.Base(p), ".azagen-") {
				continue // a staged temporary: never read, removed by the next render
			}
			o, inOld := oldSnap[p]
			n, inNew := newSnap[p]
			switch {
			case inNew && h == n && inOld && h == o:
			case inNew && h == n:
				allOld = false
			case inOld && h == o:
				allNew = false
			default:
				t.Fatalf("run %d: %s is neither the old nor the new version", i, p)
			}
		}
		for p := range newSnap {
			if _, ok := got[p]; !ok {
				allNew = false
			}
		}
		code, out := run(newFile, target, "check")
		switch {
		case allNew && code != 0:
			t.Fatalf("run %d: tree is the new render but check exits %d:\n%s", i, code, out)
		case !allNew && code != 1:
			t.Fatalf("run %d: tree is not the new render but check exits %d:\n%s", i, code, out)
		}
		switch {
		case allNew:
			complete++
		case allOld:
			untouched++
		default:
			mixed++
		}
		// A finishing render always repairs the tree; checking that on
		// every tenth run keeps the loop affordable.
		if i%10 == 0 {
			if code, out := run(newFile, target, "render"); code != 0 {
				t.Fatalf("run %d: render after kill: %d %s", i, code, out)
			}
			if code, out := run(newFile, target, "check"); code != 0 {
				t.Fatalf("run %d: check after repair: %d %s", i, code, out)
			}
		}
	}
	t.Logf("%d kills: %d before any rename, %d mid-way, %d after the last rename", runs, untouched, mixed, complete)
}

// TestRenderOnFullDiskChangesNothing renders into a tiny tmpfs that cannot
// hold the new files: render must fail with a clear message and leave the
// old tree exactly as it was.
func TestRenderOnFullDiskChangesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test mounts a tmpfs and must run as root in CI")
		}
		t.Skip("mounting a tmpfs needs root")
	}
	bin := buildAzagen(t)
	work := t.TempDir()
	src, _ := os.ReadFile("../../stacks.cue")
	file := filepath.Join(work, "stacks.cue")
	os.WriteFile(file, src, 0o644)
	mnt := filepath.Join(work, "mnt")
	os.Mkdir(mnt, 0o755)
	// Room for the old render plus a little: the new render's larger files
	// cannot all be staged at once.
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	out := filepath.Join(mnt, "generated")
	if b, err := exec.Command(bin, "--no-cache", "--file", file, "--out", out, "render").CombinedOutput(); err != nil {
		t.Fatalf("first render: %v %s", err, b)
	}
	// Fill the disk, leaving too little for the changed files.
	filler, _ := os.Create(filepath.Join(mnt, "filler"))
	buf := make([]byte, 4096)
	for {
		if _, err := filler.Write(buf); err != nil {
			break
		}
	}
	filler.Close()
	before := snapshotTree(t, out)
	bigger := strings.ReplaceAll(string(src), `description: "`, `description: "`+strings.Repeat("Much longer. ", 50))
	os.WriteFile(file, []byte(bigger), 0o644)
	cmd := exec.Command(bin, "--no-cache", "--file", file, "--out", out, "render")
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("render on a full disk: %v, want exit 3\n%s", err, b)
	}
	if !strings.Contains(string(b), "no space left on device") {
		t.Errorf("message does not say the disk is full:\n%s", b)
	}
	after := snapshotTree(t, out)
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
	}
}
