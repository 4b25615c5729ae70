package k8s

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
)

// replicaNotes explains where a replica stack's standbys went.
func (r *Stack) replicaNotes(cfg *model.Config, st *model.Stack) {
	sp := "stacks." + diag.Label(st.Key)
	for _, key := range slices.Sorted(maps.Keys(st.Services)) {
		svc := st.Services[key]
		path := normalize.ServicePath(st, svc)
		switch {
		case svc.Postgres != nil && svc.Postgres.Role == model.RoleReplica:
			primary := "its primary"
			for _, other := range slices.Sorted(maps.Keys(cfg.Stacks)) {
				ost := cfg.Stacks[other]
				if p := derive.CNPGServer(ost); p != nil && ost.Kubernetes != nil && slices.Contains(normalize.Replicas(cfg, ost, p), svc) {
					primary = fmt.Sprintf("the Cluster %s (generated/%s)", ost.Name, model.K8sClusterPath(ost.Key))
				}
			}
			r.Notes = append(r.Notes,
				Note{path, fmt.Sprintf("this standby is not a Cluster of its own: its %d instance(s) (%s.kubernetes.instances) are counted into %s, where CNPG runs them as streaming replicas with its own failover.", st.Kubernetes.Instances, sp, primary)},
				Note{path + ".postgres.upstream", "no counterpart: CNPG streams over its own streaming_replica user with certificate authentication and manages the slots itself."},
				Note{path + ".postgres.settings", "no counterpart: all instances of a Cluster share the primary's parameters, so standby-only settings are not carried over."},
				Note{path + ".resources", "no counterpart: all instances of a Cluster share the primary's resources (standby-not-below-primary keeps them equal in compose)."},
			)
		default:
			r.Notes = append(r.Notes, Note{path, serviceKindNote(svc)})
		}
		r.serviceNotes(svc, path)
	}
	kp := sp + ".kubernetes"
	r.Notes = append(r.Notes, Note{kp, "only namespace and instances are used: the standbys run with the storage, anti-affinity and IDs of their primary's Cluster."})
	r.stackNotes(st)
}

func serviceKindNote(svc *model.Service) string {
	switch svc.Kind {
	case model.KindPostgresExporter:
		return "no counterpart: CNPG runs the exporter inside every instance (port 9187, name metrics) with the custom queries of the monitoring ConfigMap; the PodMonitor scrapes it."
	case model.KindPgBouncerExporter:
		return "no counterpart: CNPG's Pooler pods export PgBouncer metrics themselves (port 9127, name metrics); the pooler PodMonitor scrapes it."
	}
	return "no counterpart in this stack's Kubernetes target."
}

// composeOnly lists what the compose stack has and the manifests do not.
func (r *Stack) composeOnly(cfg *model.Config, st *model.Stack) {
	pgbouncers := 0
	for _, key := range slices.Sorted(maps.Keys(st.Services)) {
		svc := st.Services[key]
		path := normalize.ServicePath(st, svc)
		switch {
		case svc.Postgres != nil && svc.Postgres.Role != model.RoleReplica:
			pg := svc.Postgres
			r.Notes = append(r.Notes,
				Note{path + ".postgres.listen_addresses", "not written: CNPG always listens on '*'."},
				Note{path + ".postgres.port", "not written: CNPG runs PostgreSQL on 5432; clients use the Services " + st.Name + "-rw, -ro and -r."},
				Note{path + ".postgres.data_volume", "becomes spec.storage: one PersistentVolumeClaim per instance."},
				Note{path + ".postgres.hba", "application rules become spec.postgresql.pg_hba (samenet as kubernetes.samenet_cidr); the rules azagen derives for the stacks' own clients are not written: CNPG writes its own rules for its users first."},
				Note{path + ".environment", "not carried: CNPG's instance manager replaces the image's entrypoint; the auto-config values for the declared resources and the default workload and storage profiles are in spec.postgresql.parameters."},
			)
			if pg.BackupVolume != "" {
				r.Notes = append(r.Notes, Note{path + ".postgres.backup_volume", "no counterpart: backups on Kubernetes go through CNPG's backup section (object store or volume snapshots), not a mounted volume."})
			}
			for _, cl := range normalize.Clients(cfg, st, svc) {
				if role := cfg.Roles[cl.Role]; role != nil && (role.Replication || isAuthUser(st, role.Name)) {
					r.Notes = append(r.Notes, Note{"roles." + diag.Label(role.Name), "no counterpart: CNPG creates its own " + cnpgUserFor(role) + "."})
				}
			}
			if len(derive.CNPGStandbys(cfg, st, svc)) == 0 && len(normalize.Replicas(cfg, st, svc)) > 0 {
				r.Notes = append(r.Notes, Note{path, "its replicas' stacks have no kubernetes block, so spec.instances counts this stack's instances only."})
			}
		case svc.PgBouncer != nil:
			pgbouncers++
			pb := svc.PgBouncer
			if pgbouncers > 1 {
				r.Notes = append(r.Notes, Note{path, "not rendered: the Cluster has one rw Pooler, rendered from the first pgbouncer service."})
				continue
			}
			r.Notes = append(r.Notes,
				Note{path + ".pgbouncer.server", "becomes spec.cluster.name of the Pooler."},
				Note{path + ".pgbouncer.databases", "no counterpart: CNPG's Pooler serves every database of the Cluster."},
				Note{"roles." + diag.Label(pb.StatsUser), "no counterpart: the Pooler's metrics come from CNPG's own exporter, which needs no stats login."},
			)
		case svc.Kind == model.KindPostgresExporter || svc.Kind == model.KindPgBouncerExporter:
			r.Notes = append(r.Notes, Note{path, serviceKindNote(svc)})
		}
		r.serviceNotes(svc, path)
	}
	r.stackNotes(st)
}

