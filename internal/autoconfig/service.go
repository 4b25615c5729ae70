package autoconfig

import "github.com/azagen/azagen/internal/model"

// Variables through which a service chooses its auto-config profiles.
const (
	WorkloadVar = "POSTGRES_WORKLOAD_TYPE"
	StorageVar  = "POSTGRES_STORAGE_TYPE"
)

// InputFor is what the entrypoint of a postgres service will see: the
// limits compose gives its container, and the workload and storage its
// environment names by default (a literal, or a variable's default), else
// the entrypoint's own defaults from stacks.cue. An operator can still pick
// another profile in .env; the rules and docs describe the defaults.
func InputFor(c *model.Config, svc *model.Service) (Input, error) {
	ram, err := MemoryMB(svc.Resources.Memory)
	if err != nil {
		return Input{}, err
	}
	p := FromModel(c)
	in := Input{RAMMB: ram, CPUs: CPUs(svc.Resources.CPUs), Workload: p.Defaults.Workload, Storage: p.Defaults.Storage}
	if v, ok := envDefault(svc, WorkloadVar); ok {
		in.Workload = v
	}
	if v, ok := envDefault(svc, StorageVar); ok {
		in.Storage = v
	}
	return in, nil
}

// ForService computes the settings a postgres service's entrypoint passes.
func ForService(c *model.Config, svc *model.Service) (Output, error) {
	in, err := InputFor(c, svc)
	if err != nil {
		return Output{}, err
	}
	return FromModel(c).Compute(in)
}

func envDefault(svc *model.Service, key string) (string, bool) {
	v, ok := svc.Environment[key]
	switch {
	case !ok:
		return "", false
	case v.Literal != nil:
		return *v.Literal, true
	case v.Default != nil:
		return *v.Default, true
	}
	return "", false
}
