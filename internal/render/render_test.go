package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/output"
)

// repoStacks is the repository's stacks.cue, relative to this package.
const repoStacks = "../../stacks.cue"

// goldenDir holds one file per rendered file, at the same relative path.
const goldenDir = "testdata/golden"

var update = os.Getenv("AZAGEN_UPDATE") == "1"

// compileRepoResult compiles the repository's stacks.cue through the whole
// pipeline, as `azagen render` does, failing on any diagnostic.
func compileRepoResult(t testing.TB) *compile.Result {
	t.Helper()
	res, err := compile.Compile(context.Background(), []string{repoStacks})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diags) > 0 {
		var b strings.Builder
		b.WriteString(res.Diags.String())
		t.Fatalf("stacks.cue has diagnostics:\n%s", b.String())
	}
	if res.Output == nil {
		t.Fatal("no output")
	}
	return res
}

// compileRepo is the rendered output set of the repository's stacks.cue.
func compileRepo(t testing.TB) output.Set {
	t.Helper()
	return compileRepoResult(t).Output
}

// TestGolden compares every rendered file with testdata/golden. Run with
// AZAGEN_UPDATE=1 to rewrite the golden files after an intended change, then
// review the diff.
func TestGolden(t *testing.T) {
	set := compileRepo(t)
	if update {
		if err := os.RemoveAll(goldenDir); err != nil {
			t.Fatal(err)
		}
		for _, p := range set.Paths() {
			dst := filepath.Join(goldenDir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, set[p].Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	golden := map[string][]byte{}
	err := filepath.WalkDir(goldenDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(goldenDir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		golden[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatalf("%v (run with AZAGEN_UPDATE=1 to create the golden files)", err)
	}
	for _, p := range set.Paths() {
		want, ok := golden[p]
		if !ok {
			t.Errorf("%s is rendered but has no golden file (run with AZAGEN_UPDATE=1)", p)
			continue
		}
		if diff := cmp.Diff(string(want), string(set[p].Data)); diff != "" {
			t.Errorf("%s differs from its golden file (-golden +rendered); run with AZAGEN_UPDATE=1 if intended:\n%s", p, diff)
		}
	}
	for p := range golden {
		if _, ok := set[p]; !ok {
			t.Errorf("golden file %s is no longer rendered (run with AZAGEN_UPDATE=1)", p)
		}
	}
}

// TestRenderTwice: two independent compilations of the same source give
// byte-identical output sets, paths, contents and modes alike. Map order,
// time or the environment must never leak into a generated file.
func TestRenderTwice(t *testing.T) {
	a := compileRepo(t)
	b := compileRepo(t)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two renders differ (-first +second):\n%s", diff)
	}
}

// TestGeneratedHeader: every file says it is generated, in its own comment
// syntax, on its first line (after the shebang of a script); JSON has no
// comments, so the manifest carries the header as its "generated" key.
func TestGeneratedHeader(t *testing.T) {
	set := compileRepo(t)
	hash := []byte("# " + output.Header + "\n")
	for _, p := range set.Paths() {
		data := set[p].Data
		switch ext := path.Ext(p); {
		case p == output.ManifestName:
			var m struct {
				Generated string `json:"generated"`
			}
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("%s: %v", p, err)
			} else if m.Generated != output.Header {
				t.Errorf("%s: generated is %q, want %q", p, m.Generated, output.Header)
			}
		case ext == ".json":
			t.Errorf("%s: a JSON file other than the manifest cannot carry the header", p)
		case ext == ".sh":
			first, rest, _ := bytes.Cut(data, []byte("\n"))
			if !bytes.HasPrefix(first, []byte("#!")) || !bytes.HasPrefix(rest, hash) {
				t.Errorf("%s does not start with a shebang line and then %q:\n%s", p, hash, head(data))
			}
		case ext == ".ini":
			if want := ";; " + output.Header + "\n"; !bytes.HasPrefix(data, []byte(want)) {
				t.Errorf("%s does not start with %q:\n%s", p, want, head(data))
			}
		case ext == ".sql":
			if want := "-- " + output.Header + "\n"; !bytes.HasPrefix(data, []byte(want)) {
				t.Errorf("%s does not start with %q:\n%s", p, want, head(data))
			}
		case ext == ".md":
			if want := "<!-- " + output.Header + " -->\n"; !bytes.HasPrefix(data, []byte(want)) {
				t.Errorf("%s does not start with %q:\n%s", p, want, head(data))
			}
		default:
			if !bytes.HasPrefix(data, hash) {
				t.Errorf("%s does not start with %q:\n%s", p, hash, head(data))
			}
		}
	}
}

// TestModes: nothing generated is writable by group or others.
func TestModes(t *testing.T) {
	set := compileRepo(t)
	for _, p := range set.Paths() {
		if mode := set[p].Mode.Perm(); mode&0o022 != 0 {
			t.Errorf("%s has mode %04o: writable by group or others", p, mode)
		}
	}
}

func head(data []byte) string {
	lines := bytes.SplitN(data, []byte("\n"), 3)
	return string(bytes.Join(lines[:min(2, len(lines))], []byte("\n")))
}
