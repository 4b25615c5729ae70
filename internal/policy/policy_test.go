package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// normalized loads the repository's stacks.cue into a normalized model.
func normalized(t *testing.T) (*model.Config, *load.Source) {
	t.Helper()
	src, diags, err := load.Files([]string{"../../stacks.cue"})
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		t.Fatal(err)
	}
	if d := normalize.Normalize(cfg, src); d.HasErrors() {
		t.Fatal(d)
	}
	return cfg, src
}

func TestRepositoryIsClean(t *testing.T) {
	cfg, src := normalized(t)
	if d := Check(cfg, src); len(d) > 0 {
		t.Fatalf("findings on the repository's stacks.cue:\n%v", d)
	}
}

// config-loaded guards normalize: both the mounts and the command of a
// postgres service are derived there, so no source can break the rule. The
// test breaks the derived command instead, the way a regression in
// normalize would, and expects the finding upstream's replica had.
func TestConfigLoadedCatchesAnIgnoredMount(t *testing.T) {
	cfg, src := normalized(t)
	replica := cfg.Stacks["replica"].Services["postgres-replica"]
	replica.Command = slices.DeleteFunc(slices.Clone(replica.Command), func(a string) bool {
		return strings.HasPrefix(a, "config_file=")
	})
	d := Check(cfg, src)
	if len(d) != 1 || d[0].Rule != "config-loaded" || !strings.Contains(d[0].Message, "config_file=/etc/postgresql/postgresql.conf") {
		t.Fatalf("want one config-loaded finding, got:\n%v", d)
	}
	if d[0].Pos.File != "../../stacks.cue" || d[0].Pos.Line == 0 {
		t.Errorf("finding has no position in stacks.cue: %v", d[0].Pos)
	}
}

// Every rule has a stable, unique ID and a summary for `azagen rules`.
func TestRuleIDsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if r.ID == "" || r.Summary == "" || seen[r.ID] {
			t.Errorf("rule %q: empty or duplicate", r.ID)
		}
		seen[r.ID] = true
	}
}
