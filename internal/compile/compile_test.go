package compile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/testing/corpus"
)

// update rewrites the want sections of the invalid-input corpus.
var update = os.Getenv("AZAGEN_UPDATE") == "1"

// repoStacks is the repository's stacks.cue, relative to this package.
const repoStacks = "../../stacks.cue"

// schemaPrefix is how load names the embedded schema files in positions.
const schemaPrefix = "azagen:schema/"

// TestInvalidCorpus compiles every archive in testdata/invalid and compares
// the diagnostics, printed the way the CLI prints them, with the archive's
// want section. An archive holds either a whole stacks.cue, or overlays that
// are unified on top of a copy of the repository's stacks.cue; either way
// every diagnostic must point into one of the archive's own files, so the
// corpus does not go stale when stacks.cue is edited and the position is
// the user's line, never the schema's.
func TestInvalidCorpus(t *testing.T) {
	corpus.Run(t, "testdata/invalid/*.txtar", 15, repoStacks, func(t *testing.T, abs string, base []byte) {
		c := readCase(t, abs)
		dir := t.TempDir()
		c.materialize(t, dir, base)
		// Diagnostics name files as they were given; run from the
		// case's directory so they read stacks.cue and overlay.cue.
		t.Chdir(dir)

		res, err := compile.Compile(context.Background(), c.inputs())
		if err != nil {
			t.Fatalf("Compile returned an error, want diagnostics: %v", err)
		}
		if !res.Diags.HasErrors() {
			t.Fatalf("Compile found no error; diagnostics:\n%s", text(res.Diags))
		}
		if res.Output != nil {
			t.Errorf("Compile returned %d output files for an invalid input, want none", len(res.Output))
		}
		got := text(res.Diags)
		// A case tests one mistake. Diagnostics from another rule mean
		// the fixture itself broke a rule added since it was written:
		// fix the fixture rather than recording the noise.
		for _, d := range res.Diags {
			if d.Rule != res.Diags[0].Rule {
				t.Errorf("case reports more than one rule (%s and %s); make the fixture valid except for the one mistake:\n%s", res.Diags[0].Rule, d.Rule, got)
				break
			}
		}
		if update {
			c.setWant(t, abs, got)
			return
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("diagnostics differ (-want +got):\n%s", diff)
		}
		for _, d := range res.Diags {
			checkPosition(t, d.Pos, c.userFiles())
			for _, r := range d.Related {
				// Related positions may name stacks.cue for overlays
				// (the value the overlay contradicts), never the schema.
				if strings.HasPrefix(r.File, schemaPrefix) {
					t.Errorf("%s: related position %s is in the schema", d, r)
				}
			}
		}
	})
}

func checkPosition(t *testing.T, p diag.Position, files []string) {
	t.Helper()
	switch {
	case p.File == "":
		t.Errorf("diagnostic has no position")
	case strings.HasPrefix(p.File, schemaPrefix):
		t.Errorf("diagnostic points into the schema (%s), want the user's file", p)
	case !slices.Contains(files, p.File):
		t.Errorf("diagnostic points at %s, want one of the case's own files %v", p, files)
	case p.Line <= 0 || p.Col <= 0:
		t.Errorf("diagnostic %s has no line and column", p)
	}
}

// text prints diagnostics exactly as `azagen vet` does on stderr.
func text(l diag.List) string { return l.String() }

