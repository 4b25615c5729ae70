package derive

import (
	"maps"
	"slices"

	"github.com/azagen/azagen/internal/model"
)

// Variable is one environment variable a stack reads from its .env.
type Variable struct {
	Name     string
	Default  *string // nil when required
	Required string  // compose's message when unset
	Doc      string
	UsedBy   []string // services, sorted
	// Tunable is set when the variable is a tunable of stacks.cue: its
	// range or set, and the field it sets.
	Tunable *model.Tunable
}

// Variables lists every variable a stack's compose file interpolates, sorted
// by name. Literal environment values are not variables.
func Variables(st *model.Stack) []Variable {
	vars := map[string]*Variable{}
	add := func(svc, key string, v model.EnvValue) {
		if v.IsLiteral() {
			return
		}
		name := VarName(key, v)
		cur := vars[name]
		if cur == nil {
			cur = &Variable{Name: name, Default: v.Default, Required: v.Required, Doc: v.Doc}
			vars[name] = cur
		}
		if cur.Doc == "" {
			cur.Doc = v.Doc
		}
		if !slices.Contains(cur.UsedBy, svc) {
			cur.UsedBy = append(cur.UsedBy, svc)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		svc := st.Services[name]
		add(name, "", svc.Image.Digest)
		for _, e := range svc.Env {
			add(name, e.Key, e.Value)
		}
	}
	for _, t := range st.Tunables {
		def := t.Default
		add(t.Service, t.Name, model.EnvValue{Var: t.Name, Default: &def, Doc: t.Doc})
		if vars[t.Name].Tunable == nil {
			vars[t.Name].Tunable = t
		}
	}
	out := make([]Variable, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		slices.Sort(vars[k].UsedBy)
		out = append(out, *vars[k])
	}
	return out
}

// SampleEnvironment is the environment of a stack's .env.example with every
// required variable given a placeholder: what compose sees once an operator
// has filled the file in.
func SampleEnvironment(st *model.Stack) map[string]string {
	env := map[string]string{}
	for _, v := range Variables(st) {
		if v.Default != nil {
			env[v.Name] = *v.Default
		} else {
			env[v.Name] = "sample-" + v.Name
		}
	}
	return env
}
