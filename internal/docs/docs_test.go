package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/testing/repotest"
)

func testInput(t testing.TB, overlays ...string) *Input {
	res := repotest.Compile(t, overlays...)
	root := &cobra.Command{Use: "tool", Short: "A tool", Long: "A tool that does things."}
	root.PersistentFlags().String("file", "x.cue", "the `file` | to read")
	sub := &cobra.Command{Use: "sub", Short: "Do a thing", Example: "  tool sub", Run: func(*cobra.Command, []string) {}}
	sub.Flags().Bool("dry", false, "do nothing")
	root.AddCommand(sub, &cobra.Command{Use: "hidden", Hidden: true, Run: func(*cobra.Command, []string) {}})
	return &Input{Config: res.Config, Source: res.Source, CLI: root,
		ExitCodes: []ExitCode{{0, "fine"}, {1, "not fine, really"}}}
}

// TestDocsRenderTouchesOnlyBlocks: rendering replaces the bytes between
// the markers and nothing else, in every docs file (README.md and docs/,
// nested directories included); a second render changes nothing.
func TestDocsRenderTouchesOnlyBlocks(t *testing.T) {
	in := testInput(t)
	root := t.TempDir()
	prose := []string{"# Title\n\nHand-written *prose*,  odd  spacing, trailing space \n\n", "\nMore prose.\n", "\nThe end, no final newline"}
	readme := prose[0] + "<!-- BEGIN azagen:ports.single -->\nstale\n<!-- END azagen:ports.single -->\n" +
		prose[1] + "<!-- BEGIN azagen:metrics -->\n<!-- END azagen:metrics -->\n" + prose[2]
	repotest.WriteFile(t, filepath.Join(root, "README.md"), readme)
	crlf := strings.ReplaceAll("Intro\n<!-- BEGIN azagen:networks.replica -->\n<!-- END azagen:networks.replica -->\nOutro\n", "\n", "\r\n")
	repotest.WriteFile(t, filepath.Join(root, "docs", "sub", "CRLF.md"), crlf)
	repotest.WriteFile(t, filepath.Join(root, "docs", "plain.md"), "no markers at all\n")
	repotest.WriteFile(t, filepath.Join(root, "docs", "notes.txt"), "<!-- BEGIN azagen:nope -->\n")

	res, err := Render(root, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diags) > 0 {
		t.Fatalf("diagnostics: %v", res.Diags)
	}
	var rels []string
	for _, d := range res.Docs {
		rels = append(rels, d.Rel)
	}
	if got, want := strings.Join(rels, " "), "README.md docs/plain.md docs/sub/CRLF.md"; got != want {
		t.Errorf("docs files = %s, want %s", got, want)
	}
	changed := res.Changed()
	if len(changed) != 2 {
		t.Fatalf("%d files changed, want README.md and CRLF.md", len(changed))
	}
	for _, d := range changed {
		if len(d.Stale) == 0 {
			t.Errorf("%s changed but lists no stale block", d.Rel)
		}
		if d.Rel == "README.md" {
			// Everything outside the blocks is byte for byte the same.
			s := string(d.New)
			for _, p := range prose {
				if !strings.Contains(s, p) {
					t.Errorf("README.md lost %q:\n%s", p, s)
				}
			}
			if !strings.HasSuffix(s, prose[2]) || !strings.HasPrefix(s, prose[0]) {
				t.Errorf("README.md start or end changed:\n%s", s)
			}
			if !strings.Contains(s, "-->\n\n| Service | Host IP |") || strings.Contains(s, "stale") {
				t.Errorf("ports.single block not rendered:\n%s", s)
			}
		}
		if d.Rel == "docs/sub/CRLF.md" {
			if bytes.Count(d.New, []byte("\n")) != bytes.Count(d.New, []byte("\r\n")) {
				t.Errorf("CRLF file got bare LF line endings:\n%q", d.New)
			}
		}
	}
	written, err := Write(res)
	if err != nil || len(written) != 2 {
		t.Fatalf("Write: %d files, %v", len(written), err)
	}
	again, err := Render(root, in)
	if err != nil {
		t.Fatal(err)
	}
	if c := again.Changed(); len(c) != 0 {
		t.Errorf("second render changes %s", c[0].Rel)
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "docs", "sub")); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestDocsRenderNoDocs: a directory without README.md or docs/ is fine.
func TestDocsRenderNoDocs(t *testing.T) {
	res, err := Render(t.TempDir(), testInput(t))
	if err != nil || len(res.Docs) != 0 || len(res.Diags) != 0 {
		t.Errorf("Render of an empty root: %+v, %v", res, err)
	}
}

