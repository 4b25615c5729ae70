// Package corpus supports the invalid-input corpus shared by the compile and
// CLI tests: a case may carry an "edit" section that changes the
// repository's stacks.cue in place, for mistakes an overlay cannot express
// (CUE overlays unify and cannot replace a concrete value).
package corpus

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EditSection is the name of the txtar section with the edits.
const EditSection = "edit"

// ApplyEdits applies each non-empty line "old => new" of edits to base; a
// literal \n in either side stands for a newline, to anchor an edit on the
// line before it. Each old text must occur exactly once, so an edit can
// never silently stop applying, or apply twice, when stacks.cue changes.
func ApplyEdits(base, edits []byte) ([]byte, error) {
	out := base
	for _, line := range strings.Split(string(edits), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		old, repl, ok := strings.Cut(line, " => ")
		if !ok {
			return nil, fmt.Errorf("edit %q: want \"old => new\"", line)
		}
		old, repl = strings.ReplaceAll(old, `\n`, "\n"), strings.ReplaceAll(repl, `\n`, "\n")
		if n := bytes.Count(out, []byte(old)); n != 1 {
			return nil, fmt.Errorf("edit %q: the old text occurs %d times in stacks.cue, want exactly once", line, n)
		}
		out = bytes.Replace(out, []byte(old), []byte(repl), 1)
	}
	return out, nil
}

// Run runs fn as a subtest for every archive matching glob (named by the
// archive's base name without .txtar), with the archive's absolute path
// and the bytes of the repository's stacks.cue at repoStacks. It fails
// when fewer than min archives match, so a corpus cannot shrink unseen.
func Run(t *testing.T, glob string, min int, repoStacks string, fn func(t *testing.T, archive string, base []byte)) {
	t.Helper()
	archives, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) < min {
		t.Fatalf("found %d cases in %s, want at least %d", len(archives), glob, min)
	}
	base, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	for _, archive := range archives {
		t.Run(strings.TrimSuffix(filepath.Base(archive), ".txtar"), func(t *testing.T) {
			abs, err := filepath.Abs(archive)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, abs, base)
		})
	}
}
