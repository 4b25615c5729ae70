package policy

import (
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/duration"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

func stacksPresent(c *checker) {
	if len(c.cfg.Stacks) == 0 {
		c.report("stacks", "the source declares no stacks: nothing would be rendered")
	}
	c.eachStack(func(st *model.Stack, path string) {
		if len(st.Services) == 0 {
			c.report(path, "stack %s has no services", st.Key)
		}
	})
}

func publishLoopback(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		for i, p := range svc.Ports {
			if p.HostIP != "127.0.0.1" && p.ExposeReason == "" {
				c.report(fmt.Sprintf("%s.ports[%d].host_ip", path, i),
					"port %d is published on %s, beyond loopback: add expose_reason saying why, or keep host_ip 127.0.0.1", p.Host, p.HostIP)
			}
		}
	})
}

func loopbackOnly(addrs string) bool {
	for _, a := range strings.Split(addrs, ",") {
		a = strings.TrimSpace(a)
		if a == "localhost" {
			continue
		}
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

func listenAdmitsPeers(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		var peers []string
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			other := st.Services[name]
			switch {
			case other.PgBouncer != nil && other.PgBouncer.Server == svc.Key,
				other.Exporter != nil && other.Exporter.Target == svc.Key:
				peers = append(peers, name)
			}
		}
		switch {
		case svc.Postgres != nil:
			if len(normalize.Replicas(c.cfg, st, svc)) > 0 {
				peers = append(peers, "replicas")
			}
			if len(svc.Ports) > 0 {
				peers = append(peers, "the published port")
			}
			if len(peers) > 0 && loopbackOnly(svc.Postgres.ListenAddresses) {
				c.report(path+".postgres.listen_addresses",
					"listen_addresses %q admits only loopback inside the container, but these reach it over the compose network: %s; use '*' and keep the host side on 127.0.0.1 with ports[].host_ip",
					svc.Postgres.ListenAddresses, strings.Join(slices.Compact(peers), ", "))
			}
		case svc.PgBouncer != nil:
			if len(svc.Ports) > 0 {
				peers = append(peers, "the published port")
			}
			if len(peers) > 0 && loopbackOnly(svc.PgBouncer.ListenAddr) {
				c.report(path+".pgbouncer.listen_addr",
					"listen_addr %q admits only loopback inside the container, but these reach it over the compose network: %s",
					svc.PgBouncer.ListenAddr, strings.Join(peers, ", "))
			}
		}
	})
}

func hostPortUnique(c *checker) {
	type owner struct{ path, where string }
	seen := map[string]owner{}
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		for i, p := range svc.Ports {
			key := fmt.Sprintf("%d", p.Host)
			here := owner{fmt.Sprintf("%s.ports[%d].host", path, i), st.Key + "/" + svc.Key}
			if prev, dup := seen[key]; dup {
				c.report(here.path, "host port %d is already published by %s (%s)", p.Host, prev.where, c.pos.Pos(prev.path))
				continue
			}
			seen[key] = here
		}
	})
}

func volumeNameUnique(c *checker) {
	seen := map[string]string{}
	c.eachStack(func(st *model.Stack, path string) {
		for _, k := range slices.Sorted(maps.Keys(st.Volumes)) {
			name := st.Volumes[k].Name
			if prev, dup := seen[name]; dup {
				c.report(path+".volumes."+diag.Label(k)+".name", "volume name %q is also used by stack %s: the two stacks would share data", name, prev)
				continue
			}
			seen[name] = st.Key
		}
	})
}

func referenceExists(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		for i, n := range svc.Networks {
			if st.Networks[n] == nil {
				c.report(fmt.Sprintf("%s.networks[%d]", path, i), "network %q is not declared in stacks.%s.networks", n, diag.Label(st.Key))
			}
		}
		for i, v := range svc.Volumes {
			if st.Volumes[v.Volume] == nil {
				c.report(fmt.Sprintf("%s.volumes[%d].volume", path, i), "volume %q is not declared in stacks.%s.volumes", v.Volume, diag.Label(st.Key))
			}
		}
		for _, d := range slices.Sorted(maps.Keys(svc.DependsOn)) {
			if st.Services[d] == nil {
				c.report(path+".depends_on."+diag.Label(d), "depends on service %q, which stack %s does not have", d, st.Key)
			}
		}
		role := func(p, name string) {
			if c.cfg.Roles[name] == nil {
				c.report(p, "role %q is not declared in roles", name)
			}
		}
		service := func(p, name, kind string) {
			other := st.Services[name]
			if other == nil || other.Kind != kind {
				c.report(p, "%q is not a %s service of stack %s", name, kind, st.Key)
			}
		}
		switch {
		case svc.Postgres != nil:
			pg := svc.Postgres
			for _, v := range []struct{ field, name string }{{"data_volume", pg.DataVolume}, {"backup_volume", pg.BackupVolume}} {
				if v.name != "" && st.Volumes[v.name] == nil {
					c.report(path+".postgres."+v.field, "volume %q is not declared in stacks.%s.volumes", v.name, diag.Label(st.Key))
				}
			}
			if pg.Upstream != nil {
				role(path+".postgres.upstream.user", pg.Upstream.User)
			}
		case svc.PgBouncer != nil:
			service(path+".pgbouncer.server", svc.PgBouncer.Server, model.KindPostgres)
			role(path+".pgbouncer.auth_user", svc.PgBouncer.AuthUser)
			role(path+".pgbouncer.stats_user", svc.PgBouncer.StatsUser)
		case svc.Exporter != nil:
			want := model.KindPostgres
			if svc.Kind == model.KindPgBouncerExporter {
				want = model.KindPgBouncer
			}
			service(path+".exporter.target", svc.Exporter.Target, want)
			role(path+".exporter.role", svc.Exporter.Role)
		}
	})
}

