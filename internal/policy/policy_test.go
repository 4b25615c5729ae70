package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/rules"
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

// Every model-stage rule of the catalogue has exactly one check, and every
// check is a model-stage rule.
func TestChecksCoverModelRules(t *testing.T) {
	have := map[string]int{}
	for _, ck := range checks {
		have[ck.id]++
		if r, ok := rules.Lookup(ck.id); !ok || r.Stage != rules.StageModel {
			t.Errorf("check %s is not a model rule of the catalogue", ck.id)
		}
	}
	for _, r := range rules.All {
		if r.Stage == rules.StageModel && have[r.ID] != 1 {
			t.Errorf("rule %s has %d checks, want 1", r.ID, have[r.ID])
		}
	}
	if !slices.IsSortedFunc(checks, func(a, b struct {
		id    string
		check func(*checker)
	}) int {
		return strings.Compare(a.id, b.id)
	}) {
		t.Error("checks are not in rule ID order")
	}
}
