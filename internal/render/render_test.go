package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/testing/corpus"
)

// repoStacks is the repository's stacks.cue, relative to this package.
const repoStacks = "../../stacks.cue"

// generatedDir is the repository's generated/, the golden of stacks.cue.
const generatedDir = "../../generated"

// fixtureDir holds the render fixtures, goldenDir one .diff per fixture.
const (
	fixtureDir = "testdata/fixtures"
	goldenDir  = "testdata/golden"
)

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

// TestGeneratedIsTheRepoGolden: the repository's own generated/ is the
// golden of its stacks.cue, whole files, byte for byte, with nothing
// missing and nothing extra. It is not copied again under testdata.
func TestGeneratedIsTheRepoGolden(t *testing.T) {
	set := compileRepo(t)
	onDisk := map[string][]byte{}
	err := filepath.WalkDir(generatedDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(generatedDir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		onDisk[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Paths() {
		want, ok := onDisk[p]
		if !ok {
			t.Errorf("%s is rendered but not in generated/ (run azagen render)", p)
			continue
		}
		if diff := cmp.Diff(string(want), string(set[p].Data)); diff != "" {
			t.Errorf("generated/%s differs from its render (-generated +rendered); run azagen render:\n%s", p, diff)
		}
	}
	for p := range onDisk {
		if _, ok := set[p]; !ok {
			t.Errorf("generated/%s is no longer rendered", p)
		}
	}
}

// TestGoldenFixtures renders each fixture under testdata/fixtures (edits
// of the repository's stacks.cue, in the corpus's "old => new" form; see
// internal/testing/corpus) and compares what changes against the render of
// stacks.cue itself with testdata/golden/<fixture>.diff: every added,
// removed and changed file, changed files as whole-file unified diffs.
// Together with TestGeneratedIsTheRepoGolden this pins the whole output of
// every fixture. Run with AZAGEN_UPDATE=1 to rewrite the .diff files after
// an intended change, then review them.
func TestGoldenFixtures(t *testing.T) {
	base := compileRepo(t)
	stacks, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	fixtures, err := filepath.Glob(filepath.Join(fixtureDir, "*.txtar"))
	if err != nil || len(fixtures) < 4 {
		t.Fatalf("want at least 4 fixtures in %s, found %d (%v)", fixtureDir, len(fixtures), err)
	}
	for _, f := range fixtures {
		name := strings.TrimSuffix(filepath.Base(f), ".txtar")
		t.Run(name, func(t *testing.T) {
			a, err := txtar.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var edits []byte
			for _, file := range a.Files {
				if file.Name == corpus.EditSection {
					edits = file.Data
				}
			}
			src, err := corpus.ApplyEdits(stacks, edits)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "stacks.cue")
			if err := os.WriteFile(p, src, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := compile.Compile(context.Background(), []string{p})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Diags) > 0 || res.Output == nil {
				t.Fatalf("fixture has diagnostics:\n%s", res.Diags.String())
			}
			got := setDiff(t, base, res.Output)
			if got == "" {
				t.Fatal("the fixture renders exactly what stacks.cue renders: it varies nothing")
			}
			golden := filepath.Join(goldenDir, name+".diff")
			if update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with AZAGEN_UPDATE=1)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s differs (-golden +rendered); run with AZAGEN_UPDATE=1 if intended:\n%s", golden, diff)
			}
		})
	}
}

// setDiff describes how set b differs from set a: files only in one, then
// each changed file's unified diff, in path order. Modes count as content.
func setDiff(t *testing.T, a, b output.Set) string {
	t.Helper()
	var out strings.Builder
	paths := map[string]bool{}
	for _, p := range a.Paths() {
		paths[p] = true
	}
	for _, p := range b.Paths() {
		paths[p] = true
	}
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		fa, inA := a[p]
		fb, inB := b[p]
		switch {
		case !inA:
			fmt.Fprintf(&out, "added %s (mode %04o)\n", p, fb.Mode.Perm())
			d, _ := output.UnifiedDiff(p, nil, fb.Data)
			out.WriteString(d)
		case !inB:
			fmt.Fprintf(&out, "removed %s\n", p)
		case fa.Mode != fb.Mode:
			fmt.Fprintf(&out, "mode %s: %04o -> %04o\n", p, fa.Mode.Perm(), fb.Mode.Perm())
		}
		if inA && inB && !bytes.Equal(fa.Data, fb.Data) {
			d, err := output.UnifiedDiff(p, fa.Data, fb.Data)
			if err != nil {
				t.Fatal(err)
			}
			out.WriteString(d)
		}
	}
	return out.String()
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
