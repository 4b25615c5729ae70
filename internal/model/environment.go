package model

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Environment is one named variant of the deployment (schema
// environment.cue): a host class rendered to its own directory.
type Environment struct {
	// Name is the key under environments. Set by Decode.
	Name string `json:"-"`
	Doc  string `json:"doc"`
	// Tunables maps a stack key to tunable names to the default this
	// environment gives them.
	Tunables map[string]map[string]EnvTunable `json:"-"`
}

// EnvTunable is a tunable default as an environment writes it.
type EnvTunable struct {
	// Text is the value as CUE exports it: 8g, 50, 0.5.
	Text string
	// Quoted is true for a CUE string ("8g"), false for a number.
	Quoted bool
}

// UnmarshalJSON keeps the tunables' values (CUE strings or numbers) as the
// text stacks.cue writes, and skips values, which load unifies instead.
func (e *Environment) UnmarshalJSON(b []byte) error {
	var raw struct {
		Doc      string                                `json:"doc"`
		Tunables map[string]map[string]json.RawMessage `json:"tunables"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	e.Doc = raw.Doc
	e.Tunables = nil
	for stack, names := range raw.Tunables {
		if e.Tunables == nil {
			e.Tunables = map[string]map[string]EnvTunable{}
		}
		e.Tunables[stack] = map[string]EnvTunable{}
		for name, v := range names {
			e.Tunables[stack][name] = EnvTunable{Text: scalarText(v), Quoted: len(v) > 0 && v[0] == '"'}
		}
	}
	return nil
}

// SetTunableDefault gives every tunable of the stack named name the default
// value, both in the tunable and in the model field that holds its default,
// so that renderers write ${name:-value} and rules see value as the
// default. value must already be an allowed value of the tunable
// (derive.TunableValue); the error is for a field azagen cannot set, which
// would be azagen's bug, or for a name the stack does not declare.
func (st *Stack) SetTunableDefault(name, value string) error {
	found := false
	for _, t := range st.Tunables {
		if t.Name != name {
			continue
		}
		found = true
		svc := st.Services[t.Service]
		if err := setTunableField(svc, t, value); err != nil {
			return fmt.Errorf("%s (%s %s): %w", name, t.Service, t.Field, err)
		}
		t.Default = value
	}
	if !found {
		return fmt.Errorf("stack %s declares no tunable %s", st.Key, name)
	}
	return nil
}

// setTunableField writes value into the field of svc that t declares.
func setTunableField(svc *Service, t *Tunable, value string) error {
	atoi := func() (int, error) { return strconv.Atoi(value) }
	switch {
	case t.Field == "resources.memory":
		svc.Resources.Memory = value
	case t.Field == "resources.memory_reservation":
		svc.Resources.MemoryReservation = value
	case t.Field == "resources.cpus":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return err
		}
		svc.Resources.CPUs = f
	case t.Field == "resources.pids":
		n, err := atoi()
		if err != nil {
			return err
		}
		svc.Resources.Pids = n
	case t.Field == "pgbouncer.max_client_conn" && svc.PgBouncer != nil:
		n, err := atoi()
		if err != nil {
			return err
		}
		svc.PgBouncer.MaxClientConn = n
	case t.Field == "pgbouncer.default_pool_size" && svc.PgBouncer != nil:
		n, err := atoi()
		if err != nil {
			return err
		}
		svc.PgBouncer.DefaultPoolSize = n
	default:
		var i int
		var key string
		if _, err := fmt.Sscanf(t.Field, "ports[%d].host", &i); err == nil && i < len(svc.Ports) {
			n, err := atoi()
			if err != nil {
				return err
			}
			svc.Ports[i].Host = n
			return nil
		}
		if _, err := fmt.Sscanf(t.Field, "environment.%s", &key); err == nil {
			if ev, ok := svc.Environment[key]; ok && ev.Default != nil {
				v := value
				ev.Default = &v
				svc.Environment[key] = ev
				return nil
			}
		}
		return fmt.Errorf("azagen cannot set the field %s", t.Field)
	}
	return nil
}
