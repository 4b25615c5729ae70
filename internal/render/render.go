// Package render turns a normalized model into files. Each artifact kind
// has its own renderer, a pure function of the model: none reads the disk
// or another renderer's output.
package render

import (
	"maps"
	"slices"

	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/render/k8s"
)

// All renders every artifact of the configuration.
func All(cfg *model.Config) (output.Set, error) {
	set := output.Set{}
	base, err := BaseConf(cfg)
	if err != nil {
		return nil, err
	}
	queries, err := ExporterQueries(cfg)
	if err != nil {
		return nil, err
	}
	image, err := ImageFiles(cfg)
	if err != nil {
		return nil, err
	}
	for _, f := range append([]output.File{base, queries}, image...) {
		if err := set.Add(f); err != nil {
			return nil, err
		}
	}
	for _, sk := range slices.Sorted(maps.Keys(cfg.Stacks)) {
		st := cfg.Stacks[sk]
		compose, err := Compose(st)
		if err != nil {
			return nil, err
		}
		scripts, err := StackScripts(cfg, st)
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, BackupUnits(st)...)
		for _, f := range append([]output.File{compose, EnvExample(st, cfg.Active)}, scripts...) {
			if err := set.Add(f); err != nil {
				return nil, err
			}
		}
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			if svc.Kind != model.KindPostgres {
				continue
			}
			conf, err := StackConf(st, svc)
			if err != nil {
				return nil, err
			}
			for _, f := range []output.File{conf, HBA(cfg, st, svc)} {
				if err := set.Add(f); err != nil {
					return nil, err
				}
			}
		}
	}
	// The CloudNativePG target is a second renderer family over the same
	// model (internal/render/k8s).
	kube, err := k8s.Files(cfg)
	if err != nil {
		return nil, err
	}
	for _, f := range kube {
		if err := set.Add(f); err != nil {
			return nil, err
		}
	}
	return set, nil
}
