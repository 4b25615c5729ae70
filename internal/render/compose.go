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
	"github.com/azagen/azagen/internal/yamlnode"
)

// Compose renders generated/stacks/<stack>/compose.yaml. Keys follow
// dclint's service-keys-order so the output reads the way compose files are
// usually written and lints clean.
func Compose(st *model.Stack) (output.File, error) {
	root := newMapping().Set("name", str(st.Name))
	services := newMapping()
	for _, name := range sortedNames(st.Services) {
		services.Set(name, service(st, st.Services[name]))
	}
	root.Set("services", services.Node)
	if len(st.Networks) > 0 {
		nets := newMapping()
		for _, k := range slices.Sorted(maps.Keys(st.Networks)) {
			n := st.Networks[k]
			m := newMapping().Set("name", str(n.Name))
			if n.External {
				m.Set("external", yamlnode.Bool(true))
			} else {
				m.Set("driver", str("bridge"))
				if n.Attachable {
					m.Set("attachable", yamlnode.Bool(true))
				}
			}
			nets.Set(k, m.Node)
		}
		root.Set("networks", nets.Node)
	}
	if len(st.Volumes) > 0 {
		vols := newMapping()
		for _, k := range slices.Sorted(maps.Keys(st.Volumes)) {
			vols.Set(k, newMapping().Set("name", str(st.Volumes[k].Name)).Node)
		}
		root.Set("volumes", vols.Node)
	}
	if secrets := stackSecrets(st); len(secrets) > 0 {
		sec := newMapping()
		for _, k := range slices.Sorted(maps.Keys(secrets)) {
			sec.Set(k, newMapping().Set("file", str(secrets[k])).Node)
		}
		root.Set("secrets", sec.Node)
	}
	p := model.ComposePath(st.Key)
	data, err := yamlnode.Encode(output.HashComment(), root.Node)
	if err != nil {
		return output.File{}, fmt.Errorf("render %s: %w", p, err)
	}
	return output.File{Path: p, Data: data}, nil
}

func service(st *model.Stack, svc *model.Service) *yaml.Node {
	m := newMapping().Set("image", str(derive.ImageRef(svc.Image)))
	if len(svc.DependsOn) > 0 {
		deps := newMapping()
		for _, k := range sortedNames(svc.DependsOn) {
			deps.Set(k, newMapping().Set("condition", str(svc.DependsOn[k])).Node)
		}
		m.Set("depends_on", deps.Node)
	}
	if len(svc.Mounts) > 0 {
		vols := yamlnode.Seq()
		for _, mt := range svc.Mounts {
			vols.Content = append(vols.Content, str(mountSpec(st, mt)))
		}
		m.Set("volumes", vols)
	}
	if len(svc.Env) > 0 {
		env := newMapping()
		for _, e := range svc.Env {
			env.Set(e.Key, str(derive.Interpolation(e.Key, e.Value)))
		}
		m.Set("environment", env.Node)
	}
	if len(svc.Ports) > 0 {
		ports := yamlnode.Seq()
		for _, p := range derive.SortedPorts(svc.Ports) {
			ports.Content = append(ports.Content, singleQuoted(derive.PortSpec(p)))
		}
		m.Set("ports", ports)
	}
	m.Set("networks", strList(slices.Sorted(slices.Values(svc.Networks))))
	if svc.Command != nil {
		m.Set("command", literalList(svc.Command))
	}
	if svc.Entrypoint != nil {
		m.Set("entrypoint", literalList(svc.Entrypoint))
	}
	m.Set("restart", str(svc.Restart))
	m.Set("healthcheck", healthcheck(svc.Health))
	// The remaining keys are in alphabetical order, as dclint expects.
	if len(svc.Security.CapDrop) > 0 {
		m.Set("cap_drop", strList(svc.Security.CapDrop))
	}
	m.Set("deploy", deploy(svc.Resources))
	if svc.Security.ReadOnly {
		m.Set("read_only", yamlnode.Bool(true))
	}
	if len(svc.Secrets) > 0 {
		var names []string
		for _, s := range svc.Secrets {
			names = append(names, s.Name)
		}
		m.Set("secrets", strList(names))
	}
	m.Set("security_opt", strList([]string{"no-new-privileges:true"}))
	if len(svc.Security.Tmpfs) > 0 {
		m.Set("tmpfs", strList(svc.Security.Tmpfs))
	}
	if svc.PgBouncer != nil {
		// The image's default soft limit (1024) is below what
		// max_client_conn promises; accept() then fails with EMFILE.
		n := derive.PgBouncerNoFile(svc.PgBouncer)
		m.Set("ulimits", newMapping().Set("nofile", newMapping().Set("soft", integer(n)).Set("hard", integer(n)).Node).Node)
	}
	return m.Node
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
	m := newMapping().Set("test", literalList(h.Test))
	m.Set("interval", str(duration.Format(h.Interval)))
	m.Set("timeout", str(duration.Format(h.Timeout)))
	m.Set("retries", integer(h.Retries))
	if h.StartPeriod > 0 {
		m.Set("start_period", str(duration.Format(h.StartPeriod)))
	}
	if h.StartInterval > 0 {
		m.Set("start_interval", str(duration.Format(h.StartInterval)))
	}
	return m.Node
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
		Set("cpus", tunable("cpus", singleQuoted(strconv.FormatFloat(r.CPUs, 'f', -1, 64)))).
		Set("memory", tunable("memory", str(r.Memory))).
		Set("pids", tunable("pids", integer(r.Pids)))
	res := newMapping().Set("limits", limits.Node)
	if r.MemoryReservation != "" {
		res.Set("reservations", newMapping().Set("memory", tunable("memory_reservation", str(r.MemoryReservation))).Node)
	}
	return newMapping().Set("resources", res.Node).Node
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
