package autoconfig

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
)

// repoStacks is the repository's stacks.cue, relative to this package.
const repoStacks = "../../stacks.cue"

// repoParams decodes the autoconfig block of the repository's stacks.cue.
func repoParams(t testing.TB) (Params, *model.Config) {
	t.Helper()
	src, diags, err := load.Files([]string{repoStacks})
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		t.Fatalf("stacks.cue: %v", diags)
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		t.Fatal(err)
	}
	return FromModel(cfg), cfg
}

// TestDefaultMatchesStacksCue keeps the Go copy used by the package-level
// Compute equal to the source of truth.
func TestDefaultMatchesStacksCue(t *testing.T) {
	p, _ := repoParams(t)
	if diff := cmp.Diff(p, Default); diff != "" {
		t.Errorf("autoconfig.Default differs from stacks.cue's autoconfig block (-stacks.cue +Default):\n%s", diff)
	}
	if got := slices.Sorted(maps.Keys(p.Workloads)); !slices.Equal(got, slices.Sorted(slices.Values(Workloads))) {
		t.Errorf("workloads in stacks.cue %v, Workloads %v", got, Workloads)
	}
	if got := slices.Sorted(maps.Keys(p.Storage)); !slices.Equal(got, slices.Sorted(slices.Values(StorageTypes))) {
		t.Errorf("storage types in stacks.cue %v, StorageTypes %v", got, StorageTypes)
	}
	if StorageTypes[0] != p.Defaults.Storage {
		t.Errorf("StorageTypes[0] = %s, but the default storage is %s", StorageTypes[0], p.Defaults.Storage)
	}
}

// TestParamsDriveCompute: changing a constant in the parameters changes the
// result, so nothing in Compute is a hidden Go constant.
func TestParamsDriveCompute(t *testing.T) {
	p, _ := repoParams(t)
	in := Input{RAMMB: 4096, CPUs: 8, Workload: "mixed", Storage: "ssd"}
	base, err := p.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	q := p
	q.Workloads = maps.Clone(p.Workloads)
	w := q.Workloads["mixed"]
	w.BaseConnections = 1000
	q.Workloads["mixed"] = w
	q.SharedBuffers.CapMB = 100
	q.Workers.WorkerMin = 2
	q.Storage = maps.Clone(p.Storage)
	q.Storage["ssd"] = model.StorageProfile{RandomPageCost: "1.5", EffectiveIOConcurrency: 7, MaintenanceIOConcurrency: 3}
	got, err := q.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxConnections != 850 || got.SharedBuffersMB != 100 || got.MaxWorkerProcesses != 12 || got.RandomPageCost != "1.5" || got.EffectiveIOConcurrency != 7 {
		t.Errorf("changed params: got %+v (from %+v)", got, base)
	}
}
