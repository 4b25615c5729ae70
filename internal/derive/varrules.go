package derive

import (
	"fmt"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/model"
)

// VarRule is what the value of one variable of a stack's .env must satisfy
// for the stack to start as its model says. `azagen vet --env-file` checks
// an operator's .env against these rules.
type VarRule struct {
	Variable
	// Enum lists the only values the consumer accepts; nil accepts any. An
	// empty value of a variable with a default means the default.
	Enum []string
	// Checks are further constraints on a non-empty value, each returning
	// why the value is refused, or nil: a tunable's range (TunableValue).
	Checks []func(value string) error
	// Source says where the constraint comes from, for messages and docs.
	Source string
}

// Check returns why value breaks the rule, or nil. value is what compose
// would give the container; set says whether the file sets the variable.
func (r VarRule) Check(value string, set bool) error {
	if value == "" {
		if r.Default == nil {
			if !set {
				return fmt.Errorf("%s is not set: %s", r.Name, r.Required)
			}
			return fmt.Errorf("%s is empty: compose refuses to start (%s)", r.Name, r.Required)
		}
		return nil // compose's ${VAR:-default} takes the default
	}
	if r.Enum != nil && !slices.Contains(r.Enum, value) {
		return fmt.Errorf("%s=%q is not one of %s (%s)", r.Name, value, strings.Join(r.Enum, ", "), r.Source)
	}
	for _, c := range r.Checks {
		if err := c(value); err != nil {
			return fmt.Errorf("%s=%q: %w", r.Name, value, err)
		}
	}
	return nil
}

// VarRules lists the rule of every variable of the stack st, in the order of
// Variables.
func VarRules(c *model.Config, st *model.Stack) []VarRule {
	p := autoconfig.FromModel(c)
	enums := map[string]VarRule{
		autoconfig.WorkloadVar: {Enum: keysInOrder(p.Workloads, autoconfig.Workloads), Source: "the auto-config profiles of autoconfig.workloads"},
		autoconfig.StorageVar:  {Enum: keysInOrder(p.Storage, autoconfig.StorageTypes), Source: "the auto-config profiles of autoconfig.storage"},
	}
	var out []VarRule
	for _, v := range Variables(st) {
		r := enums[v.Name]
		r.Variable = v
		if r.Source == "" {
			r.Source = "stacks.cue"
		}
		if t := v.Tunable; t != nil {
			if t.Kind == model.TunableEnum {
				// The tunable's set is narrower than the profiles: the
				// stack's rules hold only at its values.
				r.Enum, r.Source = t.OneOf, "the set stacks.cue allows at "+t.Path
			} else {
				r.Checks = append(r.Checks, func(value string) error { return TunableValue(t, value) })
			}
		}
		out = append(out, r)
	}
	return out
}

// keysInOrder returns the keys of m, those of order first and in its order.
func keysInOrder[V any](m map[string]V, order []string) []string {
	var out []string
	for _, k := range order {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}
