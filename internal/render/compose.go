package render

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/duration"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
)

// Compose renders generated/stacks/<stack>/compose.yaml. Keys follow
// dclint's service-keys-order so the output reads the way compose files are
// usually written and lints clean.
func Compose(st *model.Stack) (output.File, error) {
	root := newMapping().set("name", str(st.Name))
	services := newMapping()
	for _, name := range sortedNames(st.Services) {
		services.set(name, service(st, st.Services[name]))
	}
	root.set("services", services.n)
	if len(st.Networks) > 0 {
		nets := newMapping()
		for _, k := range slices.Sorted(maps.Keys(st.Networks)) {
			n := st.Networks[k]
			m := newMapping().set("name", str(n.Name))
			if n.External {
				m.set("external", boolean(true))
			} else {
				m.set("driver", str("bridge"))
				if n.Attachable {
					m.set("attachable", boolean(true))
				}
			}
			nets.set(k, m.n)
		}
		root.set("networks", nets.n)
	}
	if len(st.Volumes) > 0 {
		vols := newMapping()
		for _, k := range slices.Sorted(maps.Keys(st.Volumes)) {
			vols.set(k, newMapping().set("name", str(st.Volumes[k].Name)).n)
		}
		root.set("volumes", vols.n)
	}
	if secrets := stackSecrets(st); len(secrets) > 0 {
		sec := newMapping()
		for _, k := range slices.Sorted(maps.Keys(secrets)) {
			sec.set(k, newMapping().set("file", str(secrets[k])).n)
		}
		root.set("secrets", sec.n)
	}
	p := model.ComposePath(st.Key)
	data, err := encodeYAML(output.HashComment(), root.n)
	if err != nil {
		return output.File{}, fmt.Errorf("render %s: %w", p, err)
	}
	return output.File{Path: p, Data: data}, nil
}

func service(st *model.Stack, svc *model.Service) *yaml.Node {
	m := newMapping().set("image", str(derive.ImageRef(svc.Image)))
	if len(svc.DependsOn) > 0 {
		deps := newMapping()
		for _, k := range sortedNames(svc.DependsOn) {
			deps.set(k, newMapping().set("condition", str(svc.DependsOn[k])).n)
		}
		m.set("depends_on", deps.n)
	}
	if len(svc.Mounts) > 0 {
		vols := list()
		for _, mt := range svc.Mounts {
			vols.Content = append(vols.Content, str(mountSpec(st, mt)))
		}
		m.set("volumes", vols)
	}
	if len(svc.Env) > 0 {
		env := newMapping()
		for _, e := range svc.Env {
			env.set(e.Key, str(derive.Interpolation(e.Key, e.Value)))
		}
		m.set("environment", env.n)
	}
	if len(svc.Ports) > 0 {
		ports := list()
		for _, p := range derive.SortedPorts(svc.Ports) {
			ports.Content = append(ports.Content, singleQuoted(derive.PortSpec(p)))
		}
		m.set("ports", ports)
	}
	m.set("networks", strList(slices.Sorted(slices.Values(svc.Networks))))
	if svc.Command != nil {
		m.set("command", literalList(svc.Command))
	}
	if svc.Entrypoint != nil {
		m.set("entrypoint", literalList(svc.Entrypoint))
	}
	m.set("restart", str(svc.Restart))
	m.set("healthcheck", healthcheck(svc.Health))
	// The remaining keys are in alphabetical order, as dclint expects.
	if len(svc.Security.CapDrop) > 0 {
		m.set("cap_drop", strList(svc.Security.CapDrop))
	}
	m.set("deploy", deploy(svc.Resources))
	if svc.Security.ReadOnly {
		m.set("read_only", boolean(true))
	}
	if len(svc.Secrets) > 0 {
		var names []string
		for _, s := range svc.Secrets {
			names = append(names, s.Name)
		}
		m.set("secrets", strList(names))
	}
	m.set("security_opt", strList([]string{"no-new-privileges:true"}))
	if len(svc.Security.Tmpfs) > 0 {
		m.set("tmpfs", strList(svc.Security.Tmpfs))
	}
	if svc.PgBouncer != nil {
		// The image's default soft limit (1024) is below what
		// max_client_conn promises; accept() then fails with EMFILE.
		n := derive.PgBouncerNoFile(svc.PgBouncer)
		m.set("ulimits", newMapping().set("nofile", newMapping().set("soft", integer(n)).set("hard", integer(n)).n).n)
	}
	return m.n
}

// mountSpec renders a volume entry; file mounts are relative to the stack's
// directory, where compose resolves them.
func mountSpec(st *model.Stack, mt model.Mount) string {
	src := mt.Volume
	if mt.HostFile != "" {
		src = mt.HostFile
	}
	if mt.File != "" {
		rel := relPath(model.StackDir(st.Key), mt.File)
		if !strings.HasPrefix(rel, "../") {
			rel = "./" + rel
		}
		src = rel
	}
	s := src + ":" + mt.Target
	if mt.ReadOnly {
		s += ":ro"
	}
	return s
}

// relPath is filepath.Rel for slash paths that are both relative to the
// same root.
func relPath(from, to string) string {
	f := strings.Split(path.Clean(from), "/")
	t := strings.Split(path.Clean(to), "/")
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	parts := slices.Repeat([]string{".."}, len(f)-i)
	return path.Join(append(parts, t[i:]...)...)
}

func healthcheck(h model.ResolvedHealthcheck) *yaml.Node {
	// A CMD-SHELL test may name the container's variables ($POSTGRES_USER):
	// the shell in the container must see them, not compose at parse time.
	m := newMapping().set("test", literalList(h.Test))
	m.set("interval", str(duration.Format(h.Interval)))
	m.set("timeout", str(duration.Format(h.Timeout)))
	m.set("retries", integer(h.Retries))
	if h.StartPeriod > 0 {
		m.set("start_period", str(duration.Format(h.StartPeriod)))
	}
	if h.StartInterval > 0 {
		m.set("start_interval", str(duration.Format(h.StartInterval)))
	}
	return m.n
}

// deploy renders the limits; a tunable field is written as its
// interpolation, which compose-go converts to the field's type after
// interpolating.
func deploy(r model.Resources) *yaml.Node {
	tunable := func(field string, literal *yaml.Node) *yaml.Node {
		if t := r.Tunables[field]; t != nil {
			return singleQuoted(t.Ref())
		}
		return literal
	}
	limits := newMapping().
		set("cpus", tunable("cpus", singleQuoted(strconv.FormatFloat(r.CPUs, 'f', -1, 64)))).
		set("memory", tunable("memory", str(r.Memory))).
		set("pids", tunable("pids", integer(r.Pids)))
	res := newMapping().set("limits", limits.n)
	if r.MemoryReservation != "" {
		res.set("reservations", newMapping().set("memory", tunable("memory_reservation", str(r.MemoryReservation))).n)
	}
	return newMapping().set("resources", res.n).n
}

// stackSecrets maps every compose secret the stack's services read to its
// file.
func stackSecrets(st *model.Stack) map[string]string {
	out := map[string]string{}
	for _, svc := range st.Services {
		for _, s := range svc.Secrets {
			out[s.Name] = s.HostFile
		}
	}
	return out
}

// literalList is a list of strings compose must not interpolate.
func literalList(items []string) *yaml.Node {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = derive.ComposeLiteral(s)
	}
	return strList(out)
}
