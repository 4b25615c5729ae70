package model

import (
	"encoding/json"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
)

// Decode turns a validated CUE value into a Config. It must only be called
// after load validated the value: Decode's own errors on non-concrete values
// carry no useful position.
//
// The value is exported to JSON once and decoded with encoding/json rather
// than with cue.Value.Decode: CUE's decoder builds a fresh evaluation
// context for every value it visits, which made decoding cost as much as
// evaluating stacks.cue (issue #18). JSON keeps what the model needs of a
// CUE value's kind: an int is written without a point or exponent, a float
// always with one (see isJSONFloat).
func Decode(v cue.Value) (*Config, error) {
	b, err := v.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("decode stacks: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
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

// isJSONFloat says whether a JSON number is how CUE exports a float: CUE
// writes a float with a decimal point or an exponent (1.0, 2.5E+3) and an
// int with neither.
func isJSONFloat(num string) bool {
	return strings.ContainsAny(num, ".eE")
}
