package model

import (
	"fmt"

	"cuelang.org/go/cue"
)

// Decode turns a validated CUE value into a Config. It must only be called
// after load validated the value: Decode's own errors on non-concrete values
// carry no useful position.
func Decode(v cue.Value) (*Config, error) {
	var c Config
	if err := v.Decode(&c); err != nil {
		return nil, fmt.Errorf("decode stacks: %w", err)
	}
	for name, r := range c.Roles {
		r.Name = name
	}
	for name, q := range c.ExporterQueries {
		q.Name = name
	}
	for key, s := range c.Stacks {
		s.Key = key
		for name, svc := range s.Services {
			svc.Key = name
		}
		collectTunables(s)
	}
	for name, e := range c.Environments {
		e.Name = name
	}
	return &c, nil
}