func replicaReachesPrimary(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if svc.Postgres == nil || svc.Postgres.Upstream == nil {
			return
		}
		up := svc.Postgres.Upstream
		net := st.Networks[up.Network]
		if net == nil {
			c.report(path+".postgres.upstream.network", "network %q is not declared in stacks.%s.networks", up.Network, diag.Label(st.Key))
			return
		}
		if !slices.Contains(svc.Networks, up.Network) {
			c.report(path+".postgres.upstream.network", "the replica does not join network %q, so it cannot reach %s", up.Network, up.Host)
		}
		// Find the stack that creates this network and check the host is a
		// postgres service on it.
		for _, sk := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
			other := c.cfg.Stacks[sk]
			for nk, n := range other.Networks {
				if n.Name != net.Name || n.External {
					continue
				}
				primary := other.Services[up.Host]
				if primary == nil || primary.Postgres == nil || !slices.Contains(primary.Networks, nk) {
					c.report(path+".postgres.upstream.host", "%q does not resolve on network %s: stack %s has no postgres service of that name on it", up.Host, net.Name, other.Key)
					return
				}
				if primary.Postgres.Role != model.RolePrimary {
					c.report(path+".postgres.upstream.host", "%q in stack %s is a %s, not a primary", up.Host, other.Key, primary.Postgres.Role)
				}
				if primary.Postgres.Port != up.Port {
					c.report(path+".postgres.upstream.port", "the primary listens on %d, not %d", primary.Postgres.Port, up.Port)
				}
				return
			}
		}
		c.report(path+".postgres.upstream.network", "no stack creates network %s; the replica joins it as external, so a primary stack must declare it", net.Name)
	})
}

func healthcheckTiming(c *checker) {
	minStart, _ := duration.Parse(c.cfg.PostgresMinStartPeriod)
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		h := svc.Health
		if h.Interval > 0 && h.Timeout >= h.Interval {
			c.report(originPath(h, "timeout", path), "healthcheck timeout %s must be shorter than its interval %s", duration.Format(h.Timeout), duration.Format(h.Interval))
		}
		if svc.Kind == model.KindPostgres && h.StartPeriod < minStart {
			c.report(originPath(h, "start_period", path), "postgres start_period %s is shorter than %s: a cold start runs initdb and creates the extensions before the server is healthy", duration.Format(h.StartPeriod), duration.Format(minStart))
		}
		if len(h.Test) == 0 {
			c.report(path+".healthcheck.test", "service has no healthcheck test")
		}
	})
}

// originPath is the path of the layer a healthcheck field came from, or the
// service when it came from the schema default.
func originPath(h model.ResolvedHealthcheck, field, svcPath string) string {
	if o := h.Origin[field]; o.InSource() {
		return o.Path + "." + field
	}
	return svcPath
}

func healthcheckConsistent(c *checker) {
	type entry struct {
		st   *model.Stack
		svc  *model.Service
		path string
	}
	byKind := map[string][]entry{}
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		byKind[svc.Kind] = append(byKind[svc.Kind], entry{st, svc, path})
	})
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		// Each service without a reason is compared with the earlier ones
		// without a reason, and names the first that differs. The earlier
		// ones fall into a few classes of equal healthchecks, listed in the
		// order of their first member, so the first class that differs
		// holds the first service that differs: comparing with each class
		// instead of each service keeps the rule linear in the number of
		// services (issue #18).
		var classes []entry // the first member of each class
		for _, a := range byKind[kind] {
			if a.svc.Health.Reason != "" {
				continue
			}
			var differs *entry
			own := false
			for i, b := range classes {
				if sameHealth(a.svc.Health, b.svc.Health) {
					own = true
				} else if differs == nil {
					differs = &classes[i]
				}
			}
			if differs != nil {
				c.report(a.path+".healthcheck", "%s healthcheck differs from %s/%s; give the override a reason or keep them equal", kind, differs.st.Key, differs.svc.Key)
			}
			if !own {
				classes = append(classes, a)
			}
		}
	}
}

func sameHealth(a, b model.ResolvedHealthcheck) bool {
	a.Origin, b.Origin, a.Reason, b.Reason = nil, nil, "", ""
	return reflect.DeepEqual(a, b)
}

func envDerivedClash(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		for _, d := range normalize.DerivedEnvironment(c.cfg, st, svc) {
			if _, set := svc.Environment[d.Key]; set {
				c.report(path+".environment."+d.Key, "%s is derived from the %s; remove it here", d.Key, d.Origin)
			}
		}
	})
}

func envVariableConsistent(c *checker) {
	c.eachStack(func(st *model.Stack, path string) {
		seen := map[string]string{}
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			for _, e := range svc.Env {
				if e.Value.IsLiteral() {
					continue
				}
				v := derive.VarName(e.Key, e.Value)
				shape := derive.Interpolation(e.Key, e.Value)
				if prev, ok := seen[v]; ok && prev != shape {
					c.report(normalize.ServicePath(st, svc)+".environment."+e.Key, "variable %s is read as %s here but as %s elsewhere in the stack", v, shape, prev)
				}
				seen[v] = shape
			}
		}
	})
}

func envMessageSafe(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		for _, e := range svc.Env {
			var text string
			switch {
			case e.Value.Default != nil:
				text = *e.Value.Default
			case !e.Value.IsLiteral():
				text = e.Value.Required
			}
			if !derive.InterpolationSafe(text) {
				c.report(path+".environment."+e.Key, "%q contains '}', '$' or a control character, which compose interpolation cannot hold", text)
			}
		}
	})
}
