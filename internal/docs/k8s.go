package docs

import (
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	md "github.com/azagen/azagen/internal/markdown"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// buildK8s is the CloudNativePG target of each stack: where its Cluster
// goes and what it is made of.
func buildK8s(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Namespace", "Cluster", "Instances", "Storage", "Anti-affinity", "Pooler", "UID/GID")...)
	for _, st := range stacksFor(in.Config, arg) {
		k := st.Kubernetes
		if k == nil {
			continue
		}
		svc := derive.CNPGServer(st)
		if svc == nil {
			t.Add(withStack(all, st, md.CodeSpan(k.Namespace), md.Text("none: its standbys join their primary's Cluster"),
				md.Text("+"+strconv.Itoa(k.Instances)), md.Text("—"), md.Text("—"), md.Text("—"), md.Text("—"))...)
			continue
		}
		storage := k.Storage.Size
		if k.Storage.Class != "" {
			storage += " (" + k.Storage.Class + ")"
		} else {
			storage += " (default class)"
		}
		pooler := md.Text("none")
		for _, s := range services(st) {
			if s.PgBouncer != nil {
				pooler = md.Join(md.CodeSpan(derive.CNPGPoolerName(st.Name)), md.Text(" ×"+strconv.Itoa(k.PoolerInstances)+", "+s.PgBouncer.PoolMode))
				break
			}
		}
		t.Add(withStack(all, st, md.CodeSpan(k.Namespace), md.CodeSpan(st.Name),
			md.Text(strconv.Itoa(derive.CNPGInstances(in.Config, st, svc))), md.Text(storage), md.Text(k.AntiAffinity), pooler,
			md.Text(strconv.FormatInt(k.PostgresUID, 10)+"/"+strconv.FormatInt(k.PostgresGID, 10)))...)
	}
	return md.Content{t}, nil
}

// buildK8sParameters lists every setting of a stack's server and what the
// Cluster does with it.
func buildK8sParameters(in *Input, arg string) (md.Content, error) {
	t := md.NewTable("Setting", "Value", "From", "In the Cluster")
	st := in.Config.Stacks[arg]
	svc := derive.CNPGServer(st)
	if st.Kubernetes == nil || svc == nil {
		t.Add(md.Text("—"), md.Text("—"), md.Text("—"), md.Text(noCluster(st)))
		return md.Content{t}, nil
	}
	params, err := derive.CNPGParameters(in.Config, svc, normalize.ServicePath(st, svc))
	if err != nil {
		return nil, err
	}
	for _, p := range params {
		from := md.Text("auto-config, from the declared resources")
		if p.Path != "" {
			from = md.CodeSpan(p.Path)
		}
		var what md.Inline
		switch p.Disposition {
		case derive.CNPGKeep:
			what = md.Text("spec.postgresql.parameters")
		case derive.CNPGMoved:
			what = md.Text(p.Reason)
		case derive.CNPGDropped:
			what = md.Text("not written: " + p.Reason)
		case derive.CNPGRefused:
			what = md.Text("refused (k8s-setting-owned): " + p.Reason)
		}
		t.Add(md.CodeSpan(p.Name), md.CodeSpan(p.Value), from, what)
	}
	t.Add(md.CodeSpan("shared_preload_libraries"), md.CodeSpan(strings.Join(derive.CNPGPreload(in.Config), ",")), md.CodeSpan("postgresql.preload"), md.Text("spec.postgresql.shared_preload_libraries"))
	return md.Content{t}, nil
}

// buildK8sPooler lists the PgBouncer settings of each stack's pooler and
// whether the CNPG Pooler carries them.
func buildK8sPooler(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Setting", "Value", "In the Pooler")...)
	for _, st := range stacksFor(in.Config, arg) {
		if st.Kubernetes == nil || derive.CNPGServer(st) == nil {
			if !all {
				t.Add(md.Text("—"), md.Text("—"), md.Text(noCluster(st)))
			}
			continue
		}
		if !slices.ContainsFunc(services(st), func(s *model.Service) bool { return s.PgBouncer != nil }) && !all {
			t.Add(md.Text("—"), md.Text("—"), md.Text("none: the stack has no pgbouncer service, so its Cluster has no Pooler"))
		}
		for _, s := range services(st) {
			if s.PgBouncer == nil {
				continue
			}
			kept, dropped := derive.CNPGPoolerParameters(s.PgBouncer)
			t.Add(withStack(all, st, md.CodeSpan("pool_mode"), md.CodeSpan(s.PgBouncer.PoolMode), md.Text("spec.pgbouncer.poolMode"))...)
			for _, p := range kept {
				t.Add(withStack(all, st, md.CodeSpan(p.Key), md.CodeSpan(p.Value), md.Text("spec.pgbouncer.parameters"))...)
			}
			for _, p := range dropped {
				t.Add(withStack(all, st, md.CodeSpan(p.Key), md.CodeSpan(p.Value), md.Text("not written: CNPG's Pooler owns it"))...)
			}
			break
		}
	}
	return md.Content{t}, nil
}

// buildK8sRoles lists each role and its CNPG counterpart for a stack.
func buildK8sRoles(in *Input, arg string) (md.Content, error) {
	t := md.NewTable("Role", "Compose", "CloudNativePG")
	st := in.Config.Stacks[arg]
	svc := derive.CNPGServer(st)
	if st.Kubernetes == nil || svc == nil {
		t.Add(md.Text("—"), md.Text("—"), md.Text(noCluster(st)))
		return md.Content{t}, nil
	}
	managed := map[string]bool{}
	for _, r := range derive.CNPGManagedRoles(in.Config, st, svc) {
		managed[r.Name] = true
	}
	for _, name := range sortedRoleNames(in.Config) {
		r := in.Config.Roles[name]
		compose := "login role"
		var cnpg string
		switch {
		case r.Superuser:
			compose = "superuser"
			cnpg = "superuserSecret " + derive.CNPGSecretName(st.Name, "superuser") + " (enableSuperuserAccess)"
		case managed[name]:
			cnpg = "spec.managed.roles, password from Secret " + derive.CNPGSecretName(st.Name, name)
		case r.Replication:
			compose = "replication"
			cnpg = "none: CNPG's streaming_replica user with certificates"
		case r.PgBouncerOnly:
			compose = "PgBouncer admin console only"
			cnpg = "none: CNPG's Pooler exports its metrics itself"
		default:
			cnpg = "none: CNPG's cnpg_pooler_pgbouncer user runs the Pooler's auth_query, or the role serves no server of this stack"
		}
		t.Add(md.CodeSpan(name), md.Text(compose), md.Text(cnpg))
	}
	return md.Content{t}, nil
}

// noCluster says why a stack has no Cluster of its own.
func noCluster(st *model.Stack) string {
	if st.Kubernetes == nil {
		return "none: the stack has no kubernetes block"
	}
	return "none: the standbys of this stack are instances of their primary's Cluster"
}

func sortedRoleNames(c *model.Config) []string {
	var out []string
	for k := range c.Roles {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