// TestDocsRenderErrors: unknown tables and stacks, and tables that cannot
// be rendered, are positioned at the table name or the marker; a file with
// any error is left as it is.
func TestDocsRenderErrors(t *testing.T) {
	in := testInput(t)
	root := t.TempDir()
	src := "<!-- BEGIN azagen:nope -->\n<!-- END azagen:nope -->\n" +
		"<!-- BEGIN azagen:ports.mars -->\n<!-- END azagen:ports.mars -->\n" +
		"<!-- BEGIN azagen:tuning -->\n<!-- END azagen:tuning -->\n" +
		"<!-- BEGIN azagen:metrics.primary -->\n<!-- END azagen:metrics.primary -->\n" +
		"<!-- BEGIN azagen:ports -->\nkept\n<!-- END azagen:ports -->\n"
	repotest.WriteFile(t, filepath.Join(root, "docs", "x.md"), src)
	res, err := Render(root, in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Diags {
		got = append(got, d.String())
	}
	p := filepath.ToSlash(filepath.Join(root, "docs", "x.md"))
	want := []string{
		p + `:1:19: error: unknown table "nope"; azagen renders`,
		p + `:3:19: error: table ports: unknown stack "mars"; stacks.cue has primary, replica, single [docs-unknown-table]`,
		p + `:5:19: error: table tuning needs a stack: tuning.<stack> with one of primary, replica, single [docs-unknown-table]`,
		p + `:7:19: error: table metrics takes no argument, found "primary" [docs-unknown-table]`,
	}
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
	if !strings.Contains(res.Docs[0].String(), "kept") {
		t.Error("a file with errors was rendered anyway")
	}
}

// String is the new content, for test messages.
func (d *Doc) String() string { return string(d.New) }

// TestDocsDiffApplies: the unified diff of a stale docs file is a patch
// git applies to the old file to get the new one, including a change on
// the last line.
func TestDocsDiffApplies(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	d := &Doc{Path: "docs/x.md", Old: []byte("a\nb\nc\n<!-- END -->\n"), New: []byte("a\nb\nc\nd\n<!-- END -->\n")}
	diff, err := d.Diff()
	if err != nil {
		t.Fatal(err)
	}
	repotest.WriteFile(t, filepath.Join(dir, "docs", "x.md"), string(d.Old))
	repotest.WriteFile(t, filepath.Join(dir, "p.diff"), diff)
	cmd := exec.Command(git, "apply", "p.diff")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git apply: %v\n%s\n%s", err, out, diff)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "docs", "x.md"))
	if !bytes.Equal(got, d.New) {
		t.Errorf("patched file %q, want %q", got, d.New)
	}
}

// TestDocsWriteKeepsModeAndLinks: a rewritten file keeps its mode, and a
// symlinked doc is written through to its target.
func TestDocsWriteKeepsModeAndLinks(t *testing.T) {
	in := testInput(t)
	root := t.TempDir()
	block := "<!-- BEGIN azagen:extensions -->\n<!-- END azagen:extensions -->\n"
	repotest.WriteFile(t, filepath.Join(root, "docs", "a.md"), block)
	if err := os.Chmod(filepath.Join(root, "docs", "a.md"), 0o600); err != nil {
		t.Fatal(err)
	}
	repotest.WriteFile(t, filepath.Join(root, "shared", "b.md"), block)
	if err := os.Symlink(filepath.Join("..", "shared", "b.md"), filepath.Join(root, "docs", "b.md")); err != nil {
		t.Fatal(err)
	}
	res, err := Render(root, in)
	if err != nil {
		t.Fatal(err)
	}
	// WalkDir does not follow the symlink: only a.md is a docs file.
	if _, err := Write(res); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(root, "docs", "a.md"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode after write: %v, %v", info.Mode(), err)
	}
	if err := writeAtomic(filepath.Join(root, "docs", "b.md"), []byte("through\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "docs", "b.md")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced by a file")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "shared", "b.md")); string(b) != "through\n" {
		t.Errorf("target = %q", b)
	}
}
