package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/diag"
)

// TunableKind is the kind of value a tunable holds.
type TunableKind string

// Tunable kinds: a Compose byte size, an integer, a number, or one of a set
// of strings.
const (
	TunableSize   TunableKind = "size"
	TunableInt    TunableKind = "int"
	TunableNumber TunableKind = "number"
	TunableEnum   TunableKind = "enum"
)

// Tunable is a value of stacks.cue the operator may change in the stack's
// .env (schema types.cue, #Tunable and #Default.one_of). The model's field
// holds Default; renderers write ${Name:-Default} in its place.
type Tunable struct {
	Name string
	Kind TunableKind
	// Default, Min and Max are written as in stacks.cue: "2g", "20", "0.5".
	Default, Min, Max string
	// OneOf is the allowed set of an enum tunable.
	OneOf []string
	Doc   string
	// Service and Field say what it sets: "postgres", "resources.memory".
	// Set by Decode.
	Service, Field string
	// Path is the CUE path of the declaration, for positions.
	Path string
}

// Range describes the allowed values for people: "512m..64g" or
// "mixed | dw".
func (t *Tunable) Range() string {
	if t.Kind == TunableEnum {
		s := ""
		for i, v := range t.OneOf {
			if i > 0 {
				s += " | "
			}
			s += v
		}
		return s
	}
	return t.Min + ".." + t.Max
}

// Ref is the compose interpolation of the tunable: ${NAME:-default}.
func (t *Tunable) Ref() string { return "${" + t.Name + ":-" + t.Default + "}" }

// Tunables maps a field name of its struct (memory, cpus, host, ...) to the
// tunable declared there.
type Tunables map[string]*Tunable

// decodeTunables decodes the JSON object b into dst (a pointer to a type
// with JSON tags and no UnmarshalJSON of its own), replacing each field
// written as a tunable ({tunable: NAME, default: ..., min: ..., max: ...})
// by its default and returning those tunables by field name.
func decodeTunables(b []byte, dst any) (Tunables, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	var tun Tunables
	for name, f := range fields {
		var probe struct {
			Tunable *string `json:"tunable"`
		}
		if len(f) == 0 || f[0] != '{' || json.Unmarshal(f, &probe) != nil || probe.Tunable == nil {
			continue
		}
		t, def, err := decodeTunable(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if tun == nil {
			tun = Tunables{}
		}
		tun[name] = t
		fields[name] = def
	}
	if tun != nil {
		var err error
		if b, err = json.Marshal(fields); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return nil, err
	}
	return tun, nil
}

func decodeTunable(b []byte) (*Tunable, json.RawMessage, error) {
	var raw struct {
		Tunable string          `json:"tunable"`
		Doc     string          `json:"doc"`
		Default json.RawMessage `json:"default"`
		Min     json.RawMessage `json:"min"`
		Max     json.RawMessage `json:"max"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, err
	}
	t := &Tunable{Name: raw.Tunable, Doc: raw.Doc, Kind: TunableInt}
	// The kind of the default as CUE wrote it (see isJSONFloat).
	switch d := string(raw.Default); {
	case strings.HasPrefix(d, `"`):
		t.Kind = TunableSize
	case isJSONFloat(d):
		t.Kind = TunableNumber
	}
	t.Default, t.Min, t.Max = scalarText(raw.Default), scalarText(raw.Min), scalarText(raw.Max)
	return t, raw.Default, nil
}

// scalarText is a JSON scalar as stacks.cue writes it: strings unquoted.
func scalarText(b json.RawMessage) string {
	if s, err := strconv.Unquote(string(b)); err == nil {
		return s
	}
	return string(b)
}

type resourcesFields Resources

// UnmarshalJSON decodes resources whose fields may be tunables.
func (r *Resources) UnmarshalJSON(b []byte) error {
	var f resourcesFields
	tun, err := decodeTunables(b, &f)
	if err != nil {
		return err
	}
	*r = Resources(f)
	if t := tun["cpus"]; t != nil {
		t.Kind = TunableNumber // cpus: 2 is a number like 0.5
	}
	r.Tunables = tun
	return nil
}

type portFields PortMapping

// UnmarshalJSON decodes a port mapping whose host port may be a tunable.
func (p *PortMapping) UnmarshalJSON(b []byte) error {
	var f portFields
	tun, err := decodeTunables(b, &f)
	if err != nil {
		return err
	}
	*p = PortMapping(f)
	p.Tunables = tun
	return nil
}

type pgbouncerFields PgBouncerSpec

// UnmarshalJSON decodes a PgBouncer spec whose pool sizes may be tunables.
func (p *PgBouncerSpec) UnmarshalJSON(b []byte) error {
	var f pgbouncerFields
	tun, err := decodeTunables(b, &f)
	if err != nil {
		return err
	}
	*p = PgBouncerSpec(f)
	p.Tunables = tun
	return nil
}

// collectTunables fills st.Tunables from its services' fields, setting each
// tunable's Service, Field and Path.
func collectTunables(st *Stack) {
	st.Tunables = nil
	add := func(svc *Service, field string, elems []diag.PathElem, t *Tunable) {
		t.Service, t.Field = svc.Key, field
		t.Path = diag.CUEPath(append(diag.Fields("stacks", st.Key, "services", svc.Key), elems...)...)
		st.Tunables = append(st.Tunables, t)
	}
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		svc := st.Services[name]
		for _, k := range slices.Sorted(maps.Keys(svc.Resources.Tunables)) {
			add(svc, "resources."+k, diag.Fields("resources", k), svc.Resources.Tunables[k])
		}
		for i, p := range svc.Ports {
			if t := p.Tunables["host"]; t != nil {
				add(svc, fmt.Sprintf("ports[%d].host", i), []diag.PathElem{diag.Field("ports"), diag.Index(i), diag.Field("host")}, t)
			}
		}
		if svc.PgBouncer != nil {
			for _, k := range slices.Sorted(maps.Keys(svc.PgBouncer.Tunables)) {
				add(svc, "pgbouncer."+k, diag.Fields("pgbouncer", k), svc.PgBouncer.Tunables[k])
			}
		}
		for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
			v := svc.Environment[k]
			if len(v.OneOf) == 0 || v.Default == nil {
				continue
			}
			n := v.Var
			if n == "" {
				n = k
			}
			add(svc, "environment."+k, diag.Fields("environment", k),
				&Tunable{Name: n, Kind: TunableEnum, Default: *v.Default, OneOf: v.OneOf, Doc: v.Doc})
		}
	}
	slices.SortStableFunc(st.Tunables, func(a, b *Tunable) int { return strings.Compare(a.Name, b.Name) })
}
