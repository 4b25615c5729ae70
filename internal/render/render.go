// Package render turns a normalized model into files. Each artifact kind
// has its own renderer, a pure function of the model: none reads the disk
// or another renderer's output.
package render

import (
	"maps"
	"slices"

	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
)

// All renders every artifact of the configuration.
func All(cfg *model.Config) (output.Set, error) {
	set := output.Set{}
	for _, sk := range slices.Sorted(maps.Keys(cfg.Stacks)) {
		st := cfg.Stacks[sk]
		compose, err := Compose(st)
		if err != nil {
			return nil, err
		}
		for _, f := range []output.File{compose, EnvExample(st)} {
			if err := set.Add(f); err != nil {
				return nil, err
			}
		}
	}
	return set, nil
}
