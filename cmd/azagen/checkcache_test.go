package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCached runs the CLI as a binary with identity would, with the caches
// under cacheHome.
func runCached(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runApp(context.Background(), &app{stdout: &out, stderr: &errb, identity: "test-build"}, args)
	return code, out.String(), errb.String()
}

func entries(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "azagen", checkResultCache))
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func onlyEntry(t *testing.T, dir string) os.FileInfo {
	t.Helper()
	d := filepath.Join(dir, "azagen", checkResultCache)
	es, err := os.ReadDir(d)
	must(t, err)
	if len(es) != 1 {
		t.Fatalf("%d entries, want 1", len(es))
	}
	info, err := os.Stat(filepath.Join(d, es[0].Name()))
	must(t, err)
	return info
}

// TestCheckResultCache: a clean check is remembered and replayed byte for
// byte; then each input and each output is changed in turn, and each change
// is a miss that gives the uncached verdict (drift, an invalid input, or a
// new clean entry), never the stale "up to date".
func TestCheckResultCache(t *testing.T) {
	cacheHome := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cacheHome)
	t.Setenv("AZAGEN_CACHE", "")
	stacks, err := os.ReadFile(repoStacks)
	must(t, err)
	t.Chdir(t.TempDir())
	must(t, os.WriteFile("stacks.cue", stacks, 0o644))
	must(t, os.MkdirAll("docs", 0o755))
	must(t, os.WriteFile("docs/PORTS.md", []byte("# Ports\n\nSee [the compose file](../generated/stacks/primary/compose.yaml).\n\n<!-- BEGIN azagen:ports.primary -->\n<!-- END azagen:ports.primary -->\n"), 0o644))
	if code, _, stderr := runCached(t, "render"); code != 0 {
		t.Fatalf("render exited %d:\n%s", code, stderr)
	}
	code, out1, err1 := runCached(t, "check")
	if code != 0 || entries(t, cacheHome) != 1 {
		t.Fatalf("first check exited %d with %d entries:\n%s", code, entries(t, cacheHome), err1)
	}
	entry := onlyEntry(t, cacheHome)
	code, out2, err2 := runCached(t, "check")
	if code != 0 || out2 != out1 || err2 != err1 {
		t.Fatalf("the hit did not replay the clean run: exit %d\n%q\n%q", code, err2, err1)
	}
	// A miss would have run the check again and replaced the entry file.
	if !os.SameFile(entry, onlyEntry(t, cacheHome)) {
		t.Fatal("the second check was not a hit: its entry was written again")
	}

	restore := func(p string, data []byte, mode os.FileMode) {
		must(t, os.WriteFile(p, data, mode))
		must(t, os.Chmod(p, mode))
		if code, _, stderr := runCached(t, "check"); code != 0 {
			t.Fatalf("after restoring %s check exited %d:\n%s", p, code, stderr)
		}
	}
	compose := "generated/stacks/primary/compose.yaml"
	composeData, err := os.ReadFile(compose)
	must(t, err)

	// Outputs: content, mode, removal, an orphan listed by the manifest.
	for _, tc := range []struct {
		name   string
		mutate func()
		want   int
		stderr string
	}{
		{"output edited", func() { must(t, os.WriteFile(compose, append(composeData, '#', '\n'), 0o644)) }, exitDrift, "changed:  generated/stacks/primary/compose.yaml"},
		{"output mode", func() { must(t, os.Chmod(compose, 0o600)) }, exitDrift, "changed:  generated/stacks/primary/compose.yaml"},
		{"output removed", func() { must(t, os.Remove(compose)) }, exitDrift, "missing:  generated/stacks/primary/compose.yaml"},
		{"docs table edited", func() {
			b, _ := os.ReadFile("docs/PORTS.md")
			must(t, os.WriteFile("docs/PORTS.md", bytes.Replace(b, []byte("| `postgres` |"), []byte("| `pg` |"), 1), 0o644))
		}, exitDrift, "changed:  docs/PORTS.md"},
		{"docs prose edited to a dead link", func() {
			b, _ := os.ReadFile("docs/PORTS.md")
			must(t, os.WriteFile("docs/PORTS.md", bytes.Replace(b, []byte("compose.yaml)"), []byte("compose.yml)"), 1), 0o644))
		}, exitInvalid, "docs-dead-ref"},
		{"input broken", func() {
			must(t, os.WriteFile("stacks.cue", append(stacks, []byte("\nstacks: primary: name: 1\n")...), 0o644))
		}, exitInvalid, "stacks.cue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docsBefore, err := os.ReadFile("docs/PORTS.md")
			must(t, err)
			tc.mutate()
			code, _, stderr := runCached(t, "check")
			if code != tc.want || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("check exited %d, want %d with %q:\n%s", code, tc.want, tc.stderr, stderr)
			}
			must(t, os.WriteFile("stacks.cue", stacks, 0o644))
			must(t, os.WriteFile("docs/PORTS.md", docsBefore, 0o644))
			restore(compose, composeData, 0o644)
		})
	}

	// A referenced path the dead-reference check saw: removing it is a miss.
	t.Run("referenced path removed", func(t *testing.T) {
		must(t, os.WriteFile("docs/NOTES.md", []byte("See `scripts/rotate.sh`.\n"), 0o644))
		must(t, os.MkdirAll("scripts", 0o755))
		must(t, os.WriteFile("scripts/rotate.sh", []byte("#!/bin/sh\n"), 0o755))
		if code, _, stderr := runCached(t, "check"); code != 0 {
			t.Fatalf("check exited %d:\n%s", code, stderr)
		}
		must(t, os.Remove("scripts/rotate.sh"))
		if code, _, stderr := runCached(t, "check"); code != exitInvalid || !strings.Contains(stderr, "scripts/rotate.sh") {
			t.Errorf("a removed referenced path was not seen: exit %d\n%s", code, stderr)
		}
		must(t, os.Remove("docs/NOTES.md"))
	})

	// Inputs that leave the outputs unchanged: each is a new key, so a new
	// entry, not a hit on the old one.
	n := entries(t, cacheHome)
	must(t, os.WriteFile("stacks.cue", append(stacks, []byte("\n// a comment\n")...), 0o644))
	must(t, os.WriteFile("overlay.cue", []byte("package azagen\n"), 0o644))
	for _, args := range [][]string{{"check"}, {"check", "--overlay", "overlay.cue"}, {"check", "--format", "json"}} {
		if code, _, stderr := runCached(t, args...); code != 0 {
			t.Fatalf("%v exited %d:\n%s", args, code, stderr)
		}
		n++
		if got := entries(t, cacheHome); got != n {
			t.Errorf("%v: %d entries, want %d (a miss stores a new one)", args, got, n)
		}
	}

	// Off switches: nothing is read or stored.
	for _, args := range [][]string{{"check", "--no-cache", "--format", "github"}} {
		if code, _, _ := runCached(t, args...); code != 0 || entries(t, cacheHome) != n {
			t.Errorf("%v stored an entry", args)
		}
	}
	t.Setenv("AZAGEN_CACHE", "off")
	if code, _, _ := runCached(t, "check", "--format", "github"); code != 0 || entries(t, cacheHome) != n {
		t.Error("AZAGEN_CACHE=off stored an entry")
	}
	// A binary without an identity (go run, go test, a dirty tree) never
	// uses the cache.
	t.Setenv("AZAGEN_CACHE", "")
	if code, _, _ := runCLI(t, "check", "--format", "github"); code != 0 || entries(t, cacheHome) != n {
		t.Error("a binary without identity stored an entry")
	}
}
