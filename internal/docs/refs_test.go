package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/azagen/azagen/internal/rules"
	"github.com/azagen/azagen/internal/testing/repotest"
)

// TestDocsDeadReferences: links resolve from the file's directory,
// backticked paths from the root; URLs, anchors, fenced code, comments,
// generated blocks and things that only look like paths are not checked.
func TestDocsDeadReferences(t *testing.T) {
	root := t.TempDir()
	repotest.WriteFile(t, filepath.Join(root, "stacks.cue"), "package azagen\n")
	repotest.WriteFile(t, filepath.Join(root, "generated", "stacks", "p", "compose.yaml"), "x\n")
	repotest.WriteFile(t, filepath.Join(root, "docs", "OTHER.md"), "x\n")
	src := strings.Join([]string{
		"# Refs", // 1
		"[ok](OTHER.md) [ok](./OTHER.md#part) [ok](../stacks.cue)",              // 2
		"[dead](GONE.md) ![img](../img/x.png) [ok](/generated/)",                // 3
		"`generated/stacks/p/compose.yaml` `generated/stacks/q/x.yaml`",         // 4
		"`nope/dir/file.md` `ghcr.io/fluxo-kt/aza-pg` `10.0.0.0/8`",             // 5
		"`/etc/postgresql/pg_hba.conf` `stacks.cue` `a b/c.md`",                 // 6
		"[web](https://example.com/x.md) [mail](mailto:a@b) [a](#x)",            // 7
		"[`generated/stacks/zzz/label.md`](../generated/stacks/p/compose.yaml)", // 8
		"[escape](../../outside.md)",                                            // 9
		"<!-- [hidden](GONE2.md) -->",                                           // 10
		"```sh",                                                                 // 11
		"cat docs/NOT-CHECKED.md",                                               // 12
		"```",                                                                   // 13
		"<!-- BEGIN azagen:ports -->",                                           // 14
		"[generated](GONE3.md)",                                                 // 15
		"<!-- END azagen:ports -->",                                             // 16
		"[ref]: ./MISSING.md",                                                   // 17
		"[sp](<with space.md>)",                                                 // 18
	}, "\n") + "\n"
	repotest.WriteFile(t, filepath.Join(root, "docs", "X.md"), src)
	res, err := Render(root, testInput(t))
	if err != nil {
		t.Fatal(err)
	}
	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		return err == nil
	}
	var got []string
	for _, d := range DeadReferences(root, res, exists) {
		if d.Rule != rules.DocsDeadReference {
			t.Errorf("rule %s", d.Rule)
		}
		got = append(got, strings.TrimPrefix(d.Pos.String(), filepath.ToSlash(root)+"/")+" "+d.Message)
	}
	want := []string{
		"docs/X.md:3:8 link target GONE.md does not exist (resolved to docs/GONE.md)",
		"docs/X.md:3:24 link target ../img/x.png does not exist (resolved to img/x.png)",
		"docs/X.md:4:36 path generated/stacks/q/x.yaml does not exist",
		"docs/X.md:5:2 path nope/dir/file.md does not exist",
		"docs/X.md:9:10 ../../outside.md leaves the repository",
		"docs/X.md:17:8 link target ./MISSING.md does not exist (resolved to docs/MISSING.md)",
		"docs/X.md:18:7 link target with space.md does not exist (resolved to docs/with space.md)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dead references (-want +got):\n%s", diff)
	}
}
