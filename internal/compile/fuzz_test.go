package compile

import (
	"os"
	"testing"

	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/policy"
	"github.com/azagen/azagen/internal/render"
)

// FuzzOverlay unifies arbitrary bytes with the repository's stacks.cue and
// runs the pipeline. Whatever the input, azagen must not panic; and when CUE
// accepts it, decoding into the model must succeed, because a validated
// value that Decode cannot read would be reported as an internal error.
func FuzzOverlay(f *testing.F) {
	base, err := os.ReadFile(repoStacks)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"package azagen\n",
		"package azagen\nstacks: single: services: postgres: postgres: settings: work_mem: \"4MB\"\n",
		"package azagen\nstacks: primary: services: pgbouncer: pgbouncer: max_db_connections: 10\n",
		"package azagen\nroles: extra: password_var: \"EXTRA_PASSWORD\"\n",
		"stacks: single: name: 1",
		"\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, overlay []byte) {
		src, diags := load.Sources([]string{"stacks.cue", "overlay.cue"}, [][]byte{base, overlay})
		if diags.HasErrors() {
			for _, d := range diags {
				if d.Pos.File == "" {
					t.Fatalf("diagnostic without a file: %v", d)
				}
			}
			return
		}
		cfg, err := model.Decode(src.Value)
		if err != nil {
			t.Fatalf("CUE accepted the input but Decode failed: %v", err)
		}
		if normalize.Normalize(cfg, src).HasErrors() || policy.Check(cfg, src).HasErrors() {
			return
		}
		if _, err := render.All(cfg); err != nil {
			t.Fatalf("render of a valid model failed: %v", err)
		}
	})
}