// serviceNotes are the compose fields of every service that Kubernetes
// and CNPG handle themselves.
func (r *Stack) serviceNotes(svc *model.Service, path string) {
	r.Notes = append(r.Notes,
		Note{path + ".ports", "no counterpart: nothing is published on a host; reach the Services from inside the cluster, or with kubectl port-forward."},
		Note{path + ".healthcheck", "no counterpart: CNPG's instance manager and Pooler define their own probes."},
		Note{path + ".security", "no counterpart: CNPG sets the pods' securityContext itself (non-root, all capabilities dropped, seccomp RuntimeDefault)."},
		Note{path + ".restart", "no counterpart: Kubernetes restarts failed containers; CNPG fails over to a standby."},
		Note{path + ".resources.pids", "no counterpart: a pod's process limit is the kubelet's podPidsLimit, not part of the manifests."},
	)
	if len(svc.DependsOn) > 0 {
		r.Notes = append(r.Notes, Note{path + ".depends_on", "no counterpart: CNPG orders its own components (the instances, then the Pooler)."})
	}
}

func (r *Stack) stackNotes(st *model.Stack) {
	sp := "stacks." + diag.Label(st.Key)
	r.Notes = append(r.Notes,
		Note{sp + ".networks", "no counterpart: pods share the cluster network; CNPG creates the Services."},
		Note{sp + ".volumes", "no counterpart: CNPG creates a PersistentVolumeClaim per instance from spec.storage."},
		Note{sp + ".healthcheck", "no counterpart: CNPG defines its own probes."},
	)
}

func isAuthUser(st *model.Stack, role string) bool {
	for _, s := range st.Services {
		if s.PgBouncer != nil && s.PgBouncer.AuthUser == role {
			return true
		}
	}
	return false
}

func cnpgUserFor(r *model.Role) string {
	if r.Replication {
		return "streaming_replica user (certificate authentication) for replication"
	}
	return "cnpg_pooler_pgbouncer user and auth_query for the Pooler"
}

// notes renders NOTES.md: every source field of the stack that the
// manifests do not carry as it is, sorted by path, duplicates merged.
func (r *Stack) notes() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- %s -->\n\n# Kubernetes (CloudNativePG): what stacks.%s does not carry over\n\n", output.Header, diag.Label(r.Key))
	b.WriteString("Every field below exists in the compose stack and has no counterpart, or a\ndifferent one, in the manifests of this directory.\n\n")
	seen := map[string]bool{}
	notes := slices.Clone(r.Notes)
	slices.SortStableFunc(notes, func(a, c Note) int { return strings.Compare(a.Path, c.Path) })
	for _, n := range notes {
		line := fmt.Sprintf("- `%s`: %s\n", n.Path, n.Text)
		if n.Path == "" {
			line = fmt.Sprintf("- %s\n", n.Text)
		}
		if seen[line] {
			continue
		}
		seen[line] = true
		b.WriteString(line)
	}
	return []byte(b.String())
}