// compileEdited compiles the repository's stacks.cue with edits applied
// ("old => new" lines, see corpus.ApplyEdits; may be empty) and appended
// after it, from a temporary directory holding it as stacks.cue. Only I/O
// and internal errors stop the test: the diagnostics are the caller's.
func compileEdited(t *testing.T, edits, appended string) *compile.Result {
	t.Helper()
	base, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := corpus.ApplyEdits(base, []byte(edits))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stacks.cue"), append(edited, appended...), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	res, err := compile.Compile(context.Background(), []string{"stacks.cue"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// invalidCase is one archive of the corpus.
type invalidCase struct {
	archive *txtar.Archive
	files   []txtar.File // the .cue files, in archive order
	whole   bool         // the archive has its own stacks.cue
	edits   []byte       // changes to the repository's stacks.cue
	want    string
}

func readCase(t *testing.T, path string) invalidCase {
	t.Helper()
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := invalidCase{archive: a}
	haveWant := false
	for _, f := range a.Files {
		switch {
		case f.Name == "want":
			c.want, haveWant = string(f.Data), true
		case f.Name == corpus.EditSection:
			c.edits = f.Data
		case strings.HasSuffix(f.Name, ".cue"):
			if strings.Contains(f.Name, "/") {
				t.Fatalf("%s: input %s must be a plain file name", path, f.Name)
			}
			c.files = append(c.files, f)
			c.whole = c.whole || f.Name == "stacks.cue"
		default:
			t.Fatalf("%s: unexpected section %q: want .cue inputs and a want section", path, f.Name)
		}
	}
	if !haveWant && !update {
		t.Fatalf("%s has no want section", path)
	}
	if len(c.files) == 0 && c.edits == nil {
		t.Fatalf("%s has no .cue input and no edit", path)
	}
	if strings.TrimSpace(string(a.Comment)) == "" {
		t.Errorf("%s: say in the archive comment what the case is about", path)
	}
	return c
}

// materialize writes the inputs into dir; without a stacks.cue of its own
// the case gets the repository's.
func (c invalidCase) materialize(t *testing.T, dir string, base []byte) {
	t.Helper()
	if !c.whole {
		edited, err := corpus.ApplyEdits(base, c.edits)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "stacks.cue"), edited, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range c.files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// inputs is the file list for Compile and the CLI: stacks.cue first, then
// the overlays in archive order.
func (c invalidCase) inputs() []string {
	in := []string{"stacks.cue"}
	for _, f := range c.files {
		if f.Name != "stacks.cue" {
			in = append(in, f.Name)
		}
	}
	return in
}

// userFiles are the files a diagnostic may point at: the archive's own.
func (c invalidCase) userFiles() []string {
	var out []string
	if c.edits != nil {
		out = append(out, "stacks.cue")
	}
	for _, f := range c.files {
		out = append(out, f.Name)
	}
	return out
}

func (c invalidCase) setWant(t *testing.T, path, want string) {
	t.Helper()
	a := c.archive
	found := false
	for i := range a.Files {
		if a.Files[i].Name == "want" {
			a.Files[i].Data = []byte(want)
			found = true
		}
	}
	if !found {
		a.Files = append(a.Files, txtar.File{Name: "want", Data: []byte(want)})
	}
	if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRepoStacksCompiles guards the corpus's base: the repository's
// stacks.cue must be valid, or every overlay case would test something else.
func TestRepoStacksCompiles(t *testing.T) {
	res, err := compile.Compile(context.Background(), []string{repoStacks})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diags) > 0 {
		t.Fatalf("stacks.cue has diagnostics:\n%s", text(res.Diags))
	}
	if res.Output == nil {
		t.Fatal("no output for a valid stacks.cue")
	}
	if _, ok := res.Output[output.ManifestName]; !ok {
		t.Errorf("output has no %s", output.ManifestName)
	}
	for _, p := range res.Output.Paths() {
		if f := res.Output[p]; len(f.Data) == 0 || !bytes.HasSuffix(f.Data, []byte("\n")) {
			t.Errorf("%s is empty or lacks a final newline", p)
		}
	}
}

// TestCompileMissingFile: a file that cannot be read is an error, not a
// diagnostic, so the CLI exits 3 instead of 2.
func TestCompileMissingFile(t *testing.T) {
	_, err := compile.Compile(context.Background(), []string{filepath.Join(t.TempDir(), "nope.cue")})
	if err == nil {
		t.Fatal("Compile of a missing file returned no error")
	}
}
